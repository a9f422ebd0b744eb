// ScriptedHttpServer: a fault-injecting HTTP/1.1 test server (plain or TLS) on 127.0.0.1. It
// answers requests with a script, in order: a status with headers and a body, a delayed answer,
// a connection closed without an answer, or a stall that never answers. It records each request
// with the TCP connection it came on, so keep-alive reuse is visible. A test double on purpose,
// for faults the real server would only show by chance.
//
// Thread-safe: script and inspect it from the test thread while it serves on its own threads.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/testing/loopback_listener.h"
#include "tests/testing/server_stream.h"
#include "tests/testing/test_ca.h"

namespace outreach::testing {

struct RecordedRequest;

struct ScriptedResponse {
  enum class Action {
    kAnswer,              // send the response below (after `delay`)
    kCloseWithoutAnswer,  // read the request, then end the connection
    kStall,               // read the request, never answer; ends when the client hangs up
  };
  Action action = Action::kAnswer;
  int status = 200;
  std::string content_type = "application/json";  // empty: no Content-Type header
  std::vector<std::pair<std::string, std::string>> headers;  // extra, e.g. Retry-After
  std::string body;
  std::chrono::milliseconds delay{0};  // kAnswer: wait this long first
  // When set, the answer is made from the request instead (e.g. a sync answer naming the
  // pushed change ids, which the test cannot know in advance).
  std::function<ScriptedResponse(const RecordedRequest&)> make;

  static ScriptedResponse Answer(int status, std::string body = "");
  static ScriptedResponse CloseWithoutAnswer();
  static ScriptedResponse Stall();
  static ScriptedResponse From(std::function<ScriptedResponse(const RecordedRequest&)> make);
  ScriptedResponse& WithHeader(std::string name, std::string value);
  ScriptedResponse& WithContentType(std::string type);
  ScriptedResponse& After(std::chrono::milliseconds wait);
};

struct RecordedRequest {
  int connection_id = 0;  // 0, 1, 2 ... per TCP connection, in accept order
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
  std::string body;

  // The first header named `lower_case_name`; empty when absent.
  std::string Header(std::string_view lower_case_name) const;
};

class ScriptedHttpServer {
 public:
  // Plain HTTP.
  ScriptedHttpServer();
  // HTTPS presenting `certificates`' server chain and key. Throws std::runtime_error.
  explicit ScriptedHttpServer(const TestCertificates& certificates);
  ~ScriptedHttpServer();
  ScriptedHttpServer(const ScriptedHttpServer&) = delete;
  ScriptedHttpServer& operator=(const ScriptedHttpServer&) = delete;

  std::uint16_t port() const { return listener_->port(); }
  // "https://127.0.0.1:<port>" (or http://).
  std::string BaseUrl() const;

  // Appends to the script; each request takes the next entry.
  void Enqueue(ScriptedResponse response);
  // The answer once the script is used up; by default 500 "script exhausted", so a test that
  // sends more requests than it scripted sees it.
  void SetFallback(ScriptedResponse response);

  std::vector<RecordedRequest> Requests() const;
  int connections() const { return listener_->connections(); }

 private:
  void Serve(ConnectionSockets& connection);
  ScriptedResponse RecordAndTakeNext(RecordedRequest request);
  // Sleeps `delay` unless the server stops first; false then.
  bool WaitUnlessStopping(std::chrono::milliseconds delay) const;

  TlsContext tls_;  // null: plain HTTP
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::deque<ScriptedResponse> script_;    // guarded by mutex_
  ScriptedResponse fallback_;              // guarded by mutex_
  std::vector<RecordedRequest> requests_;  // guarded by mutex_
  std::unique_ptr<LoopbackListener> listener_;  // last: its threads use the members above
};

}  // namespace outreach::testing
