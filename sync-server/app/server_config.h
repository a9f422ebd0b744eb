// The optional JSON config of `outreach-server serve --config FILE`. Every key is optional:
//   {"address": "0.0.0.0", "port": 8443, "threads": 2,
//    "tls": {"certificate": "cert.pem", "private_key": "key.pem"},
//    "limits": {"max_body_bytes": 16777216, "max_header_bytes": 16384,
//               "read_timeout_ms": 30000, "idle_timeout_ms": 60000, "max_connections": 256,
//               "max_changes_per_push": 5000, "default_page_size": 1000},
//    "schemas": "/usr/share/outreach/schemas"}
#pragma once

#include <string>

#include "core/base/status.h"
#include "sync-server/http/http_types.h"
#include "sync-server/sync/sync_service.h"

namespace outreach::server {

struct ServerConfig {
  HttpServerOptions http;
  SyncLimits sync;
  std::string schemas_dir;  // empty: the schemas this binary was built with
};

// invalid_argument naming the key that is wrong; not_found / io for the file.
Result<ServerConfig> LoadServerConfig(const std::string& path);

}  // namespace outreach::server
