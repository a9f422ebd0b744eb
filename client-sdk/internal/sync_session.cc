#include "client-sdk/internal/sync_session.h"

#include <algorithm>
#include <exception>
#include <functional>
#include <optional>
#include <utility>

#include "client-sdk/internal/device_state.h"
#include "client-sdk/internal/request_ahead.h"
#include "client-sdk/transport/http_client.h"
#include "core/protocol/binary_codec.h"
#include "core/protocol/json_codec.h"

namespace outreach::client {
namespace {

using protocol::Outcome;

Result<protocol::ErrorBody> ReadError(const HttpResult& answer) {
  OUTREACH_ASSIGN_OR_RETURN(model::Json json, protocol::ParseJsonBody(answer.body));
  return protocol::ErrorBodyFromJson(json);
}

// A refusal the session cannot work around, as the Status the caller sees.
Status Refused(const HttpResult& answer, const protocol::ErrorBody& error) {
  const std::string what = "server answered " + std::to_string(answer.status) + " " + error.error;
  if (answer.status == 401) return UnauthenticatedError(what);
  if (answer.status == 403) return PermissionDeniedError(what);
  if (answer.status >= 500) return UnavailableError(what);
  return FailedPreconditionError(what);
}

// The connection's commits unsynced (SyncContext::synced_commits) while it lives, and synced
// again when it ends (End, or its destructor: an apply that failed or threw).
class UnsyncedCommits {
 public:
  explicit UnsyncedCommits(const std::function<Status(bool)>& set) : set_(set ? &set : nullptr) {
    // Left synced if this fails: slower, never less safe.
    if (set_ != nullptr) (void)(*set_)(false);
  }
  ~UnsyncedCommits() {
    try {
      (void)End();
    } catch (...) {  // out of memory: the Client sets them back before its next commit
    }
  }
  UnsyncedCommits(const UnsyncedCommits&) = delete;
  UnsyncedCommits& operator=(const UnsyncedCommits&) = delete;
  Status End() {
    if (set_ == nullptr) return Status::Ok();
    return (*std::exchange(set_, nullptr))(true);
  }

