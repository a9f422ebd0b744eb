// The HTTP exchange as the rest of the server sees it: plain structs, no Beast. Everything above
// the HTTP layer (router, handlers, metrics) includes only this, so it compiles in seconds.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace outreach::server {

struct HttpRequest {
  std::string method;          // "GET", "POST"
  std::string target;          // path and query, e.g. "/v1/sync"
  std::string content_type;    // without parameters, lower case ("application/json")
  std::string accept;          // as sent
  std::string authorization;   // as sent ("Bearer ...")
  std::string body;
  std::string remote_address;  // "127.0.0.1"
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers (Retry-After)
  // What the handler made the answer from, freed on another thread while the answer is
  // written: a push decodes thousands of small objects, and freeing them held its answer up.
  std::shared_ptr<const void> retained;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

// Called once for every response the HTTP layer sends, including those it makes itself (413,
// 400, 408, 503): `path` without the query, status, seconds from the first byte read. Called on
// a server thread after the write, whether or not the client took it; exceptions are ignored.
using HttpObserver =
    std::function<void(const std::string& method, const std::string& path, int status,
                       double seconds)>;

struct HttpLimits {
  std::size_t max_body_bytes = 16 * 1024 * 1024;  // larger: 413
  std::size_t max_header_bytes = 16 * 1024;       // larger: 431 (or 400)
  // A request not read in time: 408. The first request on a connection counts from accept,
  // TLS handshake included. Writing a response gets the same time.
  std::chrono::milliseconds read_timeout{30'000};
  std::chrono::milliseconds idle_timeout{60'000};  // keep-alive connection closed when idle
  // More: 503 and close (up to 64 beyond it; past that, closed unanswered).
  std::size_t max_connections = 256;
};

struct TlsFiles {
  std::string certificate_chain_pem;  // path
  std::string private_key_pem;        // path
};

struct HttpServerOptions {
  std::string address = "127.0.0.1";
  unsigned short port = 0;  // 0: any free port (tests)
  int threads = 2;
  HttpLimits limits;
  bool tls = true;  // false only with --dev-http, which the caller restricts to loopback
  TlsFiles tls_files;
};

}  // namespace outreach::server
