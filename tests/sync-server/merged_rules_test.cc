// The schema's rules across fields on the record as merged (sync-server/sync/README.md, "Rules
// across fields"): two concurrent edits, each valid on its author's tablet, that together
// break a rule are both kept, as a conflict for review; a change that breaks a rule on the
// record its author had seen is refused with the whole push, nothing written.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/model/uuid.h"
#include "core/protocol/binary_codec.h"
#include "core/schema/schema_registry.h"
#include "core/schema/schema_version.h"
#include "sync-server/sync/merged_rules.h"
#include "tests/sync-server/sync_fixture.h"
#include "tests/testing/status_matchers.h"

namespace outreach::server::testing {
namespace {

using model::Json;
using ::outreach::testing::IsOk;
using ::testing::HasSubstr;
using ::testing::Not;

// The rule both scenarios break: "A submitted contact with a disclosure records the immediate
// actions and the sharing decision" (schemas/contact.schema.json).
class MergedRulesTest : public TeammatesFixture {
 protected:
  void SetUp() override {
    TeammatesFixture::SetUp();
    if (HasFatalFailure()) return;
    const auto people = CreateYoungPeople(*ana_, {"Skye"});
    ASSERT_EQ(people.size(), 1u);
    ASSERT_OK_AND_ASSIGN(contact_, ana_->replica().Create("contact", Contact(*ana_, people[0])));
    Synced(*ana_);
    Synced(*ben_);
    server_->clock().Advance(60'000);
  }

  // A disclosure as Ben records it on the draft he holds: valid there.
  static Json Disclosure() {
    return Json{{"disclosure_made", true},
                {"disclosure_details",
                 {{{"id", model::NewUuidV7(kStartMs)},
                   {"what", "Older male gives her lifts and cigarettes"},
                   {"to_whom", "worker"},
                   {"when", "2025-11-24T15:30:00Z"}}}}};
  }

  // What mends the broken rule: an immediate action and a sharing decision.
  static Json ActionsAndSharing() {
    return Json{{"immediate_risk_actions",
                 {{{"id", model::NewUuidV7(kStartMs + 1)}, {"action", "manager_told"}}}},
                {"info_shared",
                 {{{"id", model::NewUuidV7(kStartMs + 2)},
                   {"what", "Disclosure details"},
                   {"with_whom", "Children's social care"},
                   {"purpose", "Safeguarding"},
                   {"lawful_basis", "Children Act 1989 s.47"},
                   {"reason_without_consent", "Risk of significant harm"}}}}};
  }

  // The record as the server holds it (nullopt if it holds none), read in a push that is
  // rolled back.
  std::optional<StoredRecord> Stored(const std::string& record_id) {
    auto push = server_->store().BeginPush();
    EXPECT_THAT(push, IsOk());
    if (!push.ok()) return std::nullopt;
    auto stored = (*push)->LoadRecord(record_id);
    EXPECT_THAT(stored, IsOk());
    return stored.ok() ? *stored : std::nullopt;
  }
  std::string StoredBytes(const std::string& record_id) {
    const auto stored = Stored(record_id);
    return stored ? stored->state : "";
  }

  // The contact as the server holds it: its queue count and its current values' problems.
  std::pair<int, std::vector<schema::ValidationProblem>> StoredRules() {
    const auto stored = Stored(contact_);
    EXPECT_TRUE(stored.has_value());
    if (!stored) return {};
    auto state = protocol::DecodeRecordState(stored->state);
    EXPECT_THAT(state, IsOk());
    if (!state.ok()) return {};
    return {stored->conflicts, RuleProblems(*server_->schemas().Find("contact"), *state)};
  }

  std::string contact_;
};

TEST_F(MergedRulesTest, ConcurrentEditsThatBreakARuleTogetherAreBothKeptForReview) {
  ASSERT_THAT(ana_->replica().Update(contact_, Json{{"status", "submitted"}}), IsOk());
  server_->clock().Advance(1);
  ASSERT_THAT(ben_->replica().Update(contact_, Disclosure()), IsOk());

  EXPECT_EQ(Outcomes(Synced(*ana_)), std::vector{protocol::Outcome::kApplied});
  const SyncRound second = Synced(*ben_);
  ASSERT_EQ(Outcomes(second), std::vector{protocol::Outcome::kConflict});
  EXPECT_THAT(second.results[0].reason, HasSubstr("rule_conflict"));
  EXPECT_THAT(second.results[0].reason, HasSubstr("/immediate_risk_actions"));
  EXPECT_THAT(second.results[0].reason, HasSubstr("/info_shared"));
  EXPECT_THAT(second.results[0].reason, Not(HasSubstr("cigarettes"))) << "no values";
  Synced(*ana_);

  // Nothing lost: both workers' values are in the record every replica holds (I1, I2).
  ExpectSameRecord(*ana_, *ben_, contact_);
  ASSERT_OK_AND_ASSIGN(replica::RecordView view, ana_->replica().Get(contact_));
  EXPECT_EQ(view.values["status"], "submitted");
  EXPECT_EQ(view.values["disclosure_made"], true);
  EXPECT_EQ(view.values["disclosure_details"].size(), 1u);

  // The administrators' queue lists it, by the rule's fields.
  ASSERT_OK_AND_ASSIGN(auto queue, server_->store().ListConflicts());
  ASSERT_EQ(queue.size(), 1u);
  EXPECT_EQ(queue[0].record_id, contact_);
  // Each problem counts: the two missing lists and the rule itself (at the record's root).
  const auto [count, problems] = StoredRules();
  EXPECT_EQ(count, static_cast<int>(problems.size()));
  std::set<std::string> fields;
  for (const auto& problem : problems) fields.insert(ProblemField(problem));
  EXPECT_EQ(fields, (std::set<std::string>{"", "immediate_risk_actions", "info_shared"}));

  // A team leader mends it with an ordinary edit; the record leaves the queue everywhere.
  auto lee = NewDevice("lee");
  ASSERT_TRUE(lee);
  Synced(*lee);
  ASSERT_THAT(lee->replica().Update(contact_, ActionsAndSharing()), IsOk());
  EXPECT_EQ(Outcomes(Synced(*lee)), std::vector{protocol::Outcome::kApplied});
  ASSERT_OK_AND_ASSIGN(queue, server_->store().ListConflicts());
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(StoredRules().first, 0);
  Synced(*ana_);
  Synced(*ben_);
  ExpectSameRecord(*ana_, *lee, contact_);
  ExpectSameRecord(*ben_, *lee, contact_);
}

TEST_F(MergedRulesTest, WhoeverSyncsSecondGetsTheConflictAndALaterEditIsNotBlamedForIt) {
  // Ben's disclosure arrives first this time; Ana then pushes her submission and, behind it,
  // an unrelated edit of the same contact made on her tablet before she saw Ben's.
  ASSERT_THAT(ben_->replica().Update(contact_, Disclosure()), IsOk());
  server_->clock().Advance(1);
  ASSERT_THAT(ana_->replica().Update(contact_, Json{{"status", "submitted"}}), IsOk());
  server_->clock().Advance(1);
  ASSERT_THAT(ana_->replica().Update(contact_, Json{{"location_text", "Bus station, east side"}}),
              IsOk());

  EXPECT_EQ(Outcomes(Synced(*ben_)), std::vector{protocol::Outcome::kApplied});
  const SyncRound round = Synced(*ana_);
  // The location edit breaks nothing the record did not already break: applied as usual.
  EXPECT_EQ(Outcomes(round),
            (std::vector{protocol::Outcome::kConflict, protocol::Outcome::kApplied}));
  Synced(*ben_);
  ExpectSameRecord(*ana_, *ben_, contact_);
  ASSERT_OK_AND_ASSIGN(replica::RecordView view, ben_->replica().Get(contact_));
  EXPECT_EQ(view.values["status"], "submitted");
  EXPECT_EQ(view.values["disclosure_made"], true);
  EXPECT_EQ(view.values["location_text"], "Bus station, east side");
  EXPECT_EQ(StoredRules().first, 3);
}

TEST_F(MergedRulesTest, AChangeThatBreaksARuleOnTheRecordItsAuthorSawRefusesThePush) {
  // Ana's tablet would never send this (it validates the whole record): a submission that
  // also claims a disclosure, with none of what a disclosure needs, on her own contact.
  ASSERT_THAT(ana_->replica().Update(contact_, Json{{"status", "submitted"}}), IsOk());
  ASSERT_OK_AND_ASSIGN(protocol::SyncRequest request, ana_->PendingRequest());
  ASSERT_EQ(request.changes.size(), 1u);
  request.changes[0].registers["disclosure_made"] = model::RegisterWrite{true, {}};
  // And, in the same push, a valid new record: refused with it.
  ASSERT_EQ(CreateYoungPeople(*ana_, {"Jay"}).size(), 1u);
  ASSERT_OK_AND_ASSIGN(protocol::SyncRequest pending, ana_->PendingRequest());
  ASSERT_EQ(pending.changes.size(), 2u);
  request.changes.push_back(pending.changes[1]);

  const auto counts = StoreCounts();
  const std::string before = StoredBytes(contact_);
  ASSERT_FALSE(before.empty());

  auto reply = server_->service().Sync(ServerDevice(*ana_), request);
  ASSERT_EQ(HttpStatus(reply), 422) << Describe(RefusalOf(reply));
  const ServiceError error = RefusalOf(reply);
  EXPECT_EQ(error.body.error, "invalid_changes");
  ASSERT_EQ(error.body.rejected.size(), 1u);
  EXPECT_EQ(error.body.rejected[0].change_id, request.changes[0].change_id);
  EXPECT_EQ(error.body.rejected[0].outcome, protocol::Outcome::kRejected);
  EXPECT_THAT(error.body.rejected[0].reason, HasSubstr("/disclosure_details"));

  // Nothing of the push was written: no record, no remembered change, the contact as it was.
  EXPECT_EQ(StoreCounts(), counts);
  EXPECT_EQ(StoredBytes(contact_), before);
  EXPECT_EQ(StoredBytes(request.changes[1].record_id), "");
}

TEST_F(MergedRulesTest, TheSameChangeAsAnHonestTabletSendsItIsApplied) {
  // The control for the refusal above: the submission alone breaks nothing.
  ASSERT_THAT(ana_->replica().Update(contact_, Json{{"status", "submitted"}}), IsOk());
  EXPECT_EQ(Outcomes(Synced(*ana_)), std::vector{protocol::Outcome::kApplied});
  EXPECT_EQ(StoredRules().first, 0);
  EXPECT_TRUE(StoredRules().second.empty());
}

// A record saved under an older schema, which had fewer rules, may break one of today's with
// its count at 0. An edit of a field no rule reads must not keep it out of the queue: the
// rules are checked again (the stored version is not the schema's), and the count made now.
TEST_F(MergedRulesTest, AnEditOfARuleFreeFieldCountsTheRulesOfARecordSavedUnderAnOlderSchema) {
  {
    const auto stored = Stored(contact_);
    ASSERT_TRUE(stored.has_value());
    ASSERT_OK_AND_ASSIGN(model::RecordState state, protocol::DecodeRecordState(stored->state));
    const model::Version older{model::Hlc{kStartMs + 5, 0}, "0190a5d2-0000-7000-8000-00000000aaaa"};
    for (const auto& [field, value] : {std::pair<std::string, Json>{"status", "submitted"},
                                       std::pair<std::string, Json>{"disclosure_made", true}}) {
      model::RegisterState& reg = state.registers[field];
      reg.candidates = {model::Candidate{value, older, "someone"}};
      reg.seen.Add(older);
    }
    state.schema_version = "0.9";
    auto push = server_->store().BeginPush();
    ASSERT_THAT(push, IsOk());
    StoredRecord saved = *stored;
    saved.state = protocol::EncodeRecordState(state);
    saved.conflicts = 0;  // counted under a schema without the rule
    ASSERT_THAT((*push)->SaveRecord(contact_, saved).status(), IsOk());
    ASSERT_THAT((*push)->Commit(), IsOk());
  }
  Synced(*ana_);
  ASSERT_THAT(ana_->replica().Update(contact_, Json{{"location_text", "Bus station"}}), IsOk());
  EXPECT_EQ(Outcomes(Synced(*ana_)), std::vector{protocol::Outcome::kApplied})
      << "not her doing: the record broke the rule before her edit";
  const auto [count, problems] = StoredRules();
  EXPECT_FALSE(problems.empty());
  EXPECT_EQ(count, static_cast<int>(problems.size())) << "in the queue, by today's rules";
}

// When the server may skip checking the rules again after an update (RulesStillHold): only an
// update applied as written, of values of fields no rule reads, to a record that broke no
// rule and had no open conflict, under the schema's own version.
class RulesStillHoldTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto schemas = schema::SchemaRegistry::LoadDirectory(OUTREACH_SCHEMA_DIR);
    ASSERT_THAT(schemas, IsOk());
    schemas_.emplace(*std::move(schemas));
    contact_ = schemas_->Find("contact");
    ASSERT_NE(contact_, nullptr);
    stored_version_ = schema::SchemaVersionString(contact_->version());
    edit_.schema_version = stored_version_;
    edit_.kind = model::ChangeKind::kUpdate;
    edit_.registers["location_text"] = model::RegisterWrite{"Bus station, east side", {}};
  }
  bool Holds(int stored_conflicts = 0, protocol::Outcome outcome = protocol::Outcome::kApplied) {
    return RulesStillHold(*contact_, stored_conflicts, stored_version_, edit_, outcome);
  }

