// Version vectors: what a field's writes had seen, one highest reading per device.
#include "core/model/version_vector.h"

#include <algorithm>

#include <gtest/gtest.h>

namespace outreach::model {
namespace {

Version At(std::int64_t ms, const char* device) { return Version{{ms, 0}, device}; }

TEST(VersionVectorTest, CoversEveryEarlierReadingOfADeviceItHasSeen) {
  VersionVector vector;
  vector.Add(At(20, "b"));
  EXPECT_TRUE(vector.Covers(At(20, "b")));
  EXPECT_TRUE(vector.Covers(At(5, "b")));
  EXPECT_FALSE(vector.Covers(At(21, "b")));
  EXPECT_FALSE(vector.Covers(At(1, "a")));
  vector.Add(At(10, "b"));  // an older reading lowers nothing
  EXPECT_TRUE(vector.Covers(At(20, "b")));
}

TEST(VersionVectorTest, MergeKeepsTheHighestReadingOfEachDeviceInOrder) {
  VersionVector mine;
  mine.Add(At(5, "b"));
  mine.Add(At(9, "d"));
  VersionVector theirs;
  theirs.Add(At(1, "a"));
  theirs.Add(At(7, "b"));
  theirs.Add(At(3, "c"));
  theirs.Add(At(2, "d"));
  theirs.Add(At(4, "e"));
  mine.Merge(theirs);
  const std::vector<VersionVector::Entry> expected = {
      {"a", {1, 0}}, {"b", {7, 0}}, {"c", {3, 0}}, {"d", {9, 0}}, {"e", {4, 0}}};
  EXPECT_EQ(mine.entries(), expected);
  EXPECT_TRUE(mine.CoversAll(theirs));
  EXPECT_FALSE(theirs.CoversAll(mine));
}

TEST(VersionVectorTest, MergeIntoAnEmptyVectorCopies) {
  VersionVector theirs;
  theirs.Add(At(3, "c"));
  theirs.Add(At(1, "a"));
  VersionVector mine;
  mine.Merge(theirs);
  EXPECT_EQ(mine, theirs);
}

// Long vectors (many devices) are searched rather than scanned and merged in one pass: the
// answers must be the same as for short ones.
TEST(VersionVectorTest, ManyDevicesMergeAndCoverAsFew) {
  VersionVector evens;
  VersionVector odds;
  for (int i = 0; i < 40; ++i) {
    const std::string device = "device-" + std::to_string(100 + i);
    (i % 2 == 0 ? evens : odds).Add(Version{{i + 1, 0}, device});
    if (i % 2 == 0) odds.Add(Version{{1, 0}, device});  // odds knows evens' devices, lower
  }
  evens.Merge(odds);
  ASSERT_EQ(evens.entries().size(), 40u);
  for (int i = 0; i < 40; ++i) {
    const std::string device = "device-" + std::to_string(100 + i);
    EXPECT_TRUE(evens.Covers(device, Hlc{i + 1, 0})) << device;
    EXPECT_FALSE(evens.Covers(device, Hlc{i + 2, 0})) << device;
  }
  EXPECT_TRUE(std::is_sorted(evens.entries().begin(), evens.entries().end()));
  EXPECT_FALSE(evens.Covers("device-999", Hlc{1, 0}));
}

TEST(VersionVectorTest, AssignTakesOnlySortedDistinctDevices) {
  VersionVector vector;
  vector.Add(At(1, "z"));
  EXPECT_FALSE(vector.Assign({{"b", {1, 0}}, {"a", {2, 0}}}));
  EXPECT_FALSE(vector.Assign({{"a", {1, 0}}, {"a", {2, 0}}}));
  EXPECT_TRUE(vector.Covers(At(1, "z")));  // a refused assignment changed nothing
  EXPECT_TRUE(vector.Assign({{"a", {1, 0}}, {"b", {2, 0}}}));
  EXPECT_TRUE(vector.Covers(At(2, "b")));
  EXPECT_FALSE(vector.Covers(At(1, "z")));
}

TEST(VersionVectorTest, FindGivesTheEntryToChange) {
  VersionVector vector;
  vector.Add(At(4, "a"));
  ASSERT_NE(vector.Find("a"), nullptr);
  *vector.Find("a") = Hlc{8, 1};
  EXPECT_TRUE(vector.Covers(Version{{8, 1}, "a"}));
  EXPECT_EQ(vector.Find("b"), nullptr);
}

}  // namespace
}  // namespace outreach::model
