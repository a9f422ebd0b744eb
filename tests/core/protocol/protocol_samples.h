// Messages with every kind of field filled, for round-trip and robustness tests.
#pragma once

#include "core/protocol/messages.h"

namespace outreach::protocol::testing {

model::Change SampleChange(int n);
model::RecordState SampleRecord(int n);
SyncRequest SampleRequest(int changes);
SyncResponse SampleResponse(int records);

}  // namespace outreach::protocol::testing
