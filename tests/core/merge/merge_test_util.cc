#include "tests/core/merge/merge_test_util.h"

#include <gtest/gtest.h>

namespace outreach::merge::testing {

model::RecordState ApplyAll(const schema::RecordSchema& schema,
                            const std::vector<model::Change>& changes) {
  model::RecordState state;
  for (const model::Change& change : changes) {
    MergeOutput out = Merge(schema, state, change);
    EXPECT_NE(out.result.outcome, Outcome::kRejected) << out.result.reason;
    state = std::move(out.state);
  }
  return state;
}

}  // namespace outreach::merge::testing
