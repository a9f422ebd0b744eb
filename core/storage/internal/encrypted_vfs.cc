#include "core/storage/internal/encrypted_vfs.h"

#include <sqlite3.h>

#include <map>
#include <memory>
#include <mutex>
#include <new>

#include "core/storage/internal/encrypted_file.h"
#include "core/storage/internal/vfs_context.h"

namespace outreach::storage::detail {
namespace {

sqlite3_vfs* Base(sqlite3_vfs* vfs) { return static_cast<sqlite3_vfs*>(vfs->pAppData); }

int VfsOpen(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* file, int flags,
            int* out_flags) {
  file->pMethods = nullptr;
  // Only a registered database's main file and its WAL. Everything else (rollback and super
  // journals, temp databases, sort spills, ATTACHed files) would hold plaintext: refuse it.
  FileRole role;
  if ((flags & SQLITE_OPEN_MAIN_DB) != 0) {
    role = FileRole::kDatabase;
  } else if ((flags & SQLITE_OPEN_WAL) != 0) {
    role = FileRole::kWal;
  } else {
    return SQLITE_CANTOPEN;
  }
  if (name == nullptr) return SQLITE_CANTOPEN;
  const char* token = sqlite3_uri_parameter(name, kContextUriParameter);
  if (token == nullptr) return SQLITE_CANTOPEN;
  std::shared_ptr<DatabaseContext> context = FindContext(token);
  if (context == nullptr) return SQLITE_CANTOPEN;
  return OpenEncryptedFile(Base(vfs), name, file, flags, out_flags, role, std::move(context));
}

int VfsDelete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
  return Base(vfs)->xDelete(Base(vfs), name, sync_dir);
}
int VfsAccess(sqlite3_vfs* vfs, const char* name, int flags, int* result) {
  return Base(vfs)->xAccess(Base(vfs), name, flags, result);
}
int VfsFullPathname(sqlite3_vfs* vfs, const char* name, int size, char* out) {
  return Base(vfs)->xFullPathname(Base(vfs), name, size, out);
}
// No extensions are ever loaded through this VFS.
void* VfsDlOpen(sqlite3_vfs*, const char*) { return nullptr; }
void VfsDlError(sqlite3_vfs*, int size, char* out) {
  if (size > 0) sqlite3_snprintf(size, out, "extensions are disabled");
}
void (*VfsDlSym(sqlite3_vfs*, void*, const char*))(void) { return nullptr; }
void VfsDlClose(sqlite3_vfs*, void*) {}
int VfsRandomness(sqlite3_vfs* vfs, int size, char* out) {
  return Base(vfs)->xRandomness(Base(vfs), size, out);
}
int VfsSleep(sqlite3_vfs* vfs, int microseconds) {
  return Base(vfs)->xSleep(Base(vfs), microseconds);
}
int VfsCurrentTime(sqlite3_vfs* vfs, double* now) {
  return Base(vfs)->xCurrentTime(Base(vfs), now);
}
int VfsGetLastError(sqlite3_vfs* vfs, int size, char* out) {
  return Base(vfs)->xGetLastError ? Base(vfs)->xGetLastError(Base(vfs), size, out) : 0;
}
int VfsCurrentTimeInt64(sqlite3_vfs* vfs, sqlite3_int64* now) {
  return Base(vfs)->xCurrentTimeInt64(Base(vfs), now);
}

struct RegisteredVfs {
  std::string name;
  sqlite3_vfs vfs{};
};

}  // namespace

Result<std::string> EncryptedVfsName(const std::string& base_vfs) {
  static std::mutex mu;
  // Registered VFS objects live for the process: SQLite keeps pointers to them.
  static auto* registered = new std::map<std::string, std::unique_ptr<RegisteredVfs>>();
  std::lock_guard lock(mu);
  const auto found = registered->find(base_vfs);
  if (found != registered->end()) return found->second->name;

  sqlite3_vfs* base = sqlite3_vfs_find(base_vfs.empty() ? nullptr : base_vfs.c_str());
  if (base == nullptr) return NotFoundError("no SQLite VFS named " + base_vfs);
  auto entry = std::make_unique<RegisteredVfs>();
  entry->name = base_vfs.empty() ? "outreach-sealed" : "outreach-sealed+" + base_vfs;
  sqlite3_vfs& vfs = entry->vfs;
  vfs.iVersion = base->iVersion >= 2 ? 2 : 1;
  vfs.szOsFile = EncryptedFileSize(base);
  vfs.mxPathname = base->mxPathname;
  vfs.zName = entry->name.c_str();
  vfs.pAppData = base;
  vfs.xOpen = VfsOpen;
  vfs.xDelete = VfsDelete;
  vfs.xAccess = VfsAccess;
  vfs.xFullPathname = VfsFullPathname;
  vfs.xDlOpen = VfsDlOpen;
  vfs.xDlError = VfsDlError;
  vfs.xDlSym = VfsDlSym;
  vfs.xDlClose = VfsDlClose;
  vfs.xRandomness = VfsRandomness;
  vfs.xSleep = VfsSleep;
  vfs.xCurrentTime = VfsCurrentTime;
  vfs.xGetLastError = VfsGetLastError;
  if (vfs.iVersion >= 2) vfs.xCurrentTimeInt64 = VfsCurrentTimeInt64;
  if (sqlite3_vfs_register(&vfs, /*makeDflt=*/0) != SQLITE_OK) {
    return InternalError("cannot register the encrypting VFS");
  }
  std::string name = entry->name;
  registered->emplace(base_vfs, std::move(entry));
  return name;
}

}  // namespace outreach::storage::detail
