// The encrypting SQLite VFS. It wraps a base VFS (SQLite's default "unix", or a test's
// fault-injecting one) and opens exactly two kinds of file: a registered database's main file
// and its WAL, sealing every page (PageCipher). Journals, temp files and unregistered databases
// (ATTACH) are refused, so no plaintext can reach disk. Format: core/storage/FORMAT.md.
#pragma once

#include <string>

#include "core/base/status.h"

namespace outreach::storage::detail {

// The name under which the encrypting VFS over `base_vfs` is registered with SQLite (registering
// it on first use). An empty `base_vfs` means SQLite's default VFS. not_found if there is no
// such base VFS. Thread-safe.
Result<std::string> EncryptedVfsName(const std::string& base_vfs);

// The URI query parameter that carries a connection's DatabaseContext token.
inline constexpr const char* kContextUriParameter = "outreach_ctx";

}  // namespace outreach::storage::detail
