// Replica: the device's own copy of its team's records, in the encrypted store. It keeps the
// confirmed state (as last received from the server) and the outbox of changes not yet
// accepted by the server; reads see the confirmed state with the pending changes applied on
// top (through the same Merge the server runs). A write, its validation and its outbox entry
// commit in one transaction: a crash or a flat battery never leaves one without the other.
//
// Not thread-safe: one thread at a time (the SDK serialises calls), except ReadPulled and
// PulledOf, which read nothing of the replica and may run beside any call.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/merge/conflict.h"
#include "core/model/change.h"
#include "core/model/hybrid_clock.h"
#include "core/model/physical_clock.h"
#include "core/model/record_state.h"
#include "core/schema/validation_problem.h"

namespace outreach::storage {
class Database;
}
namespace outreach::schema {
class SchemaRegistry;
}

namespace outreach::replica {

namespace detail {
class ReplicaStore;
}

// Who is writing: stamped on every change this replica makes.
struct ReplicaIdentity {
  std::string device_id;
  std::string user_id;
  std::string role;  // worker, team_leader, office, admin
  std::string team;
};

// What a read returns.
struct RecordView {
  model::Json values;  // current values (provisional while disputed), derived fields included
  bool deleted = false;
  bool has_pending_changes = false;
  std::vector<merge::Conflict> conflicts;
  // Append field -> every entry ever written to it, oldest first, each as {"entry", "author",
  // "status" (current, superseded, struck, outranked), "superseded_by"}: what `values` leaves
  // out of an append field and why (merge::EntryHistory).
  std::map<std::string, model::Json> entry_history;
};

enum class OutboxStatus { kPending, kRejected };

// The server's answer to one pushed change (rejected with its reason, or accepted).
struct PushResult {
  std::string change_id;
  bool rejected = false;
  std::string reason;
};

// A record pulled from the server, as it came (Replica::ReadPulled). Its state is decoded
// only when storing it needs it: a simple record new to this device is stored from its bytes
// alone (protocol's ScanSimpleRecord), which is most of an initial pull.
struct PulledRecord {
  std::string bytes;  // as the protocol carried it, stored as it is
  // `bytes` were read as a state here (ReadPulled, PulledOf): what PackedStateContains needs
  // to read them without decoding.
  bool bytes_read = false;
  std::optional<model::RecordState> state;  // nullopt: not decoded yet
  std::string id;
  std::string collection;
  model::Hlc newest;  // the highest reading in it (the clock moves past it)
};

struct OutboxEntry {
  std::int64_t sequence = 0;  // order of writing
  model::Change change;
  OutboxStatus status = OutboxStatus::kPending;
  std::string reason;  // why the server rejected it (ids and field names only)
};

// A pending change as the outbox stores it: the protocol's change archive
// (protocol::EncodeChange), which a push request carries as is.
struct StoredOutboxEntry {
  std::int64_t sequence = 0;  // order of writing
  std::string change;
};

class Replica {
 public:
  // Opens the replica tables in `db` (creating them if new) and restores the device's clock.
  // `db`, `schemas` and `clock` are not owned and must outlive the Replica.
  static Result<std::unique_ptr<Replica>> Open(storage::Database* db,
                                               const schema::SchemaRegistry* schemas,
                                               model::PhysicalClock* clock,
                                               ReplicaIdentity identity);
  ~Replica();
  Replica(const Replica&) = delete;
  Replica& operator=(const Replica&) = delete;

  // Creates a record of `collection` with `values` (a JSON object of fields; append fields as
  // arrays of entries, set fields as arrays). Returns its new UUIDv7 id.
  // invalid_argument: unknown collection, or the record fails its schema (the message lists
  // each problem as JSON pointer + message).
  // `problems` (optional) receives each validation problem as JSON pointer + message.
  Result<std::string> Create(std::string_view collection, const model::Json& values,
                             std::vector<schema::ValidationProblem>* problems = nullptr);

  // The problems Create would find in `values`, without writing anything or reading the clock
  // (a batch checks every record before creating any). invalid_argument: unknown collection.
  Result<std::vector<schema::ValidationProblem>> ValidateCreate(std::string_view collection,
                                                                const model::Json& values) const;

  // Writes the fields in `patch`: single-value fields take the new value (null clears); set
  // fields take the new membership; append fields take new entries (as Append). Unchanged
  // values are skipped. failed_precondition: immutable field already set, a forward field
  // moving back without a team leader's reason, a disputed review field (only Resolve settles
  // it), or a deleted record. not_found: no such record. invalid_argument: the edit adds a
  // schema problem (in `problems` when given); problems the record already had, such as a
  // rule broken by concurrent edits, do not stop it.
  Status Update(std::string_view id, const model::Json& patch,
                std::vector<schema::ValidationProblem>* problems = nullptr);

