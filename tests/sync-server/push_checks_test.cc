// A large push is applied while the rest of it is still being checked (PushChecks). Whatever
// the checks find, and wherever in the push, the answer is the one a push checked whole before
// anything was applied gets: a refusal of who may write or when (403, 409) answers for the
// whole push, then invalid content (422, every such change listed), then what applying found
// (a change into another team's record: 403); and nothing of a refused push is written.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/sync-server/sync_fixture.h"
#include "tests/testing/status_matchers.h"

namespace outreach::server::testing {
namespace {

using model::Json;
using ::testing::HasSubstr;

constexpr std::int64_t kDayMs = 24LL * 3600 * 1000;

class PushChecksTest : public TeammatesFixture {
 protected:
  void SetUp() override {
    TeammatesFixture::SetUp();
    if (HasFatalFailure()) return;
    std::vector<std::string> names;
    for (int i = 0; i < 120; ++i) names.push_back("Person " + std::to_string(i));
    ASSERT_EQ(CreateYoungPeople(*ana_, names).size(), names.size());
    ASSERT_OK_AND_ASSIGN(push_, ana_->PendingRequest());
    ASSERT_EQ(push_.changes.size(), 120u);
  }

  // Pushes `request` as Ana; expects `status` and nothing written.
  ServiceError ExpectRefused(const protocol::SyncRequest& request, int status) {
    const auto before = StoreCounts();
    auto reply = server_->service().Sync(ServerDevice(*ana_), request);
    EXPECT_EQ(HttpStatus(reply), status) << Describe(RefusalOf(reply));
    EXPECT_EQ(StoreCounts(), before) << "nothing of a refused push is written";
    return RefusalOf(reply);
  }

  // Change `i` aimed at a record of team south, its team left as Ana's: only applying it
  // can tell (the stored record's team).
  void AimAtSouthRecord(protocol::SyncRequest& request, std::size_t i) {
    auto cat = NewDevice("cat");
    ASSERT_TRUE(cat);
    ASSERT_OK_AND_ASSIGN(std::string south_record,
                         cat->replica().Create("young_person", YoungPerson(*cat, "Robin")));
    Synced(*cat);
    request.changes[i].record_id = south_record;
  }

  protocol::SyncRequest push_;
};

TEST_F(PushChecksTest, AScopeRefusalLateInThePushAnswersOverInvalidContentEarlier) {
  protocol::SyncRequest request = push_;
  request.changes[5].registers["known_as"].value = "";
  request.changes[100].author = ben_->identity().user_id;
  const ServiceError error = ExpectRefused(request, 403);
  EXPECT_EQ(error.body.error, "permission_denied");
  EXPECT_THAT(error.body.message, HasSubstr(request.changes[100].change_id));
}

TEST_F(PushChecksTest, AClockSkewLateInThePushAnswersOverInvalidContentEarlier) {
  protocol::SyncRequest request = push_;
  request.changes[3].registers["known_as"].value = "";
  request.changes[90].version.hlc.physical_ms += kDayMs;
  const ServiceError error = ExpectRefused(request, 409);
  EXPECT_EQ(error.body.error, "clock_skew");
}

TEST_F(PushChecksTest, InvalidContentLateInThePushAnswersOverARecordOfAnotherTeamEarlier) {
  protocol::SyncRequest request = push_;
  ASSERT_NO_FATAL_FAILURE(AimAtSouthRecord(request, 10));
  request.changes[110].registers["known_as"].value = "";
  const ServiceError error = ExpectRefused(request, 422);
  EXPECT_EQ(error.body.error, "invalid_changes");
  ASSERT_EQ(error.body.rejected.size(), 1u);
  EXPECT_EQ(error.body.rejected[0].change_id, request.changes[110].change_id);
}

TEST_F(PushChecksTest, ARecordOfAnotherTeamRefusesTheWholePushOnceItIsChecked) {
  protocol::SyncRequest request = push_;
  ASSERT_NO_FATAL_FAILURE(AimAtSouthRecord(request, 60));
  const ServiceError error = ExpectRefused(request, 403);
  EXPECT_EQ(error.body.error, "permission_denied");
  EXPECT_THAT(error.body.message, HasSubstr(request.changes[60].change_id));
}

// Applying needs a change checked: one of an unknown collection has no schema to merge with.
TEST_F(PushChecksTest, AChangeOfAnUnknownCollectionIsNeverApplied) {
  protocol::SyncRequest request = push_;
  request.changes[70].collection = "no_such_collection";
  const ServiceError error = ExpectRefused(request, 422);
  ASSERT_EQ(error.body.rejected.size(), 1u);
  EXPECT_THAT(error.body.rejected[0].reason, HasSubstr("unknown collection"));
}

TEST_F(PushChecksTest, InvalidChangesAtBothEndsAreAllListedAndTheHonestPushThenApplies) {
  protocol::SyncRequest request = push_;
  const std::vector<std::size_t> broken{0, 63, 64, 119};
  for (const std::size_t i : broken) request.changes[i].registers["known_as"].value = "";
  const ServiceError error = ExpectRefused(request, 422);
  ASSERT_EQ(error.body.rejected.size(), broken.size());
  for (std::size_t k = 0; k < broken.size(); ++k) {
    EXPECT_EQ(error.body.rejected[k].change_id, request.changes[broken[k]].change_id) << k;
  }

  auto reply = server_->service().Sync(ServerDevice(*ana_), push_);
  ASSERT_EQ(HttpStatus(reply), 200) << Describe(RefusalOf(reply));
  const auto& results = std::get<SyncReply>(reply).response.results;
  ASSERT_EQ(results.size(), push_.changes.size());
  for (std::size_t i = 0; i < results.size(); ++i) {
    EXPECT_EQ(results[i].change_id, push_.changes[i].change_id) << i;
    EXPECT_EQ(results[i].outcome, protocol::Outcome::kApplied) << i;
  }
  EXPECT_EQ(StoreCounts(), std::make_pair(std::int64_t{120}, std::int64_t{120}));
}

}  // namespace
}  // namespace outreach::server::testing
