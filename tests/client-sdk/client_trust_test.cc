// Review finding (e): a device keeps the trust it was enrolled with. Enrolled with a pin and no
// CA file today, the pin alone vouches for the server (its certificate chains to no system
// CA); a device enrolled before the trust mode was stored meant "system CAs and the pin" by a
// lone pin, and keeps meaning it. The server is scripted over TLS with a throwaway CA the
// system does not trust.
#include <gtest/gtest.h>

#include "client-sdk/client.h"
#include "core/storage/database.h"
#include "core/storage/key_source.h"
#include "tests/client-sdk/scripted_client_fixture.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_ca.h"

namespace outreach {
namespace {

using ::outreach::testing::IsOk;
using ::outreach::testing::RecordedRequest;
using ::outreach::testing::ScriptedResponse;

class ClientTrustTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.SetFallback(ScriptedResponse::From([](const RecordedRequest& request) {
      return ::outreach::testing::SyncAnswer(request, protocol::kProtocolVersion);
    }));
    server_.Enqueue(ScriptedResponse::Answer(200, ::outreach::testing::EnrolAnswer()));
    server_.Enqueue(ScriptedResponse::Answer(200, ::outreach::testing::SchemasAnswer()));
    ASSERT_NO_FATAL_FAILURE(Reopen());
    EnrolOptions options;
    options.pinned_public_key = certificates_.server_pin;
    ASSERT_THAT(client_->Enrol(server_.BaseUrl(), "enrolment-code", options), IsOk());
  }

  void Reopen() {
    client_.reset();
    ClientOptions options;
    options.fast_kdf_for_tests = true;
    ASSERT_OK_AND_ASSIGN(client_, Client::Open(dir_.File("device"), "passcode", options));
  }

  ::outreach::testing::TempDir dir_;
  ::outreach::testing::TestCertificates certificates_ =
      ::outreach::testing::MakeTestCertificates(dir_.path());
  ::outreach::testing::ScriptedHttpServer server_{certificates_};
  std::unique_ptr<Client> client_;
};

TEST_F(ClientTrustTest, ADeviceEnrolledWithAPinAloneTrustsThePinAfterARestart) {
  EXPECT_THAT(client_->Sync().status(), IsOk());
  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_THAT(client_->Sync().status(), IsOk());
}

TEST_F(ClientTrustTest, ADeviceEnrolledBeforeTrustModesKeepsSystemCasAndPin) {
  // The store as an older SDK left it: the same pin, no trust mode.
  client_.reset();
  {
    storage::OpenOptions options;
    options.kdf = storage::KdfParams::FastForTests();
    ASSERT_OK_AND_ASSIGN(auto db, storage::Database::Open(dir_.File("device/device.db"),
                                                          storage::KeySource::Passcode("passcode"),
                                                          options));
    ASSERT_OK(db->Exec("DELETE FROM client_state WHERE key = 'trust_mode'"));
  }
  ASSERT_NO_FATAL_FAILURE(Reopen());
  const std::size_t asked = server_.Requests().size();
  const auto synced = client_->Sync();
  EXPECT_FALSE(synced.ok()) << "the server's CA is not one of the system's";
  EXPECT_EQ(server_.Requests().size(), asked) << "refused in the TLS handshake";
  ASSERT_OK_AND_ASSIGN(ClientStatus status, client_->GetStatus());
  EXPECT_TRUE(status.enrolled);
}

}  // namespace
}  // namespace outreach
