// Example records of every type against the real schemas: the valid ones pass in both modes;
// broken copies get problems at the right JSON pointers, with no field value in the messages.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>

#include "core/schema/derived_fields.h"
#include "core/schema/schema_registry.h"
#include "tests/core/schema/schema_test_util.h"

namespace outreach::schema {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using Json = nlohmann::json;

const RecordSchema* Find(const std::string& collection) {
  const SchemaRegistry* registry = testing::RealSchemas();
  return registry == nullptr ? nullptr : registry->Find(collection);
}

TEST(RecordExamplesTest, ValidExamplesPassAsUserInput) {
  for (const char* collection : {"young_person", "contact", "cse_screening", "missing_episode",
                                 "referral", "intelligence_report", "consent"}) {
    SCOPED_TRACE(collection);
    const RecordSchema* schema = Find(collection);
    ASSERT_NE(schema, nullptr);
    EXPECT_THAT(schema->Validate(testing::ValidExample(collection), ValidationMode::kUserInput),
                IsEmpty());
  }
}

TEST(RecordExamplesTest, ValidExamplesWithDerivedFieldsPassAsStoredState) {
  for (const char* collection : {"young_person", "contact", "cse_screening", "missing_episode",
                                 "referral", "intelligence_report", "consent"}) {
    SCOPED_TRACE(collection);
    const RecordSchema* schema = Find(collection);
    ASSERT_NE(schema, nullptr);
    Json values = testing::ValidExample(collection);
    values.update(ComputeDerived(*schema, values));
    EXPECT_THAT(schema->Validate(values, ValidationMode::kStoredState), IsEmpty());
  }
}

struct BrokenCase {
  const char* name;
  const char* collection;
  std::function<void(Json&)> edit;
  ValidationProblem expected;
  const char* leak_probe = nullptr;  // a value the edit wrote that must not reach the message
};

std::vector<BrokenCase> BrokenCases() {
  return {
      {"missing required field",
       "young_person",
       [](Json& v) { v.erase("known_as"); },
       {"/known_as", "is required"}},
      {"wrong type",
       "young_person",
       [](Json& v) { v["dob_estimated"] = "yes-LEAK"; },
       {"/dob_estimated", "has the wrong type"},
       "yes-LEAK"},
      {"bad date",
       "young_person",
       [](Json& v) { v["date_of_birth"] = "14/03/2009"; },
       {"/date_of_birth", "is not a valid date (YYYY-MM-DD)"},
       "14/03/2009"},
      {"risk level out of range",
       "young_person",
       [](Json& v) { v["current_cse_risk"] = "extreme"; },
       {"/current_cse_risk", "is not one of the allowed values"},
       "extreme"},
      {"bad NHS number",
       "young_person",
       [](Json& v) { v["nhs_number"] = "94347659"; },
       {"/nhs_number", "does not match the required pattern"},
       "94347659"},
      {"status out of range",
       "contact",
       [](Json& v) { v["status"] = "closed-LEAK"; },
       {"/status", "is not one of the allowed values"},
       "closed-LEAK"},
      {"bad uuid in an append entry id",
       "contact",
       [](Json& v) { v["summary"][0]["id"] = "not-a-uuid-LEAK"; },
       {"/summary/0/id", "does not match the required pattern"},
       "not-a-uuid-LEAK"},
      {"uppercase uuid",
       "contact",
       [](Json& v) { v["summary"][0]["id"] = "0190C2E4-5B1A-7C3D-8E4F-0000000000A2"; },
       {"/summary/0/id", "does not match the required pattern"}},
      {"append entry without id",
       "contact",
       [](Json& v) { v["summary"][0].erase("id"); },
       {"/summary/0/id", "is required"}},
      {"latitude out of range",
       "contact",
       [](Json& v) { v["geo_point"]["lat"] = 91.5; },
       {"/geo_point/lat", "is above the maximum"}},
      {"duplicate in a set",
       "contact",
       [](Json& v) { v["workers_present"].push_back("worker-ana"); },
       {"/workers_present/2", "duplicates an earlier item (uniqueItems)"}},
      {"bad timestamp",
       "contact",
       [](Json& v) { v["occurred_start"] = "2024-05-01 21:30"; },
       {"/occurred_start", "is not a valid RFC 3339 date-time"},
       "2024-05-01 21:30"},
      {"entry state out of range",
       "contact",
       [](Json& v) { v["actions"][0]["state"] = "parked"; },
       {"/actions/0/state", "is not one of the allowed values"},
       "parked"},
      {"if/then: disclosure needs details",
       "contact",
       [](Json& v) { v["disclosure_made"] = true; },
       {"/disclosure_details", "has too few items"}},
      {"if/then: submitted disclosure needs immediate actions",
       "contact",
       [](Json& v) {
         v["disclosure_made"] = true;
         v["disclosure_details"] = Json::parse(R"([{"id": "0190c2e4-5b1a-7c3d-8e4f-0000000000a9",
             "what": "Named an adult", "to_whom": "worker-ana", "when": "2024-05-01T21:50:00Z"}])");
       },
       {"/immediate_risk_actions", "has too few items"}},
      {"if/then: submitted contact needs a summary entry",
       "contact",
       [](Json& v) { v["summary"] = Json::array(); },
       {"/summary", "has too few items"}},
      {"if/then: rationale when assessed differs from computed",
       "cse_screening",
       [](Json& v) { v.erase("rationale"); },
       {"/rationale", "is required"}},
      {"dependency: sign-off needs its time",
       "cse_screening",
       [](Json& v) { v["signed_off_by"] = "leader-cat"; },
       {"/signed_off_at", "is required when a related field is present"}},
      {"indicator severity out of range",
       "cse_screening",
       [](Json& v) { v["indicators"][1]["severity"] = "severe"; },
       {"/indicators/1/severity", "is not one of the allowed values"},
       "severe"},
      {"if/then: unreachable needs attempts",
       "missing_episode",
       [](Json& v) {
         for (const char* key :
              {"rhi_conducted_at", "rhi_conducted_by", "rhi_conducted_where", "rhi_account"}) {
           v.erase(key);
         }
         v["rhi_not_done_reason"] = "unreachable";
       },
       {"/rhi_attempts", "has too few items"}},
      {"not: conducted and not done",
       "missing_episode",
       [](Json& v) { v["rhi_not_done_reason"] = "declined"; },
       {"", "matches a schema it must not match (not)"}},
      {"dependency: return details need returned_at",
       "missing_episode",
       [](Json& v) { v.erase("returned_at"); },
       {"/returned_at", "is required when a related field is present"}},
      {"police grade out of range",
       "missing_episode",
       [](Json& v) { v["police_risk_grade"] = "severe"; },
       {"/police_risk_grade", "is not one of the allowed values"}},
      {"if/then: no consent needs a reason",
       "referral",
       [](Json& v) { v.erase("reason_if_not"); },
       {"/reason_if_not", "is required"}},
      {"dependency: outcome events need submitted_at",
       "referral",
       [](Json& v) { v.erase("submitted_at"); },
       {"/submitted_at", "is required when a related field is present"}},
      {"if/then inside an entry: a decision names it",
       "referral",
       [](Json& v) { v["outcome_events"][0]["kind"] = "decision"; },
       {"/outcome_events/0/decision", "is required"}},
      {"if/then: vehicle report needs the vehicle",
       "intelligence_report",
       [](Json& v) { v.erase("vehicle"); },
       {"/vehicle", "is required"}},
      {"grade out of range",
       "intelligence_report",
       [](Json& v) { v["grades"]["information"] = "F"; },
       {"/grades/information", "is not one of the allowed values"}},
      {"a report needs a sighting",
       "intelligence_report",
       [](Json& v) { v["sightings"] = Json::array(); },
       {"/sightings", "has too few items"}},
      {"if/then: signed consent needs evidence",
       "consent",
       [](Json& v) { v.erase("evidence"); },
       {"/evidence", "is required"}},
      {"bad evidence hash",
       "consent",
       [](Json& v) { v["evidence"]["sha256"] = "abc-LEAK"; },
       {"/evidence/sha256", "does not match the required pattern"},
       "abc-LEAK"},
      {"a strike needs its reason",
       "contact",
       [](Json& v) {
         v["actions"].push_back(Json{{"id", "0190c2e4-5b1a-7c3d-8e4f-0000000000f1"},
                                     {"supersedes", v["actions"][0]["id"]}, {"struck", true}});
       },
       {"/actions/1/strike_reason", "is required"}},
      {"struck is only ever true",
       "contact",
       [](Json& v) {
         v["actions"].push_back(Json{{"id", "0190c2e4-5b1a-7c3d-8e4f-0000000000f1"},
                                     {"supersedes", v["actions"][0]["id"]}, {"struck", false},
                                     {"strike_reason", "recorded twice"}});
       },
       {"/actions/1/struck", "is not one of the allowed values"}},
      {"a correction has the entry's shape",
       "contact",
       [](Json& v) {
         v["actions"].push_back(Json{{"id", "0190c2e4-5b1a-7c3d-8e4f-0000000000f1"},
                                     {"supersedes", v["actions"][0]["id"]}, {"state", "done"}});
       },
       {"/actions/1/what", "is required"}},
      {"consent event kind out of range",
       "consent",
       [](Json& v) { v["events"][0]["kind"] = "maybe-LEAK"; },
       {"/events/0/kind", "is not one of the allowed values"},
       "maybe-LEAK"},
  };
}

