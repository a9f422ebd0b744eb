// HttpServer's graceful stop: requests in flight finish and their responses arrive whole, idle
// keep-alive connections close at once, the rest are cut after the grace period, new
// connections are refused, and RunUntilSignal stops on SIGTERM.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "sync-server/http/http_server.h"
#include "tests/sync-server/http/test_connection.h"
#include "tests/sync-server/http/test_server.h"
#include "tests/testing/status_matchers.h"

namespace outreach::server {
namespace {

using ::outreach::testing::StatusIs;
using testing::GetRequest;
using testing::TestConnection;
using testing::TestServer;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// A handler for /slow that holds its thread for `delay`, and tells the test when it started.
struct SlowRoute {
  explicit SlowRoute(milliseconds delay) : delay(delay) {}

  HttpHandler Handler() {
    return [this](const HttpRequest& request) {
      if (request.target != "/slow") return testing::RoutesForTests(request);
      started.set_value();
      std::this_thread::sleep_for(delay);
      HttpResponse response;
      response.content_type = "text/plain";
      response.body = std::string(100'000, 's');  // more than one write's worth
      return response;
    };
  }

  milliseconds delay;
  std::promise<void> started;
};

TEST(HttpServerShutdownTest, SlowHandlerFinishesAndNewConnectionsAreRefused) {
  SlowRoute slow(milliseconds(400));
  ASSERT_OK_AND_ASSIGN(auto test_server, TestServer::Start({.handler = slow.Handler()}));
  const unsigned short port = test_server->port();
  ASSERT_OK_AND_ASSIGN(auto connection, test_server->Connect());
  ASSERT_TRUE(connection->Send(GetRequest("/slow")));
  slow.started.get_future().wait();

  auto shutdown = std::async(std::launch::async,
                             [&] { test_server->server().Shutdown(std::chrono::seconds(5)); });
  const auto response = connection->ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body.size(), 100'000u);
  EXPECT_EQ(response->Header("connection"), "close");
  connection.reset();  // as a client does after "Connection: close"; the server lingers till then
  shutdown.get();
  EXPECT_THAT(TestConnection::Open(port, test_server->ca_file()),
              StatusIs(StatusCode::kUnavailable));
}

TEST(HttpServerShutdownTest, IdleKeepAliveConnectionsCloseWithoutWaitingForGrace) {
  ASSERT_OK_AND_ASSIGN(auto test_server, TestServer::Start({}));
  ASSERT_OK_AND_ASSIGN(auto idle, test_server->Connect());
  ASSERT_TRUE(idle->Send(GetRequest("/hello")));
  ASSERT_TRUE(idle->ReadResponse().has_value());
  ASSERT_OK_AND_ASSIGN(auto never_spoke, test_server->Connect());

  const Clock::time_point start = Clock::now();
  test_server->server().Shutdown(std::chrono::seconds(30));
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(idle->ReadUntilClosed(), "");
  EXPECT_EQ(never_spoke->ReadUntilClosed(), "");
}

TEST(HttpServerShutdownTest, HandlerOutlastingGraceHasItsConnectionCut) {
  SlowRoute slow(milliseconds(600));
  ASSERT_OK_AND_ASSIGN(auto test_server, TestServer::Start({.handler = slow.Handler()}));
  ASSERT_OK_AND_ASSIGN(auto connection, test_server->Connect());
  ASSERT_TRUE(connection->Send(GetRequest("/slow")));
  slow.started.get_future().wait();
  test_server->server().Shutdown(milliseconds(50));
  EXPECT_FALSE(connection->ReadResponse().has_value());
}

TEST(HttpServerShutdownTest, ShutdownTwiceAndThenDestroyIsHarmless) {
  ASSERT_OK_AND_ASSIGN(auto test_server, TestServer::Start({}));
  test_server->server().Shutdown(milliseconds(100));
  test_server->server().Shutdown(milliseconds(100));
}

bool SigtermIsHandled() {
  struct sigaction current {};
  ::sigaction(SIGTERM, nullptr, &current);
  return current.sa_handler != SIG_DFL;
}

TEST(HttpServerShutdownTest, RunUntilSignalShutsDownOnSigterm) {
  ASSERT_OK_AND_ASSIGN(auto test_server, TestServer::Start({.tls = false}));
  ASSERT_FALSE(SigtermIsHandled()) << "starting a server must not take SIGTERM over";
  auto running = std::async(std::launch::async, [&] {
    test_server->server().RunUntilSignal(std::chrono::seconds(5));
  });
  // Raise only once the handler is installed, or the signal would end the test binary.
  const Clock::time_point give_up = Clock::now() + std::chrono::seconds(5);
  while (!SigtermIsHandled() && Clock::now() < give_up) std::this_thread::sleep_for(milliseconds(5));
  ASSERT_TRUE(SigtermIsHandled());
  ASSERT_EQ(::kill(::getpid(), SIGTERM), 0);
  ASSERT_EQ(running.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_THAT(TestConnection::Open(test_server->port()), StatusIs(StatusCode::kUnavailable));
  EXPECT_FALSE(SigtermIsHandled()) << "SIGTERM stays taken after the server stopped";
}

TEST(HttpServerShutdownTest, ShutdownFromAnotherThreadEndsRunUntilSignal) {
  ASSERT_OK_AND_ASSIGN(auto test_server, TestServer::Start({.tls = false}));
  auto running = std::async(std::launch::async, [&] {
    test_server->server().RunUntilSignal(std::chrono::seconds(5));
  });
  std::this_thread::sleep_for(milliseconds(50));
  test_server->server().Shutdown(std::chrono::seconds(5));
  EXPECT_EQ(running.wait_for(std::chrono::seconds(5)), std::future_status::ready);
}

}  // namespace
}  // namespace outreach::server
