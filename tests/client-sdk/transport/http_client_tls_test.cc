// The HttpClient against a TLS test server: what it sends, how it verifies the server, which
// URLs it refuses, and that consecutive requests share one connection.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "client-sdk/transport/http_client.h"
#include "tests/client-sdk/transport/transport_test_fixture.h"
#include "tests/testing/status_matchers.h"

namespace outreach::client {
namespace {

using ::outreach::testing::IsOk;
using ::outreach::testing::ScriptedHttpServer;
using ::outreach::testing::ScriptedResponse;
using ::outreach::testing::StatusIs;
using ::testing::HasSubstr;

class HttpClientTlsTest : public TransportTest {
 protected:
  // Certificates of a second, unrelated CA.
  testing::TestCertificates OtherCertificates() {
    const std::string other = dir_.File("other");
    std::filesystem::create_directory(other);
    return testing::MakeTestCertificates(other);
  }

  // A client with `options` trusts the server: its request is answered.
  void ExpectAnswered(const TransportOptions& options) {
    server_.Enqueue(ScriptedResponse::Answer(200));
    ASSERT_OK_AND_ASSIGN(auto client, HttpClient::Create(options));
    ASSERT_OK_AND_ASSIGN(HttpResult result, client->Get("/healthz", {}));
    EXPECT_EQ(result.status, 200);
  }

  // A client with `options` refuses the server during the handshake and does not try again.
  void ExpectTlsRefusedOnFirstConnection(const TransportOptions& options,
                                         const std::string& reason) {
    ASSERT_OK_AND_ASSIGN(auto client, HttpClient::Create(options));
    Result<HttpResult> result = client->Get("/v1/schemas", {});
    EXPECT_THAT(result, StatusIs(StatusCode::kFailedPrecondition));
    EXPECT_THAT(result.status().message(), HasSubstr(reason));
    EXPECT_EQ(server_.connections(), 1);
    EXPECT_TRUE(server_.Requests().empty());
  }
};

TEST_F(HttpClientTlsTest, PostSendsBodyHeadersAndToken) {
  server_.Enqueue(ScriptedResponse::Answer(200, R"({"ok":true})")
                      .WithContentType("Application/JSON; charset=utf-8"));
  ASSERT_OK_AND_ASSIGN(auto client, HttpClient::Create(Options()));
  RequestOptions request;
  request.bearer_token = "device-token-123";
  request.accept = "application/json";
  ASSERT_OK_AND_ASSIGN(HttpResult result,
                       client->Post("/v1/sync", "application/vnd.outreach.sync.v1+cereal",
                                    "push-body", request));
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.content_type, "application/json");  // parameters dropped, lower case
  EXPECT_EQ(result.body, R"({"ok":true})");

  const auto requests = server_.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/v1/sync");
  EXPECT_EQ(requests[0].body, "push-body");
  EXPECT_EQ(requests[0].Header("content-type"), "application/vnd.outreach.sync.v1+cereal");
  EXPECT_EQ(requests[0].Header("authorization"), "Bearer device-token-123");
  EXPECT_EQ(requests[0].Header("accept"), "application/json");
  EXPECT_EQ(requests[0].Header("expect"), "");  // no 100-continue round trip
}

TEST_F(HttpClientTlsTest, PostWithoutContentTypeIsSentAsOctetStream) {
  server_.Enqueue(ScriptedResponse::Answer(200));
  ASSERT_OK_AND_ASSIGN(auto client, HttpClient::Create(Options()));
  EXPECT_THAT(client->Post("/v1/blob", "", "bytes", {}), IsOk());
  const auto requests = server_.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].Header("content-type"), "application/octet-stream");
}

TEST_F(HttpClientTlsTest, GetReturnsTheAnswer) {
  server_.Enqueue(ScriptedResponse::Answer(200, "schemas"));
  ASSERT_OK_AND_ASSIGN(auto client, HttpClient::Create(Options()));
  ASSERT_OK_AND_ASSIGN(HttpResult result, client->Get("/v1/schemas", {}));
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.body, "schemas");
  const auto requests = server_.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].Header("authorization"), "");  // no token given, none sent
}

TEST_F(HttpClientTlsTest, ServerOfAnotherCaIsFailedPreconditionAndNotRetried) {
  TransportOptions options = Options();
  options.ca_file = OtherCertificates().ca_file;
  ExpectTlsRefusedOnFirstConnection(options, "certificate");
}

TEST_F(HttpClientTlsTest, MatchingPinPasses) {
  TransportOptions options = Options();
  options.pinned_public_key = certificates_.server_pin;
  ExpectAnswered(options);
}

