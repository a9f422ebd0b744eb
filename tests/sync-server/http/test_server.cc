#include "tests/sync-server/http/test_server.h"

#include <chrono>
#include <stdexcept>

#include "sync-server/http/self_signed_certificate.h"

namespace outreach::server::testing {

HttpLimits RoomyLimits() {
  HttpLimits limits;
  limits.max_body_bytes = 64 * 1024;
  limits.max_header_bytes = 8 * 1024;
  limits.read_timeout = std::chrono::seconds(5);
  limits.idle_timeout = std::chrono::seconds(5);
  limits.max_connections = 16;
  return limits;
}

HttpResponse RoutesForTests(const HttpRequest& request) {
  HttpResponse response;
  response.content_type = "text/plain";
  if (request.target == "/hello") {
    response.body = "hello";
  } else if (request.target.rfind("/echo", 0) == 0) {
    response.body = "method=" + request.method + ";content_type=" + request.content_type +
                    ";accept=" + request.accept + ";authorization=" + request.authorization +
                    ";remote=" + request.remote_address + ";body=" + request.body;
  } else if (request.target == "/teapot") {
    response.status = 418;
    response.headers.emplace_back("X-Teapot", "short and stout");
  } else if (request.target == "/throw") {
    throw std::runtime_error("handler bug");
  } else if (request.target == "/inject") {
    response.headers.emplace_back("X-Evil", "a\r\nSet-Cookie: stolen=1");
  } else {
    response.status = 404;
    response.content_type = "application/json";
    response.body = R"({"error":"not_found"})";
  }
  return response;
}

Result<std::unique_ptr<TestServer>> TestServer::Start(Config config) {
  std::unique_ptr<TestServer> test_server(new TestServer());
  HttpServerOptions options;
  options.threads = config.threads;
  options.limits = config.limits;
  options.tls = config.tls;
  if (config.tls) {
    test_server->ca_file_ = test_server->dir_.File("server.crt");
    options.tls_files = {test_server->ca_file_, test_server->dir_.File("server.key")};
    OUTREACH_RETURN_IF_ERROR(MakeSelfSignedCertificate(options.tls_files.certificate_chain_pem,
                                                       options.tls_files.private_key_pem,
                                                       {"localhost", "127.0.0.1"})
                                 .status());
  }
  TestServer* observer_target = test_server.get();
  OUTREACH_ASSIGN_OR_RETURN(
      test_server->server_,
      HttpServer::Start(options, std::move(config.handler),
                        [observer_target](const std::string& method, const std::string& path,
                                          int status, double seconds) {
                          observer_target->Observe({method, path, status, seconds});
                        }));
  return test_server;
}

TestServer::~TestServer() { server_.reset(); }

void TestServer::Observe(ObservedResponse response) {
  {
    std::lock_guard lock(observed_mutex_);
    observed_.push_back(std::move(response));
  }
  observed_changed_.notify_all();
}

std::vector<ObservedResponse> TestServer::WaitForObserved(std::size_t count) {
  std::unique_lock lock(observed_mutex_);
  observed_changed_.wait_for(lock, std::chrono::seconds(5),
                             [&] { return observed_.size() >= count; });
  return observed_;
}

}  // namespace outreach::server::testing
