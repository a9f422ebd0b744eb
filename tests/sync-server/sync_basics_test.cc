// A sync round between real replicas through SyncService: what one worker saves, a teammate's
// tablet shows byte for byte (I1); another team's tablet never receives it (I6); a pull sends
// each changed record once, and only what changed after the device's cursor.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "core/protocol/binary_codec.h"
#include "tests/sync-server/sync_fixture.h"
#include "tests/testing/status_matchers.h"

namespace outreach::server::testing {
namespace {

using model::Json;
using ::outreach::testing::IsOk;

class SyncBasicsTest : public TeammatesFixture {};

std::set<std::string> Ids(const std::vector<model::RecordState>& states) {
  std::set<std::string> ids;
  for (const auto& state : states) ids.insert(state.id);
  return ids;
}

TEST_F(SyncBasicsTest, TeammateReceivesEveryRecordAsTheAuthorHoldsIt) {
  const auto ids = CreateYoungPeople(*ana_, {"Skye", "Jay"});
  ASSERT_EQ(ids.size(), 2u);
  const std::string& skye = ids[0];
  const std::string& jay = ids[1];
  server_->clock().Advance(1000);
  ASSERT_THAT(ana_->replica().Update(
                  skye, Json{{"known_as", "Sky"}, {"aliases", {"S", "Skye"}}, {"address", "1 High St"}}),
              IsOk());
  ASSERT_OK_AND_ASSIGN(std::string contact, ana_->replica().Create("contact", Contact(*ana_, skye)));
  ASSERT_THAT(ana_->replica().Append(contact, "summary",
                                    Json{{"author", ana_->identity().user_id}, {"text", "Called back."}}),
              IsOk());

  const SyncRound pushed = Synced(*ana_);
  ASSERT_EQ(pushed.results.size(), 5u);
  for (const auto& result : pushed.results) {
    EXPECT_EQ(result.outcome, protocol::Outcome::kApplied) << result.change_id << " " << result.reason;
  }
  ASSERT_OK_AND_ASSIGN(auto unsent, ana_->replica().Outbox(replica::OutboxStatus::kPending));
  EXPECT_TRUE(unsent.empty());

  const SyncRound pulled = Synced(*ben_);
  EXPECT_EQ(pulled.pulled.size(), 3u) << "each record once, not each change";
  EXPECT_EQ(Ids(pulled.pulled), (std::set<std::string>{skye, jay, contact}));
  for (const std::string& id : {skye, jay, contact}) ExpectSameRecord(*ana_, *ben_, id);
  ASSERT_OK_AND_ASSIGN(replica::RecordView sky, ben_->replica().Get(skye));
  EXPECT_EQ(sky.values["known_as"], "Sky");
  EXPECT_EQ(sky.values["aliases"], Json({"S", "Skye"}));
  EXPECT_EQ(sky.values["address"], "1 High St");
  EXPECT_FALSE(sky.has_pending_changes);
  ASSERT_OK_AND_ASSIGN(replica::RecordView notes, ben_->replica().Get(contact));
  EXPECT_EQ(notes.values["summary"].size(), 2u);
}

TEST_F(SyncBasicsTest, LaterPullsCarryOnlyWhatChangedAfterTheCursor) {
  const auto ids = CreateYoungPeople(*ana_, {"Skye", "Jay"});
  ASSERT_EQ(ids.size(), 2u);
  Synced(*ana_);
  EXPECT_EQ(Synced(*ben_).pulled.size(), 2u);

  EXPECT_TRUE(Synced(*ben_).pulled.empty());
  server_->clock().Advance(1000);
  ASSERT_THAT(ana_->replica().Update(ids[1], Json{{"known_as", "J"}}), IsOk());
  Synced(*ana_);
  EXPECT_EQ(Ids(Synced(*ben_).pulled), std::set<std::string>{ids[1]});
  ExpectSameRecord(*ana_, *ben_, ids[0]);
  ExpectSameRecord(*ana_, *ben_, ids[1]);
}

// The last time each device synced (the administrators' `devices` list): a push writes it in
// its own commit, a pull on its own; other devices' stay as they were.
TEST_F(SyncBasicsTest, EachSyncSetsItsDevicesLastSighting) {
  const auto last_seen = [this](const DeviceHarness& device) -> std::int64_t {
    auto devices = server_->store().ListDevices();
    if (!devices.ok()) return -1;
    for (const Device& known : *devices) {
      if (known.id == device.identity().device_id) return known.last_seen_ms;
    }
    return -2;
  };
  const std::int64_t ben_before = last_seen(*ben_);
  server_->clock().Advance(1000);
  ASSERT_EQ(CreateYoungPeople(*ana_, {"Skye"}).size(), 1u);
  ASSERT_EQ(Synced(*ana_).results.size(), 1u);
  const std::int64_t pushed_at = server_->clock().NowMs();
  EXPECT_EQ(last_seen(*ana_), pushed_at);
  EXPECT_EQ(last_seen(*ben_), ben_before);

  server_->clock().Advance(5000);
  EXPECT_TRUE(Synced(*ana_).results.empty());
  EXPECT_EQ(last_seen(*ana_), server_->clock().NowMs()) << "a pull alone";
  EXPECT_EQ(last_seen(*ben_), ben_before);

  server_->clock().Advance(5000);
  EXPECT_EQ(Synced(*ben_).pulled.size(), 1u);
  EXPECT_EQ(last_seen(*ben_), server_->clock().NowMs());
  // A push that writes after it, in the same store, is synced as ever: it lands, and so
  // does the sighting written with it.
  server_->clock().Advance(5000);
  ASSERT_EQ(CreateYoungPeople(*ben_, {"Jay"}).size(), 1u);
  ASSERT_EQ(Synced(*ben_).results.size(), 1u);
  EXPECT_EQ(last_seen(*ben_), server_->clock().NowMs());
  EXPECT_EQ(StoreCounts().first, 2);
}

// A push's answer leaves out the records the pushing device can make itself (it held them as
// they were, and its changes applied as written): it folds its accepted changes into them, and
// its copy is byte for byte what a teammate pulls. A record changed by someone else since the
// device's cursor comes back in the answer, merged.
TEST_F(SyncBasicsTest, APushAnswerLeavesOutOnlyWhatThePusherCanFoldExactly) {
  const auto ids = CreateYoungPeople(*ana_, {"Skye", "Jay"});
  ASSERT_EQ(ids.size(), 2u);
  const SyncRound pushed = Synced(*ana_);
  ASSERT_EQ(pushed.results.size(), 2u);
  for (const auto& result : pushed.results) EXPECT_EQ(result.outcome, protocol::Outcome::kApplied);
  EXPECT_TRUE(pushed.pulled.empty()) << "its own new records are not sent back";
  EXPECT_EQ(Ids(Synced(*ben_).pulled), (std::set<std::string>{ids[0], ids[1]}));
  ExpectSameRecord(*ana_, *ben_, ids[0]);
  ExpectSameRecord(*ana_, *ben_, ids[1]);

  // Ben edits Skye and syncs; Ana, who has not seen that, edits Skye and Jay.
  server_->clock().Advance(1000);
  ASSERT_THAT(ben_->replica().Update(ids[0], Json{{"known_as", "S"}}), IsOk());
  EXPECT_TRUE(Synced(*ben_).pulled.empty()) << "Ben held Skye as she was";
  ASSERT_THAT(ana_->replica().Update(ids[0], Json{{"address", "1 High St"}}), IsOk());
  ASSERT_THAT(ana_->replica().Update(ids[1], Json{{"address", "2 Low Rd"}}), IsOk());
  const SyncRound merged = Synced(*ana_);
  EXPECT_EQ(Ids(merged.pulled), std::set<std::string>{ids[0]})
      << "Skye changed after Ana's cursor: sent back merged; Jay is Ana's to fold";
  Synced(*ben_);
  ExpectSameRecord(*ana_, *ben_, ids[0]);
  ExpectSameRecord(*ana_, *ben_, ids[1]);
  ASSERT_OK_AND_ASSIGN(auto skye, ana_->replica().Get(ids[0]));
  EXPECT_EQ(skye.values["known_as"], "S");
  EXPECT_EQ(skye.values["address"], "1 High St");
}

// A push larger than the page the device asks for (a tablet with little memory asks for small
// pages): the records it folds itself are left out without taking the page's room, so none of
// them comes back on a later page, and the page still holds no more records than asked.
// (Records of others that fill the page before them still end it there: the device's own
// records after that come back on the next page, joined, as before.)
TEST_F(SyncBasicsTest, APushLargerThanItsPageStillLeavesOutWhatItsDeviceFolds) {
  const auto bens = CreateYoungPeople(*ben_, {"A", "B", "C"});
  ASSERT_EQ(bens.size(), 3u);
  Synced(*ben_);
  std::vector<std::string> names;
  for (int i = 0; i < 12; ++i) names.push_back("Young person " + std::to_string(i));
  const auto anas = CreateYoungPeople(*ana_, names);
  ASSERT_EQ(anas.size(), 12u);

  const SyncRound round = Synced(*ana_, /*page_size=*/5);
  ASSERT_EQ(round.results.size(), 12u);
  for (const auto& result : round.results) EXPECT_EQ(result.outcome, protocol::Outcome::kApplied);
  EXPECT_EQ(Ids(round.pulled), std::set<std::string>(bens.begin(), bens.end()))
      << "Ben's records, and none of Ana's own";
  for (const std::size_t page : round.page_sizes) EXPECT_LE(page, 5u);
  EXPECT_TRUE(Synced(*ana_, 5).pulled.empty());
  for (const std::string& id : anas) ExpectSameRecord(*ana_, *ana_, id);
  Synced(*ben_);
  for (const std::string& id : anas) ExpectSameRecord(*ana_, *ben_, id);
}

// A device writing 1.0 or 1.1 never said it folds with this server's merge rules: its
// records come back in the answer to its push, as before 1.2.
TEST_F(SyncBasicsTest, ADeviceOnAnOlderMinorGetsItsOwnRecordsBack) {
  const auto ids = CreateYoungPeople(*ana_, {"Skye", "Jay"});
  ASSERT_EQ(ids.size(), 2u);
  ASSERT_OK_AND_ASSIGN(protocol::SyncRequest push, ana_->PendingRequest());
  push.version = protocol::ProtocolVersion{1, 1};
  auto reply = server_->service().Sync(ServerDevice(*ana_), push);
  ASSERT_EQ(HttpStatus(reply), 200);
  EXPECT_EQ(std::get<SyncReply>(reply).encoded_records.size(), 2u);
  push.version = protocol::kProtocolVersion;  // the same push again: duplicates come back too
  reply = server_->service().Sync(ServerDevice(*ana_), push);
  ASSERT_EQ(HttpStatus(reply), 200);
  EXPECT_EQ(std::get<SyncReply>(reply).encoded_records.size(), 2u);
}

// The server stores records packed (1.3); a 1.2 device reads only the archive form. Its answer
// says the server's own version (so a device that wrote 1.2 learns it may write 1.3) and holds
// each record in the form the request's version reads, equal to what is stored.
TEST_F(SyncBasicsTest, A1_2DeviceGetsRecordsInTheFormItReads) {
  const auto ids = CreateYoungPeople(*ana_, {"Skye"});
  ASSERT_EQ(ids.size(), 1u);
  Synced(*ana_);
  ASSERT_OK_AND_ASSIGN(protocol::SyncRequest pull, ben_->PendingRequest());
  pull.version = protocol::ProtocolVersion{1, 2};
  auto reply = server_->service().Sync(ServerDevice(*ben_), pull);
  ASSERT_EQ(HttpStatus(reply), 200);
  const SyncReply& answer = std::get<SyncReply>(reply);
  EXPECT_EQ(answer.response.version, protocol::kProtocolVersion);
  ASSERT_EQ(answer.encoded_records.size(), 1u);
  ASSERT_OK_AND_ASSIGN(const std::string body,
                       protocol::EncodeBinaryFor(answer.response, answer.encoded_records, pull.version));
  EXPECT_EQ(static_cast<int>(body[5]), protocol::kProtocolVersion.minor) << "the server's own";
  ASSERT_OK_AND_ASSIGN(model::RecordState stored,
                       protocol::DecodeRecordState(answer.encoded_records[0]));
  // Read as a 1.2 device reads it: the archive form, which it stores as it came.
  std::vector<std::string> kept;
  ASSERT_OK_AND_ASSIGN(protocol::SyncResponse read,
                       protocol::DecodeBinaryResponse(body, {}, &kept, false, pull.version));
  ASSERT_EQ(read.records.size(), 1u);
  EXPECT_EQ(read.records[0], stored);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_NE(kept[0], answer.encoded_records[0]) << "packed for 1.3, archive form for 1.2";
  // A 1.3 request gets the stored bytes as they are.
  ASSERT_OK_AND_ASSIGN(const std::string packed,
                       protocol::EncodeBinaryFor(answer.response, answer.encoded_records,
                                                 protocol::kProtocolVersion));
  kept.clear();
  ASSERT_OK(protocol::DecodeBinaryResponse(packed, {}, &kept).status());
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0], answer.encoded_records[0]);
  // A stored row that does not read is the store's damage: refused, not sent to a 1.2 device.
  std::vector<std::string> damaged = answer.encoded_records;
  damaged[0].pop_back();
  EXPECT_FALSE(protocol::EncodeBinaryFor(answer.response, damaged, pull.version).ok());
}

