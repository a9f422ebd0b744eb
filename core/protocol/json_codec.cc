#include "core/protocol/json_codec.h"

#include <limits>
#include <utility>

#include "core/model/record_codec.h"

namespace outreach::protocol {
namespace {

using model::Json;

// Decoding throws this (inside this file only); each FromJson turns it into a Status.
struct ShapeError {
  Status status;
};

void Require(bool condition, const char* what) {
  if (!condition) throw ShapeError{InvalidArgumentError(std::string("malformed message: ") + what)};
}

std::string String(const Json& json, const char* key, bool required = true) {
  if (!json.contains(key)) {
    Require(!required, key);
    return {};
  }
  Require(json[key].is_string(), key);
  return json[key].get<std::string>();
}

std::int64_t Integer(const Json& json, const char* key) {
  if (!json.contains(key)) return 0;
  Require(json[key].is_number_integer(), key);
  return json[key].get<std::int64_t>();
}

bool Boolean(const Json& json, const char* key) {
  if (!json.contains(key)) return false;
  Require(json[key].is_boolean(), key);
  return json[key].get<bool>();
}

const Json& Array(const Json& json, const char* key) {
  static const Json kEmpty = Json::array();
  if (!json.contains(key)) return kEmpty;
  Require(json[key].is_array(), key);
  return json[key];
}

template <typename T>
T Unwrap(Result<T> result) {
  if (!result.ok()) throw ShapeError{result.status()};
  return std::move(result).value();
}

// {"physical_ms": <int>, "counter": <int>}, a valid reading (it may reach a HybridClock).
model::Hlc ReadingFromJson(const Json& json) {
  Require(json.is_object(), "stored_reading");
  const std::int64_t counter = Integer(json, "counter");
  Require(counter >= 0 && counter <= std::numeric_limits<std::uint32_t>::max(), "counter");
  const model::Hlc reading{Integer(json, "physical_ms"), static_cast<std::uint32_t>(counter)};
  Require(reading.IsValid(), "physical_ms");
  return reading;
}

ProtocolVersion VersionOf(const Json& json) {
  Require(json.is_object(), "body must be a JSON object");
  const ProtocolVersion version = Unwrap(ParseVersionString(String(json, "protocol")));
  if (version.major != kProtocolVersion.major) {
    throw ShapeError{FailedPreconditionError("unsupported protocol version " +
                                             VersionString(version) + "; this peer speaks " +
                                             VersionString(kProtocolVersion))};
  }
  return version;
}

Json ResultsToJson(const std::vector<ChangeResult>& results) {
  Json out = Json::array();
  for (const auto& result : results) {
    Json item{{"change_id", result.change_id}, {"outcome", OutcomeName(result.outcome)}};
    if (!result.reason.empty()) item["reason"] = result.reason;
    out.push_back(std::move(item));
  }
  return out;
}

std::vector<ChangeResult> ResultsFromJson(const Json& json, const char* key) {
  std::vector<ChangeResult> results;
  for (const auto& item : Array(json, key)) {
    Require(item.is_object(), key);
    results.push_back(ChangeResult{String(item, "change_id"),
                                   Unwrap(ParseOutcome(String(item, "outcome"))),
                                   String(item, "reason", false)});
  }
  return results;
}

// Runs a decoder, turning its ShapeError into the Status it carries.
template <typename Decode>
auto Decoded(Decode&& decode) -> Result<decltype(decode())> {
  try {
    return decode();
  } catch (const ShapeError& error) {
    return error.status;
  }
}

}  // namespace

Result<Json> ParseJsonBody(std::string_view body) {
  Json json = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return InvalidArgumentError("malformed message: body is not JSON");
  if (!model::JsonWithinLimits(json)) {
    return InvalidArgumentError("malformed message: body nests too deep");
  }
  return json;
}

Json ToJson(const SyncRequest& request) {
  Json changes = Json::array();
  for (const auto& change : request.changes) changes.push_back(model::ChangeToJson(change));
  return Json{{"protocol", VersionString(request.version)},
              {"cursor", request.cursor},
              {"page_size", request.page_size},
              {"changes", std::move(changes)},
              {"schemas_hash", request.schemas_hash}};
}

Result<SyncRequest> SyncRequestFromJson(const Json& json) {
  return Decoded([&] {
    SyncRequest request;
    request.version = VersionOf(json);
    request.cursor = String(json, "cursor", false);
    const std::int64_t page_size = Integer(json, "page_size");
    Require(page_size >= 0 && page_size <= std::numeric_limits<std::uint32_t>::max(),
            "page_size");
    request.page_size = static_cast<std::uint32_t>(page_size);
    for (const auto& change : Array(json, "changes")) {
      request.changes.push_back(Unwrap(model::ChangeFromJson(change)));
    }
    request.schemas_hash = String(json, "schemas_hash", false);  // absent before 1.1
    return request;
  });
}

Json ToJson(const SyncResponse& response) {
  Json records = Json::array();
  for (const auto& record : response.records) records.push_back(model::RecordToJson(record));
  return Json{{"protocol", VersionString(response.version)},
              {"results", ResultsToJson(response.results)},
              {"records", std::move(records)},
              {"cursor", response.cursor},
              {"has_more", response.has_more},
              {"server_time_ms", response.server_time_ms},
              {"directives",
               {{"wipe", response.directives.wipe},
                {"schemas_changed", response.directives.schemas_changed}}},
              {"schemas_hash", response.schemas_hash}};
}

Result<SyncResponse> SyncResponseFromJson(const Json& json) {
  return Decoded([&] {
    SyncResponse response;
    response.version = VersionOf(json);
    response.results = ResultsFromJson(json, "results");
    for (const auto& record : Array(json, "records")) {
      response.records.push_back(Unwrap(model::RecordFromJson(record)));
    }
    response.cursor = String(json, "cursor", false);
    response.has_more = Boolean(json, "has_more");
    response.server_time_ms = Integer(json, "server_time_ms");
    if (json.contains("directives")) {
      const Json& directives = json["directives"];
      Require(directives.is_object(), "directives");
      response.directives.wipe = Boolean(directives, "wipe");
      response.directives.schemas_changed = Boolean(directives, "schemas_changed");
    }
    response.schemas_hash = String(json, "schemas_hash", false);
    return response;
  });
}

Json ToJson(const EnrolRequest& request) {
  return Json{{"protocol", VersionString(request.version)},
              {"code", request.code},
              {"device_id", request.device_id},
              {"device_name", request.device_name}};
}

Result<EnrolRequest> EnrolRequestFromJson(const Json& json) {
  return Decoded([&] {
    EnrolRequest request;
    request.version = VersionOf(json);
    request.code = String(json, "code");
    request.device_id = String(json, "device_id");
    request.device_name = String(json, "device_name", false);
    return request;
  });
}

Json ToJson(const EnrolResponse& response) {
  return Json{{"protocol", VersionString(response.version)},
              {"device_id", response.device_id},
              {"token", response.token},
              {"user_id", response.user_id},
              {"user_name", response.user_name},
              {"team", response.team},
              {"role", response.role},
              {"server_time_ms", response.server_time_ms}};
}

Result<EnrolResponse> EnrolResponseFromJson(const Json& json) {
  return Decoded([&] {
    EnrolResponse response;
    response.version = VersionOf(json);
    response.device_id = String(json, "device_id");
    response.token = String(json, "token");
    response.user_id = String(json, "user_id");
    response.user_name = String(json, "user_name", false);
    response.team = String(json, "team");
    response.role = String(json, "role");
    response.server_time_ms = Integer(json, "server_time_ms");
    return response;
  });
}

Json ToJson(const ErrorBody& error) {
  Json out{{"error", error.error}, {"message", error.message}};
  if (error.server_time_ms != 0) out["server_time_ms"] = error.server_time_ms;
  if (error.wipe) out["wipe"] = true;
  if (!error.rejected.empty()) out["rejected"] = ResultsToJson(error.rejected);
  if (error.stored_reading) {
    out["stored_reading"] = Json{{"physical_ms", error.stored_reading->physical_ms},
                                 {"counter", error.stored_reading->counter}};
  }
  return out;
}

Result<ErrorBody> ErrorBodyFromJson(const Json& json) {
  return Decoded([&] {
    Require(json.is_object(), "error body");
    ErrorBody error;
    error.error = String(json, "error");
    error.message = String(json, "message", false);
    error.server_time_ms = Integer(json, "server_time_ms");
    error.wipe = Boolean(json, "wipe");
    error.rejected = ResultsFromJson(json, "rejected");
    if (json.contains("stored_reading")) error.stored_reading = ReadingFromJson(json["stored_reading"]);
    return error;
  });
}

}  // namespace outreach::protocol
