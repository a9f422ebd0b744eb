// What `outreach-server` keeps under --data DIR: the encrypted store (server.db + its key
// file), the server key that unlocks it (server.key, 0600, made on first start) unless
// OUTREACH_SERVER_KEY gives it (64 hex characters), and a self-signed TLS certificate
// (tls/cert.pem, tls/key.pem) when the config names none.
#pragma once

#include <memory>
#include <string>

#include "core/base/secure_bytes.h"
#include "core/base/status.h"
#include "sync-server/store/server_store.h"

namespace outreach::server {

std::string StorePath(const std::string& data_dir);

// The 32-byte server key: from OUTREACH_SERVER_KEY, else DIR/server.key, else a new random one
// written there with mode 0600 (only when `create` is true).
Result<SecureBytes> LoadServerKey(const std::string& data_dir, bool create);

// Opens (creating on first use) the store under `data_dir`.
Result<std::unique_ptr<ServerStore>> OpenDataStore(const std::string& data_dir, bool create);

}  // namespace outreach::server
