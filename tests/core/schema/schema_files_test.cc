// schemas/*.schema.json against DOMAIN.md: every field present, the annotations the engine reads
// (x-merge, x-class, x-order, x-derived), and the conventions every file follows.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <set>

#include "core/schema/schema_registry.h"
#include "tests/core/schema/schema_test_util.h"

namespace outreach::schema {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const RecordSchema& Schema(const std::string& collection) {
  const SchemaRegistry* registry = testing::RealSchemas();
  if (registry == nullptr || registry->Find(collection) == nullptr) {
    ADD_FAILURE() << "no schema for " << collection;
    std::abort();
  }
  return *registry->Find(collection);
}

// DOMAIN.md's rows, split into one field each (snake_case).
const std::map<std::string, std::vector<std::string>>& DomainFields() {
  static const auto* fields = new std::map<std::string, std::vector<std::string>>{
      {"young_person",
       {"id",
        "merged_into",
        "known_as",
        "team_id",
        "caseload_owner",
        "aliases",
        "ethnicity",
        "religion",
        "disability_sen",
        "legal_names",
        "date_of_birth",
        "dob_estimated",
        "gender",
        "address",
        "school",
        "gp",
        "nhs_number",
        "upn",
        "first_language",
        "interpreter_required",
        "looked_after",
        "legal_status",
        "responsible_la",
        "host_la",
        "social_worker",
        "cp_plan",
        "yos_involved",
        "current_cse_risk"}},
      {"contact",
       {"id",
        "created_by",
        "created_at_device",
        "contact_type",
        "occurred_start",
        "occurred_end",
        "location_text",
        "geo_point",
        "hotspot_ref",
        "workers_present",
        "young_people_present",
        "unidentified_young_people_count",
        "consent_refs",
        "attachments",
        "indicators_seen",
        "others_present",
        "immediate_risk_actions",
        "summary",
        "child_words",
        "observations",
        "disclosure_made",
        "disclosure_details",
        "actions",
        "info_shared",
        "status"}},
      {"cse_screening",
       {"id", "subject", "completed_by", "agency", "completed_at", "tool", "vulnerabilities",
        "indicators", "significant_incidents", "computed_score", "computed_level", "assessed_level",
        "rationale", "signed_off_by", "signed_off_at", "outcome", "next_review_due"}},
      {"missing_episode",
       {"id",
        "subject",
        "recorded_by",
        "missing_from",
        "reported_missing_at",
        "reported_by",
        "police_ref",
        "police_risk_grade",
        "last_seen_at",
        "last_seen_where",
        "returned_at",
        "found_where",
        "returned_how",
        "safe_and_well_at",
        "rhi_offered_at",
        "rhi_due_by",
        "rhi_conducted_at",
        "rhi_conducted_by",
        "rhi_conducted_where",
        "rhi_not_done_reason",
        "rhi_attempts",
        "rhi_push_pull_factors",
        "whereabouts_and_companions",
        "rhi_account",
        "harm_suffered",
        "child_wishes",
        "info_for_police",
        "actions",
        "shared_with"}},
      {"referral",
       {"id",
        "children_in_household",
        "referrer",
        "reason_and_impact",
        "harm_type",
        "disclosures",
        "child_views",
        "going_well",
        "route",
        "urgency",
        "referrer_risk_opinion",
        "referrer_risk_reasoning",
        "parent_aware",
        "parent_consent",
        "reason_if_not",
        "household_adults",
        "other_professionals",
        "previous_involvement",
        "attachments",
        "submitted_at",
        "outcome_events"}},
      {"intelligence_report",
       {"id", "submitted_by", "observed_at", "recorded_at", "subject_kind", "location", "vehicle",
        "sightings", "shared_with_police", "linked_young_people", "person_of_concern",
        "source_type", "grades", "handling_conditions", "sanitised_text"}},
      {"consent",
       {"id", "subject", "given_by", "scope", "method", "evidence", "events",
        "shared_without_consent_basis"}},
  };
  return *fields;
}

TEST(SchemaFilesTest, EveryDomainFieldIsDeclaredAndNothingElse) {
  for (const auto& [collection, expected] : DomainFields()) {
    SCOPED_TRACE(collection);
    std::set<std::string> declared;
    for (const FieldSpec& field : Schema(collection).fields()) declared.insert(field.name);
    EXPECT_EQ(declared, std::set<std::string>(expected.begin(), expected.end()));
  }
}

struct FieldCase {
  const char* collection;
  const char* field;
  MergePolicy policy;
  DataClass data_class;
  bool required;
};

constexpr MergePolicy kImm = MergePolicy::kImmutable;
constexpr MergePolicy kApp = MergePolicy::kAppend;
constexpr MergePolicy kSet = MergePolicy::kSet;
constexpr MergePolicy kRev = MergePolicy::kReview;
constexpr MergePolicy kLww = MergePolicy::kLww;
constexpr MergePolicy kFwd = MergePolicy::kForward;
constexpr DataClass kP = DataClass::kPersonal;
constexpr DataClass kSc = DataClass::kSpecialCategory;
constexpr DataClass kCo = DataClass::kOffence;
constexpr DataClass kOp = DataClass::kOperational;

// A representative set per type: each DOMAIN row, both halves of "LWW; REV"-style rows, the
// combined classes (P/SC -> SC, P/CO -> CO, SC/CO -> SC) and required vs conditional fields.
constexpr FieldCase kFieldCases[] = {
    {"young_person", "id", kImm, kOp, true},
    {"young_person", "merged_into", kImm, kOp, false},
    {"young_person", "known_as", kLww, kP, true},
    {"young_person", "team_id", kRev, kP, true},
    {"young_person", "caseload_owner", kRev, kP, true},
    {"young_person", "aliases", kSet, kP, false},
    {"young_person", "ethnicity", kRev, kSc, false},
    {"young_person", "disability_sen", kRev, kSc, false},
    {"young_person", "date_of_birth", kRev, kP, false},
    {"young_person", "nhs_number", kRev, kP, false},
    {"young_person", "legal_status", kRev, kCo, false},
    {"young_person", "yos_involved", kRev, kCo, false},
    {"young_person", "current_cse_risk", kRev, kSc, false},
    {"contact", "created_by", kImm, kOp, true},
    {"contact", "created_at_device", kImm, kOp, true},
    {"contact", "contact_type", kLww, kOp, true},
    {"contact", "occurred_start", kRev, kP, true},
    {"contact", "location_text", kRev, kP, true},
    {"contact", "geo_point", kRev, kP, false},
    {"contact", "workers_present", kSet, kSc, true},
    {"contact", "indicators_seen", kSet, kSc, false},
    {"contact", "others_present", kApp, kCo, false},
    {"contact", "immediate_risk_actions", kApp, kCo, false},
    {"contact", "summary", kApp, kSc, true},
    {"contact", "child_words", kApp, kSc, false},
    {"contact", "disclosure_made", kRev, kSc, false},
    {"contact", "actions", kApp, kP, false},
    {"contact", "info_shared", kApp, kP, false},
    {"contact", "status", kFwd, kOp, true},
    {"cse_screening", "subject", kImm, kP, true},
    {"cse_screening", "tool", kImm, kP, true},
    {"cse_screening", "vulnerabilities", kSet, kSc, false},
    {"cse_screening", "indicators", kSet, kSc, true},
    {"cse_screening", "significant_incidents", kSet, kSc, false},
    {"cse_screening", "computed_score", kLww, kSc, false},
    {"cse_screening", "computed_level", kLww, kSc, false},
    {"cse_screening", "assessed_level", kRev, kSc, true},
    {"cse_screening", "rationale", kRev, kSc, false},
    {"cse_screening", "signed_off_by", kFwd, kOp, false},
    {"cse_screening", "signed_off_at", kFwd, kOp, false},
    {"cse_screening", "outcome", kRev, kOp, true},
    {"cse_screening", "next_review_due", kLww, kOp, true},
    {"missing_episode", "recorded_by", kImm, kP, true},
    {"missing_episode", "missing_from", kRev, kP, true},
    {"missing_episode", "police_ref", kRev, kP, false},
    {"missing_episode", "police_risk_grade", kRev, kP, false},
    {"missing_episode", "returned_at", kRev, kP, false},
    {"missing_episode", "rhi_due_by", kRev, kP, false},
    {"missing_episode", "rhi_not_done_reason", kRev, kP, false},
    {"missing_episode", "rhi_attempts", kApp, kP, false},
    {"missing_episode", "rhi_push_pull_factors", kSet, kSc, false},
    {"missing_episode", "whereabouts_and_companions", kApp, kSc, false},
    {"missing_episode", "info_for_police", kApp, kSc, false},
    {"referral", "children_in_household", kImm, kP, true},
    {"referral", "referrer", kImm, kP, true},
    {"referral", "reason_and_impact", kApp, kSc, true},
    {"referral", "disclosures", kApp, kSc, true},
    {"referral", "urgency", kRev, kSc, true},
    {"referral", "referrer_risk_opinion", kRev, kSc, true},
    {"referral", "parent_consent", kRev, kP, true},
    {"referral", "reason_if_not", kRev, kP, false},
    {"referral", "household_adults", kSet, kSc, false},
    {"referral", "submitted_at", kFwd, kP, false},
    {"referral", "outcome_events", kApp, kP, false},
    {"intelligence_report", "submitted_by", kImm, kOp, true},
    {"intelligence_report", "subject_kind", kImm, kOp, true},
    {"intelligence_report", "location", kRev, kCo, false},
    {"intelligence_report", "vehicle", kRev, kCo, false},
    {"intelligence_report", "sightings", kApp, kCo, true},
    {"intelligence_report", "shared_with_police", kApp, kCo, false},
    {"intelligence_report", "linked_young_people", kSet, kSc, false},
    {"intelligence_report", "person_of_concern", kRev, kCo, false},
    {"intelligence_report", "grades", kRev, kCo, true},
    {"intelligence_report", "sanitised_text", kRev, kCo, true},
    {"consent", "given_by", kImm, kP, true},
    {"consent", "scope", kImm, kP, true},
    {"consent", "evidence", kImm, kP, false},
    {"consent", "events", kApp, kP, true},
    {"consent", "shared_without_consent_basis", kApp, kP, false},
};

TEST(SchemaFilesTest, FieldsCarryDomainMergeCodesAndClasses) {
  for (const FieldCase& expected : kFieldCases) {
    SCOPED_TRACE(std::string(expected.collection) + "." + expected.field);
    const FieldSpec* field = Schema(expected.collection).Field(expected.field);
    ASSERT_NE(field, nullptr);
    EXPECT_EQ(MergePolicyName(field->policy), MergePolicyName(expected.policy));
    EXPECT_EQ(DataClassName(field->data_class), DataClassName(expected.data_class));
    EXPECT_EQ(field->required, expected.required);
  }
}

TEST(SchemaFilesTest, SpecialCategoryOffenceFieldsNoteBothClasses) {
  for (const auto& [collection, field] : std::vector<std::pair<std::string, std::string>>{
           {"contact", "disclosure_made"},
           {"cse_screening", "indicators"},
           {"missing_episode", "whereabouts_and_companions"},
           {"referral", "disclosures"},
           {"intelligence_report", "linked_young_people"}}) {
    SCOPED_TRACE(collection + "." + field);
    EXPECT_THAT(Schema(collection).Field(field)->also_classes, ElementsAre(DataClass::kOffence));
  }
}

TEST(SchemaFilesTest, DerivedFieldsAreExactlyTheEngineComputedOnes) {
  std::map<std::string, std::string> derived;
  for (const auto& [collection, fields] : DomainFields()) {
    for (const FieldSpec& field : Schema(collection).fields()) {
      if (!field.derived.empty()) derived[collection + "." + field.name] = field.derived;
    }
  }
  EXPECT_EQ(derived, (std::map<std::string, std::string>{
                         {"cse_screening.computed_level", "seraf_level"},
                         {"cse_screening.computed_score", "seraf_score"},
                         {"missing_episode.rhi_due_by", "rhi_due_by"},
                     }));
}

TEST(SchemaFilesTest, OrderedFieldsListLowestFirst) {
  const std::vector<std::string> levels = {"not_at_risk", "mild", "moderate", "significant"};
  EXPECT_EQ(Schema("contact").Field("status")->order,
            (std::vector<std::string>{"draft", "submitted", "reviewed"}));
  EXPECT_EQ(Schema("contact").Field("disclosure_made")->order,
            (std::vector<std::string>{"false", "true"}));
  EXPECT_EQ(Schema("cse_screening").Field("assessed_level")->order, levels);
  EXPECT_EQ(Schema("young_person").Field("current_cse_risk")->order, levels);
  EXPECT_EQ(Schema("missing_episode").Field("police_risk_grade")->order,
            (std::vector<std::string>{"absent", "low", "medium", "high"}));
  EXPECT_EQ(Schema("referral").Field("referrer_risk_opinion")->order,
            (std::vector<std::string>{"low", "medium", "high"}));
  EXPECT_EQ(Schema("referral").Field("urgency")->order,
            (std::vector<std::string>{"routine", "urgent", "immediate_danger"}));
  // "APP; done FWD": the entries' state only moves forward.
  for (const char* collection : {"contact", "missing_episode"}) {
    EXPECT_EQ(Schema(collection).Field("actions")->entry_forward,
              (std::map<std::string, std::vector<std::string>>{{"state", {"open", "done"}}}));
  }
}

TEST(SchemaFilesTest, ForwardFieldsWithEnumsHaveAnOrder) {
  for (const auto& [collection, fields] : DomainFields()) {
    const RecordSchema& schema = Schema(collection);
    for (const FieldSpec& field : schema.fields()) {
      const bool has_enum = schema.document()["properties"][field.name].contains("enum");
      if (field.policy == MergePolicy::kForward && has_enum) {
        EXPECT_THAT(field.order, ::testing::Not(IsEmpty())) << collection << "." << field.name;
      }
    }
  }
}

TEST(SchemaFilesTest, SignOffAndSubmissionFreezeTheirRecords) {
  EXPECT_EQ(Schema("cse_screening").Field("assessed_level")->immutable_after, "signed_off_at");
  EXPECT_EQ(Schema("cse_screening").Field("signed_off_at")->immutable_after, "");
  EXPECT_EQ(Schema("referral").Field("reason_and_impact")->immutable_after, "submitted_at");
  EXPECT_EQ(Schema("referral").Field("outcome_events")->immutable_after, "");
}

// Resolves a local "#/definitions/<name>" reference of `document`.
const nlohmann::json& Resolve(const nlohmann::json& document, const nlohmann::json& node) {
  if (!node.contains("$ref")) return node;
  const std::string ref = node["$ref"];
  const std::string prefix = "#/definitions/";
  if (ref.rfind(prefix, 0) != 0) {
    ADD_FAILURE() << "non-local $ref " << ref;
    return node;
  }
  return document["definitions"][ref.substr(prefix.size())];
}

TEST(SchemaFilesTest, TopLevelConventions) {
  for (const auto& [collection, fields] : DomainFields()) {
    SCOPED_TRACE(collection);
    const nlohmann::json& document = Schema(collection).document();
    EXPECT_EQ(document["$schema"], "http://json-schema.org/draft-07/schema#");
    EXPECT_EQ(document["$id"], "urn:outreach:schema:" + collection);
    EXPECT_EQ(document["title"], collection);
    EXPECT_EQ(document["x-schema-version"], "1.0");
    EXPECT_EQ(document["type"], "object");
    EXPECT_EQ(document["additionalProperties"], true);
    const nlohmann::json& retention = Schema(collection).retention();
    EXPECT_TRUE(retention["rule"].is_string());
    EXPECT_EQ(retention["legal_hold"], true);
    EXPECT_EQ(retention["delete_by"], "reviewed_server_job");
    const RetentionPolicy& policy = Schema(collection).retention_policy();
    EXPECT_TRUE(policy.legal_hold);
    EXPECT_EQ(policy.device_purge, "outside_working_set");
    EXPECT_FALSE(policy.basis.empty());
    EXPECT_TRUE(policy.years.has_value() || !policy.subject_fields.empty()) << policy.rule;

    const FieldSpec* id = Schema(collection).Field("id");
    ASSERT_NE(id, nullptr);
    EXPECT_EQ(id->policy, MergePolicy::kImmutable);
    EXPECT_EQ(id->data_class, DataClass::kOperational);
    EXPECT_TRUE(id->required);
  }
}

TEST(SchemaFilesTest, NoWebAddressesBesideTheDraftUri) {
  for (const auto& [collection, fields] : DomainFields()) {
    nlohmann::json document = Schema(collection).document();
    document.erase("$schema");
    const std::string text = document.dump();
    EXPECT_EQ(text.find("http:"), std::string::npos) << collection;
    EXPECT_EQ(text.find("https:"), std::string::npos) << collection;
  }
}

TEST(SchemaFilesTest, AppendEntriesHaveUuidIdsAndSetsAreUnique) {
  for (const auto& [collection, fields] : DomainFields()) {
    const RecordSchema& schema = Schema(collection);
    const nlohmann::json& document = schema.document();
    for (const FieldSpec& field : schema.fields()) {
      SCOPED_TRACE(collection + "." + field.name);
      const nlohmann::json& property = document["properties"][field.name];
      if (field.policy == MergePolicy::kAppend) {
        ASSERT_EQ(property["type"], "array");
        // Any item may strike an earlier entry of the field (core/merge/MERGE.md); the others
        // have the field's shape, and may supersede (correct) an earlier entry.
        const nlohmann::json& items = property["items"];
        EXPECT_EQ(items["if"], (nlohmann::json{{"required", {"struck"}}}));
        EXPECT_EQ(items["then"], (nlohmann::json{{"$ref", "#/definitions/strike"}}));
        const nlohmann::json& strike = Resolve(document, items["then"]);
        EXPECT_THAT(strike["required"], ::testing::ElementsAre("id", "supersedes", "struck",
                                                              "strike_reason"));
        const nlohmann::json& entry = Resolve(document, items["else"]);
        EXPECT_EQ(entry["type"], "object");
        EXPECT_THAT(entry["required"], ::testing::Contains("id"));
        EXPECT_TRUE(entry["properties"].contains("supersedes"));
        EXPECT_EQ(Resolve(document, entry["properties"]["id"])["pattern"],
                  document["definitions"]["uuid"]["pattern"]);
        EXPECT_TRUE(entry["properties"].contains("author"));
        EXPECT_TRUE(entry["properties"].contains("at"));
      }
      if (field.policy == MergePolicy::kSet) {
        EXPECT_EQ(property["type"], "array");
        EXPECT_EQ(property["uniqueItems"], true);
      }
    }
  }
}

}  // namespace
}  // namespace outreach::schema
