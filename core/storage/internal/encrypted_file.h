// The file half of the encrypting VFS: an sqlite3_file that seals pages on the way to the base
// VFS's file and opens them on the way back. Database files hold pages at (n-1)*4096; WAL files
// hold a 32-byte header, then frames of a 24-byte header and a page. Headers stay plaintext (they
// hold page numbers, sizes and checksums, no content); every page is sealed.
#pragma once

#include <sqlite3.h>

#include <memory>

#include "core/storage/internal/vfs_context.h"

namespace outreach::storage::detail {

// Bytes SQLite must allocate per file for this VFS over `base`.
int EncryptedFileSize(const sqlite3_vfs* base);

// Opens `name` through `base` into `file` (which has EncryptedFileSize(base) bytes).
int OpenEncryptedFile(sqlite3_vfs* base, sqlite3_filename name, sqlite3_file* file, int flags,
                      int* out_flags, FileRole role, std::shared_ptr<DatabaseContext> context);

}  // namespace outreach::storage::detail
