// One sync of a device: push the outbox in batches, pull pages until has_more is false, apply
// each answer (results, records, cursor) in one transaction. Every step is idempotent on both
// sides, so a sync killed at any moment is completed by the next one: a change whose answer
// was lost is pushed again and the server answers "duplicate".
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "client-sdk/client.h"

namespace outreach::client {

class DeviceState;
class HttpClient;

struct SyncContext {
  replica::Replica* replica = nullptr;
  DeviceState* state = nullptr;
  HttpClient* http = nullptr;
  std::string token;
  // Fetches the server's schemas into `state` and reopens the replica on them, returning it
  // (the old one is gone). Called before an answer is applied when the server's schemas are
  // not the device's.
  std::function<Result<replica::Replica*>()> reload_schemas;
  // May be empty. Told true as a sync with changes to push starts, and false once, when its
  // last push is answered or it ends sooner: the device's page cache is larger meanwhile
  // (client.cc's kPushingCacheKib).
  std::function<void(bool)> pushing;
  // May be empty. Told false just before an answer that is not the sync's last is applied, and
  // true just after (even if the apply failed or threw): that commit is not synced to disk,
  // the next synced one takes it there (SQLite's WAL is written in order). A power cut that
  // lost it would be a lost answer, which the next sync asks for again (push results are
  // answered "duplicate", pages are pulled again from the cursor the store still holds). The
  // sync's last answer, and every commit outside an answer, stays synced. An error telling it
  // false is not one for the sync: the answer is applied synced.
  std::function<Status(bool)> synced_commits;
  // The sync's time, stored (kLastSyncMs) in the last answer's commit. Null: not stored.
  model::PhysicalClock* clock = nullptr;
};

struct SyncRun {
  SyncSummary summary;
};

// unavailable (network, 5xx after retries), aborted (cancelled), unauthenticated (token
// refused), clock_skew (still skewed after re-stamping), failed_precondition (another 4xx).
// A revoked device returns summary.wiped = true; the caller destroys the store.
Result<SyncRun> RunSync(const SyncContext& context, const SyncOptions& options);

// A push answered within kQuickPushMs grows the batches after it (up to
// SyncOptions::max_push_batch); one answered after more than kSlowPushMs takes them back to
// SyncOptions::push_batch.
inline constexpr std::int64_t kQuickPushMs = 1'000;
inline constexpr std::int64_t kSlowPushMs = 10'000;

// The batch size after a push answered in `exchange_ms`, pushed while it was `batch`: at most
// `limit` (max_push_batch, or less once the server refused a larger push); `push_batch`, what
// a slow answer falls back to.
std::size_t NextPushBatch(std::size_t batch, std::size_t limit, std::int64_t exchange_ms,
                          std::size_t push_batch);

}  // namespace outreach::client
