// I4 through paged pulls: a device pulling from its cursor gets every record of its team that
// changed after it, once per change, page after page, also while others write between its pages.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testing/test_scale.h"

#include <map>
#include <set>

#include "tests/sync-server/sync_fixture.h"
#include "tests/testing/status_matchers.h"

namespace outreach::server::testing {
namespace {

using model::Json;
using ::outreach::testing::IsOk;

// 2,500 records in pages of 1,000 (a fifth of that under the sanitizers, OUTREACH_TEST_SCALE).
const int kRecords = ::outreach::testing::Scaled(2500, 500);
const std::uint32_t kPageSize = static_cast<std::uint32_t>(kRecords * 2 / 5);

class PaginationTest : public TeammatesFixture {
 protected:
  // `count` young people made on `device` and pushed; their ids in creation order.
  std::vector<std::string> CreateAndPush(DeviceHarness& device, int count) {
    std::vector<std::string> names;
    for (int i = 0; i < count; ++i) names.push_back("YP " + std::to_string(i));
    std::vector<std::string> ids = CreateYoungPeople(device, names);
    Synced(device);
    return ids;
  }

  static std::map<std::string, int> CountById(const std::vector<model::RecordState>& states) {
    std::map<std::string, int> counts;
    for (const auto& state : states) ++counts[state.id];
    return counts;
  }
};

TEST_F(PaginationTest, TwentyFiveHundredRecordsComeInThreePagesEachOnce) {
  const std::vector<std::string> ids = CreateAndPush(*ana_, kRecords);
  ASSERT_EQ(ids.size(), static_cast<std::size_t>(kRecords));

  ASSERT_OK_AND_ASSIGN(SyncRound round, ben_->Sync(kPageSize));
  ASSERT_FALSE(round.refusal);
  EXPECT_EQ(round.page_sizes,
            (std::vector<std::size_t>{kPageSize, kPageSize, kRecords - 2 * kPageSize}));
  const auto counts = CountById(round.pulled);
  EXPECT_EQ(counts.size(), ids.size());
  for (const std::string& id : ids) EXPECT_EQ(counts.count(id) ? counts.at(id) : 0, 1) << id;
  ASSERT_OK_AND_ASSIGN(auto on_ben, ben_->replica().Query("young_person"));
  EXPECT_EQ(on_ben.size(), ids.size());
  ASSERT_OK_AND_ASSIGN(SyncRound after, ben_->Sync(kPageSize));
  EXPECT_EQ(after.page_sizes, std::vector<std::size_t>{0});
}

TEST_F(PaginationTest, WritesBetweenPagesAreNeitherMissedNorRepeated) {
  auto lee = NewDevice("lee");
  ASSERT_TRUE(lee);
  const std::vector<std::string> ids = CreateAndPush(*ana_, kRecords);
  ASSERT_EQ(ids.size(), static_cast<std::size_t>(kRecords));
  Synced(*lee);

  ASSERT_OK_AND_ASSIGN(SyncStep page, ben_->Step(kPageSize));
  ASSERT_FALSE(page.refusal);
  ASSERT_EQ(page.pulled.size(), kPageSize);
  ASSERT_TRUE(page.has_more);
  std::vector<model::RecordState> first_page = std::move(page.pulled);

  // Between Ben's pages: Ana edits a record he has and one he has not pulled yet, and adds one.
  server_->clock().Advance(1000);
  ASSERT_THAT(ana_->replica().Update(ids[10], Json{{"address", "10 Pulled Rd"}}), IsOk());
  ASSERT_THAT(ana_->replica().Update(ids[kRecords - 100], Json{{"address", "2400 Unpulled Rd"}}), IsOk());
  ASSERT_OK_AND_ASSIGN(std::string late, ana_->replica().Create("young_person", YoungPerson(*ana_, "Late")));
  Synced(*ana_);

  std::vector<model::RecordState> rest;
  for (int pages = 0; pages < 10; ++pages) {
    ASSERT_OK_AND_ASSIGN(SyncStep next, ben_->Step(kPageSize));
    ASSERT_FALSE(next.refusal);
    for (auto& state : next.pulled) rest.push_back(std::move(state));
    if (pages == 0) {
      // And between the next two, Lee edits one more not yet pulled.
      ASSERT_THAT(lee->replica().Update(ids[kRecords - 50], Json{{"address", "2450 Leader Rd"}}), IsOk());
      Synced(*lee);
    }
    if (!next.has_more) break;
  }

  const auto first = CountById(first_page);
  const auto later = CountById(rest);
  EXPECT_EQ(first.size(), kPageSize);
  for (const auto& [id, count] : later) EXPECT_EQ(count, 1) << "record " << id << " repeated";
  // Every record not in the first page came once; of the first page, exactly the edited one
  // came again.
  for (int i = 0; i < kRecords; ++i) {
    const bool in_first = first.count(ids[i]) == 1;
    EXPECT_EQ(later.count(ids[i]) == 1, !in_first || i == 10) << "record " << i;
  }
  EXPECT_EQ(later.count(late), 1u);
  EXPECT_EQ(later.size(), static_cast<std::size_t>(kRecords) - kPageSize + 2);

  // Every record's final state reached Ben.
  Synced(*ana_);
  for (const std::string& id : ids) ExpectSameRecord(*ana_, *ben_, id);
  ExpectSameRecord(*ana_, *ben_, late);
  ASSERT_OK_AND_ASSIGN(replica::RecordView leader_edit, ben_->replica().Get(ids[kRecords - 50]));
  EXPECT_EQ(leader_edit.values["address"], "2450 Leader Rd");
  ASSERT_OK_AND_ASSIGN(replica::RecordView pulled_edit, ben_->replica().Get(ids[10]));
  EXPECT_EQ(pulled_edit.values["address"], "10 Pulled Rd");
}

// A push's answer leaves out the pusher's own records by sequence (the store never reads their
// states): the page still ends where it would have, so the next page neither misses nor
// repeats a record, and the states it does send are those a whole page holds.
TEST_F(PaginationTest, APageThatLeavesRecordsOutStillCoversThem) {
  const std::vector<std::string> ids = CreateAndPush(*ana_, 5);
  ASSERT_EQ(ids.size(), 5u);
  const std::string team = ServerDevice(*ana_).user.team_id;
  ASSERT_OK_AND_ASSIGN(PullPage whole, server_->store().Pull(team, 0, 3));
  ASSERT_EQ(whole.records.size(), 3u);
  ASSERT_TRUE(whole.has_more);
  const std::int64_t first = whole.records[0].sequence;

  const PullSkip odd_ones = [first](std::int64_t sequence) { return (sequence - first) % 2 == 0; };
  ASSERT_OK_AND_ASSIGN(PullPage thinned, server_->store().Pull(team, 0, 3, odd_ones, 0));
  ASSERT_EQ(thinned.records.size(), 1u);
  EXPECT_EQ(thinned.records[0].sequence, whole.records[1].sequence);
  EXPECT_EQ(thinned.records[0].state, whole.records[1].state);
  EXPECT_TRUE(thinned.has_more);
  EXPECT_EQ(thinned.last_sequence, whole.records[2].sequence);
  EXPECT_EQ(whole.last_sequence, whole.records[2].sequence);

  const PullSkip everything = [](std::int64_t) { return true; };
  ASSERT_OK_AND_ASSIGN(PullPage rest, server_->store().Pull(team, thinned.last_sequence, 3, everything, 0));
  EXPECT_TRUE(rest.records.empty());
  EXPECT_FALSE(rest.has_more);
  EXPECT_EQ(rest.last_sequence, first + 4) << "the page covers the two it left out";
  ASSERT_OK_AND_ASSIGN(PullPage after, server_->store().Pull(team, rest.last_sequence, 3, everything, 0));
  EXPECT_TRUE(after.records.empty());
  EXPECT_EQ(after.last_sequence, 0) << "an empty page covers nothing";

  // Given room for the records it leaves out, a page of one sends one, covers those left out
  // around it, and ends before the next record it would send.
  ASSERT_OK_AND_ASSIGN(PullPage roomy, server_->store().Pull(team, 0, 1, odd_ones, 4));
  ASSERT_EQ(roomy.records.size(), 1u);
  EXPECT_EQ(roomy.records[0].sequence, first + 1);
  EXPECT_EQ(roomy.records[0].state, whole.records[1].state);
  EXPECT_TRUE(roomy.has_more);
  EXPECT_EQ(roomy.last_sequence, first + 2) << "ends before the fourth, which it would send";
  ASSERT_OK_AND_ASSIGN(PullPage next, server_->store().Pull(team, roomy.last_sequence, 1, odd_ones, 4));
  ASSERT_EQ(next.records.size(), 1u);
  EXPECT_EQ(next.records[0].sequence, first + 3);
  EXPECT_FALSE(next.has_more);
  EXPECT_EQ(next.last_sequence, first + 4);
}

}  // namespace
}  // namespace outreach::server::testing
