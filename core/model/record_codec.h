// JSON forms of RecordState and Change: what the replica stores and what the JSON protocol
// carries. ToJson is total; FromJson checks shapes and returns invalid_argument naming the
// part that is wrong (never a value). Encoding of a version: [physical_ms, counter, device].
#pragma once

#include "core/base/status.h"
#include "core/model/change.h"
#include "core/model/record_state.h"

namespace outreach::model {

Json RecordToJson(const RecordState& state);
Result<RecordState> RecordFromJson(const Json& json);

Json ChangeToJson(const Change& change);
Result<Change> ChangeFromJson(const Json& json);

// CanonicalJson(RecordToJson(state)): the bytes I1 compares.
std::string CanonicalRecord(const RecordState& state);

Json VersionToJson(const Version& version);

// False for a value nested deeper than 64 levels or with more than 4 million nodes: such input
// from the network would overflow the stack when copied or validated. Iterative.
bool JsonWithinLimits(const Json& root);
Json VectorToJson(const VersionVector& vector);

}  // namespace outreach::model
