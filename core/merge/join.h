// JoinStates: the join of two replicas' states of one record, the same as applying to one
// every change the other has seen. A pull carries record state, not history (DESIGN.md
// section 4), so this is how a replica takes in what the server has without losing what the
// server's copy may not show yet.
#pragma once

#include "core/model/record_state.h"

namespace outreach::merge {

// Both states must be of the same record (or one empty). Commutative, associative, idempotent.
model::RecordState JoinStates(const model::RecordState& a, const model::RecordState& b);

// True when JoinStates(mine, theirs) would be `theirs` exactly: `theirs` already holds all of
// `mine`. Answered without making the join (no copy of either state): a pulled record usually
// holds all the device had, and the join was then a copy of the record to be thrown away.
// Where the join itself is not determined (two candidates of one version with other values:
// its sort keeps either), false. protocol::PackedStateContains (core/protocol/internal/
// packed_contains.cc) answers the same from two packed states' bytes: a change here is made
// there too (tests/core/merge's property test checks the two agree).
bool JoinContains(const model::RecordState& theirs, const model::RecordState& mine);

}  // namespace outreach::merge
