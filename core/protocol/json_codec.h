// The JSON form of the protocol's messages, for debugging, scripts and other clients
// (application/json). Same fields as the binary form; records and changes in the model's JSON
// form (core/model/record_codec.h). Every message carries "protocol": "<major>.<minor>".
#pragma once

#include <string_view>

#include "core/base/status.h"
#include "core/model/record_state.h"
#include "core/protocol/messages.h"

namespace outreach::protocol {

// Parses a request body: invalid_argument for text that is not JSON or nests too deep.
Result<model::Json> ParseJsonBody(std::string_view body);

// FromJson: invalid_argument naming the part that is wrong (never a value); failed_precondition
// for another major protocol version.
model::Json ToJson(const SyncRequest& request);
Result<SyncRequest> SyncRequestFromJson(const model::Json& json);
model::Json ToJson(const SyncResponse& response);
Result<SyncResponse> SyncResponseFromJson(const model::Json& json);
model::Json ToJson(const EnrolRequest& request);
Result<EnrolRequest> EnrolRequestFromJson(const model::Json& json);
model::Json ToJson(const EnrolResponse& response);
Result<EnrolResponse> EnrolResponseFromJson(const model::Json& json);
model::Json ToJson(const ErrorBody& error);
Result<ErrorBody> ErrorBodyFromJson(const model::Json& json);

}  // namespace outreach::protocol
