// Enrolment and device authentication (DESIGN.md section 5): a one-time code becomes a device
// token; codes are single-use (but a device whose answer was lost may retry), they expire, a
// revoked device is told to wipe, and the server keeps only hashes of codes and tokens.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/model/uuid.h"
#include "core/storage/database.h"
#include "sync-server/auth/credentials.h"
#include "tests/sync-server/sync_fixture.h"
#include "tests/testing/file_scan.h"
#include "tests/testing/status_matchers.h"

namespace outreach::server::testing {
namespace {

using ::outreach::testing::IsOk;
using ::outreach::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr std::int64_t kMinuteMs = 60 * 1000;

class EnrolmentTest : public SyncFixture {
 protected:
  std::string IssueCode(const std::string& user) {
    auto code = server_->service().IssueEnrolmentCode(user);
    EXPECT_THAT(code, IsOk());
    return code.ok() ? *code : std::string();
  }

  ServiceResult<protocol::EnrolResponse> EnrolWith(const std::string& code,
                                                   const std::string& device_id) {
    return server_->service().Enrol(
        protocol::EnrolRequest{protocol::kProtocolVersion, code, device_id, "tablet"});
  }

  static std::string TokenOf(const ServiceResult<protocol::EnrolResponse>& enrolled) {
    const auto* response = std::get_if<protocol::EnrolResponse>(&enrolled);
    return response == nullptr ? std::string() : response->token;
  }

  ServiceResult<Device> Authenticate(const std::string& authorization) {
    return server_->service().Authenticate(authorization);
  }