  std::optional<schema::SchemaRegistry> schemas_;
  const schema::RecordSchema* contact_ = nullptr;
  std::string stored_version_;  // the stored record's, before the merge
  model::Change edit_;
};

TEST_F(RulesStillHoldTest, AnEditOfAFieldNoRuleReadsOnAValidRecord) {
  EXPECT_TRUE(Holds());
  edit_.registers["geo_point"] = model::RegisterWrite{Json{{"lat", 51.5}, {"lon", -0.1}}, {}};
  EXPECT_TRUE(Holds());
}

TEST_F(RulesStillHoldTest, AnythingElseIsCheckedAgain) {
  EXPECT_FALSE(Holds(/*stored_conflicts=*/1)) << "a record in the queue: its count is remade";
  EXPECT_FALSE(Holds(0, protocol::Outcome::kMerged)) << "a concurrent value may show";
  EXPECT_FALSE(Holds(0, protocol::Outcome::kConflict));
  {
    const model::Change saved = edit_;
    edit_.registers["status"] = model::RegisterWrite{"submitted", {}};
    EXPECT_FALSE(Holds()) << "a rule reads status";
    edit_ = saved;
    edit_.registers["location_text"].value = nullptr;
    EXPECT_FALSE(Holds()) << "a cleared field leaves the record: required may break";
    edit_ = saved;
    edit_.appends["observations"] = model::AppendWrite{};
    EXPECT_FALSE(Holds()) << "registers only";
    edit_ = saved;
    edit_.kind = model::ChangeKind::kCreate;
    EXPECT_FALSE(Holds());
    edit_ = saved;
    edit_.registers.clear();
    EXPECT_FALSE(Holds()) << "writes nothing";
  }
  stored_version_ = "0.9";
  EXPECT_FALSE(Holds()) << "counted under another version, though the change is of this one";
}

}  // namespace
}  // namespace outreach::server::testing
