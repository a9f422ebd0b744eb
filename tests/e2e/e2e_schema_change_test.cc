// End to end through a real outreach-server whose schema set changes while devices are in the
// field: a device that synced on the old set takes the new one during the sync that brings the
// first record of a new collection, before applying it (DESIGN.md section 4, directives); a
// create refused for an old schema version is fixed and sent with the updates held behind it.
#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/e2e/e2e_util.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace outreach::testing {
namespace {

using model::Json;
using ::testing::Contains;
using ::testing::Not;

// A collection the repository's schemas/ do not have: a note with a text.
Json FieldNoteSchema() {
  const auto field = [](const char* type, const char* merge, const char* data_class) {
    return Json{{"type", type}, {"x-merge", merge}, {"x-class", data_class}};
  };
  return Json{{"$schema", "http://json-schema.org/draft-07/schema#"},
              {"title", "field_note"},
              {"x-schema-version", "1.0"},
              {"x-retention", {{"rule", "none"}}},
              {"type", "object"},
              {"required", {"id", "text"}},
              {"properties",
               {{"id", field("string", "immutable", "operational")},
                {"text", field("string", "lww", "personal")}}}};
}

class SchemaChangeTest : public ::testing::Test {
 protected:
  // A copy of schemas/ in a folder of the test's, named `name`.
  std::string CopyOfSchemas(const std::string& name) {
    const std::string folder = dir_.File(name);
    std::filesystem::create_directories(folder);
    for (const auto& file : std::filesystem::directory_iterator(OUTREACH_SCHEMA_DIR)) {
      if (file.path().extension() != ".json") continue;
      std::filesystem::copy_file(file.path(), folder + "/" + file.path().filename().string());
    }
    return folder;
  }

  // Every schema of schemas/ and field_note.
  std::string GrownSchemas() {
    const std::string folder = CopyOfSchemas("schemas-grown");
    std::ofstream(folder + "/field_note.schema.json") << FieldNoteSchema().dump(2);
    return folder;
  }

  // schemas/ with young_person at a new major version, which refuses changes made on 1.x.
  std::string YoungPersonV2() {
    const std::string folder = CopyOfSchemas("schemas-v2");
    const std::string file = folder + "/young_person.schema.json";
    Json schema = Json::parse(std::ifstream(file));
    schema["x-schema-version"] = "2.0";
    std::ofstream(file) << schema.dump(2);
    return folder;
  }

  // schemas/ without `collection`: the server has retired it.
  std::string SchemasWithout(const std::string& collection) {
    const std::string folder = CopyOfSchemas("schemas-without-" + collection);
    std::filesystem::remove(folder + "/" + collection + ".schema.json");
    return folder;
  }

  TempDir dir_;
  ServerProcess server_{dir_.path()};
};

TEST_F(SchemaChangeTest, ADeviceTakesANewCollectionInTheSyncThatBringsItsFirstRecord) {
  auto ana = EnrolDevice(dir_.File("ana"), server_, server_.NewUserCode("north", "ana", "worker", true));
  ASSERT_OK_AND_ASSIGN(std::string contact, ana->Create("contact", ContactValues("ana", 1)));
  ASSERT_OK(SyncUntilQuiet(*ana));
  ASSERT_OK_AND_ASSIGN(auto collections, ana->Collections());
  ASSERT_THAT(collections, Not(Contains("field_note")));

  // The server comes back with a new collection; a teammate enrolled since writes a record of it.
  server_.UseSchemas(GrownSchemas());
  server_.Restart();
  auto ben = EnrolDevice(dir_.File("ben"), server_, server_.NewUserCode("north", "ben", "worker", false));
  ASSERT_OK_AND_ASSIGN(std::string note, ben->Create("field_note", Json{{"text", "bus station"}}));
  ASSERT_OK_AND_ASSIGN(SyncSummary sent, ben->Sync());
  EXPECT_EQ(sent.rejected, 0);

  // Ana's device, still on the old set, syncs: an edit of its own goes up, the note comes down.
  ASSERT_OK(ana->Update(contact, Json{{"location_text", "car park"}}));
  ASSERT_OK_AND_ASSIGN(SyncSummary summary, ana->Sync());
  EXPECT_EQ(summary.pushed, 1);
  EXPECT_EQ(summary.rejected, 0);
  ASSERT_OK_AND_ASSIGN(collections, ana->Collections());
  EXPECT_THAT(collections, Contains("field_note"));
  ASSERT_OK_AND_ASSIGN(auto notes, ana->List("field_note"));
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0]["id"], note);
  EXPECT_EQ(notes[0]["text"], "bus station");

  // And it goes on working on the new set: its own note syncs to the teammate, also after a
  // restart of the app (the schemas were stored).
  ana.reset();
  ClientOptions options;
  options.fast_kdf_for_tests = true;
  ASSERT_OK_AND_ASSIGN(ana, Client::Open(dir_.File("ana"), "field passcode", options));
  ASSERT_OK_AND_ASSIGN(std::string own_note, ana->Create("field_note", Json{{"text", "park"}}));
  ASSERT_OK(SyncUntilQuiet(*ana));
  ASSERT_OK(SyncUntilQuiet(*ben));
  ASSERT_OK_AND_ASSIGN(auto seen, ben->List("field_note"));
  EXPECT_EQ(seen.size(), 2u);
  EXPECT_EQ(Snapshot(*ana), Snapshot(*ben));
}

