// Review 2, finding 4: a record whose merged values already break a rule across fields (a rule
// conflict the server keeps for review) still takes a worker's unrelated edits; only an edit
// that adds a problem of its own is refused, as on the server (sync-server/sync/README.md).
#include <gtest/gtest.h>

#include "core/merge/merge.h"
#include "core/replica/replica.h"
#include "tests/core/replica/replica_fixture.h"
#include "tests/testing/status_matchers.h"

namespace outreach::replica {
namespace {

using model::Json;
using ::outreach::testing::IsOk;
using ::outreach::testing::StatusIs;

class ReplicaRuleConflictTest : public testing::ReplicaFixture {
 protected:
  // A contact whose server state says a disclosure was made (a colleague's edit merged with
  // this device's) and has no disclosure details: it breaks "a disclosure has its details".
  std::string ContactBreakingARule() {
    auto id = replica_->Create("contact", Contact("0190a6c2-0000-7000-8000-0000000000b1"));
    EXPECT_THAT(id.status(), IsOk());
    auto pending = replica_->Outbox(OutboxStatus::kPending);
    EXPECT_THAT(pending.status(), IsOk());
    if (!id.ok() || !pending.ok() || pending->empty()) return "";
    const model::Change create = (*pending)[0].change;
    EXPECT_THAT(replica_->MarkAccepted(create.change_id), IsOk());
    const schema::RecordSchema& schema = *schemas_->Find("contact");
    model::RecordState server = merge::Merge(schema, {}, create).state;
    model::Change colleague = create;
    colleague.change_id = "0190a6c2-0000-7000-8000-0000000000c1";
    colleague.kind = model::ChangeKind::kUpdate;
    colleague.version = model::Version{model::Hlc{clock_.NowMs() + 1, 0}, "tablet-2"};
    colleague.author = "user-2";
    colleague.registers.clear();
    colleague.appends.clear();
    colleague.sets.clear();
    colleague.registers["disclosure_made"] = model::RegisterWrite{true, {}};
    server = merge::Merge(schema, server, colleague).state;
    EXPECT_THAT(replica_->ApplyServerRecord(server), IsOk());
    clock_.Advance(1000);
    return *id;
  }
};

TEST_F(ReplicaRuleConflictTest, AnUnrelatedEditOfARecordBreakingARuleIsSaved) {
  const std::string id = ContactBreakingARule();
  ASSERT_FALSE(id.empty());
  std::vector<schema::ValidationProblem> problems;
  EXPECT_THAT(replica_->Update(id, Json{{"location_text", "bus station"}}, &problems), IsOk());
  EXPECT_TRUE(problems.empty()) << "the rule it already broke is not this edit's";
  EXPECT_THAT(replica_->Append(id, "summary", Json{{"author", "user-1"},
                                                   {"at", "2026-11-25T22:00:00Z"},
                                                   {"text", "came back later"}})
                  .status(),
              IsOk());
  ASSERT_OK_AND_ASSIGN(RecordView view, replica_->Get(id));
  EXPECT_EQ(view.values["location_text"], "bus station");
  EXPECT_EQ(view.values["summary"].size(), 2u);
}

TEST_F(ReplicaRuleConflictTest, AnEditAddingAProblemOfItsOwnIsStillRefused) {
  const std::string id = ContactBreakingARule();
  ASSERT_FALSE(id.empty());
  // Submitted with a disclosure: the immediate actions and the sharing decision are missing.
  std::vector<schema::ValidationProblem> problems;
  EXPECT_THAT(replica_->Update(id, Json{{"status", "submitted"}}, &problems),
              StatusIs(StatusCode::kInvalidArgument));
  ASSERT_FALSE(problems.empty());
  for (const auto& problem : problems) {
    EXPECT_NE(problem.pointer, "/disclosure_details") << "only what the edit adds is listed";
  }
  ASSERT_OK_AND_ASSIGN(auto pending, replica_->Outbox(OutboxStatus::kPending));
  EXPECT_TRUE(pending.empty()) << "nothing was written";
}

}  // namespace
}  // namespace outreach::replica
