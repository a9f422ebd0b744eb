// ServerStore: what the sync server keeps — teams, users, devices and their credentials,
// records (each with the sequence number of its latest change), and every change id it has
// applied, for good (a tablet may retry a push weeks later). An interface so the embedded
// SQLite store and a PostgreSQL one (scale-out) run the same sync logic and conformance tests.
//
// Implementations are thread-safe: the HTTP layer calls them from several threads.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/merge/merge.h"
#include "core/model/hlc.h"

namespace outreach::server {

struct Team {
  std::string id;
  std::string name;
};

struct User {
  std::string id;
  std::string name;
  std::string team_id;
  std::string team_name;
  std::string role;  // worker, team_leader, office, admin
};

struct Device {
  std::string id;
  std::string name;
  User user;
  bool revoked = false;
  std::int64_t enrolled_ms = 0;
  std::int64_t last_seen_ms = 0;
};

// A record as the server keeps it: its scope and its state as protocol::EncodeRecordState
// writes it (packed since 1.3), which pulls of 1.3 send as it is.
struct StoredRecord {
  std::string team_id;
  std::string collection;
  std::string state;
  int conflicts = 0;  // open on it, for the administrators' queue
  std::int64_t sequence = 0;  // of its latest change, as loaded (SaveRecord assigns the next)
};

// A change the server has seen: what became of it.
struct RememberedChange {
  std::string record_id;
  merge::Outcome outcome = merge::Outcome::kApplied;
  std::string reason;
};

struct PulledRecord {
  std::int64_t sequence = 0;
  std::string state;
};

struct PullPage {
  std::vector<PulledRecord> records;
  bool has_more = false;
  // The sequence of the last record the page covers, sent or left out (0: none): where the
  // next page starts.
  std::int64_t last_sequence = 0;
};

// Which records of a page to leave out by their sequence (a push's answer leaves out what its
// device folds itself): their states are never read.
using PullSkip = std::function<bool(std::int64_t sequence)>;

struct ConflictedRecord {
  std::string record_id;
  std::string collection;
  std::string team_name;
  std::int64_t sequence = 0;
  std::string state;  // decode to list the disputed fields (merge::Conflicts)
};

struct StoreStats {
  std::int64_t records = 0;
  std::int64_t changes = 0;
  std::int64_t devices = 0;
  std::int64_t bytes = 0;  // on disk
  std::int64_t last_sequence = 0;  // of the latest record saved
};

// One push: every change of a request lands in one transaction (all or nothing on a crash).
// Not thread-safe; while it lives, other pushes wait.
class PushTransaction {
 public:
  virtual ~PushTransaction() = default;
  virtual Result<std::optional<RememberedChange>> FindChange(std::string_view change_id) = 0;
  virtual Result<std::optional<StoredRecord>> LoadRecord(std::string_view record_id) = 0;
  // Stores the record under the next sequence number, which it returns.
  virtual Result<std::int64_t> SaveRecord(std::string_view record_id, const StoredRecord& record) = 0;
  virtual Status RememberChange(std::string_view change_id, std::string_view device_id,
                                const RememberedChange& change) = 0;
  // Raises the highest reading stored for `device_id` (StoredReading) to `reading`, if the
  // store keeps one for that device.
  virtual Status RaiseStoredReading(std::string_view device_id, const model::Hlc& reading) = 0;
  // ServerStore::TouchDevice, written with the push: no commit of its own.
  virtual Status TouchDevice(std::string_view device_id, std::int64_t now_ms) = 0;
  virtual Status Commit() = 0;  // without it, destruction rolls back
};

// Held while a sync is answered (ServerStore::Busy).
class StoreBusy {
 public:
  virtual ~StoreBusy() = default;
};

class ServerStore {
 public:
  virtual ~ServerStore() = default;

  // --- administration -------------------------------------------------------------------
  // already_exists for a taken name; invalid_argument for an empty one or an unknown role.
  virtual Result<Team> CreateTeam(std::string_view name) = 0;
  virtual Result<User> CreateUser(std::string_view name, std::string_view team_name,
                                  std::string_view role) = 0;
  virtual Result<User> FindUser(std::string_view name) = 0;  // not_found
  // Keeps only the code's hash.
  virtual Status AddEnrolmentCode(std::string_view user_id, std::string_view code_hash,
                                  std::int64_t expires_ms) = 0;
  // Exchanges an unused, unexpired code for a device with `token_hash`. The same code with the
  // same device id within `retry_window_ms` of its use replaces the token (the device never
  // got the first answer). unauthenticated for an unknown, expired or used code.
  virtual Result<Device> Enrol(std::string_view code_hash, std::string_view device_id,
                               std::string_view device_name, std::string_view token_hash,
                               std::int64_t now_ms, std::int64_t retry_window_ms) = 0;
  virtual Result<std::optional<Device>> FindDeviceByToken(std::string_view token_hash) = 0;
  // The device was last seen at `now_ms`. Not made durable by itself (SQLite: no sync of its
  // own): a power cut may lose the latest sighting, never a push or an enrolment, and a sync
  // is not kept waiting on the disk for it.
  virtual Status TouchDevice(std::string_view device_id, std::int64_t now_ms) = 0;
  virtual Status RevokeDevice(std::string_view device_id) = 0;  // not_found
  virtual Result<std::vector<Device>> ListDevices() = 0;

  // --- sync ------------------------------------------------------------------------------
  // Held while a sync is answered, for as long as the returned object lives: upkeep the store
  // can put off (SQLite: copying its WAL into the database) waits for a quiet spell, rather
  // than take the CPU a sync is waiting for. Null: nothing to hold.
  virtual std::unique_ptr<StoreBusy> Busy() = 0;
  virtual Result<std::unique_ptr<PushTransaction>> BeginPush() = 0;
  // The highest reading of the changes `device_id` pushed that the store holds, raised in
  // each push's transaction ({0, 0}: none yet); nullopt when the store does not know (a
  // device enrolled before the store kept it). A clock_skew refusal reports it.
  virtual Result<std::optional<model::Hlc>> StoredReading(std::string_view device_id) = 0;
  // Records of `team_id` whose latest change has a sequence number above `after`, in
  // sequence order, at most `limit`, as of one snapshot. Those `skip` names (if given; at
  // most `most_skipped` of them) are left out of `records` without taking the page's room:
  // the page covers them (last_sequence moves past them) and up to `limit` records besides.
  // A push larger than its page leaves out all its device folds, not only what fits.
  virtual Result<PullPage> Pull(std::string_view team_id, std::int64_t after, std::size_t limit,
                                const PullSkip& skip, std::size_t most_skipped) = 0;
  Result<PullPage> Pull(std::string_view team_id, std::int64_t after, std::size_t limit) {
    return Pull(team_id, after, limit, PullSkip(), 0);
  }
  virtual Result<std::vector<ConflictedRecord>> ListConflicts() = 0;
  virtual Result<StoreStats> Stats() = 0;
};

}  // namespace outreach::server
