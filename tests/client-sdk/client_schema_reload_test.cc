// Review finding (f): a schema reload during a sync is all or nothing. The server's answer
// says its schemas changed; when fetching them fails (a set that would leave the device's
// records unreadable, or the connection cut), Sync returns a typed Status and the client
// keeps working on the schemas it has, across a restart too; a later good set is taken.
#include <gtest/gtest.h>

#include "client-sdk/client.h"
#include "tests/client-sdk/scripted_client_fixture.h"
#include "tests/testing/status_matchers.h"

namespace outreach {
namespace {

using ::outreach::testing::Contact;
using ::outreach::testing::IsOk;
using ::outreach::testing::RecordedRequest;
using ::outreach::testing::ScriptedResponse;
using ::outreach::testing::StatusIs;

class ClientSchemaReloadTest : public ::outreach::testing::ScriptedClientFixture {
 protected:
  // A sync answer from a server whose schemas hash "new" (not the device's "test").
  static ScriptedResponse ChangedSchemasSyncAnswer() {
    return ScriptedResponse::From([](const RecordedRequest& request) {
      return ::outreach::testing::SyncAnswer(request, protocol::kProtocolVersion, "new");
    });
  }

  // The device still reads, writes and knows its collections as before the failed reload.
  void ExpectStillWorking(const std::string& id, std::int64_t pending) {
    ASSERT_OK_AND_ASSIGN(auto collections, client_->Collections());
    EXPECT_EQ(collections, std::vector<std::string>{"contact"});
    ASSERT_OK_AND_ASSIGN(auto view, client_->Get(id));
    EXPECT_EQ(view.values["location_text"], "Park");
    ASSERT_OK_AND_ASSIGN(ClientStatus status, client_->GetStatus());
    EXPECT_EQ(status.pending, pending) << "nothing of the answer was applied";
  }
};

TEST_F(ClientSchemaReloadTest, ASetLackingTheDevicesCollectionIsRefusedAndTheOldOneKept) {
  ASSERT_OK_AND_ASSIGN(std::string id, client_->Create("contact", Contact("Park")));
  server_.Enqueue(ChangedSchemasSyncAnswer());
  server_.Enqueue(ScriptedResponse::Answer(
      200, model::Json{{"schemas_hash", "new"}, {"schemas", model::Json::object()}}.dump()));
  EXPECT_THAT(client_->Sync().status(), StatusIs(StatusCode::kFailedPrecondition));
  ASSERT_NO_FATAL_FAILURE(ExpectStillWorking(id, 1));
  ASSERT_THAT(client_->Create("contact", Contact("Market")).status(), IsOk());
  ASSERT_NO_FATAL_FAILURE(Reopen());
  ASSERT_NO_FATAL_FAILURE(ExpectStillWorking(id, 2));

  // The server's next set is good: taken, and the sync goes on with it.
  server_.Enqueue(ChangedSchemasSyncAnswer());
  server_.Enqueue(ScriptedResponse::Answer(200, ::outreach::testing::SchemasAnswer("", "new")));
  server_.SetFallback(ChangedSchemasSyncAnswer());
  EXPECT_THAT(client_->Sync().status(), IsOk());
  ASSERT_NO_FATAL_FAILURE(ExpectStillWorking(id, 0));
}

TEST_F(ClientSchemaReloadTest, AConnectionCutDuringTheReloadKeepsTheOldSchemas) {
  ASSERT_OK_AND_ASSIGN(std::string id, client_->Create("contact", Contact("Park")));
  server_.Enqueue(ChangedSchemasSyncAnswer());
  server_.SetFallback(ScriptedResponse::CloseWithoutAnswer());  // every retry of the GET
  EXPECT_THAT(client_->Sync().status(), StatusIs(StatusCode::kUnavailable));
  ASSERT_NO_FATAL_FAILURE(ExpectStillWorking(id, 1));
}

}  // namespace
}  // namespace outreach
