// Which failures the HttpClient retries, how long it waits, and what the caller gets when it
// gives up.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "client-sdk/transport/http_client.h"
#include "tests/client-sdk/transport/transport_test_fixture.h"
#include "tests/testing/loopback_socket.h"
#include "tests/testing/status_matchers.h"

namespace outreach::client {
namespace {

using ::outreach::testing::ScriptedResponse;
using ::outreach::testing::StatusIs;
using ::testing::HasSubstr;

using HttpClientRetryTest = TransportTest;

TEST_F(HttpClientRetryTest, ServiceUnavailableIsRetriedUntilSuccess) {
  server_.Enqueue(ScriptedResponse::Answer(503));
  server_.Enqueue(ScriptedResponse::Answer(200, "done"));
  ASSERT_OK_AND_ASSIGN(auto client, HttpClient::Create(Options()));
  ASSERT_OK_AND_ASSIGN(HttpResult result, client->Post("/v1/sync", "application/json", "{}", {}));
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.body, "done");
  const auto requests = server_.Requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].body, "{}");  // the same request again
}

TEST_F(HttpClientRetryTest, TooManyRequestsWaitsForRetryAfter) {
  server_.Enqueue(ScriptedResponse::Answer(429).WithHeader("Retry-After", "1"));
  server_.Enqueue(ScriptedResponse::Answer(200));
  ASSERT_OK_AND_ASSIGN(auto client, HttpClient::Create(Options()));  // backoff alone: <= 10 ms
  const auto start = std::chrono::steady_clock::now();
  ASSERT_OK_AND_ASSIGN(HttpResult result, client->Get("/v1/schemas", {}));
  const double seconds = SecondsSince(start);
  EXPECT_EQ(result.status, 200);
  EXPECT_GE(seconds, 0.9);
  EXPECT_LT(seconds, 10.0);
}

TEST_F(HttpClientRetryTest, RetryAfterIsCappedByBackoffMax) {
  server_.Enqueue(ScriptedResponse::Answer(503).WithHeader("Retry-After", "3600"));
  server_.Enqueue(ScriptedResponse::Answer(200));
  TransportOptions options = Options();
  options.backoff_max_ms = 50;
  ASSERT_OK_AND_ASSIGN(auto client, HttpClient::Create(options));
  const auto start = std::chrono::steady_clock::now();
  ASSERT_OK_AND_ASSIGN(HttpResult result, client->Get("/v1/schemas", {}));
  EXPECT_EQ(result.status, 200);
  EXPECT_LT(SecondsSince(start), 5.0);
}

TEST_F(HttpClientRetryTest, ConnectionClosedWithoutAnswerIsRetried) {
  server_.Enqueue(ScriptedResponse::CloseWithoutAnswer());
  server_.Enqueue(ScriptedResponse::Answer(200, "second try"));
  ASSERT_OK_AND_ASSIGN(auto client, HttpClient::Create(Options()));
  ASSERT_OK_AND_ASSIGN(HttpResult result, client->Post("/v1/sync", "application/json", "{}", {}));
  EXPECT_EQ(result.body, "second try");
  EXPECT_EQ(server_.Requests().size(), 2u);
  EXPECT_EQ(server_.connections(), 2);
}

TEST_F(HttpClientRetryTest, AttemptThatTimesOutIsRetried) {
  server_.Enqueue(ScriptedResponse::Answer(200, "too late").After(std::chrono::seconds(5)));
  server_.Enqueue(ScriptedResponse::Answer(200, "in time"));
  TransportOptions options = Options();
  options.transfer_timeout_ms = 300;
  ASSERT_OK_AND_ASSIGN(auto client, HttpClient::Create(options));
  ASSERT_OK_AND_ASSIGN(HttpResult result, client->Get("/v1/schemas", {}));
  EXPECT_EQ(result.body, "in time");
  EXPECT_EQ(server_.Requests().size(), 2u);
}

class HttpClientClientErrorTest : public TransportTest,
                                  public ::testing::WithParamInterface<int> {};

TEST_P(HttpClientClientErrorTest, IsReturnedAtOnceWithItsBody) {
  const int status = GetParam();
  server_.Enqueue(ScriptedResponse::Answer(status, R"({"error":"refused"})"));
  ASSERT_OK_AND_ASSIGN(auto client, HttpClient::Create(Options()));
  ASSERT_OK_AND_ASSIGN(HttpResult result, client->Post("/v1/sync", "application/json", "{}", {}));
  EXPECT_EQ(result.status, status);
  EXPECT_EQ(result.body, R"({"error":"refused"})");
  EXPECT_EQ(server_.Requests().size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(BadRequestUnauthorizedTooLarge, HttpClientClientErrorTest,
                         ::testing::Values(400, 401, 413));

TEST_F(HttpClientRetryTest, ServerErrorOnEveryAttemptIsUnavailableNamingIt) {
  server_.SetFallback(ScriptedResponse::Answer(500));
  ASSERT_OK_AND_ASSIGN(auto client, HttpClient::Create(Options()));
  Result<HttpResult> result = client->Post("/v1/sync", "application/json", "{}", {});
  EXPECT_THAT(result, StatusIs(StatusCode::kUnavailable));
  EXPECT_THAT(result.status().message(), HasSubstr("HTTP 500"));
  EXPECT_THAT(result.status().message(), HasSubstr("3 times"));
  EXPECT_EQ(server_.Requests().size(), 3u);  // max_attempts, no more
}

TEST_F(HttpClientRetryTest, RefusedConnectionIsUnavailableNamingIt) {
  const std::string nowhere =
      "https://127.0.0.1:" + std::to_string(testing::UnusedLoopbackPort());
  ASSERT_OK_AND_ASSIGN(auto client, HttpClient::Create(Options(nowhere)));
  Result<HttpResult> result = client->Get("/v1/schemas", {});
  EXPECT_THAT(result, StatusIs(StatusCode::kUnavailable));
  EXPECT_THAT(result.status().message(), HasSubstr("connect"));
}

}  // namespace
}  // namespace outreach::client