// Issue 4, task 2: a create the server refuses (made on schemas the server has moved past)
// holds its record's update back with it; once the device has the new schemas, fixing the
// create sends both, and a teammate receives the record whole.
TEST_F(SchemaChangeTest, AFixedCreateIsSentWithTheUpdatesHeldBehindIt) {
  auto ana = EnrolDevice(dir_.File("ana"), server_, server_.NewUserCode("north", "ana", "worker", true));
  ASSERT_OK(SyncUntilQuiet(*ana));
  ASSERT_OK_AND_ASSIGN(std::string person, ana->Create("young_person", Json{
      {"known_as", "Sam"}, {"team_id", "north"}, {"caseload_owner", "ana"}}));
  ASSERT_OK(ana->Update(person, Json{{"aliases", {"S"}}}));

  server_.UseSchemas(YoungPersonV2());
  server_.Restart();
  ASSERT_OK_AND_ASSIGN(SyncSummary refused, ana->Sync());
  EXPECT_EQ(refused.pushed, 0);
  ASSERT_OK_AND_ASSIGN(auto rejected, ana->Rejected());
  ASSERT_EQ(rejected.size(), 2u);
  EXPECT_EQ(rejected[0].change.kind, model::ChangeKind::kCreate);
  EXPECT_THAT(rejected[0].reason, ::testing::HasSubstr("schema version"));
  EXPECT_THAT(rejected[1].reason, ::testing::HasSubstr(rejected[0].change.change_id))
      << "the update names the create it waits for";
  EXPECT_THAT(ana->FixRejected(rejected[1].change.change_id, Json::object()),
              StatusIs(StatusCode::kFailedPrecondition))
      << "the create first";

  ASSERT_OK(ana->FixRejected(rejected[0].change.change_id, Json::object()).status());
  ASSERT_OK_AND_ASSIGN(rejected, ana->Rejected());
  EXPECT_TRUE(rejected.empty());
  ASSERT_OK_AND_ASSIGN(SyncSummary sent, ana->Sync());
  EXPECT_EQ(sent.pushed, 2) << "the create, then its update";
  EXPECT_EQ(sent.rejected, 0);

  auto ben = EnrolDevice(dir_.File("ben"), server_, server_.NewUserCode("north", "ben", "worker", false));
  ASSERT_OK(SyncUntilQuiet(*ben));
  ASSERT_OK_AND_ASSIGN(replica::RecordView seen, ben->Get(person));
  EXPECT_EQ(seen.values["known_as"], "Sam");
  EXPECT_EQ(seen.values["aliases"], Json::array({"S"}));
  EXPECT_EQ(Snapshot(*ana), Snapshot(*ben));
}

// Review 2, finding 1: a retired collection this device holds no record of does not stop its
// syncs (before, every sync failed: the push applied on the server, its answer never on the
// device); one it holds records of is refused, typed, and the device keeps its schemas.
TEST_F(SchemaChangeTest, ARetiredCollectionIsRefusedOnlyWhenTheDeviceHoldsItsRecords) {
  auto ana = EnrolDevice(dir_.File("ana"), server_,
                         server_.NewUserCode("north", "ana", "worker", true));
  ASSERT_OK_AND_ASSIGN(std::string contact, ana->Create("contact", ContactValues("ana", 1)));
  ASSERT_OK(SyncUntilQuiet(*ana));

  server_.UseSchemas(SchemasWithout("intelligence_report"));
  server_.Restart();
  ASSERT_OK(ana->Update(contact, Json{{"location_text", "car park"}}));
  ASSERT_OK_AND_ASSIGN(SyncSummary summary, ana->Sync());
  EXPECT_EQ(summary.pushed, 1);
  ASSERT_OK_AND_ASSIGN(auto collections, ana->Collections());
  EXPECT_THAT(collections, Not(Contains("intelligence_report"))) << "the reload was taken";
  EXPECT_THAT(collections, Contains("contact"));
  ASSERT_OK(ana->Sync().status()) << "on the server's set now";

  server_.UseSchemas(SchemasWithout("contact"));
  server_.Restart();
  EXPECT_THAT(ana->Sync().status(), StatusIs(StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(collections, ana->Collections());
  EXPECT_THAT(collections, Contains("contact")) << "still on the schemas it had";
  ASSERT_OK_AND_ASSIGN(replica::RecordView view, ana->Get(contact));
  EXPECT_EQ(view.values["location_text"], "car park");
  ASSERT_OK(ana->Update(contact, Json{{"location_text", "bus station"}}));
  ASSERT_OK(ana->Create("contact", ContactValues("ana", 2)).status());
  ASSERT_OK_AND_ASSIGN(ClientStatus status, ana->GetStatus());
  EXPECT_EQ(status.pending, 2);
}

}  // namespace
}  // namespace outreach::testing
