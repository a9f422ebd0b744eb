// I6 on push: the server never trusts the client. A change into another team, signed as
// someone else, or aimed at another team's record (its team field forged) refuses the whole
// push with 403, and nothing of it is written.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/sync-server/sync_fixture.h"
#include "tests/testing/status_matchers.h"

namespace outreach::server::testing {
namespace {

using model::Json;
using ::outreach::testing::IsOk;

class ScopeTest : public TeammatesFixture {
 protected:
  // Pushes `request` as `device` and expects a 403 that wrote nothing.
  void ExpectRefusedUnwritten(const DeviceHarness& device, const protocol::SyncRequest& request) {
    const auto before = StoreCounts();
    auto reply = server_->service().Sync(ServerDevice(device), request);
    EXPECT_EQ(HttpStatus(reply), 403);
    EXPECT_EQ(RefusalOf(reply).body.error, "permission_denied");
    EXPECT_EQ(StoreCounts(), before) << "nothing of a refused push is written";
  }
};

TEST_F(ScopeTest, ChangeIntoAnotherTeamIsRefused) {
  auto cat = NewDevice("cat");
  ASSERT_TRUE(cat);
  ASSERT_OK_AND_ASSIGN(std::string planted,
                       cat->replica().Create("young_person", YoungPerson(*cat, "Planted")));
  ASSERT_OK_AND_ASSIGN(protocol::SyncRequest request, cat->PendingRequest());
  ASSERT_EQ(request.changes.size(), 1u);
  request.changes[0].team = ana_->identity().team;
  ExpectRefusedUnwritten(*cat, request);

  const SyncRound north = Synced(*ana_);
  EXPECT_TRUE(north.pulled.empty());
  EXPECT_FALSE(ana_->replica().Get(planted).ok());
  // The honest push of the same change goes through: the refusal was about the forged team.
  const SyncRound south = Synced(*cat);
  EXPECT_EQ(Outcomes(south), std::vector{protocol::Outcome::kApplied});
}

TEST_F(ScopeTest, ChangeSignedAsAnotherUserRoleOrDeviceIsRefused) {
  ASSERT_OK_AND_ASSIGN(std::string skye, ana_->replica().Create("young_person", YoungPerson(*ana_, "Skye")));
  ASSERT_OK_AND_ASSIGN(const protocol::SyncRequest honest, ana_->PendingRequest());
  ASSERT_EQ(honest.changes.size(), 1u);

  protocol::SyncRequest as_ben = honest;
  as_ben.changes[0].author = ben_->identity().user_id;
  ExpectRefusedUnwritten(*ana_, as_ben);
  protocol::SyncRequest as_leader = honest;
  as_leader.changes[0].author_role = "team_leader";
  ExpectRefusedUnwritten(*ana_, as_leader);
  protocol::SyncRequest from_bens_tablet = honest;
  from_bens_tablet.changes[0].version.device_id = ben_->identity().device_id;
  ExpectRefusedUnwritten(*ana_, from_bens_tablet);
  // Ben's own tablet cannot push Ana's change either.
  ExpectRefusedUnwritten(*ben_, honest);

  const SyncRound pulled = Synced(*ben_);
  EXPECT_TRUE(pulled.pulled.empty());
  EXPECT_FALSE(ben_->replica().Get(skye).ok());
}

TEST_F(ScopeTest, ChangeToAnotherTeamsRecordWithItsTeamForgedIsRefused) {
  auto cat = NewDevice("cat");
  ASSERT_TRUE(cat);
  ASSERT_OK_AND_ASSIGN(std::string skye, ana_->replica().Create("young_person", YoungPerson(*ana_, "Skye")));
  Synced(*ana_);

  // Cat's tablet makes an ordinary record and edit, then aims the edit at Skye's record,
  // keeping its own team on the change so the team check alone would pass.
  ASSERT_OK_AND_ASSIGN(std::string own, cat->replica().Create("young_person", YoungPerson(*cat, "Robin")));
  server_->clock().Advance(1000);
  ASSERT_THAT(cat->replica().Update(own, Json{{"known_as", "Overwritten"}}), IsOk());
  ASSERT_OK_AND_ASSIGN(const protocol::SyncRequest honest, cat->PendingRequest());
  ASSERT_EQ(honest.changes.size(), 2u);

  protocol::SyncRequest edit = honest;
  edit.changes[1].record_id = skye;
  ExpectRefusedUnwritten(*cat, edit);  // the valid create before it is not applied either
  protocol::SyncRequest create = honest;
  create.changes.resize(1);
  create.changes[0].record_id = skye;
  ExpectRefusedUnwritten(*cat, create);

  const SyncRound pulled = Synced(*ben_);
  ASSERT_EQ(pulled.pulled.size(), 1u);
  ExpectSameRecord(*ana_, *ben_, skye);
  ASSERT_OK_AND_ASSIGN(replica::RecordView view, ben_->replica().Get(skye));
  EXPECT_EQ(view.values["known_as"], "Skye");
}

}  // namespace
}  // namespace outreach::server::testing
