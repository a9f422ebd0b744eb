// Derived fields: the SERAF score and level at their boundaries, rhi_due_by, and user input that
// carries a derived field.
#include "core/schema/derived_fields.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/schema/schema_registry.h"
#include "tests/core/schema/schema_test_util.h"

namespace outreach::schema {
namespace {

using ::testing::Contains;
using ::testing::IsEmpty;
using Json = nlohmann::json;

const RecordSchema& Screening() {
  const SchemaRegistry* registry = testing::RealSchemas();
  if (registry == nullptr) std::abort();
  return *registry->Find("cse_screening");
}

const RecordSchema& MissingEpisode() {
  const SchemaRegistry* registry = testing::RealSchemas();
  if (registry == nullptr) std::abort();
  return *registry->Find("missing_episode");
}

Json Indicator(const std::string& code, const std::string& severity, const std::string& timing,
               const std::string& present = "yes") {
  return {{"code", code}, {"present", present}, {"severity", severity}, {"timing", timing}};
}

// A SERAF screening scoring exactly `score`: significant current indicators (5 each), then
// vulnerabilities (1 each, up to 11 codes), then moderate current indicators (1 each).
Json ScreeningScoring(int score) {
  static const std::vector<std::string> kIndicatorCodes = {
      "missing_out_late",        "older_partner",
      "unexplained_money_gifts", "worrying_phone_internet_use",
      "unknown_callers",         "cars_with_unknown_adults",
      "seen_at_hotspots",        "unfamiliar_towns"};
  Json values = {
      {"tool", "seraf"}, {"indicators", Json::array()}, {"vulnerabilities", Json::array()}};
  std::size_t code = 0;
  while (score >= 5 && code < 3) {
    values["indicators"].push_back(Indicator(kIndicatorCodes[code++], "significant", "current"));
    score -= 5;
  }
  while (score > 0 && code < kIndicatorCodes.size()) {
    values["indicators"].push_back(Indicator(kIndicatorCodes[code++], "moderate", "current"));
    --score;
  }
  static const std::vector<std::string> kVulnerabilities = {"past_abuse_neglect",
                                                            "family_domestic_abuse",
                                                            "family_substance_misuse",
                                                            "in_care",
                                                            "learning_disability",
                                                            "low_self_esteem",
                                                            "isolation",
                                                            "no_trusted_adult"};
  for (std::size_t i = 0; score > 0; ++i, --score)
    values["vulnerabilities"].push_back(kVulnerabilities.at(i));
  return values;
}

TEST(SerafLevelTest, CategoryBoundaries) {
  EXPECT_EQ(SerafLevelForScore(0), "not_at_risk");
  EXPECT_EQ(SerafLevelForScore(5), "not_at_risk");
  EXPECT_EQ(SerafLevelForScore(6), "mild");
  EXPECT_EQ(SerafLevelForScore(10), "mild");
  EXPECT_EQ(SerafLevelForScore(11), "moderate");
  EXPECT_EQ(SerafLevelForScore(15), "moderate");
  EXPECT_EQ(SerafLevelForScore(16), "significant");
  EXPECT_EQ(SerafLevelForScore(40), "significant");
}

TEST(ComputeDerivedTest, SerafScoreAndLevelAtEachBoundary) {
  const std::vector<std::pair<int, std::string>> cases = {
      {0, "not_at_risk"}, {5, "not_at_risk"}, {6, "mild"},         {10, "mild"},
      {11, "moderate"},   {15, "moderate"},   {16, "significant"}, {21, "significant"}};
  for (const auto& [score, level] : cases) {
    SCOPED_TRACE(score);
    const Json derived = ComputeDerived(Screening(), ScreeningScoring(score));
    EXPECT_EQ(derived, (Json{{"computed_score", score}, {"computed_level", level}}));
  }
}

TEST(ComputeDerivedTest, IndicatorScoresFollowSeverityTimingAndPresence) {
  const std::vector<std::pair<Json, int>> cases = {
      {Indicator("drugs_alcohol", "moderate", "current"), 1},
      {Indicator("drugs_alcohol", "moderate", "recent"), 0},  // outside the 6-month window
      {Indicator("drugs_alcohol", "significant", "current"), 5},
      {Indicator("drugs_alcohol", "significant", "recent"), 1},
      {Indicator("drugs_alcohol", "significant", "current", "possible"), 0},
      {Indicator("drugs_alcohol", "significant", "current", "no"), 0},
  };
  for (const auto& [indicator, score] : cases) {
    SCOPED_TRACE(indicator.dump());
    const Json values = {{"tool", "seraf"}, {"indicators", {indicator}}};
    EXPECT_EQ(ComputeDerived(Screening(), values)["computed_score"], score);
  }
}

TEST(ComputeDerivedTest, OneCodeScoresOnceAtItsHighest) {
  // A set merged from two devices can hold the same indicator with different evidence.
  Json first = Indicator("cars_with_unknown_adults", "significant", "recent");
  Json second = Indicator("cars_with_unknown_adults", "significant", "current");
  second["evidence"] = "seen again";
  const Json values = {{"tool", "seraf"},
                       {"indicators", {first, second}},
                       {"vulnerabilities", {"in_care", "isolation"}}};
  EXPECT_EQ(ComputeDerived(Screening(), values)["computed_score"], 7);
}

TEST(ComputeDerivedTest, NoScoreWithoutSerafOrWithMalformedInput) {
  Json local = ScreeningScoring(12);
  local["tool"] = "local";
  EXPECT_EQ(ComputeDerived(Screening(), local), Json::object());

  Json no_indicators = ScreeningScoring(3);
  no_indicators.erase("indicators");
  EXPECT_EQ(ComputeDerived(Screening(), no_indicators), Json::object());

  Json bad_entry = ScreeningScoring(12);
  bad_entry["indicators"][0]["severity"] = "severe";
  EXPECT_EQ(ComputeDerived(Screening(), bad_entry), Json::object());

  Json bad_vulnerability = ScreeningScoring(12);
  bad_vulnerability["vulnerabilities"] = {7};
  EXPECT_EQ(ComputeDerived(Screening(), bad_vulnerability), Json::object());

  EXPECT_EQ(ComputeDerived(Screening(), Json::array()), Json::object());
}

TEST(ComputeDerivedTest, VulnerabilitiesAreOptional) {
  const Json values = {{"tool", "seraf"},
                       {"indicators", {Indicator("self_harm", "significant", "current")}}};
  EXPECT_EQ(ComputeDerived(Screening(), values)["computed_score"], 5);
}

TEST(ComputeDerivedTest, RhiDueSeventyTwoHoursAfterReturnInUtc) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"2024-04-22T08:30:00Z", "2024-04-25T08:30:00Z"},
      {"2024-04-22T08:30:00+01:00", "2024-04-25T07:30:00Z"},
      {"2024-04-22T23:30:00-02:30", "2024-04-26T02:00:00Z"},
      {"2024-02-27T12:00:00.250Z", "2024-03-01T12:00:00.250Z"},  // leap year
      {"2023-02-27T12:00:00Z", "2023-03-02T12:00:00Z"},
      {"2024-12-30t10:00:00z", "2025-01-02T10:00:00Z"},
  };
  for (const auto& [returned_at, due_by] : cases) {
    SCOPED_TRACE(returned_at);
    const Json derived = ComputeDerived(MissingEpisode(), {{"returned_at", returned_at}});
    EXPECT_EQ(derived, (Json{{"rhi_due_by", due_by}}));
  }
}

