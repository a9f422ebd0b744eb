// SyncFixture: the world most sync tests start from: a server (ServerHarness) in a fresh
// folder with two teams, "north" (workers ana and ben, team leader lee) and "south" (worker
// cat), and enrolled tablets made on demand.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/model/record_state.h"
#include "tests/sync-server/device_harness.h"
#include "tests/sync-server/server_harness.h"
#include "tests/testing/temp_dir.h"

namespace outreach::server::testing {

class SyncFixture : public ::testing::Test {
 protected:
  void SetUp() override;
  // Overridden by suites that test the limits.
  virtual SyncLimits Limits() const { return {}; }

  // A newly enrolled tablet of `user`, its clock `clock` (the server's if null). Adds a test
  // failure and returns null if enrolment or opening fails.
  std::unique_ptr<DeviceHarness> NewDevice(const std::string& user,
                                           model::PhysicalClock* clock = nullptr);

  // A valid young_person as `device`'s user writes it.
  static model::Json YoungPerson(const DeviceHarness& device, const std::string& known_as);
  // A valid draft contact with `young_person_id`, with one summary entry.
  static model::Json Contact(const DeviceHarness& device, const std::string& young_person_id);

  // Young people with these names made on `device`; their ids, in order. Adds a test failure
  // (and returns fewer ids) if a write fails.
  static std::vector<std::string> CreateYoungPeople(DeviceHarness& device,
                                                    const std::vector<std::string>& names);

  // A sync round the server must not refuse (a test failure if it is, or if the device fails).
  static SyncRound Synced(DeviceHarness& device, std::uint32_t page_size = 0);

  // The outcome of each change a round pushed, in push order.
  static std::vector<protocol::Outcome> Outcomes(const SyncRound& round);

  // A device as the server knows it (for calling SyncService::Sync directly).
  Device ServerDevice(const DeviceHarness& device);

  // What the store holds: {records, remembered changes}.
  std::pair<std::int64_t, std::int64_t> StoreCounts();

  // Both devices hold `record_id` byte for byte alike (I1), with the same values.
  static void ExpectSameRecord(DeviceHarness& a, DeviceHarness& b, const std::string& record_id);

  ::outreach::testing::TempDir dir_;
  std::unique_ptr<ServerHarness> server_;
  int devices_made_ = 0;
};

// SyncFixture with Ana's and Ben's tablets (team north) enrolled.
class TeammatesFixture : public SyncFixture {
 protected:
  void SetUp() override;

  std::unique_ptr<DeviceHarness> ana_;
  std::unique_ptr<DeviceHarness> ben_;
};

}  // namespace outreach::server::testing
