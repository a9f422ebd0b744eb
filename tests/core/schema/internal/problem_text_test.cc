// valijson error texts -> value-free problems, and the collapsing of "a child failed" reports.
#include "core/schema/internal/problem_text.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/core/schema/schema_test_util.h"

namespace outreach::schema::detail {
namespace {

using ::testing::ElementsAre;

std::optional<ValidationProblem> Rephrase(const std::vector<std::string>& context,
                                          const std::string& description) {
  std::optional<RephrasedProblem> rephrased = RephraseValijsonError(context, description);
  if (!rephrased) return std::nullopt;
  return rephrased->problem;
}

TEST(ProblemTextTest, LocatesMissingPropertiesAtThemselves) {
  EXPECT_EQ(Rephrase({"<root>", "[entries]", "[3]"}, "Missing required property 'id'."),
            (ValidationProblem{"/entries/3/id", "is required"}));
  EXPECT_EQ(Rephrase({"<root>"}, "Missing dependency 'signed_off_at'."),
            (ValidationProblem{"/signed_off_at", "is required when a related field is present"}));
}

TEST(ProblemTextTest, DropsPerValueEnumNoise) {
  EXPECT_EQ(Rephrase({"<root>"}, "Target value and comparison value are not equal"), std::nullopt);
}

TEST(ProblemTextTest, UnknownTextsAreNotRepeated) {
  EXPECT_EQ(Rephrase({"<root>", "[name]"}, "Value 'Skye Example' is suspicious"),
            (ValidationProblem{"/name", "does not satisfy the schema"}));
}

TEST(ProblemTextTest, DuplicateItemsPointAtTheLaterOne) {
  EXPECT_EQ(Rephrase({"<root>", "[tags]"},
                     "Elements at indexes #0 and #4 violate uniqueness constraint."),
            (ValidationProblem{"/tags/4", "duplicates an earlier item (uniqueItems)"}));
}

TEST(ProblemTextTest, CollapseKeepsTheMostPreciseReports) {
  std::vector<RephrasedProblem> problems;
  for (const auto& [context, description] :
       std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"<root>", "[notes]", "[1]", "[id]"},
            "Failed to match regex specified by 'pattern' constraint."},
           {{"<root>", "[notes]", "[1]"},
            "Failed to validate against schema associated with property name 'id'."},
           {{"<root>", "[notes]"}, "Failed to validate item #1 in array."},
           {{"<root>"}, "Failed to validate against schema associated with property name 'notes'."},
           {{"<root>", "[other]"},
            "Failed to validate against schema associated with property name 'x'."},
           {{"<root>"}, "Failed to validate against schema associated with property name 'other'."},
       }) {
    problems.push_back(*RephraseValijsonError(context, description));
  }
  EXPECT_THAT(CollapseProblems(problems),
              ElementsAre(ValidationProblem{"/notes/1/id", "does not match the required pattern"},
                          ValidationProblem{"/other/x", "does not satisfy the schema"}));
}

}  // namespace
}  // namespace outreach::schema::detail
