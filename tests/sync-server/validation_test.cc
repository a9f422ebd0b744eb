// Pushes the server refuses as a whole before writing anything: invalid content (422, listing
// each bad change), too many changes (413), a cursor it did not make (400).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sync-server/sync/change_checks.h"
#include "tests/sync-server/sync_fixture.h"
#include "tests/testing/status_matchers.h"

namespace outreach::server::testing {
namespace {

using model::Json;
using ::outreach::testing::IsOk;
using ::testing::HasSubstr;

class ValidationTest : public TeammatesFixture {
 protected:
  void SetUp() override {
    TeammatesFixture::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_EQ(CreateYoungPeople(*ana_, {"Skye", "Jay"}).size(), 2u);
    ASSERT_OK_AND_ASSIGN(honest_, ana_->PendingRequest());
    ASSERT_EQ(honest_.changes.size(), 2u);
  }

  // Pushes `request` as Ana; expects `status` and nothing written.
  ServiceError ExpectRefused(const protocol::SyncRequest& request, int status) {
    auto reply = server_->service().Sync(ServerDevice(*ana_), request);
    EXPECT_EQ(HttpStatus(reply), status) << Describe(RefusalOf(reply));
    EXPECT_EQ(StoreCounts(), std::make_pair(std::int64_t{0}, std::int64_t{0}));
    return RefusalOf(reply);
  }

  // The refusal lists exactly the second change (Jay's create), with `reason_part`.
  void ExpectOnlyJayListed(const ServiceError& error, const std::string& reason_part) {
    EXPECT_EQ(error.body.error, "invalid_changes");
    ASSERT_EQ(error.body.rejected.size(), 1u);
    EXPECT_EQ(error.body.rejected[0].change_id, honest_.changes[1].change_id);
    EXPECT_EQ(error.body.rejected[0].outcome, protocol::Outcome::kRejected);
    EXPECT_THAT(error.body.rejected[0].reason, HasSubstr(reason_part));
  }

