// outreach::Client: what a tablet app links. One object per device store: unlock it with the
// worker's passcode, enrol it once with a code from an administrator, then read and write
// records offline and sync when there is a signal. Everything the device holds — records,
// outbox, token, schemas, cursor — lives in one encrypted database under `dir`.
//
// Not thread-safe: calls must not overlap (the C ABI serialises them per handle), except
// that a cancel flag passed to Sync may be set from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/merge/conflict.h"
#include "core/model/record_state.h"
#include "core/replica/replica.h"
#include "core/schema/validation_problem.h"

namespace outreach {

namespace storage {
struct KdfParams;
}

struct ClientOptions {
  // Argon2id cost for a new store; tests pass a cheap one. Empty: the store's default.
  bool fast_kdf_for_tests = false;
  // The device's wall clock; null: the system clock. Tests pass a model::ManualClock.
  model::PhysicalClock* clock = nullptr;
  // The SQLite VFS under the store's encryption; empty: SQLite's default. Tests pass one that
  // counts syncs or injects faults (storage::OpenOptions::base_vfs).
  std::string base_vfs;
};

struct EnrolOptions {
  // PEM to verify the server with (stored as an absolute path); empty: the system's CAs, or
  // none when a pin is given.
  std::string ca_file;
  // "sha256//<base64>"; empty: no pinning. Without `ca_file` the pin alone is trusted (the
  // server's self-signed certificate); with it, both must pass.
  std::string pinned_public_key;
  std::string device_name;        // shown to administrators
};

enum class SyncPhase { kPush, kPull, kDone };

// Reported before each push request leaves (its body's size known) and after each answer.
// (The C ABI's outreach_sync_progress carries the fields up to bytes_total.)
struct SyncProgress {
  SyncPhase phase = SyncPhase::kPush;
  std::int64_t changes_done = 0;   // pushed (push) or records received (pull)
  std::int64_t changes_total = 0;  // pending at the start (push); 0 when unknown (pull)
  std::int64_t bytes_done = 0;     // on the wire so far, both ways
  // An estimate of what bytes_done will be when this phase is over, for a progress bar:
  // bytes_done, plus (push) the body about to leave and the rest of the outbox at the bytes
  // per change of the push bodies made so far (answers to come are not counted), or (pull,
  // after an answer with more to come) one more page like the last. So it is above bytes_done
  // while more is known to come and may move as the sync learns more; it equals bytes_done
  // after a phase's last answer and at kDone. 0 before anything is known.
  std::int64_t bytes_total = 0;
  // In the report made before a push leaves: its body's size; 0 in every other report.
  std::int64_t bytes_leaving = 0;
};

struct SyncOptions {
  // Called on the syncing thread; see SyncProgress for when.
  std::function<void(const SyncProgress&)> progress;
  const std::atomic<bool>* cancel = nullptr;  // set to true to stop (aborted; nothing lost)
  // Changes per push after the first (the batches grow from it up to max_push_batch, and fall back
  // to it after a slow answer), and records per pulled page. A request leaves while the answer
  // before it is applied (and a page is decoded as it arrives), so smaller ones overlap more of a
  // sync; a page decoded ahead is held beside the one being applied, so its size bounds the
  // device's memory (~50 MB at 500 ~1 KB records).
  std::size_t push_batch = 500;
  std::uint32_t page_size = 500;
  // While the server answers each push within a second, the batches after it grow, each up to
  // twice the one before, to at most this many (at or below push_batch: they do not grow): a
  // push costs the server and the device each a sync to disk and a round trip whatever its
  // size. A push answered slowly (over 10 s: a poor link) brings them back to push_batch, so a
  // request stays well within the transfer timeout. Set it to push_batch for pushes of
  // push_batch alone.
  std::size_t max_push_batch = 2000;
  // The first push of a sync (and the first after a refusal) carries at most this many, and
  // at most the batch size then (push_batch at the start of a sync): the server starts on it
  // sooner, and the batches after it are read, sent and folded while the one before is
  // applied.
  std::size_t first_push_batch = 100;
  // The first page a sync asks for holds at most this many records, and each page after it up
  // to twice the one before (to page_size): the device starts applying sooner, and the larger
  // pages arrive while the smaller ones are applied.
  std::uint32_t first_page_size = 100;
};

struct SyncSummary {
  std::int64_t pushed = 0;
  std::int64_t rejected = 0;
  std::int64_t pulled = 0;
  std::int64_t conflicts = 0;  // pushed changes that opened or joined a conflict
  std::int64_t requests = 0;
  std::int64_t bytes_sent = 0;
  std::int64_t bytes_received = 0;
  bool wiped = false;  // the server revoked this device; its data is gone
};

struct ClientStatus {
  bool enrolled = false;
  std::string server_url;
  std::string device_id;
  std::string user_id;
  std::string user_name;
  std::string team;
  std::string role;
  std::int64_t pending = 0;
  std::int64_t rejected = 0;
  // When the last sync's final answer was applied (so also when that sync then reported a
  // cancel that came too late to stop it); 0: never.
  std::int64_t last_sync_ms = 0;
};

class Client {
 public:
  // Opens the device store in `dir` with `passcode`, creating both on first use.
  // wrong_key: wrong passcode (nothing changed); invalid_argument: empty passcode.
  static Result<std::unique_ptr<Client>> Open(const std::string& dir, std::string_view passcode,
                                              const ClientOptions& options = {});
  // Rewraps the store's key under a new passcode (the data is not rewritten).
  static Status ChangePasscode(const std::string& dir, std::string_view old_passcode,
                               std::string_view new_passcode,
                               const ClientOptions& options = {});
  // Destroys the store: key first, then the files. Nothing in `dir` can be read afterwards.
  static Status Wipe(const std::string& dir);
  // Whether `dir` holds a device store (Open would unlock rather than create one).
  static bool Exists(const std::string& dir);

  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Exchanges a one-time code for this device's token and fetches the schemas.
  // failed_precondition: already enrolled; unauthenticated: the code was refused;
  // unavailable: the server could not be reached.
  Status Enrol(const std::string& server_url, std::string_view code,
               const EnrolOptions& options = {});

