// A large push is applied while the rest of it is still being checked (PushChecks), and a
// binary one while it is still being read. Whatever the checks find, and wherever in the push,
// the answer is the one a push read and checked whole before anything was applied gets: a body
// that does not decode (400) first, then a refusal of who may write or when (403, 409) for the
// whole push, then invalid content (422, every such change listed), then what applying found
// (a change into another team's record: 403); and nothing of a refused push is written. Each
// test runs with the push given whole (JSON, and the service's own callers) and read as it goes
// (a binary body).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/protocol/binary_codec.h"
#include "core/protocol/internal/zstd_frame.h"
#include "tests/sync-server/sync_fixture.h"
#include "tests/testing/status_matchers.h"

namespace outreach::server::testing {
namespace {

using model::Json;
using ::testing::HasSubstr;

constexpr std::int64_t kDayMs = 24LL * 3600 * 1000;

class PushChecksTest : public TeammatesFixture, public ::testing::WithParamInterface<bool> {
 protected:
  bool ReadAsItGoes() const { return GetParam(); }

  // `request` as Ana pushes it: given whole, or as a binary body read while it is applied.
  ServiceResult<SyncReply> Push(const protocol::SyncRequest& request) {
    if (!ReadAsItGoes()) return server_->service().Sync(ServerDevice(*ana_), request);
    return PushBody(protocol::EncodeBinary(request));
  }
  ServiceResult<SyncReply> PushBody(const std::string& body) {
    auto reader = protocol::BinaryRequestReader::Open(body);
    EXPECT_TRUE(reader.ok()) << reader.status().ToString();
    if (!reader.ok()) return ServiceError{};
    protocol::SyncRequest head = (*reader)->head();
    return server_->service().Sync(ServerDevice(*ana_), head, **reader);
  }

  void SetUp() override {
    TeammatesFixture::SetUp();
    if (HasFatalFailure()) return;
    std::vector<std::string> names;
    for (int i = 0; i < 120; ++i) names.push_back("Person " + std::to_string(i));
    ASSERT_EQ(CreateYoungPeople(*ana_, names).size(), names.size());
    ASSERT_OK_AND_ASSIGN(push_, ana_->PendingRequest());
    ASSERT_EQ(push_.changes.size(), 120u);
  }

  // Pushes `request` as Ana; expects `status` and nothing written.
  ServiceError ExpectRefused(const protocol::SyncRequest& request, int status) {
    const auto before = StoreCounts();
    auto reply = Push(request);
    EXPECT_EQ(HttpStatus(reply), status) << Describe(RefusalOf(reply));
    EXPECT_EQ(StoreCounts(), before) << "nothing of a refused push is written";
    return RefusalOf(reply);
  }

  // Change `i` aimed at a record of team south, its team left as Ana's: only applying it
  // can tell (the stored record's team).
  void AimAtSouthRecord(protocol::SyncRequest& request, std::size_t i) {
    auto cat = NewDevice("cat");
    ASSERT_TRUE(cat);
    ASSERT_OK_AND_ASSIGN(std::string south_record,
                         cat->replica().Create("young_person", YoungPerson(*cat, "Robin")));
    Synced(*cat);
    request.changes[i].record_id = south_record;
  }

