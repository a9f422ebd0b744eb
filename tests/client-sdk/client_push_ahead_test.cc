// A push's next batch is read from the outbox while the push before it is on its way, but marked
// as sending only when it leaves. Against a server that says nothing of what it holds of the
// device (an older one), a clock_skew refusal of the first batch must leave that batch's
// readings out of the re-stamp's floor: marking the batch read ahead as sending would have
// counted them as possibly stored, and held every re-stamp a day ahead. The batches grow while
// the pushes are answered quickly (SyncOptions::max_push_batch).
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "client-sdk/client.h"
#include "client-sdk/internal/sync_session.h"
#include "core/model/physical_clock.h"
#include "tests/client-sdk/scripted_client_fixture.h"
#include "tests/testing/status_matchers.h"

namespace outreach {
namespace {

using ::outreach::testing::IsOk;
using ::outreach::testing::RecordedRequest;
using ::outreach::testing::ScriptedResponse;

constexpr std::int64_t kDayMs = 24LL * 3600 * 1000;

class ClientPushAheadTest : public ::outreach::testing::ScriptedClientFixture {};

TEST_F(ClientPushAheadTest, ARefusedClockLeavesTheBatchReadAheadOutOfTheRestampFloor) {
  const std::int64_t now = model::SystemClock().NowMs();
  model::ManualClock fast(now + kDayMs);
  client_.reset();
  ClientOptions options;
  options.fast_kdf_for_tests = true;
  options.clock = &fast;
  ASSERT_OK_AND_ASSIGN(client_, Client::Open(dir_.File(device_), "passcode", options));
  for (int i = 0; i < 5; ++i) {
    ASSERT_THAT(client_->Create("contact", ::outreach::testing::Contact("Park")).status(), IsOk());
  }

  protocol::ErrorBody skew{"clock_skew", "the device clock is ahead", now, false, {}, std::nullopt};
  server_.Enqueue(ScriptedResponse::Answer(409, protocol::ToJson(skew).dump()));
  server_.SetFallback(ScriptedResponse::From([](const RecordedRequest& request) {
    return ::outreach::testing::SyncAnswer(request, protocol::kProtocolVersion);
  }));
  const std::size_t before = server_.Requests().size();
  SyncOptions batches_of_two;
  batches_of_two.push_batch = 2;
  ASSERT_OK_AND_ASSIGN(SyncSummary summary, client_->Sync(batches_of_two));
  EXPECT_EQ(summary.pushed, 5);

  // Every change the server took after its refusal was re-stamped near its time, not a day on.
  const auto requests = server_.Requests();
  int accepted = 0;
  for (std::size_t i = before + 1; i < requests.size(); ++i) {
    if (requests[i].target != "/v1/sync") continue;
    ASSERT_OK_AND_ASSIGN(protocol::SyncRequest push, protocol::DecodeBinaryRequest(requests[i].body));
    for (const model::Change& change : push.changes) {
      ++accepted;
      EXPECT_LT(change.version.hlc.physical_ms, now + kDayMs / 2) << change.change_id;
    }
  }
  EXPECT_EQ(accepted, 5);
}

// The changes of each push the server was sent since request `from`, in order.
std::vector<std::size_t> PushSizes(const std::vector<RecordedRequest>& requests, std::size_t from) {
  std::vector<std::size_t> sizes;
  for (std::size_t i = from; i < requests.size(); ++i) {
    if (requests[i].target != "/v1/sync") continue;
    auto push = protocol::DecodeBinaryRequest(requests[i].body);
    EXPECT_THAT(push.status(), IsOk());
    if (push.ok()) sizes.push_back(push->changes.size());
  }
  return sizes;
}

// A server that takes pushes of at most `most` changes (413 too_many_changes), all accepted.
ScriptedResponse RefusingPushesOver(std::size_t most) {
  return ScriptedResponse::From([most](const RecordedRequest& request) {
    auto push = protocol::DecodeBinaryRequest(request.body);
    if (push.ok() && push->changes.size() > most) {
      protocol::ErrorBody too_many{"too_many_changes", "at most " + std::to_string(most), 0,
                                   false, {}, std::nullopt};
      return ScriptedResponse::Answer(413, protocol::ToJson(too_many).dump());
    }
    return ::outreach::testing::SyncAnswer(request, protocol::kProtocolVersion);
  });
}

SyncOptions GrowingFromTwoToEight() {
  SyncOptions options;
  options.first_push_batch = 2;
  options.push_batch = 2;
  options.max_push_batch = 8;
  return options;
}

// Each push answered quickly doubles the batches after it, up to max_push_batch. (The batch
// read while a push is on its way goes at the size it was read at: growth shows one push on.)
TEST_F(ClientPushAheadTest, BatchesGrowWhilePushesAreAnsweredQuickly) {
  for (int i = 0; i < 30; ++i) {
    ASSERT_THAT(client_->Create("contact", ::outreach::testing::Contact("Park")).status(), IsOk());
  }
  server_.SetFallback(ScriptedResponse::From([](const RecordedRequest& request) {
    return ::outreach::testing::SyncAnswer(request, protocol::kProtocolVersion);
  }));
  const std::size_t before = server_.Requests().size();
  ASSERT_OK_AND_ASSIGN(SyncSummary summary, client_->Sync(GrowingFromTwoToEight()));
  EXPECT_EQ(summary.pushed, 30);
  EXPECT_EQ(PushSizes(server_.Requests(), before), (std::vector<std::size_t>{2, 2, 4, 8, 8, 6}));
}

// A push answered after more than kQuickPushMs does not grow the batches after it.
TEST_F(ClientPushAheadTest, ASlowAnswerDoesNotGrowTheBatches) {
  for (int i = 0; i < 10; ++i) {
    ASSERT_THAT(client_->Create("contact", ::outreach::testing::Contact("Park")).status(), IsOk());
  }
  const auto answer = [](const RecordedRequest& request) {
    return ::outreach::testing::SyncAnswer(request, protocol::kProtocolVersion);
  };
  server_.Enqueue(ScriptedResponse::From([answer](const RecordedRequest& request) {
    return answer(request).After(std::chrono::milliseconds(client::kQuickPushMs + 200));
  }));
  server_.SetFallback(ScriptedResponse::From(answer));
  const std::size_t before = server_.Requests().size();
  ASSERT_OK_AND_ASSIGN(SyncSummary summary, client_->Sync(GrowingFromTwoToEight()));
  EXPECT_EQ(summary.pushed, 10);
  EXPECT_EQ(PushSizes(server_.Requests(), before), (std::vector<std::size_t>{2, 2, 2, 4}));
}

// Once the server refuses a push as too many changes, the batches of that sync stay at the half
// that it took, however quickly it answers: growing past it would be refused again and again.
TEST_F(ClientPushAheadTest, BatchesNeverGrowPastWhatTheServerRefused) {
  for (int i = 0; i < 301; ++i) {
    ASSERT_THAT(client_->Create("contact", ::outreach::testing::Contact("Park")).status(), IsOk());
  }
  server_.SetFallback(RefusingPushesOver(50));
  const std::size_t before = server_.Requests().size();
  ASSERT_OK_AND_ASSIGN(SyncSummary summary, client_->Sync());
  EXPECT_EQ(summary.pushed, 301);
  EXPECT_EQ(PushSizes(server_.Requests(), before),
            (std::vector<std::size_t>{100, 50, 50, 50, 50, 50, 50, 1}));
}

// A push refused as too large after the batches grew: the batches go on at half of it, from a
// first push again (first_push_batch), and never grow past that half.
TEST_F(ClientPushAheadTest, ARefusalAfterGrowingHalvesTheBatchesForTheRestOfTheSync) {
  for (int i = 0; i < 30; ++i) {
    ASSERT_THAT(client_->Create("contact", ::outreach::testing::Contact("Park")).status(), IsOk());
  }
  server_.SetFallback(RefusingPushesOver(6));
  const std::size_t before = server_.Requests().size();
  ASSERT_OK_AND_ASSIGN(SyncSummary summary, client_->Sync(GrowingFromTwoToEight()));
  EXPECT_EQ(summary.pushed, 30);
  EXPECT_EQ(PushSizes(server_.Requests(), before),
            (std::vector<std::size_t>{2, 2, 4, 8, 2, 4, 4, 4, 4, 4}));
}

// The policy itself, a push answered slowly included (a test would wait over kSlowPushMs).
TEST(NextPushBatchTest, GrowsWhenQuickStaysWhenMiddlingFallsBackWhenSlow) {
  using client::NextPushBatch;
  constexpr std::size_t kPushBatch = 500;
  EXPECT_EQ(NextPushBatch(500, 2000, 0, kPushBatch), 1000u);
  EXPECT_EQ(NextPushBatch(1000, 2000, client::kQuickPushMs - 1, kPushBatch), 2000u);
  EXPECT_EQ(NextPushBatch(2000, 2000, 10, kPushBatch), 2000u) << "never past the limit";
  EXPECT_EQ(NextPushBatch(1000, 1500, 10, kPushBatch), 1500u);
  EXPECT_EQ(NextPushBatch(1000, 2000, client::kQuickPushMs, kPushBatch), 1000u);
  EXPECT_EQ(NextPushBatch(1000, 2000, client::kSlowPushMs, kPushBatch), 1000u);
  EXPECT_EQ(NextPushBatch(2000, 2000, client::kSlowPushMs + 1, kPushBatch), 500u);
  EXPECT_EQ(NextPushBatch(250, 250, client::kSlowPushMs + 1, kPushBatch), 250u)
      << "a batch the server cut below push_batch stays cut";
  EXPECT_EQ(NextPushBatch(250, 250, 10, kPushBatch), 250u);
}

}  // namespace
}  // namespace outreach