 private:
  const std::function<Status(bool)>* set_;
};

// Applies one 200 answer in one transaction: the results of the pushed changes, the pulled
// records, and the new cursor; and, if it is the sync's `last`, the sync's time. Only the
// last is synced to disk as it commits (SyncContext::synced_commits).
// `pulled`: the answer's records, read (ReadRecords).
Status ApplyAnswer(const SyncContext& context, const protocol::SyncResponse& response,
                   std::vector<replica::PulledRecord>& pulled, SyncSummary& summary,
                   bool last) {
  std::vector<replica::PushResult> results;
  for (const auto& result : response.results) {
    const bool rejected = result.outcome == Outcome::kRejected;
    results.push_back(replica::PushResult{result.change_id, rejected, result.reason});
    summary.pushed += !rejected;
    summary.rejected += rejected;
    summary.conflicts += result.outcome == Outcome::kConflict;
  }
  summary.pulled += static_cast<std::int64_t>(pulled.size());
  std::optional<UnsyncedCommits> unsynced;
  if (!last) unsynced.emplace(context.synced_commits);
  OUTREACH_RETURN_IF_ERROR(context.replica->InOneTransaction([&]() -> Status {
    OUTREACH_RETURN_IF_ERROR(context.replica->ApplyPulled(results, pulled));
    if (last && context.clock != nullptr) {
      OUTREACH_RETURN_IF_ERROR(
          context.state->Set(kLastSyncMs, std::to_string(context.clock->NowMs())));
    }
    return context.state->Set(kCursor, response.cursor);
  }));
  return unsynced ? unsynced->End() : Status::Ok();
}

// Marks the changes a 422 named; the number marked (0: the answer named none of ours, so
// pushing the same batch again would loop).
Result<int> MarkInvalid(const SyncContext& context, const protocol::ErrorBody& error,
                        SyncSummary& summary) {
  int marked_count = 0;
  OUTREACH_RETURN_IF_ERROR(context.replica->InOneTransaction([&]() -> Status {
    for (const auto& rejected : error.rejected) {
      const Status marked = context.replica->MarkRejected(rejected.change_id, rejected.reason);
      if (!marked.ok() && marked.code() != StatusCode::kNotFound) return marked;
      marked_count += marked.ok();
    }
    return Status::Ok();
  }));
  summary.rejected += marked_count;
  return marked_count;
}

// Before an answer is applied: when the server says its schemas are not the ones this device
// sent (directive) or its hash is not the stored one (a 1.0 server), fetch and reload them, so
// records of a collection added since are known when they are applied. True if reloaded.
Result<bool> ReloadSchemasIfChanged(SyncContext& context, const protocol::SyncResponse& response,
                                    RequestAhead& ahead) {
  OUTREACH_ASSIGN_OR_RETURN(const std::string device_hash, context.state->GetOr(kSchemasHash));
  const bool changed = response.directives.schemas_changed ||
                       (!response.schemas_hash.empty() && response.schemas_hash != device_hash);
  if (!changed) return false;
  ahead.CancelAll();
  OUTREACH_ASSIGN_OR_RETURN(context.replica, context.reload_schemas());
  return true;
}

// The version this device writes its requests in: its own, but no newer minor than the
// server has shown it speaks (`server_version`, as stored), since a 1.0 server refuses what
// 1.1 appends. Nothing shown yet: 1.0, which every 1.x server reads.
protocol::ProtocolVersion RequestVersion(std::string_view server_version) {
  constexpr protocol::ProtocolVersion kOldest{protocol::kProtocolVersion.major, 0};
  const auto server = protocol::ParseVersionString(server_version);
  if (!server.ok() || server->major != protocol::kProtocolVersion.major) return kOldest;
  return {kOldest.major, std::min(server->minor, protocol::kProtocolVersion.minor)};
}

// The page after `page`, from its head alone (RequestAhead's NextPageOf): a pull with more to
// come, answered with no directive, on the schemas and in the protocol version its request was
// made with, so the applying thread would ask for exactly this (it would reload, re-version or
// stop otherwise). New local changes are pushed by the next sync, not between pages.
std::optional<PreparedRequest> NextPage(const PreparedRequest& page,
                                        const protocol::SyncResponse& head) {
  if (page.changes > 0 || !head.has_more || head.directives.wipe ||
      head.directives.schemas_changed) {
    return std::nullopt;
  }
  if (!head.schemas_hash.empty() && head.schemas_hash != page.request.schemas_hash) {
    return std::nullopt;
  }
  if (RequestVersion(protocol::VersionString(head.version)) != page.request.version) {
    return std::nullopt;
  }
  PreparedRequest next;
  next.request = page.request;
  next.page_size_limit = page.page_size_limit;
  next.request.page_size = GrownPage(page.request.page_size, page.page_size_limit);
  next.request.cursor = head.cursor;
  next.body = protocol::EncodeBinary(next.request);
  return next;
}

// Remembers the version an answer's header says the server speaks, when it is news.
Status NoteServerVersion(const SyncContext& context, const protocol::SyncResponse& response,
                         std::string& server_version) {
  const std::string answered = protocol::VersionString(response.version);
  if (answered == server_version) return Status::Ok();
  server_version = answered;
  return context.state->Set(kServerProtocol, answered);
}

// A 1.0 server reads a 1.1 body as 1.0 and refuses what 1.1 appends as trailing bytes (400
// malformed_body): the answer to a request in a newer minor from a server rolled back after
// this device saw it speak 1.1.
bool RefusedAsNewerMinor(const protocol::SyncRequest& request, const HttpResult& answer,
                         const protocol::ErrorBody& error) {
  return request.version.minor > 0 && answer.status == 400 && error.error == "malformed_body";
}

// Reads back the body a refused push sent, its stored changes with it: corrupt if it does not
// decode (exactly what the server saw, whatever the outbox holds by now).
Status CheckSentBody(const PreparedRequest& pushed) {
  if (protocol::DecodeBinaryRequest(pushed.body).ok()) return Status::Ok();
  return CorruptError("a stored change of the outbox does not decode (a push of " +
                      std::to_string(pushed.changes) + " changes was refused as malformed)");
}

// The bytes a push of the rest of the outbox will take, estimated at the bytes per change of
// the push bodies made so far (zstd makes a body much smaller than its changes as stored).
class PushEstimate {
 public:
  void Made(std::size_t body_bytes, std::size_t changes) {
    bytes_ += static_cast<std::int64_t>(body_bytes);
    changes_ += static_cast<std::int64_t>(changes);
  }
  std::int64_t Rest(std::int64_t changes_left) const {
    return changes_ == 0 || changes_left <= 0 ? 0 : changes_left * bytes_ / changes_;
  }

