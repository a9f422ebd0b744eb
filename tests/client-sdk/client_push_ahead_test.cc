// A push's next batch is read from the outbox while the push before it is on its way, but marked
// as sending only when it leaves. Against a server that says nothing of what it holds of the
// device (an older one), a clock_skew refusal of the first batch must leave that batch's
// readings out of the re-stamp's floor: marking the batch read ahead as sending would have
// counted them as possibly stored, and held every re-stamp a day ahead.
#include <gtest/gtest.h>

#include "client-sdk/client.h"
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

}  // namespace
}  // namespace outreach
