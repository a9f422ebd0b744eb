// MergePolicy / DataClass names, SchemaVersion parsing and OrderRank.
#include "core/schema/field_spec.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/schema/merge_policy.h"
#include "core/schema/schema_version.h"

namespace outreach::schema {
namespace {

TEST(MergePolicyTest, NamesRoundTrip) {
  for (MergePolicy policy : {MergePolicy::kImmutable, MergePolicy::kAppend, MergePolicy::kSet,
                             MergePolicy::kReview, MergePolicy::kLww, MergePolicy::kForward}) {
    EXPECT_EQ(ParseMergePolicy(MergePolicyName(policy)), policy);
  }
  EXPECT_EQ(MergePolicyName(MergePolicy::kLww), "lww");
  EXPECT_EQ(ParseMergePolicy("forward"), MergePolicy::kForward);
}

TEST(MergePolicyTest, UnknownOrMiscasedNamesAreRejected) {
  EXPECT_EQ(ParseMergePolicy("IMM"), std::nullopt);
  EXPECT_EQ(ParseMergePolicy("Review"), std::nullopt);
  EXPECT_EQ(ParseMergePolicy(""), std::nullopt);
}

TEST(DataClassTest, NamesRoundTrip) {
  for (DataClass data_class : {DataClass::kPersonal, DataClass::kSpecialCategory,
                               DataClass::kOffence, DataClass::kOperational}) {
    EXPECT_EQ(ParseDataClass(DataClassName(data_class)), data_class);
  }
  EXPECT_EQ(DataClassName(DataClass::kSpecialCategory), "special_category");
  EXPECT_EQ(ParseDataClass("SC"), std::nullopt);
}

TEST(SchemaVersionTest, ParsesMajorDotMinor) {
  EXPECT_EQ(ParseSchemaVersion("1.0"), (SchemaVersion{1, 0}));
  EXPECT_EQ(ParseSchemaVersion("2.13"), (SchemaVersion{2, 13}));
  EXPECT_EQ(SchemaVersionString({3, 7}), "3.7");
}

TEST(SchemaVersionTest, RejectsOtherShapes) {
  for (const char* text : {"1", "1.", ".1", "1.0.0", "v1.0", "-1.0", "1.x", "", "1234567.0"}) {
    EXPECT_EQ(ParseSchemaVersion(text), std::nullopt) << text;
  }
}

TEST(SchemaVersionTest, OrdersByMajorThenMinor) {
  EXPECT_LT((SchemaVersion{1, 9}), (SchemaVersion{2, 0}));
  EXPECT_LT((SchemaVersion{1, 2}), (SchemaVersion{1, 10}));
}

TEST(OrderRankTest, RanksOrderedStringsLowestFirst) {
  FieldSpec field;
  field.order = {"absent", "low", "medium", "high"};
  EXPECT_EQ(OrderRank(field, "absent"), 0);
  EXPECT_EQ(OrderRank(field, "high"), 3);
  EXPECT_EQ(OrderRank(field, "extreme"), -1);
  EXPECT_EQ(OrderRank(field, nlohmann::json()), -1);
  EXPECT_EQ(OrderRank(field, nlohmann::json::array({"high"})), -1);
}

TEST(OrderRankTest, RanksBooleansByTheirJsonText) {
  FieldSpec field;
  field.order = {"false", "true"};
  EXPECT_EQ(OrderRank(field, false), 0);
  EXPECT_EQ(OrderRank(field, true), 1);
}

TEST(OrderRankTest, UnorderedFieldRanksNothing) {
  FieldSpec field;
  EXPECT_EQ(OrderRank(field, "draft"), -1);
}

TEST(EntryStateRanksTest, RanksEachForwardMemberOfAnEntry) {
  FieldSpec field;
  field.entry_forward = {{"state", {"open", "done"}}, {"checked", {"false", "true"}}};
  // One rank per member, in the members' (sorted) order: checked, then state.
  EXPECT_EQ(EntryStateRanks(field, nlohmann::json{{"state", "done"}, {"checked", false}}),
            (std::vector<int>{0, 1}));
  EXPECT_EQ(EntryStateRanks(field, nlohmann::json{{"struck", true}}), (std::vector<int>{-1, -1}));
  EXPECT_TRUE(EntryStateRanks(FieldSpec{}, nlohmann::json{{"state", "done"}}).empty());
}

}  // namespace
}  // namespace outreach::schema
