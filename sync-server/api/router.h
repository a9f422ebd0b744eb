// Router: the server's endpoints over the plain HTTP structs (no Beast here). Decodes bodies in
// either encoding (cereal+zstd or JSON), calls SyncService, and answers in the encoding the
// request came in; every refusal is a JSON error body with the right status.
//   POST /v1/enrol   one-time code -> device token
//   POST /v1/sync    push + pull (DESIGN.md section 4)
//   GET  /v1/schemas the schema set devices validate with
//   GET  /healthz    liveness and store readability
//   GET  /metrics    Prometheus text
#pragma once

#include <cstddef>

#include "sync-server/http/http_types.h"

namespace outreach::schema {
class SchemaRegistry;
}

namespace outreach::server {

class Metrics;
class ServerStore;
class SyncService;

// A binary push decompresses to at most this (413 beyond): a push of the most changes allowed
// is a few MiB, and the codec's own default (256 MiB) would let one small body take more
// memory than the whole server may use.
inline constexpr std::size_t kMaxDecompressedRequestBytes = 64 * 1024 * 1024;

class Router {
 public:
  // None owned; all must outlive the router.
  Router(SyncService* service, ServerStore* store, const schema::SchemaRegistry* schemas,
         Metrics* metrics);

  // Thread-safe.
  HttpResponse Handle(const HttpRequest& request);

 private:
  HttpResponse Sync(const HttpRequest& request);
  HttpResponse Enrol(const HttpRequest& request);
  HttpResponse Schemas(const HttpRequest& request);
  HttpResponse Health(const HttpRequest& request);
  HttpResponse MetricsText(const HttpRequest& request);

  SyncService* service_;
  ServerStore* store_;
  const schema::SchemaRegistry* schemas_;
  Metrics* metrics_;
};

}  // namespace outreach::server
