#include "tests/sync-server/sync_fixture.h"

#include "core/model/record_codec.h"
#include "core/model/uuid.h"
#include "tests/testing/status_matchers.h"

namespace outreach::server::testing {

using ::outreach::testing::IsOk;

void SyncFixture::SetUp() {
  ASSERT_OK_AND_ASSIGN(server_, ServerHarness::Open(dir_.path(), Limits()));
  ASSERT_THAT(server_->AddUser("ana", "north", "worker"), IsOk());
  ASSERT_THAT(server_->AddUser("ben", "north", "worker"), IsOk());
  ASSERT_THAT(server_->AddUser("lee", "north", "team_leader"), IsOk());
  ASSERT_THAT(server_->AddUser("cat", "south", "worker"), IsOk());
}

std::unique_ptr<DeviceHarness> SyncFixture::NewDevice(const std::string& user,
                                                      model::PhysicalClock* clock) {
  auto enrolled = server_->Enrol(user);
  if (!enrolled.ok()) {
    ADD_FAILURE() << "enrolling a device of " << user << ": " << enrolled.status().ToString();
    return nullptr;
  }
  auto device = DeviceHarness::Open(
      dir_.File("device-" + std::to_string(++devices_made_) + ".db"), *enrolled,
      &server_->service(), &server_->schemas(), clock != nullptr ? clock : &server_->clock());
  if (!device.ok()) {
    ADD_FAILURE() << "opening a device of " << user << ": " << device.status().ToString();
    return nullptr;
  }
  return std::move(device).value();
}

model::Json SyncFixture::YoungPerson(const DeviceHarness& device, const std::string& known_as) {
  return model::Json{{"known_as", known_as},
                     {"team_id", device.identity().team},
                     {"caseload_owner", device.identity().user_id}};
}

model::Json SyncFixture::Contact(const DeviceHarness& device, const std::string& young_person_id) {
  const std::string& user = device.identity().user_id;
  return model::Json{
      {"created_by", user},
      {"created_at_device", "2025-11-24T16:00:00Z"},
      {"contact_type", "detached_street"},
      {"occurred_start", "2025-11-24T15:10:00Z"},
      {"occurred_end", "2025-11-24T15:40:00Z"},
      {"location_text", "Bus station, north entrance"},
      {"workers_present", {user}},
      {"young_people_present", {young_person_id}},
      {"summary",
       {{{"id", model::NewUuidV7(kStartMs)}, {"author", user}, {"text", "Spoke with Skye."}}}},
      {"status", "draft"}};
}

std::vector<std::string> SyncFixture::CreateYoungPeople(DeviceHarness& device,
                                                        const std::vector<std::string>& names) {
  std::vector<std::string> ids;
  for (const std::string& name : names) {
    auto id = device.replica().Create("young_person", YoungPerson(device, name));
    if (!id.ok()) {
      ADD_FAILURE() << "creating " << name << ": " << id.status().ToString();
      break;
    }
    ids.push_back(*std::move(id));
  }
  return ids;
}

SyncRound SyncFixture::Synced(DeviceHarness& device, std::uint32_t page_size) {
  auto round = device.Sync(page_size);
  if (!round.ok()) {
    ADD_FAILURE() << "device " << device.identity().device_id << ": " << round.status().ToString();
    return {};
  }
  if (round->refusal) ADD_FAILURE() << "sync refused: " << Describe(*round->refusal);
  return *std::move(round);
}

std::vector<protocol::Outcome> SyncFixture::Outcomes(const SyncRound& round) {
  std::vector<protocol::Outcome> outcomes;
  for (const auto& result : round.results) outcomes.push_back(result.outcome);
  return outcomes;
}

Device SyncFixture::ServerDevice(const DeviceHarness& device) {
  auto found = server_->DeviceFor(device.token());
  EXPECT_THAT(found, IsOk());
  return found.ok() ? *found : Device{};
}

std::pair<std::int64_t, std::int64_t> SyncFixture::StoreCounts() {
  auto stats = server_->store().Stats();
  EXPECT_THAT(stats, IsOk());
  return stats.ok() ? std::make_pair(stats->records, stats->changes) : std::make_pair(-1L, -1L);
}

void SyncFixture::ExpectSameRecord(DeviceHarness& a, DeviceHarness& b,
                                   const std::string& record_id) {
  SCOPED_TRACE("record " + record_id);
  auto state_a = a.State(record_id);
  auto state_b = b.State(record_id);
  ASSERT_THAT(state_a, IsOk());
  ASSERT_THAT(state_b, IsOk());
  EXPECT_EQ(model::CanonicalRecord(*state_a), model::CanonicalRecord(*state_b));
  auto view_a = a.replica().Get(record_id);
  auto view_b = b.replica().Get(record_id);
  ASSERT_THAT(view_a, IsOk());
  ASSERT_THAT(view_b, IsOk());
  EXPECT_EQ(view_a->values, view_b->values);
  EXPECT_EQ(view_a->deleted, view_b->deleted);
  EXPECT_EQ(view_a->conflicts.size(), view_b->conflicts.size());
}

void TeammatesFixture::SetUp() {
  SyncFixture::SetUp();
  if (HasFatalFailure()) return;
  ana_ = NewDevice("ana");
  ben_ = NewDevice("ben");
  ASSERT_TRUE(ana_ && ben_);
}

}  // namespace outreach::server::testing
