// `outreach-server serve`: opens the store under --data, loads the schemas, and serves HTTPS
// (or plain HTTP on loopback with --dev-http) until SIGTERM/SIGINT, then finishes requests in
// flight and closes the store.
#pragma once

#include <optional>
#include <string>

namespace outreach::server {

struct ServeRequest {
  std::string data_dir;
  std::string config_file;           // optional
  std::string schemas_dir;           // optional; else the config's, else the built-in
  std::optional<unsigned short> port;  // overrides the config
  bool dev_http = false;
};

// The process exit code: 0 after a clean shutdown, 1 for bad options, 2 if the store or port
// could not be opened.
int RunServe(const ServeRequest& request);

}  // namespace outreach::server