 private:
  std::int64_t bytes_ = 0;
  std::int64_t changes_ = 0;
};

// A batch of the outbox, read and compressed before its request can be made (CompressedChanges):
// the next batch is read while the answer before it is on its way.
struct OutboxBatch {
  std::int64_t after = 0;  // the outbox position it was read after
  std::size_t size = 0;    // how many changes were asked for
  protocol::CompressedChanges changes;
  std::int64_t last_sequence = 0;  // outbox position of its last change
};

Result<OutboxBatch> ReadBatch(const SyncContext& context, std::size_t batch_size,
                              std::int64_t after_sequence) {
  OutboxBatch read{after_sequence, batch_size, {}, 0};
  OUTREACH_ASSIGN_OR_RETURN(auto batch,
                            context.replica->PendingForPush(static_cast<std::int64_t>(batch_size),
                                                            after_sequence));
  // The changes go as the outbox stores them: the protocol's own archive, never decoded here.
  std::vector<std::string> changes;
  changes.reserve(batch.size());
  for (auto& entry : batch) {
    read.last_sequence = entry.sequence;
    changes.push_back(std::move(entry.change));
  }
  read.changes = protocol::CompressChanges(changes);
  return read;
}

// The request of a batch of `batch_size` changes after `after_sequence` (read after the answer
// before it, or before: `read_ahead`, used if it was read from there, and is no larger: the
// batches grow after a quick answer, and the batch read meanwhile goes as it is), pulling from
// `cursor`.
Result<PreparedRequest> PrepareRequest(const SyncContext& context, const std::string& cursor,
                                       std::string_view server_version,
                                       const SyncOptions& options, std::uint32_t page_size,
                                       std::size_t batch_size,
                                       std::int64_t after_sequence,
                                       std::optional<OutboxBatch> read_ahead = std::nullopt) {
  if (!read_ahead || read_ahead->after != after_sequence || read_ahead->size > batch_size) {
    OUTREACH_ASSIGN_OR_RETURN(read_ahead, ReadBatch(context, batch_size, after_sequence));
  }
  PreparedRequest prepared;
  // From here on these readings may be on the server even if its answer never arrives. (Not
  // when read ahead: the answer before may refuse the device's clock, and re-stamp them.)
  if (read_ahead->changes.count > 0) OUTREACH_RETURN_IF_ERROR(context.replica->MarkSending());
  protocol::SyncRequest& request = prepared.request;
  request.version = RequestVersion(server_version);
  request.cursor = cursor;
  // A push's answer leaves out the records the push wrote only within its own page: it asks
  // for a whole page, or those records would come back on later pages, to be joined.
  request.page_size = read_ahead->changes.count > 0 ? options.page_size : page_size;
  prepared.page_size_limit = options.page_size;
  OUTREACH_ASSIGN_OR_RETURN(request.schemas_hash, context.state->GetOr(kSchemasHash));
  prepared.changes = read_ahead->changes.count;
  prepared.last_sequence = read_ahead->last_sequence;
  prepared.body = protocol::EncodeBinary(request, read_ahead->changes);
  return prepared;
}

// Tells SyncContext::pushing true while it lives, if `active`, and false once (End, or when it
// goes).
class PushingPhase {
 public:
  PushingPhase(const std::function<void(bool)>& pushing, bool active)
      : pushing_(active ? pushing : std::function<void(bool)>()) {
    if (pushing_) pushing_(true);
  }
  ~PushingPhase() { End(); }
  PushingPhase(const PushingPhase&) = delete;
  PushingPhase& operator=(const PushingPhase&) = delete;
  // Called from the destructor too: what the callback throws (out of memory resizing a
  // cache) is dropped rather than ending the process.
  void End() noexcept {
    if (!pushing_) return;
    try {
      std::exchange(pushing_, nullptr)(false);
    } catch (...) {
    }
  }

