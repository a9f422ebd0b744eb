// Change: what one device did to one record in one step (create, update, append, delete,
// resolve), as it travels from the device's outbox to the server and on to other replicas.
// Every write in a change carries the change's version; each write says what its author had
// seen of that field (its base), which is exactly what it supersedes.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/model/record_state.h"

namespace outreach::model {

enum class ChangeKind { kCreate = 1, kUpdate = 2, kDelete = 3, kRestore = 4 };

// A write to a register field (immutable, review, lww, forward, or unknown to the schema).
struct RegisterWrite {
  Json value;
  VersionVector base;  // versions of this field the author had seen: those it supersedes

  bool operator==(const RegisterWrite&) const = default;
};

// Additions to an append field: entry objects, each with its own "id", and the versions of the
// field's entries the author had seen (so concurrent entries can be told apart).
struct AppendWrite {
  std::vector<Json> entries;
  std::vector<Version> seen;

  bool operator==(const AppendWrite&) const = default;
};

// Additions and removals on a set field. A removal names the additions it observed.
struct SetRemoval {
  Json value;
  std::vector<Version> observed_adds;

  bool operator==(const SetRemoval&) const = default;
};
struct SetWrite {
  std::vector<Json> added;
  // For each added value: the removals of it the author had seen (a deliberate re-add).
  std::vector<std::vector<Version>> added_seen_removals;
  std::vector<SetRemoval> removed;

  bool operator==(const SetWrite&) const = default;
};

struct Change {
  std::string change_id;  // UUIDv7, the idempotence key (I3)
  std::string record_id;
  std::string collection;
  std::string team;
  std::string schema_version;
  ChangeKind kind = ChangeKind::kUpdate;
  Version version;
  std::string author;       // user id
  std::string author_role;  // worker, team_leader, office, admin
  std::string reason;       // required when moving a forward field back
  std::map<std::string, RegisterWrite> registers;
  std::map<std::string, AppendWrite> appends;
  std::map<std::string, SetWrite> sets;
  // kDelete: every register version and (sorted) every append entry and set addition the
  // deleter had seen.
  std::map<std::string, VersionVector> delete_seen;
  std::vector<Version> delete_seen_items;
  // kDelete and kRestore: the deletions (and restores) the author had seen; a write to the
  // record's deletion register like any other, superseding exactly those.
  VersionVector deletion_base;

  bool operator==(const Change&) const = default;
};

// True for a change by a team leader or an administrator that gives a reason: the only kind
// that may move a forward field back, settle a dispute, or delete or restore a record
// (DESIGN.md section 3). The server checks the role against the author's account (I6).
inline bool ByLeaderWithReason(const Change& change) {
  return (change.author_role == "team_leader" || change.author_role == "admin") &&
         !change.reason.empty();
}

}  // namespace outreach::model
