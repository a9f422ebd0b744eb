// ScriptedClientFixture: an outreach::Client enrolled against a scripted server (an enrolment
// answer and the contact schema), for the client tests that then work offline or script the
// server's sync answers. Also the helpers those tests share.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "client-sdk/client.h"
#include "core/protocol/binary_codec.h"
#include "core/protocol/json_codec.h"
#include "tests/testing/scripted_http_server.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace outreach::testing {

inline constexpr const char* kClientUserId = "01a21396-43a5-752a-8e07-c54764c98fc7";

inline model::Json ContactSchema() {
  std::ifstream file(std::string(OUTREACH_SCHEMA_DIR) + "/contact.schema.json");
  std::stringstream text;
  text << file.rdbuf();
  return model::Json::parse(text.str());
}

// GET /v1/schemas as a server of `protocol` answers it ("": a server that does not say), its
// set (the contact schema) hashed as `hash`.
inline std::string SchemasAnswer(const std::string& protocol = "",
                                 const std::string& hash = "test") {
  model::Json answer{{"schemas_hash", hash}, {"schemas", {{"contact", ContactSchema()}}}};
  if (!protocol.empty()) answer["protocol"] = protocol;
  return answer.dump();
}

inline model::Json Contact(const std::string& location) {
  return model::Json{{"created_by", kClientUserId},
                     {"created_at_device", "2024-05-01T22:10:00Z"},
                     {"contact_type", "detached_street"},
                     {"occurred_start", "2024-05-01T21:30:00Z"},
                     {"occurred_end", "2024-05-01T22:05:00Z"},
                     {"location_text", location},
                     {"workers_present", model::Json::array({kClientUserId})},
                     {"young_people_present", model::Json::array()},
                     {"summary", model::Json::array()},
                     {"status", "draft"}};
}

inline std::string EnrolAnswer() {
  protocol::EnrolResponse enrolled;
  enrolled.device_id = "01a21396-4485-7799-a694-aa53ce5ebcd4";
  enrolled.token = "device-token";
  enrolled.user_id = kClientUserId;
  enrolled.user_name = "ana";
  enrolled.team = "01a21396-4383-714a-85a6-4ab57b2aae48";
  enrolled.role = "team_leader";
  return protocol::ToJson(enrolled).dump();
}

// POST /v1/sync as a server of `version` answers it: every pushed change applied, nothing to
// pull, its schemas hashed as `schemas_hash` (the fixture's: nothing to reload). A 1.0 server
// reads every 1.x body as 1.0 (it never looked at the minor) and refuses bytes after the
// changes, as it did: 400 malformed_body.
inline ScriptedResponse SyncAnswer(const RecordedRequest& request,
                                   protocol::ProtocolVersion version,
                                   const std::string& schemas_hash = "test") {
  std::string body = request.body;
  if (version.minor == 0 && body.size() > 5) body[5] = 0;
  auto decoded = protocol::DecodeBinaryRequest(body);
  if (!decoded.ok()) {
    protocol::ErrorBody error{"malformed_body", decoded.status().message(), 0, false, {}, std::nullopt};
    return ScriptedResponse::Answer(400, protocol::ToJson(error).dump());
  }
  protocol::SyncResponse response;
  response.version = version;
  for (const model::Change& change : decoded->changes) {
    response.results.push_back({change.change_id, protocol::Outcome::kApplied, ""});
  }
  response.cursor = "cursor-1";
  response.schemas_hash = schemas_hash;
  return ScriptedResponse::Answer(200, protocol::EncodeBinary(response))
      .WithContentType(std::string(protocol::kBinaryContentType));
}

class ScriptedClientFixture : public ::testing::Test {
 protected:
  void SetUp() override { Enrol(); }

  // Enrols a new device in dir_/`device` against server_, whose schemas answer says
  // `protocol`; client_ is that device from then on.
  void Enrol(const std::string& protocol = "", const std::string& device = "device") {
    device_ = device;
    server_.Enqueue(ScriptedResponse::Answer(200, EnrolAnswer()));
    server_.Enqueue(ScriptedResponse::Answer(200, SchemasAnswer(protocol)));
    ASSERT_NO_FATAL_FAILURE(Reopen());
    ASSERT_THAT(client_->Enrol(server_.BaseUrl(), "enrolment-code"), IsOk());
  }

  // Closes the client and opens the device store again, as an app restart does.
  // With `options` (fast_kdf_for_tests is set here).
  void Reopen(ClientOptions options = {}) {
    client_.reset();
    options.fast_kdf_for_tests = true;
    ASSERT_OK_AND_ASSIGN(client_, Client::Open(dir_.File(device_), "passcode", options));
  }

  TempDir dir_;
  std::string device_ = "device";  // the folder in dir_ of client_'s store
  ScriptedHttpServer server_;
  std::unique_ptr<Client> client_;
};

}  // namespace outreach::testing
