// ProblemsToStatus: OK for no problems, otherwise one invalid_argument listing pointers.
#include "core/schema/validation_problem.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testing/status_matchers.h"

namespace outreach::schema {
namespace {

using ::outreach::testing::IsOk;
using ::outreach::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ProblemsToStatusTest, NoProblemsIsOk) { EXPECT_THAT(ProblemsToStatus({}), IsOk()); }

TEST(ProblemsToStatusTest, ListsEveryPointerAndMessage) {
  const Status status = ProblemsToStatus(
      {{"", "has the wrong type"}, {"/summary/0/id", "does not match the required pattern"}},
      "contact 0190c2e4-5b1a-7c3d-8e4f-000000000002");
  EXPECT_THAT(status, StatusIs(StatusCode::kInvalidArgument));
  EXPECT_EQ(status.message(),
            "contact 0190c2e4-5b1a-7c3d-8e4f-000000000002 failed schema validation: "
            "(root): has the wrong type; /summary/0/id: does not match the required pattern");
}

TEST(ProblemsToStatusTest, CapsALongList) {
  std::vector<ValidationProblem> problems;
  for (int i = 0; i < 25; ++i) problems.push_back({"/f" + std::to_string(i), "is required"});
  const Status status = ProblemsToStatus(problems);
  EXPECT_THAT(status.message(), HasSubstr("/f19: is required; and 5 more"));
  EXPECT_THAT(status.message(), ::testing::Not(HasSubstr("/f20")));
}

}  // namespace
}  // namespace outreach::schema
