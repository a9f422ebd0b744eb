// ReplicaStore: the replica's tables in the encrypted database and the SQL that reads and
// writes them. No merge logic here; Replica decides, the store persists.
//   replica_meta(key, value)                    the device clock (last HLC, offset), its floor,
//                                               the last outbox position pushed
//   local_view(record_id, collection, deleted, state)
//                                               the record as the device shows it: the
//                                               confirmed state with pending changes on top
//   pending_base(record_id, state)              the confirmed state under a record's pending
//                                               changes (NULL: the server has not confirmed
//                                               the record yet); a row exactly while the
//                                               record has pending changes
//   outbox(seq, change_id, record_id, change, status, reason)
// A record without a pending_base row has nothing pending: its view is its confirmed state.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/model/change.h"
#include "core/model/record_state.h"
#include "core/replica/replica.h"
#include "core/storage/statement.h"
#include "core/storage/transaction.h"

namespace outreach::storage {
class Database;
}

namespace outreach::replica::detail {

class ReplicaStore {
 public:
  static Result<std::unique_ptr<ReplicaStore>> Open(storage::Database* db);

  Result<storage::Transaction> Begin();
  // Until it goes, deletes leave the pages they free as they were (sealed): for removing what
  // the database still holds elsewhere (storage::SecureDelete::kZeroedInPlace). Afterwards
  // deletes zero what they free again.
  class FreedPagesKept {
   public:
    explicit FreedPagesKept(ReplicaStore* store);
    ~FreedPagesKept();
    FreedPagesKept(const FreedPagesKept&) = delete;
    FreedPagesKept& operator=(const FreedPagesKept&) = delete;

   private:
    ReplicaStore* store_;
  };
  FreedPagesKept KeepFreedPages() { return FreedPagesKept(this); }

  Result<std::optional<model::RecordState>> LoadView(std::string_view record_id);
  // The record's state as last confirmed by the server: its pending_base row while it has
  // pending changes, its view otherwise. None: the server has not confirmed it yet (or the
  // device has no such record).
  Result<std::optional<model::RecordState>> LoadConfirmed(std::string_view record_id);
  // The same as stored, not decoded: packed (protocol::EncodeRecordState) or, stored before
  // protocol 1.3, in the archive form.
  Result<std::optional<std::string>> LoadConfirmedBytes(std::string_view record_id);
  // A state as stored, decoded (none: none); corrupt if it does not decode.
  static Result<std::optional<model::RecordState>> DecodeStored(
      const std::optional<std::string>& stored);
  // Stores the view; `encoded_state`, if not empty, is `state` as the protocol encodes it
  // (protocol::EncodeRecordState), stored as is.
  Status SaveView(const model::RecordState& state, bool deleted,
                  std::string_view encoded_state = {});
  // The same row from its parts, `encoded_state` given (a pulled record stored as it came).
  Status SaveViewRow(std::string_view record_id, std::string_view collection, bool deleted,
                     std::string_view encoded_state);
  // The confirmed state under the record's pending changes (nullptr: not confirmed yet).
  Status SavePendingBase(std::string_view record_id, const model::RecordState* confirmed);
  // When the record gets a pending change, before its view changes: the view, as stored, is
  // its confirmed state (none if it has no view) and becomes its pending_base. Nothing if it
  // has one already.
  Status KeepViewAsPendingBase(std::string_view record_id);
  Result<bool> HasPendingBase(std::string_view record_id);
  // The record has nothing pending any more (its view is its confirmed state): false when it
  // had no pending_base row.
  Result<bool> RemovePendingBase(std::string_view record_id);
  // Forgets a record nothing is left of (its only pending create was discarded or withdrawn):
  // its view and its pending_base.
  Status RemoveRecord(std::string_view record_id);

