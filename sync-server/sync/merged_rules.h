// The schema's rules across fields (required fields, if/then, "not both") on a record as
// merged. A device validates each local write against the whole record as it sees it; two
// concurrent writes, each valid on its author's view, can still merge into a record that
// breaks such a rule. The server tells the two cases apart (README.md, "Rules across fields"):
// a change that breaks a rule on the record its author had seen is refused; a break that
// concurrent edits made is kept, as a conflict for review.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/merge/merge.h"
#include "core/model/change.h"
#include "core/model/record_state.h"
#include "core/schema/validation_problem.h"

namespace outreach::schema {
class RecordSchema;
}

namespace outreach::server {

// Every way the record's current values (merge::CurrentValues, derived fields recomputed)
// break `schema`; empty for a valid or a deleted record. Value-free messages.
std::vector<schema::ValidationProblem> RuleProblems(const schema::RecordSchema& schema,
                                                    const model::RecordState& state);

// True when the rules need not be checked again on the record as merged, because they cannot
// have changed: the stored record broke none and had no open conflict when it was saved
// (`stored_conflicts` 0) and was saved under this schema's version (`stored_schema_version`,
// its state's before the merge: a record counted under an older major, whose rules may be
// fewer, is checked again), and `change` is an update applied as written (`outcome` kApplied)
// that writes registers only, each a value (not a clearing null) of a field no rule reads
// (RecordSchema::RuleFree), whose own property schema the value passed (ContentProblem, before
// the push began, which keeps problems it cannot place). The merged record is then the stored
// one with those fields replaced or added, and breaks no rule either. Checking the rules makes
// and validates the record's values whole, which was most of an edit's cost on the server.
bool RulesStillHold(const schema::RecordSchema& schema, int stored_conflicts,
                    std::string_view stored_schema_version, const model::Change& change,
                    merge::Outcome outcome);

// The top-level field a problem points at ("/summary/0/id": "summary"); empty for a rule over
// the whole record (pointer "").
std::string ProblemField(const schema::ValidationProblem& problem);

// True when `before` (the stored record the change is applied to) holds nothing the change's
// author is not known to have seen: each of its values was written by the author's own device
// before the change, or is one the change names as seen (a write's base, the append entries
// and set additions and removals it saw, the deletions it saw). Then the author's view was
// this record, and a rule the merged record breaks is the change's own doing. False as soon
// as one value may be a concurrent edit (the change says nothing about a field it does not
// write, so another device's value there counts as unseen).
bool AuthorSawRecord(const model::RecordState& before, const model::Change& change);

}  // namespace outreach::server
