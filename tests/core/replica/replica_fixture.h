// ReplicaFixture: a fresh encrypted database, the real schemas, a manual clock, and a replica
// of tablet-1 for user-1 in team-a, for the replica tests.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "core/model/physical_clock.h"
#include "core/replica/replica.h"
#include "core/schema/schema_registry.h"
#include "core/storage/database.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace outreach::replica::testing {

class ReplicaFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    auto schemas = schema::SchemaRegistry::LoadDirectory(OUTREACH_SCHEMA_DIR);
    ASSERT_TRUE(schemas.ok()) << schemas.status().ToString();
    schemas_ = std::make_unique<schema::SchemaRegistry>(std::move(schemas).value());
    storage::OpenOptions options;
    options.kdf = storage::KdfParams::FastForTests();
    ASSERT_OK_AND_ASSIGN(db_, storage::Database::Create(dir_.File("device.db"),
                                                        storage::KeySource::Passcode("pin"), options));
    replica_ = OpenReplica("worker");
  }

  std::unique_ptr<Replica> OpenReplica(const std::string& role) {
    auto replica = Replica::Open(db_.get(), schemas_.get(), &clock_,
                                 ReplicaIdentity{"tablet-1", "user-1", role, "team-a"});
    EXPECT_TRUE(replica.ok()) << replica.status().ToString();
    return replica.ok() ? std::move(replica).value() : nullptr;
  }

  // Values of a young_person and of a contact with one summary entry, valid as user input.
  model::Json YoungPerson(const std::string& name) {
    return model::Json{{"known_as", name}, {"team_id", "team-a"}, {"caseload_owner", "user-1"}};
  }
  model::Json Contact(const std::string& young_person_id) {
    return model::Json{
        {"created_by", "user-1"}, {"created_at_device", "2026-11-25T21:04:00Z"},
        {"contact_type", "detached_street"}, {"occurred_start", "2026-11-25T20:30:00Z"},
        {"occurred_end", "2026-11-25T21:00:00Z"}, {"location_text", "car park"},
        {"workers_present", model::Json::array({"user-1"})},
        {"young_people_present", model::Json::array({young_person_id})},
        {"summary", model::Json::array({model::Json{{"id", kFirstSummaryId},
                                                     {"author", "user-1"},
                                                     {"at", "2026-11-25T21:04:00Z"},
                                                     {"text", "seen with older boys"}}})},
        {"status", "draft"}};
  }
  static constexpr const char* kFirstSummaryId = "0190a6c2-0000-7000-8000-0000000000e1";

  outreach::testing::TempDir dir_;
  model::ManualClock clock_{1'764'000'000'000};
  std::unique_ptr<schema::SchemaRegistry> schemas_;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<Replica> replica_;
};

}  // namespace outreach::replica::testing