  protocol::SyncRequest honest_;
};

TEST_F(ValidationTest, InvalidValueRefusesThePushListingTheChange) {
  protocol::SyncRequest request = honest_;
  request.changes[1].registers["known_as"].value = "";  // text needs a character
  request.changes[1].registers["nhs_number"].value = "12345";
  const ServiceError error = ExpectRefused(request, 422);
  ExpectOnlyJayListed(error, "/known_as");
  EXPECT_THAT(error.body.rejected[0].reason, HasSubstr("/nhs_number"));
  EXPECT_THAT(error.body.rejected[0].reason, ::testing::Not(HasSubstr("12345"))) << "no values";

  // Skye's valid create was not applied either; the honest push is.
  const SyncRound round = Synced(*ana_);
  EXPECT_EQ(round.results.size(), 2u);
  EXPECT_EQ(StoreCounts(), std::make_pair(std::int64_t{2}, std::int64_t{2}));
}

// A large push is checked on a check worker while it is applied (PushChecks): invalid
// changes anywhere in it are listed, in the push's order, and nothing is written.
TEST_F(ValidationTest, ALargePushListsEveryInvalidChangeInOrder) {
  std::vector<std::string> names;
  for (int i = 0; i < 600; ++i) names.push_back("Person " + std::to_string(i));
  ASSERT_EQ(CreateYoungPeople(*ana_, names).size(), names.size());
  ASSERT_OK_AND_ASSIGN(protocol::SyncRequest request, ana_->PendingRequest());
  ASSERT_EQ(request.changes.size(), 602u);
  const std::vector<std::size_t> broken{7, 299, 302, 590};
  for (const std::size_t i : broken) request.changes[i].registers["known_as"].value = "";
  const ServiceError error = ExpectRefused(request, 422);
  ASSERT_EQ(error.body.rejected.size(), broken.size());
  for (std::size_t k = 0; k < broken.size(); ++k) {
    EXPECT_EQ(error.body.rejected[k].change_id, request.changes[broken[k]].change_id) << k;
    EXPECT_THAT(error.body.rejected[k].reason, HasSubstr("/known_as"));
  }
}

// Checking a change lends its values to the validation (ContentProblem): they are back in
// place exactly, whether the change is valid or not, for every kind of write, and for the
// writes that are copied rather than lent (the id, a name written twice, a derived field),
// which are judged as before: a register named "id" as the id, the last write of a name.
TEST_F(ValidationTest, CheckingAChangeGivesItsValuesBackAsTheyWere) {
  const schema::SchemaRegistry& schemas = server_->schemas();
  model::Change valid = honest_.changes[0];
  valid.sets["aliases"].added = {"Sky", "S"};
  valid.appends["a_newer_schemas_list"].entries = {Json{{"id", "e1"}, {"text", "seen"}}};
  model::Change invalid = honest_.changes[1];
  invalid.registers["known_as"].value = "";  // text needs a character
  invalid.registers["id"].value = 42;        // checked as the id: not a UUID
  invalid.registers["aliases"].value = 7;    // written twice: the set, written last, is checked
  invalid.sets["aliases"].added = {"J"};
  invalid.appends["twice"].entries = {Json{{"id", "e2"}}};
  invalid.sets["twice"].added = {"t"};
  invalid.registers["a_newer_schemas_field"].value = Json{{"nested", Json::array({1, "two"})}};
  model::Change derived = honest_.changes[1];
  derived.collection = "cse_screening";
  derived.registers.clear();
  derived.registers["computed_score"].value = 7;  // derived: computed by the engine
  for (model::Change* change : {&valid, &invalid, &derived}) {
    const model::Change before = *change;
    (void)ContentProblem(schemas, *change);
    EXPECT_EQ(*change, before) << change->change_id;
  }
  EXPECT_EQ(ContentProblem(schemas, valid), std::nullopt);
  const std::string invalid_problem = ContentProblem(schemas, invalid).value_or("");
  EXPECT_THAT(invalid_problem, HasSubstr("/known_as"));
  EXPECT_THAT(invalid_problem, HasSubstr("/id"));
  EXPECT_THAT(invalid_problem, ::testing::Not(HasSubstr("/aliases")));
  EXPECT_THAT(ContentProblem(schemas, derived).value_or(""), HasSubstr("derived"));
}

TEST_F(ValidationTest, UnknownCollectionIsInvalid) {
  protocol::SyncRequest request = honest_;
  request.changes[1].collection = "gang_map";
  ExpectOnlyJayListed(ExpectRefused(request, 422), "unknown collection");
}

TEST_F(ValidationTest, UnacceptedSchemaVersionIsInvalid) {
  protocol::SyncRequest request = honest_;
  request.changes[1].schema_version = "9.0";
  ExpectOnlyJayListed(ExpectRefused(request, 422), "schema version");
}

TEST_F(ValidationTest, MalformedIdsAreInvalid) {
  protocol::SyncRequest request = honest_;
  request.changes[1].record_id = "jay";
  ExpectOnlyJayListed(ExpectRefused(request, 422), "UUID");
}

TEST_F(ValidationTest, CursorNotMadeByTheServerIsRefused) {
  const std::string team = ana_->identity().team;
  for (const std::string& cursor :
       {std::string("garbage"), std::string("c1."), "c1." + team + ".", "c1." + team + ".-5",
        "c1." + team + ".12x", "c2." + team + ".5", "c1." + team + ".99999999999999999999"}) {
    SCOPED_TRACE("cursor " + cursor);
    protocol::SyncRequest request = honest_;
    request.cursor = cursor;
    EXPECT_EQ(ExpectRefused(request, 400).body.error, "invalid_cursor");
  }
}

class PushLimitTest : public SyncFixture {
 protected:
  SyncLimits Limits() const override {
    SyncLimits limits;
    limits.max_changes_per_push = 2;
    return limits;
  }
};

TEST_F(PushLimitTest, TooManyChangesInOnePushIsRefused) {
  auto ana = NewDevice("ana");
  ASSERT_TRUE(ana);
  ASSERT_EQ(CreateYoungPeople(*ana, {"Skye", "Jay", "Robin"}).size(), 3u);
  ASSERT_OK_AND_ASSIGN(SyncRound round, ana->Sync());
  ASSERT_TRUE(round.refusal);
  EXPECT_EQ(round.refusal->http_status, 413);
  EXPECT_EQ(round.refusal->body.error, "too_many_changes");
  EXPECT_EQ(StoreCounts(), std::make_pair(std::int64_t{0}, std::int64_t{0}));
  ASSERT_OK_AND_ASSIGN(auto unsent, ana->replica().Outbox(replica::OutboxStatus::kPending));
  EXPECT_EQ(unsent.size(), 3u);

  // At the limit is fine.
  ASSERT_OK_AND_ASSIGN(protocol::SyncRequest two, ana->PendingRequest());
  two.changes.resize(2);
  EXPECT_EQ(HttpStatus(server_->service().Sync(ServerDevice(*ana), two)), 200);
}

}  // namespace
}  // namespace outreach::server::testing
