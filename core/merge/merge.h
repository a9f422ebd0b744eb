// Merge: the one function every replica (device or server) uses to apply a change to a record.
// Pure: no I/O, no clock reads, no randomness. Deterministic and order-independent: applying the
// same set of changes in any order, with duplicates, gives byte-equal states (I1, I3), and no
// saved value vanishes unless a write whose author had seen it superseded it (I2).
//
// What merge decides from the change alone (so every replica decides alike) it rejects here:
// malformed shapes, writes to derived fields, overwriting an immutable field. What depends on
// a replica's current state (moving a forward field back, changing a set immutable value) is
// checked where a change enters the system: CheckAdmission (core/merge/admission.h).
#pragma once

#include <string>
#include <vector>

#include "core/merge/conflict.h"
#include "core/model/change.h"
#include "core/model/record_state.h"

namespace outreach::schema {
class RecordSchema;
}

namespace outreach::merge {

enum class Outcome {
  kApplied,    // the change is now part of the record
  kMerged,     // applied, and it met a concurrent write that resolved by policy (lww, forward)
  kConflict,   // applied, and it opened or joined a conflict a person must review
  kDuplicate,  // already applied (or already superseded): nothing changed (I3)
  kRejected,   // not applied; `reason` says why (ids and field names only)
};

std::string_view OutcomeName(Outcome outcome);

struct MergeResult {
  Outcome outcome = Outcome::kDuplicate;
  std::string reason;
};

struct MergeOutput {
  model::RecordState state;
  MergeResult result;
  // The record's open conflicts after the change, on the fields the change touched (all of
  // them for deletes and restores).
  std::vector<Conflict> conflicts;
};

// Applies `change` to `state` (which may be empty: a change can arrive before the record's
// creation). `schema` is the change's collection's schema.
MergeOutput Merge(const schema::RecordSchema& schema, const model::RecordState& state,
                  const model::Change& change);

// The same, in place: `state` is updated unless the change is rejected or a duplicate, in which
// case it is left exactly as it was. `conflicts` (optional) receives what MergeOutput's would.
MergeResult MergeInPlace(const schema::RecordSchema& schema, model::RecordState& state,
                         const model::Change& change, std::vector<Conflict>* conflicts = nullptr);

}  // namespace outreach::merge
