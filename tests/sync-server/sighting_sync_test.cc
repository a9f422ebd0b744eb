// A device's last sighting costs no sync to disk of its own (a sync would wait on it), while every
// write that matters stays synced: a push with the sighting written in it, and an enrolment code, a
// revocation or any other write after a sighting. Counted at the disk, under the encryption
// (FaultVfs).
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "sync-server/store/sqlite_server_store.h"
#include "tests/testing/fault_vfs.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace outreach::server::testing {
namespace {

using ::outreach::testing::FaultVfs;
using ::outreach::testing::IsOk;

class SightingSyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::array<std::uint8_t, 32> key{};
    for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(0x5A + i);
    ASSERT_OK_AND_ASSIGN(store_, OpenSqliteServerStore(dir_.File("server.db"), key,
                                                       FaultVfs::Name()));
    ASSERT_THAT(store_->CreateTeam("north").status(), IsOk());
    ASSERT_OK_AND_ASSIGN(User ana, store_->CreateUser("ana", "north", "worker"));
    ana_id_ = ana.id;
    ASSERT_THAT(store_->AddEnrolmentCode(ana_id_, "code-hash", kNow + 60'000), IsOk());
    ASSERT_THAT(
        store_->Enrol("code-hash", kDevice, "ana's tablet", "token-hash", kNow, 60'000).status(),
        IsOk());
    FaultVfs::Disarm();  // counts from here
  }
  void TearDown() override { FaultVfs::Disarm(); }

  std::int64_t LastSeen() {
    auto devices = store_->ListDevices();
    if (!devices.ok() || devices->size() != 1) return -1;
    return devices->front().last_seen_ms;
  }

  static constexpr std::int64_t kNow = 1'764'000'000'000;
  static constexpr const char* kDevice = "01a21396-4485-7799-a694-aa53ce5ebcd4";
  ::outreach::testing::TempDir dir_;
  std::unique_ptr<ServerStore> store_;
  std::string ana_id_;
};

TEST_F(SightingSyncTest, ASightingAloneIsWrittenWithoutASync) {
  ASSERT_THAT(store_->TouchDevice(kDevice, kNow + 1000), IsOk());
  EXPECT_EQ(FaultVfs::Counts().syncs, 0);
  EXPECT_GT(FaultVfs::Counts().writes, 0) << "written, to the WAL";
  EXPECT_EQ(LastSeen(), kNow + 1000);
}

TEST_F(SightingSyncTest, APushIsSyncedWithTheSightingWrittenInIt) {
  ASSERT_THAT(store_->TouchDevice(kDevice, kNow + 1000), IsOk());
  FaultVfs::Disarm();
  ASSERT_OK_AND_ASSIGN(auto push, store_->BeginPush());
  ASSERT_THAT(push->TouchDevice(kDevice, kNow + 2000), IsOk());
  ASSERT_THAT(push->Commit(), IsOk());
  push.reset();
  EXPECT_EQ(FaultVfs::Counts().syncs, 1) << "the push's commit, once";
  EXPECT_EQ(LastSeen(), kNow + 2000);
}

TEST_F(SightingSyncTest, WritesAfterASightingAreSyncedAgain) {
  ASSERT_THAT(store_->TouchDevice(kDevice, kNow + 1000), IsOk());
  FaultVfs::Disarm();
  ASSERT_THAT(store_->AddEnrolmentCode(ana_id_, "second-code", kNow + 60'000), IsOk());
  EXPECT_EQ(FaultVfs::Counts().syncs, 1);
  FaultVfs::Disarm();
  ASSERT_THAT(store_->TouchDevice(kDevice, kNow + 2000), IsOk());
  ASSERT_THAT(store_->RevokeDevice(kDevice), IsOk());
  EXPECT_EQ(FaultVfs::Counts().syncs, 1) << "the revocation's commit";
}

}  // namespace
}  // namespace outreach::server::testing