TEST_F(HttpClientTlsTest, WrongPinIsFailedPreconditionAndNotRetried) {
  TransportOptions options = Options();
  // The CA still vouches for the server; only the pin differs.
  options.pinned_public_key = OtherCertificates().server_pin;
  ExpectTlsRefusedOnFirstConnection(options, "pinned public key");
}

// A self-signed server, trusted by its key alone: no CA file (the system's CAs would refuse it).
TEST_F(HttpClientTlsTest, APinAloneTrustsTheServerWithoutACa) {
  TransportOptions options = Options();
  options.ca_file.clear();
  options.pinned_public_key = certificates_.server_pin;
  ExpectAnswered(options);
}

TEST_F(HttpClientTlsTest, WithoutACaAWrongPinIsRefused) {
  TransportOptions options = Options();
  options.ca_file.clear();
  options.pinned_public_key = OtherCertificates().server_pin;
  ExpectTlsRefusedOnFirstConnection(options, "pinned public key");
}

TEST_F(HttpClientTlsTest, WithoutACaTheHostNameIsStillChecked) {
  // 0.0.0.0 reaches the loopback listener, but the certificate is for 127.0.0.1, [::1] and
  // localhost only: the right key on a certificate for another name is refused.
  TransportOptions options = Options("https://0.0.0.0:" + std::to_string(server_.port()));
  options.ca_file.clear();
  options.pinned_public_key = certificates_.server_pin;
  ExpectTlsRefusedOnFirstConnection(options, "target host name");
}

TEST_F(HttpClientTlsTest, WithoutAPinTheSystemCasStillDecide) {
  TransportOptions options = Options();
  options.ca_file.clear();  // the system's CAs, which do not know the test CA
  ExpectTlsRefusedOnFirstConnection(options, "certificate");
}

TEST_F(HttpClientTlsTest, PinThatIsNotSha256FormIsRefused) {
  TransportOptions options = Options();
  options.pinned_public_key = "/etc/ssl/server.pem";
  EXPECT_THAT(HttpClient::Create(options), StatusIs(StatusCode::kInvalidArgument));
}

TEST_F(HttpClientTlsTest, PlainHttpToAnotherHostIsRefused) {
  EXPECT_THAT(HttpClient::Create(Options("http://sync.example.org:8080")),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(HttpClient::Create(Options("http://192.168.1.10")),
              StatusIs(StatusCode::kInvalidArgument));
}

TEST_F(HttpClientTlsTest, PlainHttpToLoopbackWorks) {
  ScriptedHttpServer plain_server;
  plain_server.Enqueue(ScriptedResponse::Answer(200, "plain"));
  ASSERT_OK_AND_ASSIGN(auto client, HttpClient::Create(Options(plain_server.BaseUrl())));
  ASSERT_OK_AND_ASSIGN(HttpResult result, client->Get("/healthz", {}));
  EXPECT_EQ(result.body, "plain");
}

TEST_F(HttpClientTlsTest, ThreeRequestsShareOneConnection) {
  for (int index = 0; index < 3; ++index) server_.Enqueue(ScriptedResponse::Answer(200));
  ASSERT_OK_AND_ASSIGN(auto client, HttpClient::Create(Options()));
  EXPECT_THAT(client->Post("/v1/sync", "application/json", "{}", {}), IsOk());
  EXPECT_THAT(client->Get("/v1/schemas", {}), IsOk());
  EXPECT_THAT(client->Post("/v1/sync", "application/json", "{}", {}), IsOk());
  const auto requests = server_.Requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].connection_id, requests[1].connection_id);
  EXPECT_EQ(requests[1].connection_id, requests[2].connection_id);
  EXPECT_EQ(server_.connections(), 1);
}

TEST_F(HttpClientTlsTest, LineBreakInAHeaderValueIsRefusedBeforeSending) {
  ASSERT_OK_AND_ASSIGN(auto client, HttpClient::Create(Options()));
  RequestOptions request;
  request.bearer_token = "token\r\nX-Injected: 1";
  Result<HttpResult> result = client->Get("/v1/schemas", request);
  EXPECT_THAT(result, StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(result.status().message(), ::testing::Not(HasSubstr("X-Injected")));
  EXPECT_EQ(server_.connections(), 0);
}

TEST_F(HttpClientTlsTest, PathWithoutLeadingSlashIsRefused) {
  ASSERT_OK_AND_ASSIGN(auto client, HttpClient::Create(Options()));
  EXPECT_THAT(client->Get("v1/schemas", {}), StatusIs(StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace outreach::client