  protocol::SyncRequest push_;
};

TEST_P(PushChecksTest, AScopeRefusalLateInThePushAnswersOverInvalidContentEarlier) {
  protocol::SyncRequest request = push_;
  request.changes[5].registers["known_as"].value = "";
  request.changes[100].author = ben_->identity().user_id;
  const ServiceError error = ExpectRefused(request, 403);
  EXPECT_EQ(error.body.error, "permission_denied");
  EXPECT_THAT(error.body.message, HasSubstr(request.changes[100].change_id));
}

TEST_P(PushChecksTest, AClockSkewLateInThePushAnswersOverInvalidContentEarlier) {
  protocol::SyncRequest request = push_;
  request.changes[3].registers["known_as"].value = "";
  request.changes[90].version.hlc.physical_ms += kDayMs;
  const ServiceError error = ExpectRefused(request, 409);
  EXPECT_EQ(error.body.error, "clock_skew");
}

TEST_P(PushChecksTest, InvalidContentLateInThePushAnswersOverARecordOfAnotherTeamEarlier) {
  protocol::SyncRequest request = push_;
  ASSERT_NO_FATAL_FAILURE(AimAtSouthRecord(request, 10));
  request.changes[110].registers["known_as"].value = "";
  const ServiceError error = ExpectRefused(request, 422);
  EXPECT_EQ(error.body.error, "invalid_changes");
  ASSERT_EQ(error.body.rejected.size(), 1u);
  EXPECT_EQ(error.body.rejected[0].change_id, request.changes[110].change_id);
}

TEST_P(PushChecksTest, ARecordOfAnotherTeamRefusesTheWholePushOnceItIsChecked) {
  protocol::SyncRequest request = push_;
  ASSERT_NO_FATAL_FAILURE(AimAtSouthRecord(request, 60));
  const ServiceError error = ExpectRefused(request, 403);
  EXPECT_EQ(error.body.error, "permission_denied");
  EXPECT_THAT(error.body.message, HasSubstr(request.changes[60].change_id));
}

// Applying a change may throw (nlohmann refuses to write invalid UTF-8 into the stored state,
// which a decoder never lets through but a caller of the service might) while the rest of the
// push is still being checked. The push fails as any handler's exception does, nothing of it is
// written, the checking thread is stopped, and the store's writer, held by the changes applied
// before it, is free again: the next push goes through.
TEST_P(PushChecksTest, AnExceptionWhileApplyingFailsThePushAndFreesTheStore) {
  if (ReadAsItGoes()) GTEST_SKIP() << "a binary body with invalid UTF-8 does not decode";
  protocol::SyncRequest request = push_;
  request.changes[80].registers["known_as"].value = std::string("\xff\xfe");
  const auto before = StoreCounts();
  EXPECT_ANY_THROW((void)Push(request));
  EXPECT_EQ(StoreCounts(), before) << "nothing of a failed push is written";
  auto reply = Push(push_);
  EXPECT_EQ(HttpStatus(reply), 200) << Describe(RefusalOf(reply));
  EXPECT_EQ(StoreCounts(), std::make_pair(std::int64_t{120}, std::int64_t{120}));
}

// Applying needs a change checked: one of an unknown collection has no schema to merge with.
TEST_P(PushChecksTest, AChangeOfAnUnknownCollectionIsNeverApplied) {
  protocol::SyncRequest request = push_;
  request.changes[70].collection = "no_such_collection";
  const ServiceError error = ExpectRefused(request, 422);
  ASSERT_EQ(error.body.rejected.size(), 1u);
  EXPECT_THAT(error.body.rejected[0].reason, HasSubstr("unknown collection"));
}

TEST_P(PushChecksTest, InvalidChangesAtBothEndsAreAllListedAndTheHonestPushThenApplies) {
  protocol::SyncRequest request = push_;
  const std::vector<std::size_t> broken{0, 63, 64, 119};
  for (const std::size_t i : broken) request.changes[i].registers["known_as"].value = "";
  const ServiceError error = ExpectRefused(request, 422);
  ASSERT_EQ(error.body.rejected.size(), broken.size());
  for (std::size_t k = 0; k < broken.size(); ++k) {
    EXPECT_EQ(error.body.rejected[k].change_id, request.changes[broken[k]].change_id) << k;
  }

  auto reply = Push(push_);
  ASSERT_EQ(HttpStatus(reply), 200) << Describe(RefusalOf(reply));
  const auto& results = std::get<SyncReply>(reply).response.results;
  ASSERT_EQ(results.size(), push_.changes.size());
  for (std::size_t i = 0; i < results.size(); ++i) {
    EXPECT_EQ(results[i].change_id, push_.changes[i].change_id) << i;
    EXPECT_EQ(results[i].outcome, protocol::Outcome::kApplied) << i;
  }
  EXPECT_EQ(StoreCounts(), std::make_pair(std::int64_t{120}, std::int64_t{120}));
}

// A binary body cut short, or with bytes after its end: 400 malformed_body, whatever its
// changes would have been refused for.
class MalformedPushTest : public PushChecksTest {
 protected:
  // `request`'s body with its archive cut to `keep` of its bytes (1.0: whole, plus "junk").
  static std::string Damaged(const protocol::SyncRequest& request, double keep) {
    const std::string body = protocol::EncodeBinary(request);
    auto archive = protocol::internal::Decompress(body.substr(7), 64 << 20);
    EXPECT_TRUE(archive.ok());
    std::string damaged = archive.ok() ? *archive : std::string();
    if (keep < 1) {
      damaged.resize(static_cast<std::size_t>(static_cast<double>(damaged.size()) * keep));
    } else {
      damaged += "junk";
    }
    return body.substr(0, 7) + protocol::internal::Compress(damaged);
  }

  void ExpectMalformed(const std::string& body) {
    const auto before = StoreCounts();
    auto reply = PushBody(body);
    EXPECT_EQ(HttpStatus(reply), 400) << Describe(RefusalOf(reply));
    EXPECT_EQ(RefusalOf(reply).body.error, "malformed_body");
    EXPECT_EQ(StoreCounts(), before) << "nothing of a refused push is written";
  }
};

TEST_P(MalformedPushTest, ABodyCutShortIsMalformedAndWritesNothing) {
  ExpectMalformed(Damaged(push_, 0.9));
}

TEST_P(MalformedPushTest, BytesAfterItsEndAreMalformedAndWriteNothing) {
  ExpectMalformed(Damaged(push_, 1.5));
}

TEST_P(MalformedPushTest, AMalformedBodyAnswersOverEveryOtherRefusal) {
  protocol::SyncRequest scope = push_;
  scope.changes[2].author = ben_->identity().user_id;
  ExpectMalformed(Damaged(scope, 0.9));
  protocol::SyncRequest invalid = push_;
  invalid.changes[2].registers["known_as"].value = "";
  ExpectMalformed(Damaged(invalid, 1.5));
  protocol::SyncRequest cursor = push_;
  cursor.cursor = "not a cursor of this server";
  ExpectMalformed(Damaged(cursor, 0.9));
}

// Too many changes is seen from the head alone; the body is read to its end all the same.
class MalformedLargePushTest : public MalformedPushTest {
 protected:
  SyncLimits Limits() const override {
    SyncLimits limits;
    limits.max_changes_per_push = 100;
    return limits;
  }
};

TEST_P(MalformedLargePushTest, AMalformedBodyAnswersOverTooManyChanges) {
  auto whole = PushBody(protocol::EncodeBinary(push_));
  EXPECT_EQ(HttpStatus(whole), 413);
  EXPECT_EQ(RefusalOf(whole).body.error, "too_many_changes");
  ExpectMalformed(Damaged(push_, 0.9));
  ExpectMalformed(Damaged(push_, 1.5));
}

INSTANTIATE_TEST_SUITE_P(WholeOrAsItGoes, PushChecksTest, ::testing::Bool());
INSTANTIATE_TEST_SUITE_P(AsItGoes, MalformedPushTest, ::testing::Values(true));
INSTANTIATE_TEST_SUITE_P(AsItGoes, MalformedLargePushTest, ::testing::Values(true));

}  // namespace
}  // namespace outreach::server::testing