TEST(ComputeDerivedTest, NoRhiDueByWithoutAReturn) {
  EXPECT_EQ(ComputeDerived(MissingEpisode(), Json::object()), Json::object());
  EXPECT_EQ(ComputeDerived(MissingEpisode(), {{"returned_at", "yesterday"}}), Json::object());
  EXPECT_EQ(ComputeDerived(MissingEpisode(), {{"returned_at", 1714000000}}), Json::object());
}

TEST(ComputeDerivedTest, UserInputCarryingADerivedFieldIsRejected) {
  Json values = testing::ValidExample("missing_episode");
  values["rhi_due_by"] = "2024-04-30T00:00:00Z";
  EXPECT_THAT(MissingEpisode().Validate(values, ValidationMode::kUserInput),
              Contains(ValidationProblem{"/rhi_due_by", "derived: computed by the engine"}));
  values["rhi_due_by"] = ComputeDerived(MissingEpisode(), values)["rhi_due_by"];
  EXPECT_THAT(MissingEpisode().Validate(values, ValidationMode::kStoredState), IsEmpty());

  Json screening = testing::ValidExample("cse_screening");
  screening["computed_score"] = 30;
  screening["computed_level"] = "significant";
  const auto problems = Screening().Validate(screening, ValidationMode::kUserInput);
  EXPECT_THAT(problems,
              Contains(ValidationProblem{"/computed_score", "derived: computed by the engine"}));
  EXPECT_THAT(problems,
              Contains(ValidationProblem{"/computed_level", "derived: computed by the engine"}));
}

TEST(ComputeDerivedTest, TheValidScreeningExampleScoresNine) {
  const Json derived = ComputeDerived(Screening(), testing::ValidExample("cse_screening"));
  EXPECT_EQ(derived, (Json{{"computed_score", 9}, {"computed_level", "mild"}}));
}

TEST(ComputeDerivedTest, KnowsItsDerivations) {
  EXPECT_TRUE(IsKnownDerivation("seraf_score"));
  EXPECT_TRUE(IsKnownDerivation("seraf_level"));
  EXPECT_TRUE(IsKnownDerivation("rhi_due_by"));
  EXPECT_FALSE(IsKnownDerivation("age"));
}

}  // namespace
}  // namespace outreach::schema