  // Appends `entry` (a JSON object) to an append field; an "id" is made if absent. Returns it.
  // Entries are never edited: to correct one, append the corrected entry with "supersedes":
  // <its id> (on an x-entry-forward field, this is how an action's state moves open -> done).
  // failed_precondition: "supersedes" names no entry of the field on this replica, or takes an
  // x-entry-forward state back (a team leader does that with Resolve, giving a reason).
  Result<std::string> Append(std::string_view id, std::string_view field, model::Json entry);

  // Strikes entry `entry_id` of append field `field` (recorded in error, or about someone else)
  // by appending {"supersedes": entry_id, "struck": true, "strike_reason": reason}; the struck
  // entry is kept, shown in RecordView::entry_history as struck. Returns the strike's entry id.
  // invalid_argument: empty reason, or the strike does not fit the field's schema (a field
  // holding one value). failed_precondition: no entry `entry_id` in the field as this replica
  // has it. not_found: no such record.
  Result<std::string> Strike(std::string_view id, std::string_view field,
                             std::string_view entry_id, std::string_view reason);

  // Deletes the record (a tombstone that syncs), recording `reason` on the change. Records go
  // only by retention (DOMAIN.md): team leaders and administrators only, with a non-empty
  // reason; failed_precondition otherwise (a worker's own unsynced create is withdrawn instead:
  // WithdrawCreate). Concurrent edits elsewhere keep the record alive as a delete_vs_edit
  // conflict. not_found: no such record.
  Status Delete(std::string_view id, std::string_view reason);

  // Settles a disputed field (or a delete_vs_edit conflict with `field` empty: `value` true
  // deletes, false keeps) with a write that has seen every candidate. Team leaders and
  // administrators only (failed_precondition otherwise); `reason` is recorded on the change.
  // It is also a leader's way to take a forward state back: a forward field's lower state, or
  // for an x-entry-forward append field the superseding entries (an array) that reopen one.
  Status Resolve(std::string_view id, std::string_view field, const model::Json& value,
                 std::string_view reason);

  Result<RecordView> Get(std::string_view id);

  // The values of each live record of `collection` (as Get shows them), in record id order;
  // with a `field`, only records whose field holds `value`: the same JSON type and value (true
  // is not 1, 1 is not 1.0, inside arrays and objects too), never a field not set.
  // invalid_argument: an unknown collection, or a field name not made of letters, digits and
  // underscores. Decodes every record of the collection.
  Result<std::vector<model::Json>> Query(std::string_view collection, std::string_view field = {},
                                         const model::Json& value = nullptr);

  // Whether this replica holds any record of `collection` (deleted ones included, since they
  // can be restored), known to its schemas or not: a schema set without that collection
  // would leave those records unreadable.
  Result<bool> HoldsCollection(std::string_view collection);

  // In writing order; at most `limit` (a push batch), -1 for all; after position
  // `after_sequence` (OutboxEntry::sequence: the next batch while one is on its way).
  Result<std::vector<OutboxEntry>> Outbox(OutboxStatus status, std::int64_t limit = -1,
                                          std::int64_t after_sequence = 0);
  // The next push batch: pending changes as stored, in writing order, at most `limit`, after
  // position `after_sequence`. A push sends them without decoding them.
  Result<std::vector<StoredOutboxEntry>> PendingForPush(std::int64_t limit,
                                                        std::int64_t after_sequence);
  Result<std::int64_t> OutboxCount(OutboxStatus status);

  // Drops a rejected change; the record is shown again without it. A rejected create of a
  // record the server never had takes the record's other changes with it (they are held back
  // behind it, MarkRejected): the worker discards the record, nothing of it can ever apply.
  Status Discard(std::string_view change_id);

  // Fixes a rejected change in place, in one transaction: what it wrote (PatchOf: its values,
  // entries, set memberships) with `patch` laid over (fields as in Update; an append field's
  // entries replace the ones the change appended) is written as a new change against the
  // record as it now stands, validated and admitted like any write, with a fresh change id and
  // clock reading, pending at the end of the outbox; the rejected change goes. The rejected
  // change's reason (a leader's) is kept. A create of a record the server never had stays a
  // create, and the record's other changes, held back behind it, follow it: each is written
  // again after it with a fresh id and reading (the server remembers the old ids as refused),
  // dropped if the fixed create already says it, or left rejected with the reason the fixed
  // record refuses it. (A create of a record the server has becomes an update.) Returns the new
  // change id.
  // At the end, not in the rejected change's place: the outbox's writing order is its clock
  // order (Open restores the clock from the last entry, re-stamping and pushing walk it in
  // order), and the fix is built on every pending change before it, so it must follow them.
  // invalid_argument: the fixed values break the schema (each problem also in `problems`), or
  // the change was a delete or restore (nothing to fix: discard it). failed_precondition: the
  // change is not rejected, its record is not on the device (an update whose create was
  // refused), admission refuses the fix, or the fix writes nothing (the record already says it:
  // discard the change). not_found: no such change. On any error nothing changes.
  Result<std::string> FixRejected(std::string_view change_id, const model::Json& patch,
                                  std::vector<schema::ValidationProblem>* problems = nullptr);

