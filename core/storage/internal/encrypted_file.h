// The file half of the encrypting VFS: an sqlite3_file that seals pages on the way to the base
// VFS's file and opens them on the way back. Database files hold pages at (n-1)*4096; WAL files
// hold a 32-byte header, then frames of a 24-byte header and a page. Headers stay plaintext (they
// hold page numbers, sizes and checksums, no content); every page is sealed.
#pragma once

#include <sqlite3.h>

#include <memory>

#include "core/storage/internal/vfs_context.h"

namespace outreach::storage::detail {

// The most WAL frames one write call carries: a commit's frames are sealed into a buffer of
// this many and leave together. SQLite's unix VFS writes at most 128 KiB - 1 per call (it
// masks the length: a longer write comes back short, as SQLITE_FULL), so 31 frames of
// 4,120 bytes. A commit of 2,000 contacts on the server is some 1,150 frames: 38 calls.
inline constexpr int kWalFramesPerWrite = 31;

// Bytes SQLite must allocate per file for this VFS over `base`.
int EncryptedFileSize(const sqlite3_vfs* base);

// Opens `name` through `base` into `file` (which has EncryptedFileSize(base) bytes).
int OpenEncryptedFile(sqlite3_vfs* base, sqlite3_filename name, sqlite3_file* file, int flags,
                      int* out_flags, FileRole role, std::shared_ptr<DatabaseContext> context);

}  // namespace outreach::storage::detail
