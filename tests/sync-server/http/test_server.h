// TestServer: a real HttpServer on 127.0.0.1 (an ephemeral port) for one test, over TLS with a
// fresh self-signed certificate or plain, recording every response its observer reports.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "sync-server/http/http_server.h"
#include "tests/sync-server/http/test_connection.h"
#include "tests/testing/temp_dir.h"

namespace outreach::server::testing {

// Roomy limits with 5 s timeouts, so a loaded machine never trips them; the limit tests
// shrink the one they exercise.
HttpLimits RoomyLimits();

// The routes the tests call:
//   /hello   200 text/plain "hello"
//   /echo    200 text/plain "method=..;content_type=..;accept=..;authorization=..;remote=..;body=.."
//   /teapot  418 with "X-Teapot: short and stout"
//   /throw   throws std::runtime_error
//   /inject  a header value with CR LF in it (must never reach the wire)
//   other    404 JSON
HttpResponse RoutesForTests(const HttpRequest& request);

struct ObservedResponse {
  std::string method;
  std::string path;
  int status = 0;
  double seconds = 0;
};

class TestServer {
 public:
  struct Config {
    bool tls = true;
    HttpLimits limits = RoomyLimits();
    HttpHandler handler = RoutesForTests;
    int threads = 2;
  };
  static Result<std::unique_ptr<TestServer>> Start(Config config);
  ~TestServer();
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  HttpServer& server() { return *server_; }
  unsigned short port() const { return server_->port(); }
  const std::string& ca_file() const { return ca_file_; }  // empty when plain
  Result<std::unique_ptr<TestConnection>> Connect() const {
    return TestConnection::Open(port(), ca_file_);
  }
  // Waits up to 5 s until the observer has reported `count` responses; returns all it has.
  std::vector<ObservedResponse> WaitForObserved(std::size_t count);

 private:
  TestServer() = default;
  void Observe(ObservedResponse response);

  outreach::testing::TempDir dir_;
  std::string ca_file_;
  std::mutex observed_mutex_;
  std::condition_variable observed_changed_;
  std::vector<ObservedResponse> observed_;  // guarded by observed_mutex_
  std::unique_ptr<HttpServer> server_;  // last: stops before what its observer touches goes
};

}  // namespace outreach::server::testing