  // Withdraws a record this device created that has never left it: its create and every later
  // change of it leave the outbox, and the record leaves the device, in one transaction, as if
  // never written. Nothing syncs, since the server never had it. This is how a worker takes
  // back a record made by mistake; once it may have reached the server, only a team leader or
  // administrator deletes it (Delete). failed_precondition: the record was created by another
  // user or device, or one of its changes may have reached the server (it was pushed:
  // MarkSending, or the server has a copy). not_found: no such record.
  Status WithdrawCreate(std::string_view id);

  // Recomputes every record's view from its confirmed state and pending changes and compares
  // it with the stored one (its state, and the deleted flag and collection that queries
  // read): corrupt (naming the record) if they differ. For tests and for a
  // device's self-check after a crash; reads every record.
  Status CheckViews();

  // --- for the sync session ---------------------------------------------------------------
  // Runs `steps` — calls of this replica — in one transaction with one commit: a sync page's
  // results, records and cursor land together or not at all. Each call inside keeps its own
  // all-or-nothing part (a savepoint). Writes to other tables of the same database inside
  // `steps` join the transaction too.
  Status InOneTransaction(const std::function<Status()>& steps);
  // One sync answer: the results of pushed changes and the records pulled with them, in one
  // transaction. The same as MarkRejected / MarkAccepted / ApplyServerRecord call by call, but
  // an accepted change whose record came back in `records` simply leaves the outbox (the
  // server's state holds it), and each record is rebuilt once. Results for changes no longer
  // in the outbox (discarded meanwhile) are skipped.
  // `stored_records`, if given, are `records` as the protocol encoded them
  // (protocol::DecodeBinaryResponse): a record new to this device, or one whose join with
  // what this device holds is the server's copy itself, is stored in those bytes (unless
  // changes of it are pending here, which its view then shows on top).
  Status ApplySyncAnswer(const std::vector<PushResult>& results,
                         const std::vector<model::RecordState>& records,
                         const std::vector<std::string>* stored_records = nullptr);
  // The same for records as ReadPulled / PulledOf made them. A record this device holds, with
  // nothing of it pending, whose copy the pulled one holds (told from both states' bytes,
  // protocol::PackedStateContains, when `bytes_read`) is stored as it came; otherwise a record
  // without its state is decoded here only if this device holds it or has changes of it
  // pending.
  Status ApplyPulled(const std::vector<PushResult>& results, std::vector<PulledRecord>& records);
  // A record's bytes as a 1.3 answer carried them (protocol::DecodeBinaryResponse with
  // `leave_packed`), checked as DecodeRecordState checks them; a simple record is not
  // decoded. invalid_argument: they are not a record. Reads nothing of the replica: safe on
  // another thread while it works (a sync decodes the next page while it applies one).
  static Result<PulledRecord> ReadPulled(std::string bytes);
  // A record decoded from an older answer, with its bytes (safe on another thread).
  static PulledRecord PulledOf(model::RecordState state, std::string bytes);
  // The server's state of a record is joined into the confirmed state; pending changes are
  // re-applied on top (rebase; those the server already has are duplicates and change nothing).
  Status ApplyServerRecord(const model::RecordState& server_state);
  // The server accepted the change (applied, merged, conflict, or already had it).
  Status MarkAccepted(std::string_view change_id);
  // The server refused the change: it stays, marked, until discarded or fixed. When it is the
  // create of a record the server does not have, every other change of the record is held
  // back with it (rejected, the reason naming the create; one the server already refused keeps
  // its own reason before that): pushed, each would be refused as
  // not_found, and the server remembers a refused change for good. FixRejected of the create
  // sends them again; Discard of it discards them.
  Status MarkRejected(std::string_view change_id, std::string_view reason);
  // Call before pushing the outbox: from then on its readings may be on the server, and
  // RestampPending stays above them even if the server's answer never arrives — except after
  // a clock_skew refusal of this very push, which stored none of it; its changes can no longer
  // be withdrawn (WithdrawCreate).
  Status MarkSending();
  // Advances the clock past a reading from the server.
  Status ObserveClock(const model::Hlc& remote);
  // After a clock_skew refusal of the latest push (MarkSending), carrying the server's time:
  // sets the clock to server time and gives every pending change a new reading from it, in
  // writing order, with the bases of later pending changes following their earlier ones, so the
  // server accepts them. New readings stay above every reading from elsewhere and every one
  // the server has answered for, and above `server_holds`, the highest reading of this
  // device's changes the server says it stores (protocol::ErrorBody::stored_reading). Readings
  // of earlier pushes whose answer was lost stay below them too, unless the server said what
  // it holds and they are beyond its drift (so it refused them): a device a day fast whose
  // first refusal was lost recovers at once. Without `server_holds` (an older server) they
  // all stay below. invalid_argument: `server_holds` out of range. One transaction.
  Status RestampPending(std::int64_t server_now_ms,
                        std::optional<model::Hlc> server_holds = std::nullopt);