  // Records (failed_precondition before enrolment): see replica::Replica for each.
  Result<std::string> Create(std::string_view collection, const model::Json& values,
                             std::vector<schema::ValidationProblem>* problems = nullptr);
  // The problems Create would find in `values`, writing nothing. invalid_argument: unknown
  // collection.
  Result<std::vector<schema::ValidationProblem>> ValidateCreate(std::string_view collection,
                                                                const model::Json& values);
  // Creates every record of `records` in one transaction: all of them or none. Returns their
  // ids in order. Stops at the first failure, whose message starts "records[<index>]: " and
  // whose index goes to `failed_index` if given (check each with ValidateCreate first to
  // report every problem).
  Result<std::vector<std::string>> CreateAll(std::string_view collection,
                                             const std::vector<model::Json>& records,
                                             std::size_t* failed_index = nullptr);
  Status Update(std::string_view id, const model::Json& patch,
                std::vector<schema::ValidationProblem>* problems = nullptr);
  Result<std::string> Append(std::string_view id, std::string_view field, model::Json entry);
  // Strikes entry `entry_id` of append field `field` (recorded in error, or about someone
  // else) with a non-empty `reason`; the entry is kept, shown as struck in entry_history.
  // Returns the strike's entry id. invalid_argument: empty reason, or a field that cannot
  // hold a strike; failed_precondition: no such entry in the field; not_found: no record.
  Result<std::string> Strike(std::string_view id, std::string_view field,
                             std::string_view entry_id, std::string_view reason);
  // Team leaders and administrators only, with a reason (records are kept, DOMAIN.md).
  Status Delete(std::string_view id, std::string_view reason);
  Result<replica::RecordView> Get(std::string_view id);
  Result<std::vector<model::Json>> List(std::string_view collection, std::string_view field = {},
                                        const model::Json& value = nullptr);
  Result<std::vector<replica::OutboxEntry>> Rejected();
  // Drops a rejected change (a refused create takes its record's held-back changes with it).
  // not_found: no such change; failed_precondition: the change is not rejected.
  Status Discard(std::string_view change_id);
  // Writes a rejected change again with `patch` laid over what it wrote, as a new pending
  // change (a fresh id); the rejected one goes. Fixing a refused create also sends its
  // record's held-back changes again. Returns the new change id. invalid_argument: the fixed
  // values break the schema (each problem in `problems`), or it was a delete (discard it);
  // failed_precondition: not rejected, its record's create is refused (fix that first), or
  // the fix writes nothing new; not_found: no such change. See replica::Replica::FixRejected.
  Result<std::string> FixRejected(std::string_view change_id, const model::Json& patch,
                                  std::vector<schema::ValidationProblem>* problems = nullptr);
  // Takes back a record this device created that has never been pushed: it and its changes
  // leave the device as if never written. failed_precondition: created by another user or
  // device, or it may have reached the server (then a team leader deletes it); not_found: no
  // such record.
  Status WithdrawCreate(std::string_view id);
  // Open conflicts on the device's records.
  Result<std::vector<merge::Conflict>> Conflicts();
  // The collections this device's schemas know.
  Result<std::vector<std::string>> Collections();

  // Pushes the outbox in batches, pulls until has_more is false, applies and rebases. Safe to
  // kill at any moment: the next Sync completes the work, nothing lost or duplicated. A
  // revoked device wipes itself (summary.wiped) and this Client can no longer be used.
  Result<SyncSummary> Sync(const SyncOptions& options = {});

  Result<ClientStatus> GetStatus();

 private:
  struct State;
  explicit Client(std::unique_ptr<State> state);
  Status RequireEnrolled() const;

  std::unique_ptr<State> state_;
};

}  // namespace outreach
