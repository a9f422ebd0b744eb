// Bad input over the wire: each gets the right 4xx with a JSON error, nothing is written, and
// the server goes on serving.
#include <gtest/gtest.h>

#include "core/model/uuid.h"
#include "core/protocol/binary_codec.h"
#include "core/protocol/json_codec.h"
#include "tests/e2e/e2e_util.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace outreach::testing {
namespace {

using model::Json;

class BadInput : public ::testing::Test {
 protected:
  void SetUp() override {
    device_ = EnrolRaw(server_, server_.NewUserCode("north", "ana", "worker", true));
    // One record, so "nothing written" can be checked against a non-empty store.
    protocol::SyncRequest push;
    push.changes.push_back(device_.NewContact(1'764'000'000'000, 1));
    ASSERT_EQ(device_.Sync(push).status, 200);
    created_ = push.changes[0];
    baseline_ = Pulled();
    stored_ = StoreCounts();
    ASSERT_EQ(stored_, "records=1 changes=1 last_sequence=1");
  }

  // What the server's store holds, read by `outreach-server admin stats` from the store file
  // itself: "records=N changes=N last_sequence=N" (records, remembered change ids, the
  // sequence of the latest record saved). Devices and bytes on disk are left out: a pull
  // marks its device seen.
  std::string StoreCounts() {
    const std::string stats = server_.Admin({"stats"});
    return stats.substr(0, stats.find(" devices="));
  }

  // Nothing was written by the request just refused: the pull and the store are as they were.
  void ExpectNothingWritten(const std::string& what) {
    EXPECT_EQ(Pulled(), baseline_) << "something was written by: " << what;
    EXPECT_EQ(StoreCounts(), stored_) << "something was written by: " << what;
  }

  std::string Pulled() {
    const auto answer = device_.Sync({});
    EXPECT_EQ(answer.status, 200);
    auto response = protocol::DecodeBinaryResponse(answer.body);
    EXPECT_TRUE(response.ok());
    std::string records;
    for (const auto& record : response->records) records += protocol::EncodeRecordState(record);
    return records;
  }

  // Sends `body`; expects `status` with a JSON error body naming `error`; then checks the
  // server still answers and holds exactly what it held before.
  void ExpectRefused(const std::string& content_type, const std::string& body, int status,
                     const std::string& error, const std::string& token) {
    const auto answer = device_.Post("/v1/sync", content_type, body, token);
    EXPECT_EQ(answer.status, status) << error << ": " << answer.body.substr(0, 200);
    EXPECT_EQ(answer.content_type, "application/json");
    const Json json = Json::parse(answer.body, nullptr, false);
    ASSERT_TRUE(json.is_object()) << error;
    EXPECT_EQ(json.value("error", ""), error);
    ExpectNothingWritten(error);
  }
  void ExpectRefused(const std::string& content_type, const std::string& body, int status,
                     const std::string& error) {
    ExpectRefused(content_type, body, status, error, device_.identity.token);
  }

  std::string Binary(const protocol::SyncRequest& request) { return protocol::EncodeBinary(request); }
  const std::string kBinary = std::string(protocol::kBinaryContentType);

