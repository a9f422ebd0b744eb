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
Json VectorToJson(const VersionVector& vector);

}  // namespace outreach::model
