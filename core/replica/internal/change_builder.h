// ChangeBuilder: turns a local edit (create values, an update patch, a delete, a resolution)
// into the Change it means, with each write's base taken from the record as this replica sees
// it. Only the builder decides bases: what a write supersedes is exactly what its author saw.
#pragma once

#include <vector>

#include "core/base/status.h"
#include "core/model/change.h"
#include "core/model/record_state.h"
#include "core/schema/validation_problem.h"

namespace outreach::schema {
class RecordSchema;
}

namespace outreach::replica::detail {

// Adds to `change` the writes that make the record's fields equal `patch` (a JSON object).
// Single-value fields: a write unless the value is already the record's one undisputed value.
// Set fields: the additions and removals to reach the given membership. Append fields: each
// given entry (objects; "id" required). invalid_argument for a bad shape or a derived field;
// failed_precondition for a disputed review field (`resolving` false).
Status AddPatchWrites(const schema::RecordSchema& schema, const model::RecordState& view,
                      const model::Json& patch, bool resolving, model::Change& change);

// AddPatchWrites after validating the record `patch` leaves (the view's values, derived
// fields aside, with `patch` laid over: append fields gain the given entries) against the
// schema as user input, so one error lists every problem. Only problems the view did not
// already have count (schema::NewProblems): a merged record that breaks a rule (kept by the
// server for review) still takes unrelated edits. invalid_argument naming each new problem
// (JSON pointer + message), also put in `problems` when given.
Status AddValidatedPatchWrites(const schema::RecordSchema& schema, const model::RecordState& view,
                               const model::Json& patch, bool resolving, model::Change& change,
                               std::vector<schema::ValidationProblem>* problems = nullptr);

// What `change` meant, as a patch over `view` that AddPatchWrites would turn back into it:
// register values, appended entries, and set fields as the membership the change leads to
// from `view`. For rebuilding a rejected change against the record as it now stands.
model::Json PatchOf(const model::RecordState& view, const model::Change& change);

// Fills a delete's view of the record: every version of every value it holds.
void FillDeleteSeen(const model::RecordState& view, model::Change& change);

}  // namespace outreach::replica::detail