TEST(RecordExamplesTest, BrokenRecordsGetProblemsAtTheRightPointers) {
  for (const BrokenCase& test_case : BrokenCases()) {
    SCOPED_TRACE(std::string(test_case.collection) + ": " + test_case.name);
    const RecordSchema* schema = Find(test_case.collection);
    ASSERT_NE(schema, nullptr);
    Json values = testing::ValidExample(test_case.collection);
    test_case.edit(values);
    const std::vector<ValidationProblem> problems =
        schema->Validate(values, ValidationMode::kUserInput);
    EXPECT_THAT(problems, Contains(test_case.expected));
    if (test_case.leak_probe != nullptr) {
      EXPECT_THAT(ProblemsToStatus(problems).message(), Not(HasSubstr(test_case.leak_probe)));
    }
  }
}

// Issue 4: merge never stores an empty list, so a draft contact created with no young people
// and no summary yet reached the server without those fields, and the server's "is required"
// refused a record the device had accepted. An absent list field is an empty list.
TEST(RecordExamplesTest, Issue4AbsentListFieldsValidateAsEmptyLists) {
  const RecordSchema* schema = Find("contact");
  ASSERT_NE(schema, nullptr);
  Json with_empty_lists = testing::ValidExample("contact");
  with_empty_lists["status"] = "draft";
  with_empty_lists["young_people_present"] = Json::array();
  with_empty_lists["summary"] = Json::array();
  Json without_them = with_empty_lists;
  without_them.erase("young_people_present");
  without_them.erase("summary");
  for (const ValidationMode mode : {ValidationMode::kUserInput, ValidationMode::kStoredState}) {
    EXPECT_THAT(schema->Validate(with_empty_lists, mode), IsEmpty());
    EXPECT_THAT(schema->Validate(without_them, mode), IsEmpty());
  }
  // A list that must not be empty still says so, present or not.
  without_them.erase("workers_present");
  EXPECT_THAT(schema->Validate(without_them, ValidationMode::kUserInput),
              Contains(ValidationProblem{"/workers_present", "has too few items"}));
}

