// The embedded default ServerStore: one SQLite file under --data, encrypted with core's VFS
// under the server key. One writer connection (pushes and administration, serialised) and one
// reader connection (pulls), so devices pulling do not wait behind a push in WAL mode.
#pragma once

#include <memory>
#include <span>
#include <string>

#include "core/base/status.h"
#include "sync-server/store/server_store.h"

namespace outreach::server {

// Opens `path`, creating it (and its key file) under `raw_key` (32 bytes) if it does not exist.
// `base_vfs`: the SQLite VFS under the encryption (storage::OpenOptions::base_vfs); tests pass
// one that counts syncs or fails writes.
Result<std::unique_ptr<ServerStore>> OpenSqliteServerStore(const std::string& path,
                                                           std::span<const std::uint8_t> raw_key,
                                                           const std::string& base_vfs = {});

}  // namespace outreach::server
