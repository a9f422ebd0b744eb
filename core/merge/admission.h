// Admission: the checks that depend on the record as it stands where a change enters the
// system (the device's own write, or the server receiving a push). They cannot live in Merge,
// which must give the same answer on every replica whatever it has already seen.
#pragma once

#include "core/base/status.h"
#include "core/model/change.h"
#include "core/model/record_state.h"

namespace outreach::schema {
class RecordSchema;
}

namespace outreach::merge {

// failed_precondition:
//  - a delete or restore of the record by anyone but a team leader or administrator with a
//    reason (records go only by retention, through a reviewed server job running as admin);
//  - an immutable field already holds a different value (a correction is a new amendment entry);
//  - a forward field moves back (to a lower state than one its author had seen), or a set-once
//    forward field (no states: signed_off_at) changes, without the author being a team leader
//    or administrator with a reason;
//  - a field frozen by x-immutable-after (screening content once signed off, referral content
//    once submitted) is written;
//  - a write that settles a disputed review or immutable field (its base covers every
//    candidate) by anyone but a team leader or administrator with a reason, or an immutable
//    field settled to a value that was not one of the candidates;
//  - an edit by someone who had seen the record's delete (a concurrent edit is accepted and
//    becomes a delete_vs_edit conflict);
//  - an append entry superseding or striking an entry id that is not one of the field's
//    entries its author had seen (the change's AppendWrite::seen);
//  - on an x-entry-forward field, a superseding entry taking a state back (done -> open) below
//    one its author had seen in that entry's line, without the author being a team leader or
//    administrator with a reason (a strike carries no state and is not going back);
//  - a field with x-writers written by another role (current_cse_risk: team leaders);
//  - a create for a record that already exists.
Status CheckAdmission(const schema::RecordSchema& schema, const model::RecordState& state,
                      const model::Change& change);

}  // namespace outreach::merge
