#include "tests/testing/scripted_http_server.h"

#include <sys/socket.h>

#include <thread>

#include "tests/testing/http_wire.h"

namespace outreach::testing {
namespace {

// Reads and drops whatever arrives until the peer (or Stop) ends the connection.
void DrainUntilClosed(int fd) {
  char buffer[4096];
  while (::recv(fd, buffer, sizeof(buffer), 0) > 0) {
  }
}

bool AsksToClose(const ScriptedResponse& response) {
  for (const auto& [name, value] : response.headers) {
    if ((name == "Connection" || name == "connection") && value == "close") return true;
  }
  return false;
}

}  // namespace

ScriptedResponse ScriptedResponse::Answer(int status, std::string body) {
  ScriptedResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

ScriptedResponse ScriptedResponse::CloseWithoutAnswer() {
  ScriptedResponse response;
  response.action = Action::kCloseWithoutAnswer;
  return response;
}

ScriptedResponse ScriptedResponse::Stall() {
  ScriptedResponse response;
  response.action = Action::kStall;
  return response;
}

ScriptedResponse ScriptedResponse::From(
    std::function<ScriptedResponse(const RecordedRequest&)> make) {
  ScriptedResponse response;
  response.make = std::move(make);
  return response;
}

ScriptedResponse& ScriptedResponse::WithHeader(std::string name, std::string value) {
  headers.emplace_back(std::move(name), std::move(value));
  return *this;
}

ScriptedResponse& ScriptedResponse::WithContentType(std::string type) {
  content_type = std::move(type);
  return *this;
}

ScriptedResponse& ScriptedResponse::After(std::chrono::milliseconds wait) {
  delay = wait;
  return *this;
}

std::string RecordedRequest::Header(std::string_view lower_case_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_case_name) return value;
  }
  return "";
}

ScriptedHttpServer::ScriptedHttpServer()
    : fallback_(ScriptedResponse::Answer(500, "script exhausted")),
      listener_(std::make_unique<LoopbackListener>(
          [this](ConnectionSockets& connection) { Serve(connection); })) {}

ScriptedHttpServer::ScriptedHttpServer(const TestCertificates& certificates)
    : tls_(MakeServerTlsContext(certificates.server_chain_file, certificates.server_key_file)),
      fallback_(ScriptedResponse::Answer(500, "script exhausted")),
      listener_(std::make_unique<LoopbackListener>(
          [this](ConnectionSockets& connection) { Serve(connection); })) {}

ScriptedHttpServer::~ScriptedHttpServer() {
  stopping_.store(true);  // ends delayed answers; Stop ends reads and stalls
  listener_->Stop();
}

std::string ScriptedHttpServer::BaseUrl() const {
  return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port());
}

void ScriptedHttpServer::Enqueue(ScriptedResponse response) {
  std::lock_guard lock(mutex_);
  script_.push_back(std::move(response));
}

void ScriptedHttpServer::SetFallback(ScriptedResponse response) {
  std::lock_guard lock(mutex_);
  fallback_ = std::move(response);
}

std::vector<RecordedRequest> ScriptedHttpServer::Requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

void ScriptedHttpServer::Serve(ConnectionSockets& connection) {
  ServerStream stream(connection.accepted(), tls_.get());
  std::string unread;
  // One request after another on this connection: keep-alive until the script says otherwise.
  while (std::optional<RecordedRequest> request = ReadHttpRequest(stream, unread)) {
    request->connection_id = connection.id();
    const ScriptedResponse response = RecordAndTakeNext(std::move(*request));
    switch (response.action) {
      case ScriptedResponse::Action::kCloseWithoutAnswer:
        return;
      case ScriptedResponse::Action::kStall:
        return DrainUntilClosed(connection.accepted());
      case ScriptedResponse::Action::kAnswer:
        if (!WaitUnlessStopping(response.delay) ||
            !stream.WriteAll(FormatHttpResponse(response)) || AsksToClose(response)) {
          return;
        }
        break;
    }
  }
}

ScriptedResponse ScriptedHttpServer::RecordAndTakeNext(RecordedRequest request) {
  ScriptedResponse next;
  {
    std::lock_guard lock(mutex_);
    requests_.push_back(request);
    if (script_.empty()) {
      next = fallback_;
    } else {
      next = std::move(script_.front());
      script_.pop_front();
    }
  }
  // Outside the lock: making the answer may inspect the server (Requests()).
  return next.make ? next.make(request) : next;
}

bool ScriptedHttpServer::WaitUnlessStopping(std::chrono::milliseconds delay) const {
  const auto deadline = std::chrono::steady_clock::now() + delay;
  while (std::chrono::steady_clock::now() < deadline) {
    if (stopping_.load()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return !stopping_.load();
}

}  // namespace outreach::testing