  std::string NewDeviceId() { return model::NewUuidV7(server_->clock().NowMs()); }
};

TEST_F(EnrolmentTest, CodeBecomesATokenThatAuthenticatesTheDevice) {
  ASSERT_OK_AND_ASSIGN(User ana, server_->store().FindUser("ana"));
  const std::string device_id = NewDeviceId();
  auto enrolled = EnrolWith(IssueCode("ana"), device_id);
  ASSERT_EQ(HttpStatus(enrolled), 200) << Describe(RefusalOf(enrolled));
  const auto& response = std::get<protocol::EnrolResponse>(enrolled);
  EXPECT_EQ(response.device_id, device_id);
  EXPECT_EQ(response.user_id, ana.id);
  EXPECT_EQ(response.team, ana.team_id);
  EXPECT_EQ(response.role, "worker");
  EXPECT_EQ(response.server_time_ms, server_->clock().NowMs());
  EXPECT_THAT(response.token, StartsWith("ost_"));

  auto device = Authenticate("Bearer " + response.token);
  ASSERT_EQ(HttpStatus(device), 200) << Describe(RefusalOf(device));
  EXPECT_EQ(std::get<Device>(device).id, device_id);
  EXPECT_EQ(std::get<Device>(device).user.id, ana.id);
  EXPECT_EQ(std::get<Device>(device).user.team_id, ana.team_id);
  EXPECT_FALSE(std::get<Device>(device).revoked);
}

TEST_F(EnrolmentTest, CodeTypedInLowerCaseWithoutDashesWorks) {
  std::string typed;
  for (char c : IssueCode("ana")) {
    if (c != '-') typed.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  EXPECT_EQ(HttpStatus(EnrolWith(typed, NewDeviceId())), 200);
}

TEST_F(EnrolmentTest, CodeCannotBeUsedByASecondDevice) {
  const std::string code = IssueCode("ana");
  auto first = EnrolWith(code, NewDeviceId());
  ASSERT_EQ(HttpStatus(first), 200);
  auto second = EnrolWith(code, NewDeviceId());
  EXPECT_EQ(HttpStatus(second), 401);
  EXPECT_EQ(RefusalOf(second).body.error, "unauthenticated");
  EXPECT_EQ(HttpStatus(Authenticate("Bearer " + TokenOf(first))), 200) << "first device unharmed";
  ASSERT_OK_AND_ASSIGN(auto devices, server_->store().ListDevices());
  EXPECT_EQ(devices.size(), 1u);
}

TEST_F(EnrolmentTest, SameDeviceRetryingWithinTheWindowGetsANewTokenAndTheOldOneStops) {
  const std::string code = IssueCode("ana");
  const std::string device_id = NewDeviceId();
  auto lost = EnrolWith(code, device_id);  // the answer never reached the tablet
  ASSERT_EQ(HttpStatus(lost), 200);
  server_->clock().Advance(2 * kMinuteMs);
  auto retried = EnrolWith(code, device_id);
  ASSERT_EQ(HttpStatus(retried), 200) << Describe(RefusalOf(retried));
  EXPECT_EQ(std::get<protocol::EnrolResponse>(retried).device_id, device_id);
  EXPECT_NE(TokenOf(retried), TokenOf(lost));

  auto device = Authenticate("Bearer " + TokenOf(retried));
  ASSERT_EQ(HttpStatus(device), 200);
  EXPECT_EQ(std::get<Device>(device).id, device_id);
  EXPECT_EQ(HttpStatus(Authenticate("Bearer " + TokenOf(lost))), 401);
  ASSERT_OK_AND_ASSIGN(auto devices, server_->store().ListDevices());
  EXPECT_EQ(devices.size(), 1u) << "a retry stays one device";
}

TEST_F(EnrolmentTest, RetryAfterTheWindowIsRefused) {
  const std::string code = IssueCode("ana");
  const std::string device_id = NewDeviceId();
  auto first = EnrolWith(code, device_id);
  ASSERT_EQ(HttpStatus(first), 200);
  server_->clock().Advance(SyncLimits{}.enrolment_retry_window_ms + 1);
  EXPECT_EQ(HttpStatus(EnrolWith(code, device_id)), 401);
  EXPECT_EQ(HttpStatus(Authenticate("Bearer " + TokenOf(first))), 200);
}

TEST_F(EnrolmentTest, ExpiredCodeIsRefused) {
  const std::string expiring = IssueCode("ana");
  const std::string still_valid = IssueCode("ben");
  server_->clock().Advance(SyncLimits{}.enrolment_code_ttl_ms);
  EXPECT_EQ(HttpStatus(EnrolWith(still_valid, NewDeviceId())), 200) << "valid up to its expiry";
  server_->clock().Advance(1);
  auto expired = EnrolWith(expiring, NewDeviceId());
  EXPECT_EQ(HttpStatus(expired), 401);
  EXPECT_EQ(RefusalOf(expired).body.error, "unauthenticated");
}

TEST_F(EnrolmentTest, UnknownCodeAndMalformedDeviceIdAreRefused) {
  EXPECT_EQ(HttpStatus(EnrolWith("AAAA-BBBB-CCCC", NewDeviceId())), 401);
  EXPECT_EQ(HttpStatus(EnrolWith(IssueCode("ana"), "tablet-1")), 400);
}

TEST_F(EnrolmentTest, MalformedAuthorizationIsRefused) {
  auto enrolled = EnrolWith(IssueCode("ana"), NewDeviceId());
  const std::string token = TokenOf(enrolled);
  ASSERT_FALSE(token.empty());
  for (const std::string& authorization :
       {std::string(), std::string("Bearer"), std::string("Bearer "), token,
        "Basic " + token, "Bearer  " + token, "Bearer " + token + "x",
        "Bearer " + token.substr(0, token.size() - 1), "Bearer " + HashSecret(token)}) {
    SCOPED_TRACE("Authorization: " + authorization);
    auto refused = Authenticate(authorization);
    EXPECT_EQ(HttpStatus(refused), 401);
    EXPECT_EQ(RefusalOf(refused).body.error, "unauthenticated");
    EXPECT_FALSE(RefusalOf(refused).body.wipe);
  }
}

TEST_F(EnrolmentTest, RevokedDeviceIsToldToWipeAndCannotComeBackWithItsCode) {
  const std::string code = IssueCode("ana");
  const std::string device_id = NewDeviceId();
  auto enrolled = EnrolWith(code, device_id);
  ASSERT_EQ(HttpStatus(enrolled), 200);
  ASSERT_THAT(server_->store().RevokeDevice(device_id), IsOk());

  auto refused = Authenticate("Bearer " + TokenOf(enrolled));
  EXPECT_EQ(HttpStatus(refused), 403);
  EXPECT_EQ(RefusalOf(refused).body.error, "device_revoked");
  EXPECT_TRUE(RefusalOf(refused).body.wipe);
  // A retry of its enrolment within the window must not give it a working token again.
  auto retried = EnrolWith(code, device_id);
  EXPECT_EQ(HttpStatus(retried), 401);
  EXPECT_EQ(HttpStatus(Authenticate("Bearer " + TokenOf(enrolled))), 403);
  EXPECT_THAT(server_->store().RevokeDevice(NewDeviceId()), StatusIs(StatusCode::kNotFound));
}

TEST_F(EnrolmentTest, StoreHoldsOnlyHashesOfCodesAndTokens) {
  const std::string code = IssueCode("ana");
  auto enrolled = EnrolWith(code, NewDeviceId());
  const std::string token = TokenOf(enrolled);
  ASSERT_FALSE(token.empty());
  ASSERT_NE(HashSecret(token), token);
  ASSERT_OK_AND_ASSIGN(auto by_token, server_->store().FindDeviceByToken(token));
  EXPECT_FALSE(by_token.has_value()) << "the token itself is not what the store keeps";
  ASSERT_OK_AND_ASSIGN(auto by_hash, server_->store().FindDeviceByToken(HashSecret(token)));
  EXPECT_TRUE(by_hash.has_value());

  // Every value of every table, decrypted: neither secret appears in any of them.
  server_->CloseStore();
  {
    ASSERT_OK_AND_ASSIGN(auto db, storage::Database::Open(server_->store_path(),
                                                          storage::KeySource::RawKey(server_->key())));
    ASSERT_OK_AND_ASSIGN(auto tables, db->Prepare("SELECT name FROM sqlite_master WHERE type = 'table'"));
    int values_seen = 0;
    while (true) {
      ASSERT_OK_AND_ASSIGN(bool table_row, tables.Step());
      if (!table_row) break;
      ASSERT_OK_AND_ASSIGN(auto rows, db->Prepare("SELECT * FROM " + std::string(tables.ColumnText(0))));
      while (true) {
        ASSERT_OK_AND_ASSIGN(bool row, rows.Step());
        if (!row) break;
        for (int column = 0; column < rows.ColumnCount(); ++column) {
          const std::string value(rows.ColumnText(column));
          ++values_seen;
          EXPECT_THAT(value, ::testing::Not(HasSubstr(token)));
          EXPECT_THAT(value, ::testing::Not(HasSubstr(code)));
        }
      }
    }
    EXPECT_GT(values_seen, 10);
  }
  // And nothing readable in the files either (the store is encrypted).
  EXPECT_EQ(::outreach::testing::CountOccurrences(dir_.path(), {token, code}), 0);
  ASSERT_THAT(server_->ReopenStore(), IsOk());
  EXPECT_EQ(HttpStatus(Authenticate("Bearer " + token)), 200);
}

}  // namespace
}  // namespace outreach::server::testing
