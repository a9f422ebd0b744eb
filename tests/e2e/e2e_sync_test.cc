// End to end through a real outreach-server over TLS: pushes into another team's records
// (I6; three devices in two teams working offline: e2e_teams_test.cc); a replayed push (I3); a
// long pull in pages with writes arriving between pages (I4); the sync progress sequence.
#include <algorithm>
#include <random>
#include <set>

#include <gtest/gtest.h>

#include "core/model/uuid.h"
#include "core/protocol/binary_codec.h"
#include "tests/e2e/e2e_util.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_scale.h"

namespace outreach::testing {
namespace {

using model::Json;

class EndToEnd : public ::testing::Test {
 protected:
  TempDir dir_;
  ServerProcess server_{dir_.path()};
};

TEST_F(EndToEnd, PushesIntoAnotherTeamAreRefusedAndChangeNothing) {
  RawDevice north = EnrolRaw(server_, server_.NewUserCode("north", "ana", "worker", true));
  RawDevice south = EnrolRaw(server_, server_.NewUserCode("south", "cal", "worker", true));
  protocol::SyncRequest create;
  create.changes.push_back(north.NewContact(1'764'000'000'000, 1));
  ASSERT_EQ(north.Sync(create).status, 200);

  protocol::SyncRequest into_north;
  into_north.changes.push_back(south.NewContact(1'764'000'000'100, 2));
  into_north.changes.back().team = north.identity.team;
  EXPECT_EQ(south.Sync(into_north).status, 403);
  // The same record id under the pusher's own team: still another team's record.
  protocol::SyncRequest hijack;
  hijack.changes.push_back(south.NewContact(1'764'000'000'200, 3));
  hijack.changes.back().record_id = create.changes[0].record_id;
  EXPECT_EQ(south.Sync(hijack).status, 403);

  const auto pulled = protocol::DecodeBinaryResponse(south.Sync({}).body);
  ASSERT_OK(pulled.status());
  EXPECT_TRUE(pulled->records.empty());
  const auto north_view = protocol::DecodeBinaryResponse(north.Sync({}).body);
  ASSERT_OK(north_view.status());
  ASSERT_EQ(north_view->records.size(), 1u);
  EXPECT_EQ(north_view->records[0].registers.at("created_by").candidates[0].value, north.identity.user_id);
}

TEST_F(EndToEnd, APushReplayedTenTimesIsAppliedOnce) {
  RawDevice device = EnrolRaw(server_, server_.NewUserCode("north", "ana", "worker", true));
  protocol::SyncRequest push;
  for (int i = 0; i < 3; ++i) push.changes.push_back(device.NewContact(1'764'000'000'000 + i, i));
  std::string first_pull;
  for (int replay = 0; replay < 10; ++replay) {
    const auto answer = device.Sync(push);
    ASSERT_EQ(answer.status, 200);
    ASSERT_OK_AND_ASSIGN(auto response, protocol::DecodeBinaryResponse(answer.body));
    for (const auto& result : response.results) {
      EXPECT_EQ(result.outcome, replay == 0 ? protocol::Outcome::kApplied : protocol::Outcome::kDuplicate);
    }
    // What a device pulling from the start receives never changes after the first push.
    const std::string pull = device.Sync({}).body;
    ASSERT_OK_AND_ASSIGN(auto pulled, protocol::DecodeBinaryResponse(pull));
    EXPECT_EQ(pulled.records.size(), 3u);
    std::string records;
    for (const auto& record : pulled.records) records += protocol::EncodeRecordState(record);
    if (replay == 0) first_pull = records;
    EXPECT_EQ(records, first_pull);
  }
}

// I4: 25,000 records pulled in pages of 1,000 while another device keeps writing.
TEST_F(EndToEnd, ALongPullWithWritesBetweenPagesMissesNothingAndRepeatsNothing) {
  const std::string code = server_.NewUserCode("north", "ana", "worker", true);
  RawDevice writer = EnrolRaw(server_, code);
  std::vector<model::Change> created;
  std::int64_t ms = 1'764'000'000'000;
  // 25,000 records in pages of 1,000 (a tenth of both under the sanitizers).
  const int records = Scaled(25000, 2500);
  const std::uint32_t page_size = static_cast<std::uint32_t>(records / 25);
  for (int batch = 0; batch < 5; ++batch) {
    protocol::SyncRequest push;
    for (int i = 0; i < records / 5; ++i) push.changes.push_back(writer.NewContact(++ms, batch * 5000 + i));
    ASSERT_EQ(writer.Sync(push).status, 200);
    created.insert(created.end(), push.changes.begin(), push.changes.end());
  }

  auto reader = EnrolDevice(dir_.File("reader"), server_, server_.NewUserCode("north", "ben", "worker", false));
  int pages = 0, written_between = 0, edited = 0;
  bool writing = true;
  std::map<std::string, std::string> edits;
  SyncOptions options;
  options.page_size = page_size;
  options.progress = [&](const SyncProgress& progress) {
    if (progress.phase != SyncPhase::kPull || !writing) return;
    ++pages;
    // A new record and an edit of a record pulled long ago, between every two pages.
    protocol::SyncRequest push;
    push.changes.push_back(writer.NewContact(++ms, 100000 + pages));
    model::Change edit;
    const model::Change& original = created[static_cast<std::size_t>(pages) * 7];
    edit.change_id = model::NewUuidV7(++ms);
    edit.record_id = original.record_id;
    edit.collection = "contact";
    edit.team = original.team;
    edit.schema_version = "1.0";
    edit.version = model::Version{model::Hlc{ms, 0}, writer.identity.device_id};
    edit.author = writer.identity.user_id;
    edit.author_role = writer.identity.role;
    const std::string place = "moved " + std::to_string(pages);
    edit.registers["location_text"] = {place, {}};
    edit.registers["location_text"].base.Add(original.version);
    push.changes.push_back(edit);
    if (writer.Sync(push).status == 200) {
      ++written_between;
      ++edited;
      edits[original.record_id] = place;
    }
  };
  ASSERT_OK_AND_ASSIGN(SyncSummary summary, reader->Sync(options));
  // What was written after the last page arrives with the next sync.
  writing = false;
  ASSERT_OK_AND_ASSIGN(SyncSummary rest, reader->Sync(options));
  summary.pulled += rest.pulled;
  EXPECT_GE(pages, 25);
  ASSERT_OK_AND_ASSIGN(auto contacts, reader->List("contact"));
  EXPECT_EQ(contacts.size(), static_cast<std::size_t>(records + written_between));
  std::set<std::string> ids;
  for (const Json& contact : contacts) ids.insert(contact["id"].get<std::string>());
  EXPECT_EQ(ids.size(), contacts.size());
  for (const auto& change : created) EXPECT_EQ(ids.count(change.record_id), 1u);
  for (const auto& [id, place] : edits) {
    ASSERT_OK_AND_ASSIGN(auto view, reader->Get(id));
    EXPECT_EQ(view.values["location_text"], place) << id;
  }
  // Each record arrives once, plus once more for each edit made after it was pulled.
  EXPECT_EQ(summary.pulled, records + written_between + edited);
}

// The progress a sync reports, a progress bar's figures (review finding g): before each push
// leaves, its size (bytes_leaving) and a total that counts the rest of the outbox too; after
// each answer, everything so far done, and the total still above it while batches remain;
// equal once the last batch has left and been answered, and at done, with the summary's
// byte counts.
TEST_F(EndToEnd, SyncProgressEstimatesTheWholePushAndCountsEachAnswerOnArrival) {
  auto ana = EnrolDevice(dir_.File("ana"), server_, server_.NewUserCode("north", "ana", "worker", true));
  for (int i = 0; i < 3; ++i) ASSERT_OK(ana->Create("contact", ContactValues("ana", i)).status());
  std::vector<SyncProgress> steps;
  SyncOptions options;
  options.push_batch = 2;
  options.progress = [&](const SyncProgress& progress) { steps.push_back(progress); };
  ASSERT_OK_AND_ASSIGN(SyncSummary summary, ana->Sync(options));

  // Two pushes (2 + 1 changes), each reported before and after, then done: the outbox was
  // read empty behind the second, whose answer carried the page.
  const std::vector<SyncPhase> phases{SyncPhase::kPush, SyncPhase::kPush, SyncPhase::kPush,
                                      SyncPhase::kPush, SyncPhase::kDone};
  ASSERT_EQ(steps.size(), phases.size());
  std::int64_t pushed_bytes = 0;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    SCOPED_TRACE("step " + std::to_string(i));
    EXPECT_EQ(steps[i].phase, phases[i]);
    if (i > 0) {
      EXPECT_GE(steps[i].bytes_done, steps[i - 1].bytes_done);
    }
    const bool before_push = i == 0 || i == 2;
    if (before_push) {
      EXPECT_EQ(steps[i].changes_total, 3);
      EXPECT_GT(steps[i].bytes_leaving, 0) << "the push's body is on its way";
      pushed_bytes += steps[i].bytes_leaving;
      // Its answer arrives: done passes what was done and on its way, by the answer's size.
      EXPECT_GT(steps[i + 1].bytes_done, steps[i].bytes_done + steps[i].bytes_leaving);
    } else {
      EXPECT_EQ(steps[i].bytes_leaving, 0);
    }
    if (i < 2) {
      EXPECT_GT(steps[i].bytes_total, steps[i].bytes_done + steps[i].bytes_leaving)
          << "the last batch is still to come";
    } else {
      EXPECT_EQ(steps[i].bytes_total, steps[i].bytes_done + steps[i].bytes_leaving)
          << "nothing after what is on its way";
    }
  }
  // Before the first push, the whole outbox: this body and about half of it again (1 of 3
  // changes left after it, at this body's bytes per change).
  EXPECT_EQ(steps[0].bytes_total, steps[0].bytes_leaving + steps[0].bytes_leaving / 2);
  EXPECT_EQ(steps[0].changes_done, 0);
  EXPECT_EQ(steps[1].changes_done, 2);
  EXPECT_EQ(steps[2].changes_done, 2);
  EXPECT_EQ(steps[3].changes_done, 3);
  EXPECT_EQ(steps[0].bytes_done, 0);
  EXPECT_EQ(steps.back().bytes_done, summary.bytes_sent + summary.bytes_received);
  EXPECT_EQ(summary.bytes_sent, pushed_bytes) << "the pushes alone";
  EXPECT_EQ(summary.requests, 2);
}

}  // namespace
}  // namespace outreach::testing
