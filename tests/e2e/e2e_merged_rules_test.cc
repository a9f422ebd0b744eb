// A schema rule across fields broken by two concurrent edits, each valid on its tablet, through
// a real outreach-server (sync-server/sync/README.md, "Rules across fields"): neither worker's
// change is refused or lost, the administrators' queue lists the record by the rule's fields,
// and a team leader's ordinary edit mends it.
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/model/uuid.h"
#include "tests/e2e/e2e_util.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace outreach::testing {
namespace {

using model::Json;

// The lines of `outreach-server admin conflicts` about `record_id`.
std::vector<std::string> QueueLines(const ServerProcess& server, const std::string& record_id) {
  std::vector<std::string> lines;
  std::istringstream queue(server.Admin({"conflicts"}));
  for (std::string line; std::getline(queue, line);) {
    if (line.rfind(record_id, 0) == 0) lines.push_back(line);
  }
  return lines;
}

TEST(EndToEndRules, ConcurrentEditsBreakingARuleTogetherAreKeptForReviewAndMended) {
  TempDir dir;
  ServerProcess server(dir.path());
  auto ana = EnrolDevice(dir.File("ana"), server, server.NewUserCode("north", "ana", "worker", true));
  auto ben = EnrolDevice(dir.File("ben"), server, server.NewUserCode("north", "ben", "worker", false));
  auto lee = EnrolDevice(dir.File("lee"), server, server.NewUserCode("north", "lee", "team_leader", false));
  ASSERT_OK_AND_ASSIGN(const std::string contact, ana->Create("contact", ContactValues("ana", 1)));
  ASSERT_OK(SyncUntilQuiet(*ana));
  ASSERT_OK(SyncUntilQuiet(*ben));

  // Offline, each valid on its own tablet: Ana submits the contact; Ben records a disclosure
  // on the draft he holds. Together: a submitted contact with a disclosure and neither the
  // immediate actions nor the sharing decision the schema then requires.
  ASSERT_OK(ana->Update(contact, Json{{"status", "submitted"}}));
  ASSERT_OK(ben->Update(contact, Json{{"disclosure_made", true},
                                      {"disclosure_details",
                                       {{{"id", model::NewUuidV7(1'764'000'000'000)},
                                         {"what", "An older male gives her lifts"},
                                         {"to_whom", "ana"},
                                         {"when", "2026-11-01T20:00:00Z"}}}}}));
  ASSERT_OK_AND_ASSIGN(SyncSummary first, ana->Sync());
  EXPECT_EQ(first.pushed, 1);
  EXPECT_EQ(first.conflicts, 0);
  ASSERT_OK_AND_ASSIGN(SyncSummary second, ben->Sync());
  EXPECT_EQ(second.pushed, 1);
  EXPECT_EQ(second.rejected, 0) << "a valid change is never refused for someone else's edit";
  EXPECT_EQ(second.conflicts, 1);
  ASSERT_OK(SyncUntilQuiet(*ana));
  ASSERT_OK(SyncUntilQuiet(*ben));

  // Both workers' values are in the record both tablets hold (I1, I2).
  EXPECT_EQ(Snapshot(*ana), Snapshot(*ben));
  ASSERT_OK_AND_ASSIGN(auto view, ben->Get(contact));
  EXPECT_EQ(view.values["status"], "submitted");
  EXPECT_EQ(view.values["disclosure_made"], true);
  EXPECT_EQ(view.values["disclosure_details"].size(), 1u);
  for (Client* device : {ana.get(), ben.get()}) {
    ASSERT_OK_AND_ASSIGN(auto status, device->GetStatus());
    EXPECT_EQ(status.pending, 0);
    EXPECT_EQ(status.rejected, 0);
  }

  // The administrators see the record by the rule's fields, never its values.
  const auto queued = QueueLines(server, contact);
  std::string lines;
  for (const std::string& line : queued) lines += line + "\n";
  EXPECT_NE(lines.find("immediate_risk_actions rule"), std::string::npos) << lines;
  EXPECT_NE(lines.find("info_shared rule"), std::string::npos) << lines;
  EXPECT_EQ(lines.find("lifts"), std::string::npos) << "no values in the queue";

  // The team leader adds the action and the sharing decision: valid again, off the queue.
  ASSERT_OK(SyncUntilQuiet(*lee));
  ASSERT_OK(lee->Update(contact, Json{{"immediate_risk_actions",
                                       {{{"id", model::NewUuidV7(1'764'000'000'001)},
                                         {"action", "manager_told"}}}},
                                      {"info_shared",
                                       {{{"id", model::NewUuidV7(1'764'000'000'002)},
                                         {"what", "The disclosure"},
                                         {"with_whom", "Children's social care"},
                                         {"purpose", "Safeguarding"},
                                         {"lawful_basis", "Children Act 1989 s.47"},
                                         {"reason_without_consent", "Risk of harm"}}}}}));
  ASSERT_OK_AND_ASSIGN(SyncSummary mended, lee->Sync());
  EXPECT_EQ(mended.pushed, 1);
  EXPECT_EQ(mended.conflicts, 0);
  EXPECT_TRUE(QueueLines(server, contact).empty());
  ASSERT_OK(SyncUntilQuiet(*ana));
  ASSERT_OK(SyncUntilQuiet(*ben));
  EXPECT_EQ(Snapshot(*ana), Snapshot(*lee));
  EXPECT_EQ(Snapshot(*ben), Snapshot(*lee));
}

}  // namespace
}  // namespace outreach::testing
