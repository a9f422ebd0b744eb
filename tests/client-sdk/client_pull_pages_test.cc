// A pull's pages: each page's thread asks for the next from that page's head, before the page
// is decoded. The next page is asked for from exactly the cursor the page gave, and never
// past a page whose head says the schemas changed: those are fetched first, and the pages
// after come on the new schemas.
#include <gtest/gtest.h>

#include <atomic>

#include "client-sdk/client.h"
#include "tests/client-sdk/scripted_client_fixture.h"
#include "tests/testing/status_matchers.h"

namespace outreach {
namespace {

using ::outreach::testing::IsOk;
using ::outreach::testing::RecordedRequest;
using ::outreach::testing::ScriptedResponse;

class ClientPullPagesTest : public ::outreach::testing::ScriptedClientFixture {
 protected:
  // A page of nothing (the pages' order is what is tested) that ends at `cursor`.
  static ScriptedResponse Page(const std::string& cursor, bool has_more,
                               const std::string& schemas_hash = "test",
                               bool schemas_changed = false) {
    protocol::SyncResponse response;
    response.cursor = cursor;
    response.has_more = has_more;
    response.schemas_hash = schemas_hash;
    response.directives.schemas_changed = schemas_changed;
    return ScriptedResponse::Answer(200, protocol::EncodeBinary(response))
        .WithContentType(std::string(protocol::kBinaryContentType));
  }

