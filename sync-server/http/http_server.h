// HttpServer: HTTP/1.1 over TLS (or plain on loopback for development), asynchronous on a
// thread pool, keep-alive, with limits that answer with a JSON error and keep serving. The only
// place in the server that includes Boost.Beast/Asio (http_server.cc).
#pragma once

#include <chrono>
#include <memory>

#include "core/base/status.h"
#include "sync-server/http/http_types.h"

namespace outreach::server {

class HttpServer {
 public:
  // Binds and starts serving on `options.threads` threads. `handler` runs on those threads,
  // concurrently; it must be thread-safe. invalid_argument: bad address or TLS files;
  // io: the port is taken.
  static Result<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                   HttpHandler handler, HttpObserver observer);
  virtual ~HttpServer() = default;

  // The bound port (the real one when 0 was asked for).
  virtual unsigned short port() const = 0;

  // Graceful stop: stops accepting, lets requests in flight finish (up to `grace`), then
  // closes every connection and joins the threads. Safe to call from any thread, once.
  virtual void Shutdown(std::chrono::milliseconds grace) = 0;

  // Blocks until SIGTERM or SIGINT arrives, then Shutdown(grace).
  virtual void RunUntilSignal(std::chrono::milliseconds grace) = 0;
};

}  // namespace outreach::server