 private:
  std::function<void(bool)> pushing_;
};

}  // namespace

std::size_t NextPushBatch(std::size_t batch, std::size_t limit, std::int64_t exchange_ms,
                          std::size_t push_batch) {
  if (exchange_ms > kSlowPushMs) return std::min(batch, push_batch);
  if (exchange_ms < kQuickPushMs) return std::max(batch, std::min(limit, 2 * batch));
  return batch;
}

Result<SyncRun> RunSync(const SyncContext& sync_context, const SyncOptions& options) {
  SyncContext context = sync_context;  // its replica is replaced when the schemas reload
  SyncRun run;
  SyncSummary& summary = run.summary;
  OUTREACH_ASSIGN_OR_RETURN(std::string cursor, context.state->GetOr(kCursor));
  OUTREACH_ASSIGN_OR_RETURN(std::string server_version, context.state->GetOr(kServerProtocol));
  OUTREACH_ASSIGN_OR_RETURN(std::int64_t pending,
                            context.replica->OutboxCount(replica::OutboxStatus::kPending));
  SyncProgress progress{SyncPhase::kPush, 0, pending, 0, 0, 0};
  PushingPhase pushing(context.pushing, pending > 0);
  PushEstimate push_estimate;
  int skew_retries = 0;
  bool downgraded = false;
  std::size_t batch_size = options.push_batch;
  std::size_t batch_limit = std::max(options.push_batch, options.max_push_batch);

  RequestOptions request_options;
  request_options.bearer_token = context.token;
  request_options.accept = std::string(protocol::kBinaryContentType);
  request_options.cancel = options.cancel;

  // A push's size is known before it leaves: reported then (a batch sent ahead, once the
  // answer before it is reported), with the rest of the outbox after it, so a slow upload
  // shows how much is on its way.
  const auto report_leaving = [&](const PreparedRequest& prepared) {
    progress.phase = SyncPhase::kPush;
    progress.changes_total = pending;
    const auto changes = static_cast<std::int64_t>(prepared.changes);
    push_estimate.Made(prepared.body.size(), prepared.changes);
    const std::int64_t left_after = pending - progress.changes_done - changes;
    progress.bytes_leaving = static_cast<std::int64_t>(prepared.body.size());
    progress.bytes_total = progress.bytes_done + progress.bytes_leaving +
                           push_estimate.Rest(left_after);
    if (options.progress) options.progress(progress);
    progress.bytes_leaving = 0;
  };

  RequestAhead ahead(options.cancel, NextPage);
  std::optional<OutboxBatch> read_ahead;  // the batch after the push on its way
  while (true) {
    if (options.cancel != nullptr && options.cancel->load()) return AbortedError("sync cancelled");
    PreparedRequest current;
    if (!ahead.on_its_way()) {
      // The first batch is small (first_push_batch): the server starts sooner, and the batches
      // after it are read, sent and folded while the one before is applied (a push of 1,000
      // edits: its first answer no longer waits for 500 to be read and applied).
      const std::size_t first_batch =
          std::max<std::size_t>(1, std::min(batch_size, options.first_push_batch));
      const std::uint32_t first_page =
          options.page_size == 0
              ? 0
              : std::min(options.page_size, std::max(1u, options.first_page_size));
      OUTREACH_ASSIGN_OR_RETURN(PreparedRequest first,
                                PrepareRequest(context, cursor, server_version, options,
                                               first_page, first_batch, 0));
      if (first.changes > 0) report_leaving(first);
      // On a thread too: a pulled page's thread asks for the next page itself.
      ahead.Send(context.http, std::move(first), request_options, context.replica);
    }
    if (ahead.on_its_way() && ahead.request().changes > 0 && !read_ahead) {
      // While the push is on its way: the batch after it, read and compressed now, leaves as
      // soon as the answer gives its cursor.
      OUTREACH_ASSIGN_OR_RETURN(read_ahead,
                                ReadBatch(context, batch_size, ahead.request().last_sequence));
    }
    Result<ReceivedAnswer> sent = ahead.Take(current);
    const protocol::SyncRequest& request = current.request;
    OUTREACH_ASSIGN_OR_RETURN(ReceivedAnswer received, std::move(sent));
    const HttpResult& answer = received.http;
    ++summary.requests;
    summary.bytes_sent += static_cast<std::int64_t>(current.body.size());
    summary.bytes_received += static_cast<std::int64_t>(answer.body.size());
    progress.bytes_done = summary.bytes_sent + summary.bytes_received;
    progress.phase = current.changes == 0 ? SyncPhase::kPull : SyncPhase::kPush;
    progress.changes_total = progress.phase == SyncPhase::kPush ? pending : 0;

    if (answer.status == 200) {
      OUTREACH_ASSIGN_OR_RETURN(protocol::SyncResponse response, std::move(*received.response));
      // The records as they came: stored as they are.
      std::vector<std::string> stored_records = std::move(received.stored_records);
      OUTREACH_RETURN_IF_ERROR(NoteServerVersion(context, response, server_version));
      // Before the next batch leaves: the reload uses the HTTP client. (No page is asked for
      // ahead of an answer that makes the device reload: NextPage stops on the same signs. The
      // reload cancels any all the same, as a safety net.)
      OUTREACH_ASSIGN_OR_RETURN(const bool reloaded,
                                ReloadSchemasIfChanged(context, response, ahead));
      if (received.pulled.empty()) {  // not read as it arrived: read here
        OUTREACH_ASSIGN_OR_RETURN(
            received.pulled,
            ReadRecords(*context.replica, response, stored_records));
      }
      if (current.changes > 0) {
        batch_size =
            NextPushBatch(batch_size, batch_limit, received.exchange_ms, options.push_batch);
      }
      std::optional<OutboxBatch> next_batch = std::move(read_ahead);
      read_ahead.reset();
      if (reloaded) next_batch.reset();
      // Unless this was the last (a pull with nothing more), the next request leaves now: the
      // rest of the outbox after this batch, or the next page, from this answer's cursor.
      // A push whose batch after it was read empty is done with the outbox: no request more
      // just to find that out (changes made since go with the next sync).
      const bool outbox_done = next_batch.has_value() && next_batch->changes.count == 0 &&
                               next_batch->after == current.last_sequence;
      if (!ahead.on_its_way() && ((current.changes > 0 && !outbox_done) || response.has_more)) {
        OUTREACH_ASSIGN_OR_RETURN(
            PreparedRequest next,
            PrepareRequest(context, response.cursor, server_version, options,
                           GrownPage(current.request.page_size, options.page_size), batch_size,
                           current.last_sequence, std::move(next_batch)));
        ahead.Send(context.http, std::move(next), request_options, context.replica);
      }
      const bool pushes_over = current.changes == 0 || outbox_done;
      const bool last = pushes_over && !response.has_more;
      OUTREACH_RETURN_IF_ERROR(ApplyAnswer(context, response, received.pulled, summary, last));
      cursor = response.cursor;
      progress.changes_done = progress.phase == SyncPhase::kPush ? summary.pushed + summary.rejected
                                                                 : summary.pulled;
      // What is left: the rest of the outbox for a push; for a pull with more to come, one more
      // page like this one (the server does not say how many).
      const std::int64_t exchange = static_cast<std::int64_t>(current.body.size() + answer.body.size());
      progress.bytes_total =
          progress.bytes_done + (progress.phase == SyncPhase::kPush
                                     ? push_estimate.Rest(pending - progress.changes_done)
                                     : (response.has_more ? exchange : 0));
      if (options.progress) options.progress(progress);
      if (ahead.on_its_way() && ahead.request().changes > 0) {
        report_leaving(ahead.request());
      }
      if (pushes_over) pushing.End();  // pulls may follow
      ahead.FreeLater(
          AppliedAnswer{std::move(received), std::move(response), std::move(stored_records)});
      if (last) {
        // A cancel asked for while the last answer was applied still says so (nothing lost).
        if (options.cancel != nullptr && options.cancel->load()) {
          return AbortedError("sync cancelled");
        }
        break;
      }
      continue;
    }
    // Any refusal: whatever else happens, the next request is made afresh from the outbox.
    read_ahead.reset();
    OUTREACH_ASSIGN_OR_RETURN(protocol::ErrorBody error, ReadError(answer));
    if (answer.status == 400 && error.error == "malformed_body" && current.changes > 0) {
      // The changes left as the outbox stores them, never decoded here: one that does not
      // decode is this device's own damage, said as such (corrupt), not taken for a server
      // that reads an older protocol.
      OUTREACH_RETURN_IF_ERROR(CheckSentBody(current));
    }
    if (!downgraded && RefusedAsNewerMinor(request, answer, error)) {
      // Once: write 1.0, which every 1.x server reads, from now on (kept: a 1.1 server's
      // answer raises it again). A 1.0 body refused too is malformed indeed.
      downgraded = true;
      server_version = "1.0";
      OUTREACH_RETURN_IF_ERROR(context.state->Set(kServerProtocol, server_version));
      continue;
    }
    if (answer.status == 409 && error.error == "clock_skew" && ++skew_retries <= 2) {
      // The device's clock ran ahead: take the server's time and re-stamp what is unsent,
      // above what the server says it holds of this device (if it says: an older server
      // does not, and every reading this device pushed then stays below the re-stamps).
      OUTREACH_RETURN_IF_ERROR(
          context.replica->RestampPending(error.server_time_ms, error.stored_reading));
      continue;
    }
    if (answer.status == 422 && error.error == "invalid_changes" && !error.rejected.empty()) {
      OUTREACH_ASSIGN_OR_RETURN(const int marked, MarkInvalid(context, error, summary));
      if (marked > 0) continue;
    }
    if (answer.status == 413 && current.changes > 1 &&
        (error.error == "too_many_changes" || error.error == "body_too_large")) {
      // The server takes fewer changes, or fewer bytes, per push than this batch held (long
      // notes make a big body): the pushes start again (first_push_batch) and grow to half of
      // what was sent at most, for the rest of the sync. A single change too large for the
      // server stays refused, below.
      batch_size = current.changes / 2;
      batch_limit = batch_size;
      continue;
    }
    if (answer.status == 403 && error.wipe) {
      summary.wiped = true;
      return run;
    }
    if (answer.status == 409 && error.error == "clock_skew") {
      return Status(StatusCode::kClockSkew, "the server still refuses this device's clock");
    }
    return Refused(answer, error);
  }
  progress.phase = SyncPhase::kDone;
  progress.bytes_total = progress.bytes_done;
  if (options.progress) options.progress(progress);
  return run;
}

}  // namespace outreach::client