  Status AddToOutbox(const model::Change& change);
  // The heads (protocol::DecodeChangeHead) of a record's pending changes, in writing order.
  Result<std::vector<model::Change>> LoadPendingHeads(std::string_view record_id);
  // Pending entries as stored (the protocol's change archive, ready to splice into a
  // request), in writing order, at most `limit`, after position `after_sequence`.
  Result<std::vector<StoredOutboxEntry>> LoadPendingEncoded(std::int64_t limit,
                                                            std::int64_t after_sequence);
  // Entries in writing order; `record_id` empty for all records. At most `limit` entries
  // (-1: all), after position `after_sequence`.
  Result<std::vector<OutboxEntry>> LoadOutbox(std::optional<OutboxStatus> status,
                                              std::string_view record_id = {},
                                              std::int64_t limit = -1,
                                              std::int64_t after_sequence = 0);
  // The record a change in the outbox belongs to; not_found if it is not there.
  Result<std::int64_t> CountOutbox(OutboxStatus status);
  Result<std::string> OutboxRecord(std::string_view change_id);
  Status SetOutboxStatus(std::string_view change_id, OutboxStatus status, std::string_view reason);
  // Replaces a change in the outbox (same change id), e.g. after re-stamping.
  Status ReplaceInOutbox(const model::Change& change);
  Status RemoveFromOutbox(std::string_view change_id);

  // Every record id with a stored view or pending_base.
  Result<std::vector<std::string>> StoredRecordIds();
  // The columns of a stored view other than its state, as written (for Replica::CheckViews).
  struct ViewColumns {
    std::string collection;
    bool deleted = false;
  };
  Result<std::optional<ViewColumns>> LoadViewColumns(std::string_view record_id);

  // Whether any view of `collection` is stored, deleted ones included (local_view_by_collection).
  Result<bool> HoldsCollection(std::string_view collection);

  // Each stored view of `collection` not deleted, in record id order: its id and its state as
  // stored (packed, or in the archive form). Stops at the first error `visit` returns, and
  // returns it; corrupt if a view has no state.
  using ViewVisitor =
      std::function<Status(std::string_view record_id, std::string_view state)>;
  Status ForEachViewState(std::string_view collection, const ViewVisitor& visit);

  // The version of the last change written to the outbox, if any.
  Result<std::optional<model::Version>> NewestOutboxVersion();
  // The writing-order position of the last change in the outbox (0 if it is empty). Positions
  // are never reused, even after the change leaves.
  Result<std::int64_t> LastOutboxSequence();

  Result<std::optional<std::string>> GetMeta(std::string_view key);
  Status SetMeta(std::string_view key, std::string_view value);

 private:
  explicit ReplicaStore(storage::Database* db) : db_(db) {}
  // Layout 2 -> 3 (and on to 5), inside Open's transaction.
  Status MigrateFromLayout2();
  // Layouts 2 to 4 -> 5: the views' values column goes. Inside Open's transaction.
  Status DropValuesColumn();
  Result<std::optional<std::string>> LoadViewBytes(std::string_view record_id);
  // A cached statement lent to one scope, reset when the scope ends: a SELECT left on a row
  // would keep a read transaction open, and a WAL that cannot be checkpointed past it grows
  // without end.
  class CachedStatement {
   public:
    explicit CachedStatement(storage::Statement* statement) : statement_(statement) {}
    ~CachedStatement() {
      if (statement_ != nullptr) (void)statement_->Reset();
    }
    CachedStatement(CachedStatement&& other) noexcept
        : statement_(std::exchange(other.statement_, nullptr)) {}
    CachedStatement& operator=(CachedStatement&&) = delete;
    storage::Statement* operator->() const { return statement_; }
    storage::Statement& operator*() const { return *statement_; }

   private:
    storage::Statement* statement_;
  };

  // The prepared statement for `sql` (a string literal: its address is the key). Preparing
  // costs more than running most of these statements.
  Result<CachedStatement> Cached(const char* sql);

  storage::Database* db_;
  // Deletes were left not zeroing what they free (KeepFreedPages) and setting them back
  // failed: Begin tries again, so no later transaction runs that way.
  bool zeroing_to_restore_ = false;
  std::map<const char*, storage::Statement> statements_;  // destroyed before db_ closes
};

}  // namespace outreach::replica::detail
