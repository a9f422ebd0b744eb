// Conflict: a place in a record where concurrent writes left more than one answer. Derived from
// the record's state (never stored separately), so every replica that saw the same changes
// reports the same conflicts, and a resolution (a write whose base covers every candidate)
// makes the conflict disappear everywhere.
#pragma once

#include <string>
#include <vector>

#include "core/model/record_state.h"

namespace outreach::merge {

enum class ConflictKind {
  kReview,          // a review field written concurrently: a person must choose
  kImmutable,       // an immutable field first set concurrently to different values
  kAutoResolved,    // lww, forward and x-entry-forward entries: resolved by rule (the higher
                    // version, the further state), the others kept here, asking no one
  kSetRemoveVsAdd,  // a removal raced an addition of the same set element
  kDeleteVsEdit,    // a delete raced an edit: the record is kept until someone decides
};

std::string_view ConflictKindName(ConflictKind kind);

struct Conflict {
  std::string record_id;
  std::string field;  // empty for kDeleteVsEdit
  ConflictKind kind = ConflictKind::kReview;
  // Every competing value with its author, device and time. For a set conflict: the element's
  // additions (value = the element); for delete_vs_edit: the deletions (value = null).
  std::vector<model::Candidate> candidates;
  // What code reads until a person resolves it (DESIGN.md: the higher of an ordered enum,
  // otherwise the higher version).
  model::Json provisional;

  bool NeedsReview() const { return kind != ConflictKind::kAutoResolved; }
};

}  // namespace outreach::merge
