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
  // concurrently; it must be thread-safe. invalid_argument: bad address or TLS files (missing,
  // encrypted key, key not matching the certificate), no handler, threads < 1, max_connections
  // 0 or a timeout not positive; io: the port is taken.
  static Result<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                   HttpHandler handler, HttpObserver observer);
  virtual ~HttpServer() = default;

  // The bound port (the real one when 0 was asked for).
  virtual unsigned short port() const = 0;

  // Graceful stop: stops accepting, closes idle keep-alive connections, lets requests in flight
  // finish and their responses be written (with "Connection: close") for up to `grace`, then
  // closes every connection and joins the threads. A handler still running then cannot be
  // interrupted: its response is dropped and Shutdown returns once it does. Call it from any
  // thread but the server's own (a handler calling it would wait for itself); later calls
  // return at once. The destructor calls Shutdown(0) if nobody did.
  virtual void Shutdown(std::chrono::milliseconds grace) = 0;

  // Blocks until SIGTERM or SIGINT arrives (or Shutdown is called elsewhere), then
  // Shutdown(grace). The signals are taken over only while it waits.
  virtual void RunUntilSignal(std::chrono::milliseconds grace) = 0;
};

}  // namespace outreach::server
