#include "sync-server/app/server_config.h"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace outreach::server {
namespace {

using Json = nlohmann::json;

struct KeyError {
  std::string key;
};

template <typename T>
void Read(const Json& object, const char* key, T& out) {
  if (!object.contains(key)) return;
  const Json& value = object[key];
  if constexpr (std::is_same_v<T, std::string>) {
    if (!value.is_string()) throw KeyError{key};
  } else {
    if (!value.is_number_unsigned()) throw KeyError{key};
  }
  out = value.get<T>();
}

template <typename Rep, typename Period>
void ReadMs(const Json& object, const char* key, std::chrono::duration<Rep, Period>& out) {
  std::uint64_t ms = 0;
  if (!object.contains(key)) return;
  Read(object, key, ms);
  out = std::chrono::milliseconds(ms);
}

const Json& Section(const Json& root, const char* key) {
  static const Json kEmpty = Json::object();
  if (!root.contains(key)) return kEmpty;
  if (!root[key].is_object()) throw KeyError{key};
  return root[key];
}

}  // namespace

Result<ServerConfig> LoadServerConfig(const std::string& path) {
  std::ifstream file(path);
  if (!file) return NotFoundError("cannot read config " + path);
  std::stringstream text;
  text << file.rdbuf();
  const Json root = Json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded() || !root.is_object()) {
    return InvalidArgumentError("config " + path + " is not a JSON object");
  }
  ServerConfig config;
  try {
    Read(root, "address", config.http.address);
    std::uint64_t port = config.http.port;
    Read(root, "port", port);
    if (port > 65535) throw KeyError{"port"};
    config.http.port = static_cast<unsigned short>(port);
    Read(root, "threads", config.http.threads);
    Read(root, "schemas", config.schemas_dir);
    const Json& tls = Section(root, "tls");
    Read(tls, "certificate", config.http.tls_files.certificate_chain_pem);
    Read(tls, "private_key", config.http.tls_files.private_key_pem);
    const Json& limits = Section(root, "limits");
    Read(limits, "max_body_bytes", config.http.limits.max_body_bytes);
    Read(limits, "max_header_bytes", config.http.limits.max_header_bytes);
    ReadMs(limits, "read_timeout_ms", config.http.limits.read_timeout);
    ReadMs(limits, "idle_timeout_ms", config.http.limits.idle_timeout);
    Read(limits, "max_connections", config.http.limits.max_connections);
    Read(limits, "max_changes_per_push", config.sync.max_changes_per_push);
    Read(limits, "default_page_size", config.sync.default_page_size);
  } catch (const KeyError& error) {
    return InvalidArgumentError("config key \"" + error.key + "\" has the wrong type");
  } catch (const Json::exception&) {
    return InvalidArgumentError("config " + path + " has a value out of range");
  }
  if (config.http.threads < 1) return InvalidArgumentError("config key \"threads\" must be >= 1");
  return config;
}

}  // namespace outreach::server
