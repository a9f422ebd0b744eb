// Cancelling a request (during a stalled answer, during a backoff wait, before it starts) and
// the progress callback.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "client-sdk/transport/http_client.h"
#include "tests/client-sdk/transport/transport_test_fixture.h"
#include "tests/testing/status_matchers.h"

namespace outreach::client {
namespace {

using ::outreach::testing::ScriptedResponse;
using ::outreach::testing::StatusIs;

class HttpClientCancelTest : public TransportTest {
 protected:
  // Sends a GET that is cancelled 200 ms in; returns the result and the seconds it took.
  std::pair<Result<HttpResult>, double> GetCancelledAfter200Ms(const TransportOptions& options) {
    Result<std::unique_ptr<HttpClient>> client = HttpClient::Create(options);
    if (!client.ok()) return {client.status(), 0.0};
    std::atomic<bool> cancel{false};
    RequestOptions request;
    request.cancel = &cancel;
    std::thread canceller([&cancel] {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      cancel.store(true);
    });
    const auto start = std::chrono::steady_clock::now();
    Result<HttpResult> result = (*client)->Get("/v1/schemas", request);
    const double seconds = SecondsSince(start);
    canceller.join();
    return {std::move(result), seconds};
  }
};

TEST_F(HttpClientCancelTest, CancelWhileTheServerStallsIsAbortedQuickly) {
  server_.Enqueue(ScriptedResponse::Stall());
  auto [result, seconds] = GetCancelledAfter200Ms(Options());  // transfer timeout: 20 s
  EXPECT_THAT(result, StatusIs(StatusCode::kAborted));
  EXPECT_LT(seconds, 2.0);
  EXPECT_EQ(server_.Requests().size(), 1u);  // not retried
}

TEST_F(HttpClientCancelTest, CancelDuringRetryAfterWaitIsAbortedQuickly) {
  server_.Enqueue(ScriptedResponse::Answer(503).WithHeader("Retry-After", "30"));
  TransportOptions options = Options();
  options.backoff_max_ms = 60'000;
  auto [result, seconds] = GetCancelledAfter200Ms(options);
  EXPECT_THAT(result, StatusIs(StatusCode::kAborted));
  EXPECT_LT(seconds, 2.0);
  EXPECT_EQ(server_.Requests().size(), 1u);
}

TEST_F(HttpClientCancelTest, AlreadyCancelledSendsNothing) {
  ASSERT_OK_AND_ASSIGN(auto client, HttpClient::Create(Options()));
  std::atomic<bool> cancel{true};
  RequestOptions request;
  request.cancel = &cancel;
  EXPECT_THAT(client->Get("/v1/schemas", request), StatusIs(StatusCode::kAborted));
  EXPECT_EQ(server_.connections(), 0);
}

TEST_F(HttpClientCancelTest, ProgressReportsBytesAndTotals) {
  const std::string upload(64 * 1024, 'u');
  const std::string download(100 * 1024, 'd');
  server_.Enqueue(ScriptedResponse::Answer(200, download));
  ASSERT_OK_AND_ASSIGN(auto client, HttpClient::Create(Options()));
  std::uint64_t sent = 0, sent_total = 0, received = 0, received_total = 0;
  int calls = 0;
  RequestOptions request;
  request.progress = [&](std::uint64_t now_sent, std::uint64_t total_sent,
                         std::uint64_t now_received, std::uint64_t total_received) {
    ++calls;
    sent = std::max(sent, now_sent);
    sent_total = std::max(sent_total, total_sent);
    received = std::max(received, now_received);
    received_total = std::max(received_total, total_received);
  };
  ASSERT_OK_AND_ASSIGN(HttpResult result,
                       client->Post("/v1/sync", "application/json", upload, request));
  EXPECT_EQ(result.body, download);
  EXPECT_GT(calls, 0);
  EXPECT_EQ(sent, upload.size());
  EXPECT_EQ(sent_total, upload.size());
  EXPECT_EQ(received, download.size());
  EXPECT_EQ(received_total, download.size());  // from Content-Length
}

TEST_F(HttpClientCancelTest, ProgressCallbackThatThrowsIsInternalNotACrash) {
  server_.Enqueue(ScriptedResponse::Answer(200));
  ASSERT_OK_AND_ASSIGN(auto client, HttpClient::Create(Options()));
  RequestOptions request;
  request.progress = [](std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t) {
    throw std::runtime_error("bug in the app");
  };
  EXPECT_THAT(client->Get("/v1/schemas", request), StatusIs(StatusCode::kInternal));
}

}  // namespace
}  // namespace outreach::client