 private:
  Replica(std::unique_ptr<detail::ReplicaStore> store, const schema::SchemaRegistry* schemas,
          model::PhysicalClock* clock, model::Hlc last_issued, std::int64_t offset_ms,
          ReplicaIdentity identity);

  // Fills a local change's writes from the record's current view.
  using ChangeBuild = std::function<Status(const model::RecordState&, model::Change&)>;
  // Builds, admits, merges, validates and stores one local change, all in one transaction.
  Status WriteLocal(std::string_view id, std::string_view collection, model::ChangeKind kind,
                    const ChangeBuild& build);
  // The same inside the caller's transaction (which rolls back on an error). Returns the new
  // change's id, or "" if the change would write nothing (then nothing is stored).
  Result<std::string> AddLocalChange(std::string_view id, std::string_view collection,
                                     model::ChangeKind kind, const ChangeBuild& build);
  // Stores the record's view (confirmed + pending) and, while anything is pending, its
  // confirmed state apart. `confirmed`: the record's confirmed state when the caller has just
  // computed it (saves reading it back; it replaces the stored one); `encoded_confirmed`, if
  // not empty, is it as the protocol encodes it.
  Status Rebuild(std::string_view record_id, const model::RecordState* confirmed = nullptr,
                 std::string_view encoded_confirmed = {});
  // Folds the accepted `change_ids` of one record into its confirmed state and takes them out
  // of the outbox (MarkAccepted, ApplySyncAnswer), raising `folded` to the newest reading
  // among them. The changes left the outbox: the caller raises the floor to `folded` (the
  // server has them; re-stamping must never go below them), once for all the records it
  // folds, and saves the clock, which covers them, in the same transaction.
  Status FoldAccepted(std::string_view record_id, const std::set<std::string>& change_ids,
                      model::Hlc& folded);
  // ApplyPulled's first part: each result of a push marks its change rejected, or takes it out
  // of the outbox: folded into its record, or (a record of `pulled`) left to `rebuild` from the
  // record the server sent.
  Status SettleResults(const std::vector<PushResult>& results, const std::set<std::string>& pulled,
                       std::set<std::string>& rebuild);
  // Stores `view`; `encoded`, if not empty, is `view` as the protocol encodes it.
  Status SaveView(const model::RecordState& view, std::string_view encoded = {});
  // CheckViews for one record whose view state is `expected`: the stored collection and
  // deleted flag say what it says.
  Status CheckViewColumns(const std::string& id, const model::RecordState& expected);
  // When the record's create is rejected and the server never had the record, marks every
  // other change of it rejected, held back with a reason naming the create (after its own
  // reason, when the server had already refused it).
  Status HoldAfterRefusedCreate(std::string_view record_id);
  // After FixRejected of its record's create: `follower` is written again (a fresh id and
  // reading) and leaves the outbox, or stays rejected with the reason the fixed record refuses
  // it. Inside the caller's transaction.
  Status SendAgainAfterFixedCreate(const OutboxEntry& follower);
  // Remembers how far the outbox has been pushed (MarkSending).
  Status RecordPushPosition();
  // Saves the clock's last reading and offset. Local writes need not (their outbox entry
  // carries the reading); anything that takes a reading out of the outbox must.
  Status SaveClock();
  // Raises the saved floor: the highest reading that has left this device or come from
  // elsewhere. Re-stamping never goes below it.
  Status RaiseFloor(const model::Hlc& reading);
  // Raises the reading stored under replica_meta `key` (replica_restamp.cc) to `reading`.
  Status RaiseReading(const char* key, const model::Hlc& reading);

  std::unique_ptr<detail::ReplicaStore> store_;
  const schema::SchemaRegistry* schemas_;
  model::HybridClock clock_;
  ReplicaIdentity identity_;
};

}  // namespace outreach::replica