  TempDir dir_;
  ServerProcess server_{dir_.path(), ServerLimits{1 << 20, 50}};
  RawDevice device_;
  model::Change created_;  // the one contact the store holds
  std::string baseline_;
  std::string stored_;
};

TEST_F(BadInput, MalformedBodies) {
  ExpectRefused(kBinary, "not a sync body at all", 400, "malformed_body");
  std::string truncated = Binary({});
  truncated.resize(truncated.size() - 3);
  ExpectRefused(kBinary, truncated, 400, "malformed_body");
  ExpectRefused("application/json", "{\"protocol\": \"1.0\", \"changes\": [", 400, "malformed_body");
  ExpectRefused("application/json", "{\"protocol\": \"1.0\", \"changes\": 7}", 400, "malformed_body");
  ExpectRefused("application/json", "{\"protocol\": \"2.0\"}", 400, "unsupported_protocol");
  ExpectRefused("text/plain", "{}", 415, "unsupported_media_type");
}

TEST_F(BadInput, OversizedBodiesAndTooManyChanges) {
  ExpectRefused(kBinary, std::string(2 << 20, 'x'), 413, "body_too_large");
  protocol::SyncRequest many;
  for (int i = 0; i < 51; ++i) many.changes.push_back(device_.NewContact(1'764'000'001'000 + i, 10 + i));
  ExpectRefused(kBinary, Binary(many), 413, "too_many_changes");
}

TEST_F(BadInput, InvalidChangesAreRefusedWithNothingApplied) {
  protocol::SyncRequest unknown;
  unknown.changes.push_back(device_.NewContact(1'764'000'002'000, 20));
  unknown.changes.back().collection = "diary";
  ExpectRefused(kBinary, Binary(unknown), 422, "invalid_changes");

  protocol::SyncRequest invalid;
  invalid.changes.push_back(device_.NewContact(1'764'000'002'100, 21));  // valid
  invalid.changes.push_back(device_.NewContact(1'764'000'002'200, 22));
  invalid.changes.back().registers["contact_type"].value = "party";     // not in the enum
  const auto answer = device_.Sync(invalid);
  EXPECT_EQ(answer.status, 422);
  auto error = protocol::ErrorBodyFromJson(Json::parse(answer.body));
  ASSERT_OK(error.status());
  ASSERT_EQ(error->rejected.size(), 1u);
  EXPECT_EQ(error->rejected[0].change_id, invalid.changes[1].change_id);
  EXPECT_NE(error->rejected[0].reason.find("/contact_type"), std::string::npos);
  EXPECT_EQ(error->rejected[0].reason.find("party"), std::string::npos) << "values never echoed";
  ExpectNothingWritten("a push with an invalid change");
}

// Valid on its own, invalid on the record its author had seen (its own contact): found only
// once merged, inside the push's transaction, which is then rolled back whole.
TEST_F(BadInput, AChangeBreakingARuleOnlyOnTheMergedRecordIsRefusedWithNothingApplied) {
  protocol::SyncRequest push;
  push.changes.push_back(device_.NewContact(1'764'000'003'000, 30));  // valid
  model::Change edit;
  edit.change_id = model::NewUuidV7(1'764'000'003'100);
  edit.record_id = created_.record_id;
  edit.collection = "contact";
  edit.team = created_.team;
  edit.schema_version = "1.0";
  edit.version = model::Version{model::Hlc{1'764'000'003'100, 0}, device_.identity.device_id};
  edit.author = device_.identity.user_id;
  edit.author_role = device_.identity.role;
  // Submitted with a disclosure, but without its details, actions or sharing decision.
  edit.registers["status"].value = "submitted";
  edit.registers["status"].base.Add(created_.version);
  edit.registers["disclosure_made"].value = true;
  push.changes.push_back(edit);
  const auto answer = device_.Sync(push);
  EXPECT_EQ(answer.status, 422) << answer.body.substr(0, 300);
  auto error = protocol::ErrorBodyFromJson(Json::parse(answer.body));
  ASSERT_OK(error.status());
  EXPECT_EQ(error->error, "invalid_changes");
  ASSERT_EQ(error->rejected.size(), 1u);
  EXPECT_EQ(error->rejected[0].change_id, edit.change_id);
  EXPECT_NE(error->rejected[0].reason.find("/disclosure_details"), std::string::npos);
  ExpectNothingWritten("a change breaking a rule on the merged record");
}

TEST_F(BadInput, MissingForgedAndRevokedTokens) {
  ExpectRefused(kBinary, Binary({}), 401, "unauthenticated", "");
  ExpectRefused(kBinary, Binary({}), 401, "unauthenticated", "ost_forged-token-000000000000000000");
  RawDevice revoked = EnrolRaw(server_, server_.NewUserCode("north", "ben", "worker", false));
  server_.Admin({"revoke", revoked.identity.device_id});
  const auto answer = revoked.Sync({});
  EXPECT_EQ(answer.status, 403);
  const Json json = Json::parse(answer.body);
  EXPECT_EQ(json.value("error", ""), "device_revoked");
  EXPECT_EQ(json.value("wipe", false), true);
  ExpectNothingWritten("a revoked device");
}

TEST_F(BadInput, ARevokedSdkDeviceWipesItself) {
  auto device = EnrolDevice(dir_.File("lost-tablet"), server_, server_.NewUserCode("north", "cal", "worker", false));
  ASSERT_OK(device->Create("contact", ContactValues("cal", 5)).status());
  ASSERT_OK_AND_ASSIGN(auto status, device->GetStatus());
  server_.Admin({"revoke", status.device_id});
  ASSERT_OK_AND_ASSIGN(auto summary, device->Sync());
  EXPECT_TRUE(summary.wiped);
  EXPECT_FALSE(std::filesystem::exists(dir_.File("lost-tablet/device.db.key")));
  EXPECT_FALSE(std::filesystem::exists(dir_.File("lost-tablet/device.db")));
  EXPECT_THAT(device->List("contact"), StatusIs(StatusCode::kFailedPrecondition));
}

// The server here takes 50 changes per push; the SDK sends 500 by default and halves the batch
// it sent on "too_many_changes" until the server takes it.
TEST_F(BadInput, AnSdkDeviceAdaptsToTheServersPushLimit) {
  auto device = EnrolDevice(dir_.File("busy-tablet"), server_, server_.NewUserCode("north", "dee", "worker", false));
  for (int i = 0; i < 70; ++i) ASSERT_OK(device->Create("contact", ContactValues("dee", i)).status());
  ASSERT_OK_AND_ASSIGN(auto summary, device->Sync());
  EXPECT_EQ(summary.pushed, 70);
  ASSERT_OK_AND_ASSIGN(auto status, device->GetStatus());
  EXPECT_EQ(status.pending, 0);
}

// The server here takes bodies of at most 1 MiB. Contacts with long summaries (60 KB each, of
// text that compresses little) make a batch of 40 too big: the SDK halves the batch it sent on
// "body_too_large" until each push fits, and every contact reaches the server.
TEST_F(BadInput, AnSdkDeviceSplitsABatchTooBigForTheServersBodyLimit) {
  auto device = EnrolDevice(dir_.File("wordy-tablet"), server_, server_.NewUserCode("north", "eve", "worker", false));
  std::uint32_t seed = 7;
  for (int i = 0; i < 40; ++i) {
    Json values = ContactValues("eve", i);
    std::string text;
    while (text.size() < 60'000) {
      seed = seed * 1'103'515'245u + 12'345u;
      text += static_cast<char>('a' + (seed >> 16) % 26);
      if ((seed >> 8) % 7 == 0) text += ' ';
    }
    values["summary"][0]["text"] = text;
    ASSERT_OK(device->Create("contact", values).status());
  }
  ASSERT_OK_AND_ASSIGN(auto summary, device->Sync());
  EXPECT_EQ(summary.pushed, 40);
  EXPECT_GT(summary.requests, 2) << "the first batch was refused as too big, then split";
  ASSERT_OK_AND_ASSIGN(auto status, device->GetStatus());
  EXPECT_EQ(status.pending, 0);
  EXPECT_EQ(StoreCounts().substr(0, 11), "records=41 ");
}

}  // namespace
}  // namespace outreach::testing
