#include "core/protocol/json_codec.h"

#include <gtest/gtest.h>

#include "protocol_samples.h"
#include "tests/testing/status_matchers.h"

namespace outreach::protocol {
namespace {

using model::Json;
using ::outreach::testing::StatusIs;

TEST(JsonCodec, SyncMessagesRoundTrip) {
  const SyncRequest request = testing::SampleRequest(2);
  ASSERT_OK_AND_ASSIGN(SyncRequest decoded_request, SyncRequestFromJson(ToJson(request)));
  EXPECT_EQ(decoded_request, request);
  const SyncResponse response = testing::SampleResponse(2);
  ASSERT_OK_AND_ASSIGN(SyncResponse decoded_response, SyncResponseFromJson(ToJson(response)));
  EXPECT_EQ(decoded_response, response);
}

TEST(JsonCodec, A1_0RequestHasNoSchemasHash) {
  Json json = ToJson(testing::SampleRequest(1));
  json.erase("schemas_hash");
  json["protocol"] = "1.0";
  ASSERT_OK_AND_ASSIGN(SyncRequest decoded, SyncRequestFromJson(json));
  EXPECT_EQ(decoded.schemas_hash, "");
  EXPECT_EQ(decoded.changes.size(), 1u);
}

TEST(JsonCodec, EnrolAndErrorMessagesRoundTrip) {
  const EnrolRequest request{kProtocolVersion, "ABCD-EFGH", "0190-dev", "tablet 3"};
  ASSERT_OK_AND_ASSIGN(EnrolRequest decoded_request, EnrolRequestFromJson(ToJson(request)));
  EXPECT_EQ(decoded_request, request);
  const EnrolResponse response{kProtocolVersion, "0190-dev", "token", "u-1", "Sam",
                               "team-a", "worker", 1234};
  ASSERT_OK_AND_ASSIGN(EnrolResponse decoded_response, EnrolResponseFromJson(ToJson(response)));
  EXPECT_EQ(decoded_response, response);
  const ErrorBody error{"invalid_changes", "2 changes refused", 0, false,
                        {{"c-1", Outcome::kRejected, "invalid_argument: /risk"}}, std::nullopt};
  ASSERT_OK_AND_ASSIGN(ErrorBody decoded_error, ErrorBodyFromJson(ToJson(error)));
  EXPECT_EQ(decoded_error, error);
}

// clock_skew's stored_reading is optional: absent (an older server, or one that does not know)
// is not the same as {0, 0} (the server holds none of the device's changes).
TEST(JsonCodec, ClockSkewCarriesTheReadingTheServerHoldsWhenItKnows) {
  ErrorBody error{"clock_skew", "ahead", 1234, false, {}, std::nullopt};
  ASSERT_OK_AND_ASSIGN(ErrorBody unknown, ErrorBodyFromJson(ToJson(error)));
  EXPECT_FALSE(unknown.stored_reading.has_value());
  for (const model::Hlc reading : {model::Hlc{}, model::Hlc{1'764'000'000'000, 7}}) {
    error.stored_reading = reading;
    const Json json = ToJson(error);
    ASSERT_TRUE(json.contains("stored_reading"));
    ASSERT_OK_AND_ASSIGN(ErrorBody decoded, ErrorBodyFromJson(json));
    EXPECT_EQ(decoded, error);
  }
  Json malformed = ToJson(error);
  malformed["stored_reading"] = Json{{"physical_ms", "soon"}, {"counter", 0}};
  EXPECT_THAT(ErrorBodyFromJson(malformed).status(), StatusIs(StatusCode::kInvalidArgument));
  malformed["stored_reading"] = Json{{"physical_ms", -1}, {"counter", 0}};
  EXPECT_THAT(ErrorBodyFromJson(malformed).status(), StatusIs(StatusCode::kInvalidArgument));
}

TEST(JsonCodec, TheProtocolVersionIsRequiredAndItsMajorChecked) {
  Json json = ToJson(testing::SampleRequest(1));
  json.erase("protocol");
  EXPECT_THAT(SyncRequestFromJson(json).status(), StatusIs(StatusCode::kInvalidArgument));
  json["protocol"] = "2.0";
  EXPECT_THAT(SyncRequestFromJson(json).status(), StatusIs(StatusCode::kFailedPrecondition));
  json["protocol"] = "1.9";
  EXPECT_TRUE(SyncRequestFromJson(json).ok());
  json["protocol"] = "one";
  EXPECT_THAT(SyncRequestFromJson(json).status(), StatusIs(StatusCode::kInvalidArgument));
}

TEST(JsonCodec, WrongShapesNameThePartNotTheValue) {
  Json json = ToJson(testing::SampleRequest(1));
  json["changes"] = "secret text";
  const auto decoded = SyncRequestFromJson(json);
  EXPECT_THAT(decoded.status(), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_NE(decoded.status().message().find("changes"), std::string::npos);
  EXPECT_EQ(decoded.status().message().find("secret"), std::string::npos);
  EXPECT_THAT(SyncRequestFromJson(Json::array()).status(), StatusIs(StatusCode::kInvalidArgument));
}

TEST(JsonCodec, BodiesThatAreNotJsonOrNestTooDeepAreRefused) {
  EXPECT_THAT(ParseJsonBody("{\"protocol\":").status(), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseJsonBody(std::string(10000, '[') + std::string(10000, ']')).status(),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_TRUE(ParseJsonBody("{\"a\": [1, 2]}").ok());
}

}  // namespace
}  // namespace outreach::protocol
