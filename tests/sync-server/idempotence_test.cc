// I3: a push retried (the tablet never got the answer, or a proxy replayed it) has the effect
// of the first one: later copies are duplicates, the store and every pull stay as they were.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/model/record_codec.h"
#include "core/protocol/binary_codec.h"
#include "tests/sync-server/sync_fixture.h"
#include "tests/testing/status_matchers.h"

namespace outreach::server::testing {
namespace {

using model::Json;
using ::outreach::testing::IsOk;

class IdempotenceTest : public TeammatesFixture {
 protected:
  // A pull from the beginning as `device`: cursor and every record's canonical form.
  std::pair<std::string, std::vector<std::string>> FullPull(const DeviceHarness& device) {
    auto reply = server_->service().Sync(ServerDevice(device), protocol::SyncRequest{});
    EXPECT_EQ(HttpStatus(reply), 200);
    if (HttpStatus(reply) != 200) return {};
    std::vector<std::string> records;
    for (const std::string& bytes : std::get<SyncReply>(reply).encoded_records) {
      auto state = protocol::DecodeRecordState(bytes);
      EXPECT_THAT(state, IsOk());
      if (state.ok()) records.push_back(model::CanonicalRecord(*state));
    }
    return {std::get<SyncReply>(reply).response.cursor, records};
  }
};

TEST_F(IdempotenceTest, SamePushTenTimesIsAppliedOnce) {
  const auto ids = CreateYoungPeople(*ana_, {"Skye", "Jay"});
  ASSERT_EQ(ids.size(), 2u);
  const std::string& skye = ids[0];
  const std::string& jay = ids[1];
  server_->clock().Advance(1000);
  ASSERT_THAT(ana_->replica().Update(skye, Json{{"address", "1 High St"}, {"aliases", {"S"}}}), IsOk());
  ASSERT_OK_AND_ASSIGN(const protocol::SyncRequest push, ana_->PendingRequest());
  ASSERT_EQ(push.changes.size(), 3u);
  const Device device = ServerDevice(*ana_);

  std::string first_cursor;
  for (int attempt = 0; attempt < 10; ++attempt) {
    SCOPED_TRACE("attempt " + std::to_string(attempt));
    auto reply = server_->service().Sync(device, push);
    ASSERT_EQ(HttpStatus(reply), 200) << Describe(RefusalOf(reply));
    const SyncReply& answer = std::get<SyncReply>(reply);
    ASSERT_EQ(answer.response.results.size(), 3u);
    const auto expected = attempt == 0 ? protocol::Outcome::kApplied : protocol::Outcome::kDuplicate;
    for (std::size_t i = 0; i < 3; ++i) {
      EXPECT_EQ(answer.response.results[i].change_id, push.changes[i].change_id);
      EXPECT_EQ(answer.response.results[i].outcome, expected);
    }
    EXPECT_EQ(answer.changes_applied, attempt == 0 ? 3 : 0);
    // Every attempt pulls from the same cursor and ends at the same one: no new sequence.
    // The first answer leaves out the records the device can fold itself (it held them as
    // they were); a replay's duplicates cannot be folded (the device may have applied the
    // first answer), so both records come back.
    EXPECT_EQ(answer.encoded_records.size(), attempt == 0 ? 0u : 2u);
    if (attempt == 0) first_cursor = answer.response.cursor;
    EXPECT_EQ(answer.response.cursor, first_cursor);
  }
  EXPECT_EQ(StoreCounts(), std::make_pair(std::int64_t{2}, std::int64_t{3}));

  const auto before = FullPull(*ben_);
  // The device's own round after the replays: its changes come back as duplicates, accepted.
  const SyncRound round = Synced(*ana_);
  for (const auto& result : round.results) EXPECT_EQ(result.outcome, protocol::Outcome::kDuplicate);
  ASSERT_OK_AND_ASSIGN(auto unsent, ana_->replica().Outbox(replica::OutboxStatus::kPending));
  EXPECT_TRUE(unsent.empty());
  EXPECT_EQ(FullPull(*ben_), before) << "duplicates changed nothing";
  const SyncRound pulled = Synced(*ben_);
  EXPECT_EQ(pulled.pulled.size(), 2u);
  ExpectSameRecord(*ana_, *ben_, skye);
  ExpectSameRecord(*ana_, *ben_, jay);
}

TEST_F(IdempotenceTest, RetryMixingSentAndNewChangesAppliesOnlyTheNewOnes) {
  ASSERT_OK_AND_ASSIGN(std::string skye, ana_->replica().Create("young_person", YoungPerson(*ana_, "Skye")));
  ASSERT_OK_AND_ASSIGN(const protocol::SyncRequest lost, ana_->PendingRequest());
  // The push arrives, its answer does not; the worker keeps working offline.
  ASSERT_EQ(HttpStatus(server_->service().Sync(ServerDevice(*ana_), lost)), 200);
  server_->clock().Advance(1000);
  ASSERT_THAT(ana_->replica().Update(skye, Json{{"address", "2 Low Rd"}}), IsOk());

  const SyncRound round = Synced(*ana_);
  ASSERT_EQ(round.results.size(), 2u);
  EXPECT_EQ(round.results[0].outcome, protocol::Outcome::kDuplicate);
  EXPECT_EQ(round.results[1].outcome, protocol::Outcome::kApplied);
  EXPECT_EQ(StoreCounts(), std::make_pair(std::int64_t{1}, std::int64_t{2}));
  Synced(*ben_);
  ExpectSameRecord(*ana_, *ben_, skye);
  ASSERT_OK_AND_ASSIGN(replica::RecordView view, ben_->replica().Get(skye));
  EXPECT_EQ(view.values["address"], "2 Low Rd");
}

}  // namespace
}  // namespace outreach::server::testing