// Entries are never edited: a later entry corrects one (supersedes) or strikes it (struck, with
// a reason), in any append field (core/merge/MERGE.md).
TEST(RecordExamplesTest, EntriesMaySupersedeOrStrikeEarlierOnes) {
  const RecordSchema* schema = Find("contact");
  ASSERT_NE(schema, nullptr);
  Json values = testing::ValidExample("contact");
  Json done = values["actions"][0];
  done["id"] = "0190c2e4-5b1a-7c3d-8e4f-0000000000f1";
  done["supersedes"] = values["actions"][0]["id"];
  done["state"] = "done";
  values["actions"].push_back(done);
  values["summary"].push_back(Json{{"id", "0190c2e4-5b1a-7c3d-8e4f-0000000000f2"},
                                   {"author", "worker-ana"},
                                   {"supersedes", values["summary"][0]["id"]},
                                   {"struck", true},
                                   {"strike_reason", "written on the wrong contact"}});
  EXPECT_THAT(schema->Validate(values, ValidationMode::kUserInput), IsEmpty());
}

TEST(RecordExamplesTest, RationaleNotNeededWhenAssessedMatchesComputed) {
  const RecordSchema* schema = Find("cse_screening");
  ASSERT_NE(schema, nullptr);
  Json values = testing::ValidExample("cse_screening");
  values.erase("rationale");
  values["assessed_level"] = "mild";  // the example scores 9
  EXPECT_THAT(schema->Validate(values, ValidationMode::kUserInput), IsEmpty());
}

TEST(RecordExamplesTest, LocalToolNeedsNoRationale) {
  const RecordSchema* schema = Find("cse_screening");
  ASSERT_NE(schema, nullptr);
  Json values = testing::ValidExample("cse_screening");
  values.erase("rationale");
  values["tool"] = "local";  // no SERAF score, so nothing to differ from
  EXPECT_THAT(schema->Validate(values, ValidationMode::kUserInput), IsEmpty());
}

TEST(RecordExamplesTest, StoredStateChecksRationaleAgainstStoredLevel) {
  const RecordSchema* schema = Find("cse_screening");
  ASSERT_NE(schema, nullptr);
  Json values = testing::ValidExample("cse_screening");
  values.erase("rationale");
  values["computed_score"] = 9;
  values["computed_level"] = "mild";
  EXPECT_THAT(schema->Validate(values, ValidationMode::kStoredState),
              Contains(ValidationProblem{"/rationale", "is required"}));
  values["assessed_level"] = "mild";
  EXPECT_THAT(schema->Validate(values, ValidationMode::kStoredState), IsEmpty());
}

// Issue 3: valijson stops a top-level allOf at its first broken rule, so a record breaking
// three of contact's if/then rules used to be told about the first one only.
TEST(RecordExamplesTest, Issue3EveryBrokenIfThenRuleIsReported) {
  const RecordSchema* schema = Find("contact");
  ASSERT_NE(schema, nullptr);
  Json values = testing::ValidExample("contact");  // status "submitted"
  values["disclosure_made"] = true;   // rules 1 (details) and 3 (actions, sharing decision)
  values["summary"] = Json::array();  // rule 2 (a summary entry)
  // Absent list fields are empty lists (issue 4), so each rule reports its minItems.
  EXPECT_THAT(schema->Validate(values, ValidationMode::kUserInput),
              ::testing::UnorderedElementsAre(
                  ValidationProblem{"/disclosure_details", "has too few items"},
                  ValidationProblem{"/summary", "has too few items"},
                  ValidationProblem{"/immediate_risk_actions", "has too few items"},
                  ValidationProblem{"/info_shared", "has too few items"},
                  ValidationProblem{"", "breaks a conditional rule (if/then/else)"}));
}

}  // namespace
}  // namespace outreach::schema
