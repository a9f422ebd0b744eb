// Review finding (a): a 1.1 device and a 1.0 server. The device writes its sync requests in
// 1.0 until the server has shown it speaks 1.1 (GET /v1/schemas at enrolment, or a sync
// answer's header), and remembers what it was shown across restarts. The server is scripted
// as each version answers (tests/client-sdk/scripted_client_fixture.h, SyncAnswer).
#include <gtest/gtest.h>

#include <vector>

#include "client-sdk/client.h"
#include "core/protocol/binary_codec.h"
#include "tests/client-sdk/scripted_client_fixture.h"
#include "tests/testing/status_matchers.h"

namespace outreach {
namespace {

using ::outreach::testing::Contact;
using ::outreach::testing::IsOk;
using ::outreach::testing::RecordedRequest;
using ::outreach::testing::ScriptedResponse;
using ::outreach::testing::SyncAnswer;

constexpr protocol::ProtocolVersion k1_0{1, 0};
constexpr protocol::ProtocolVersion k1_1{1, 1};

class ClientProtocolTest : public ::outreach::testing::ScriptedClientFixture {
 protected:
  // One sync against a server of `version` whose schemas hash `schemas_hash`: the requests it
  // answered or refused (a push's answer carries the page: no pull follows a last push).
  std::vector<protocol::SyncRequest> SyncWith(protocol::ProtocolVersion version,
                                              const std::string& schemas_hash = "test") {
    const std::size_t before = server_.Requests().size();
    server_.SetFallback(
        ScriptedResponse::From([version, schemas_hash](const RecordedRequest& request) {
          return SyncAnswer(request, version, schemas_hash);
        }));
    EXPECT_THAT(client_->Sync().status(), IsOk());
    std::vector<protocol::SyncRequest> sent;
    const auto requests = server_.Requests();
    for (std::size_t index = before; index < requests.size(); ++index) {
      auto decoded = protocol::DecodeBinaryRequest(requests[index].body);
      EXPECT_THAT(decoded.status(), IsOk());
      if (decoded.ok()) sent.push_back(*std::move(decoded));
    }
    EXPECT_FALSE(sent.empty());
    return sent;
  }
};

TEST_F(ClientProtocolTest, ADevicePushesInBinaryToA1_0Server) {
  ASSERT_THAT(client_->Create("contact", Contact("Park")).status(), IsOk());
  const auto sent = SyncWith(k1_0);
  ASSERT_EQ(sent.size(), 1u) << "its answer carried the page: no pull after it";
  EXPECT_EQ(sent[0].changes.size(), 1u);
  for (const auto& request : sent) EXPECT_EQ(request.version, k1_0);
  ASSERT_OK_AND_ASSIGN(ClientStatus status, client_->GetStatus());
  EXPECT_EQ(status.pending, 0) << "the 1.0 server took the change";
  // Restarted, the device still writes what a 1.0 server reads.
  ASSERT_NO_FATAL_FAILURE(Reopen());
  ASSERT_THAT(client_->Create("contact", Contact("Market")).status(), IsOk());
  for (const auto& request : SyncWith(k1_0)) EXPECT_EQ(request.version, k1_0);
}

TEST_F(ClientProtocolTest, OnceASyncAnswerSays1_1TheDeviceWrites1_1) {
  // More than a sync's first batch (100): a second push follows the first's answer.
  for (int i = 0; i < 101; ++i) {
    ASSERT_THAT(client_->Create("contact", Contact("Park " + std::to_string(i))).status(), IsOk());
  }
  const auto first = SyncWith(k1_1);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].version, k1_0) << "nothing seen yet: 1.0, which every 1.x server reads";
  EXPECT_EQ(first[1].version, k1_1) << "the push's answer said 1.1";
  EXPECT_EQ(first[1].changes.size(), 1u);
  ASSERT_NO_FATAL_FAILURE(Reopen());
  const auto second = SyncWith(k1_1);
  EXPECT_EQ(second[0].version, k1_1) << "remembered across a restart";
  EXPECT_EQ(second[0].schemas_hash, "test") << "1.1 carries the device's schema set";
}

TEST_F(ClientProtocolTest, ASchemasAnswerSaying1_1IsEnoughFromTheFirstSync) {
  ASSERT_NO_FATAL_FAILURE(Enrol("1.1", "second-device"));
  EXPECT_EQ(SyncWith(k1_1)[0].version, k1_1);
}

// Review 2, finding 2: the server is rolled back to 1.0 after the device saw it speak 1.1. The
// 1.0 server refuses the 1.1 push as malformed; the device writes it again in 1.0 and keeps
// writing 1.0, across a restart too.
TEST_F(ClientProtocolTest, ADeviceThatSaw1_1StillSyncsWithARolledBack1_0Server) {
  ASSERT_THAT(client_->Create("contact", Contact("Park")).status(), IsOk());
  (void)SyncWith(k1_1);  // its answer says 1.1
  ASSERT_EQ(SyncWith(k1_1).back().version, k1_1);
  // More than a sync's first push (100): a second push follows the one refused and resent.
  for (int i = 0; i < 101; ++i) {
    ASSERT_THAT(client_->Create("contact", Contact("Market " + std::to_string(i))).status(),
                IsOk());
  }
  const auto sent = SyncWith(k1_0);
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[0].version, k1_1) << "refused: 400 malformed_body";
  EXPECT_EQ(sent[1].changes.size(), 100u) << "the same push again";
  EXPECT_EQ(sent[1].version, k1_0);
  EXPECT_EQ(sent[2].changes.size(), 1u);
  EXPECT_EQ(sent[2].version, k1_0) << "and every request after it in that sync";
  ASSERT_OK_AND_ASSIGN(ClientStatus status, client_->GetStatus());
  EXPECT_EQ(status.pending, 0) << "the 1.0 server took the change";
  ASSERT_NO_FATAL_FAILURE(Reopen());
  ASSERT_THAT(client_->Create("contact", Contact("Bus station")).status(), IsOk());
  for (const auto& request : SyncWith(k1_0)) EXPECT_EQ(request.version, k1_0);
}

// A schemas answer without `protocol` is a 1.0 server's: the device stores 1.0 from it. Here
// the server is rolled back between a push's answer (1.1, new schemas) and the fetch of its
// schemas; after a restart the device's first request is 1.0, not a 1.1 the server refuses.
TEST_F(ClientProtocolTest, ASchemasAnswerWithoutProtocolIsA1_0Server) {
  ASSERT_NO_FATAL_FAILURE(Enrol("1.1", "second-device"));
  ASSERT_THAT(client_->Create("contact", Contact("Park")).status(), IsOk());
  server_.Enqueue(ScriptedResponse::From([](const RecordedRequest& request) {
    return SyncAnswer(request, k1_1, "new");
  }));
  server_.Enqueue(ScriptedResponse::Answer(200, ::outreach::testing::SchemasAnswer("", "new")));
  server_.SetFallback(ScriptedResponse::From([](const RecordedRequest& request) {
    return SyncAnswer(request, k1_0, "new");
  }));
  ASSERT_THAT(client_->Sync().status(), IsOk());
  ASSERT_NO_FATAL_FAILURE(Reopen());
  ASSERT_THAT(client_->Create("contact", Contact("Market")).status(), IsOk());
  const auto sent = SyncWith(k1_0, "new");
  ASSERT_FALSE(sent.empty());
  EXPECT_EQ(sent[0].version, k1_0);
}

}  // namespace
}  // namespace outreach