  // What the device asked for, in order: "sync <cursor>" or "schemas".
  std::vector<std::string> Asked() const {
    std::vector<std::string> asked;
    for (const RecordedRequest& request : server_.Requests()) {
      if (request.target == "/v1/sync") {
        auto decoded = protocol::DecodeBinaryRequest(request.body);
        asked.push_back(decoded.ok() ? "sync " + decoded->cursor : "malformed");
      } else if (request.target == "/v1/schemas") {
        asked.push_back("schemas");
      }
    }
    return asked;
  }
};

TEST_F(ClientPullPagesTest, EachPageIsAskedForFromTheCursorThePageBeforeGave) {
  const std::size_t before = Asked().size();
  server_.Enqueue(Page("c1", true));
  server_.Enqueue(Page("c2", true));
  server_.Enqueue(Page("c3", true));
  server_.Enqueue(Page("c4", false));
  ASSERT_OK_AND_ASSIGN(SyncSummary summary, client_->Sync());
  EXPECT_EQ(summary.requests, 4);
  std::vector<std::string> asked = Asked();
  asked.erase(asked.begin(), asked.begin() + static_cast<long>(before));
  EXPECT_EQ(asked, (std::vector<std::string>{"sync ", "sync c1", "sync c2", "sync c3"}));

  // The next sync starts where the last page ended.
  server_.Enqueue(Page("c4", false));
  ASSERT_THAT(client_->Sync().status(), IsOk());
  EXPECT_EQ(Asked().back(), "sync c4");
}

// The first page is small and each after it twice the one before, up to the sync's page
// size: the device starts applying sooner. A push asks for a whole page (its answer leaves out
// what the push wrote only within its own page).
TEST_F(ClientPullPagesTest, PagesGrowFromTheFirstPageSizeToThePageSize) {
  const std::size_t before = server_.Requests().size();
  for (int i = 0; i < 5; ++i) server_.Enqueue(Page("c" + std::to_string(i + 1), i < 4));
  SyncOptions options;
  options.first_page_size = 100;
  options.page_size = 500;
  ASSERT_THAT(client_->Sync(options).status(), IsOk());
  std::vector<std::uint32_t> sizes;
  for (std::size_t i = before; i < server_.Requests().size(); ++i) {
    auto decoded = protocol::DecodeBinaryRequest(server_.Requests()[i].body);
    ASSERT_THAT(decoded.status(), IsOk());
    sizes.push_back(decoded->page_size);
  }
  EXPECT_EQ(sizes, (std::vector<std::uint32_t>{100, 200, 400, 500, 500}));

  ASSERT_THAT(client_->Create("contact", ::outreach::testing::Contact("Park")).status(), IsOk());
  server_.Enqueue(Page("c6", false));
  ASSERT_THAT(client_->Sync(options).status(), IsOk());
  auto push = protocol::DecodeBinaryRequest(server_.Requests().back().body);
  ASSERT_THAT(push.status(), IsOk());
  EXPECT_EQ(push->changes.size(), 1u);
  EXPECT_EQ(push->page_size, 500u);
}

// The last push's answer says there is more to pull: the sync goes on pulling from its cursor
// until a page says there is no more, the outbox empty all along.
TEST_F(ClientPullPagesTest, ALastPushWhoseAnswerHasMoreToPullGoesOnPulling) {
  ASSERT_THAT(client_->Create("contact", ::outreach::testing::Contact("Park")).status(), IsOk());
  const std::size_t before = Asked().size();
  server_.Enqueue(ScriptedResponse::From([](const RecordedRequest& request) {
    auto decoded = protocol::DecodeBinaryRequest(request.body);
    protocol::SyncResponse response;
    if (decoded.ok()) {
      for (const model::Change& change : decoded->changes) {
        response.results.push_back({change.change_id, protocol::Outcome::kApplied, ""});
      }
    }
    response.cursor = "c1";
    response.has_more = true;
    response.schemas_hash = "test";
    return ScriptedResponse::Answer(200, protocol::EncodeBinary(response))
        .WithContentType(std::string(protocol::kBinaryContentType));
  }));
  server_.Enqueue(Page("c2", true));
  server_.Enqueue(Page("c3", false));
  ASSERT_OK_AND_ASSIGN(SyncSummary summary, client_->Sync());
  EXPECT_EQ(summary.pushed, 1);
  EXPECT_EQ(summary.requests, 3);
  std::vector<std::string> asked = Asked();
  asked.erase(asked.begin(), asked.begin() + static_cast<long>(before));
  EXPECT_EQ(asked, (std::vector<std::string>{"sync ", "sync c1", "sync c2"}));
  ASSERT_OK_AND_ASSIGN(ClientStatus status, client_->GetStatus());
  EXPECT_EQ(status.pending, 0);
}

// A first push of 100 refused as too many changes goes again as half of it, and the rest
// follow at that size: every change pushed once accepted.
TEST_F(ClientPullPagesTest, AFirstPushRefusedAsTooManyChangesGoesAgainAsHalf) {
  for (int i = 0; i < 101; ++i) {
    ASSERT_THAT(
        client_->Create("contact", ::outreach::testing::Contact("Park " + std::to_string(i)))
            .status(),
        IsOk());
  }
  const std::size_t before = server_.Requests().size();
  protocol::ErrorBody too_many{"too_many_changes", "at most 50", 0, false, {}, std::nullopt};
  server_.Enqueue(ScriptedResponse::Answer(413, protocol::ToJson(too_many).dump()));
  server_.SetFallback(ScriptedResponse::From([](const RecordedRequest& request) {
    return ::outreach::testing::SyncAnswer(request, protocol::kProtocolVersion);
  }));
  ASSERT_OK_AND_ASSIGN(SyncSummary summary, client_->Sync());
  EXPECT_EQ(summary.pushed, 101);
  std::vector<std::size_t> sizes;
  for (std::size_t i = before; i < server_.Requests().size(); ++i) {
    auto decoded = protocol::DecodeBinaryRequest(server_.Requests()[i].body);
    ASSERT_THAT(decoded.status(), IsOk());
    sizes.push_back(decoded->changes.size());
  }
  EXPECT_EQ(sizes, (std::vector<std::size_t>{100, 50, 50, 1}));
  ASSERT_OK_AND_ASSIGN(ClientStatus status, client_->GetStatus());
  EXPECT_EQ(status.pending, 0);
}

TEST_F(ClientPullPagesTest, APageSayingTheSchemasChangedIsFollowedByTheirFetchFirst) {
  const std::size_t before = Asked().size();
  server_.Enqueue(Page("c1", true));
  server_.Enqueue(Page("c2", true, "new", /*schemas_changed=*/true));
  server_.Enqueue(ScriptedResponse::Answer(200, ::outreach::testing::SchemasAnswer("", "new")));
  server_.Enqueue(Page("c3", true, "new"));
  server_.Enqueue(Page("c4", false, "new"));
  ASSERT_THAT(client_->Sync().status(), IsOk());
  std::vector<std::string> asked = Asked();
  asked.erase(asked.begin(), asked.begin() + static_cast<long>(before));
  EXPECT_EQ(asked, (std::vector<std::string>{"sync ", "sync c1", "schemas", "sync c2", "sync c3"}));
}

// A 1.0 server's answers carry no directive: a page whose hash is not the device's is followed
// by the fetch as well.
TEST_F(ClientPullPagesTest, APageOfAnotherSchemasHashIsFollowedByTheirFetchFirst) {
  const std::size_t before = Asked().size();
  server_.Enqueue(Page("c1", true, "new"));
  server_.Enqueue(ScriptedResponse::Answer(200, ::outreach::testing::SchemasAnswer("", "new")));
  server_.Enqueue(Page("c2", false, "new"));
  ASSERT_THAT(client_->Sync().status(), IsOk());
  std::vector<std::string> asked = Asked();
  asked.erase(asked.begin(), asked.begin() + static_cast<long>(before));
  EXPECT_EQ(asked, (std::vector<std::string>{"sync ", "schemas", "sync c1"}));
}

// Cancelled between pages, with the next page already asked for: the sync stops (aborted),
// and the next sync starts from the last page applied, so no page is skipped.
TEST_F(ClientPullPagesTest, ACancelBetweenPagesLeavesTheCursorAtTheLastPageApplied) {
  // Each page answered from the cursor asked for: c1 after "", c2 after c1 ... c6, the last.
  server_.SetFallback(ScriptedResponse::From([](const RecordedRequest& request) {
    auto asked = protocol::DecodeBinaryRequest(request.body);
    const int from = !asked.ok() || asked->cursor.empty() ? 0 : std::stoi(asked->cursor.substr(1));
    return Page("c" + std::to_string(from + 1), from + 1 < 6);
  }));
  const std::size_t before = Asked().size();
  std::atomic<bool> cancel{false};
  int applied = 0;
  SyncOptions options;
  options.cancel = &cancel;
  options.progress = [&](const SyncProgress& progress) {
    if (progress.phase == SyncPhase::kPull && ++applied == 3) cancel = true;
  };
  EXPECT_THAT(client_->Sync(options).status(), ::outreach::testing::StatusIs(StatusCode::kAborted));

  const std::size_t asked_first = Asked().size();
  ASSERT_OK_AND_ASSIGN(SyncSummary summary, client_->Sync());
  const std::vector<std::string> asked = Asked();
  ASSERT_GT(asked.size(), asked_first);
  EXPECT_EQ(asked[asked_first], "sync c3") << "three pages applied before the cancel";
  EXPECT_EQ(asked.back(), "sync c5");
  EXPECT_GE(asked_first - before, 3u);
  EXPECT_EQ(summary.requests, 3);  // c3 to c4, c4 to c5, c5 to c6 (the last)
}

}  // namespace
}  // namespace outreach
