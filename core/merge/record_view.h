// What a record says now, derived from its merge state: the current (or provisional) value of
// every field, whether it is deleted, and its open conflicts. Readers never see candidates
// unless they ask for conflicts.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/merge/conflict.h"
#include "core/model/record_state.h"

namespace outreach::schema {
class RecordSchema;
struct FieldSpec;
}

namespace outreach::merge {

// The record's values as one JSON object, as the schema describes them: each register's value
// (the provisional one while disputed; absent if cleared), append fields as arrays of their
// current entries in (version, id) order (AppendView: an entry a later one supersedes or
// strikes is replaced by it), set fields as arrays of their members in canonical order, "id",
// and the derived fields recomputed from the rest. Fields unknown to `schema` are kept as they
// are.
model::Json CurrentValues(const schema::RecordSchema& schema, const model::RecordState& state);

// Every entry ever written to each append field, oldest first, as
// {"entry": <as written>, "author": <user>, "status": "current" | "superseded" | "struck" |
//  "outranked", "superseded_by": [<ids of the entries naming it>]}: what the current values
// leave out, and why. Append fields only (field -> array).
std::map<std::string, model::Json> EntryHistory(const schema::RecordSchema& schema,
                                                const model::RecordState& state);

// True when a live deletion had seen every value the record holds.
bool IsDeleted(const model::RecordState& state);

// Every open conflict of the record (including lww's auto-resolved ones).
std::vector<Conflict> Conflicts(const schema::RecordSchema& schema,
                                const model::RecordState& state);

// True while some addition of the element was observed by no removal.
bool SetElementPresent(const model::SetElement& element);

// True if some removal in the set raced an addition still present (neither author saw the other).
bool SetHasRace(const model::SetState& set);

// True if an x-entry-forward append field holds concurrent successors of one entry (settled
// by the forward rule, shown as an auto-resolved conflict).
bool AppendHasEntryRace(const schema::FieldSpec* spec, const model::AppendState& append);

// True if a review-if-concurrent append field (consent events) holds entries of different kinds
// made concurrently and not settled by a later entry whose author saw them both.
bool AppendHasRace(const schema::FieldSpec* spec, const model::AppendState& append);

}  // namespace outreach::merge