TEST_F(SyncBasicsTest, AnotherTeamReceivesNothingOfTheTeam) {
  auto cat = NewDevice("cat");
  ASSERT_TRUE(cat);
  const auto north_ids = CreateYoungPeople(*ana_, {"Skye"});
  const auto south_ids = CreateYoungPeople(*cat, {"Robin"});
  ASSERT_EQ(north_ids.size() + south_ids.size(), 2u);
  const std::string& skye = north_ids[0];
  const std::string& own = south_ids[0];
  Synced(*ana_);
  Synced(*cat);
  EXPECT_EQ(Ids(Synced(*ben_).pulled), std::set<std::string>{skye}) << "only its own team's record";
  ASSERT_OK_AND_ASSIGN(auto visible, cat->replica().Query("young_person"));
  ASSERT_EQ(visible.size(), 1u);
  EXPECT_EQ(visible[0]["id"], own);
  EXPECT_FALSE(cat->replica().Get(skye).ok());

  // A cursor taken from the other team starts this team's pull from the beginning, and still
  // shows nothing of the other team.
  ASSERT_OK_AND_ASSIGN(protocol::SyncRequest request, cat->PendingRequest());
  request.cursor = ana_->cursor();
  auto reply = server_->service().Sync(ServerDevice(*cat), request);
  ASSERT_EQ(HttpStatus(reply), 200) << Describe(RefusalOf(reply));
  EXPECT_EQ(std::get<SyncReply>(reply).encoded_records.size(), 1u);
}

// A device names the schema set it has (protocol 1.1): told to fetch the server's when it is
// another; a 1.0 device (no hash) compares SyncResponse::schemas_hash itself.
TEST_F(SyncBasicsTest, ADeviceOnOtherSchemasIsToldTheyChanged) {
  ASSERT_OK_AND_ASSIGN(protocol::SyncRequest request, ana_->PendingRequest());
  const auto directive = [&](const std::string& device_hash) {
    request.schemas_hash = device_hash;
    auto reply = server_->service().Sync(ServerDevice(*ana_), request);
    EXPECT_EQ(HttpStatus(reply), 200) << Describe(RefusalOf(reply));
    const auto& response = std::get<SyncReply>(reply).response;
    EXPECT_EQ(response.schemas_hash, server_->service().schemas_hash());
    return response.directives.schemas_changed;
  };
  EXPECT_TRUE(directive("an older set"));
  EXPECT_FALSE(directive(server_->service().schemas_hash()));
  EXPECT_FALSE(directive(""));
}

}  // namespace
}  // namespace outreach::server::testing
