// DatabaseInternal: the raw SQLite handle of a Database, for core code, benchmarks and tests
// that need an SQLite call the thin API does not wrap (a WAL hook, identical statements on a
// plain database). Never hand the handle to code outside core: with it, sqlite3_backup could copy
// pages to a file the encrypting VFS does not seal.
#pragma once

#include "core/storage/database.h"

namespace outreach::storage {

class DatabaseInternal {
 public:
  static sqlite3* Handle(const Database& db) { return db.db_; }
  // WAL frames the background checkpointer found copied, summed over its checkpoints; -1
  // without one (OpenOptions::checkpoint_in_background).
  static std::int64_t BackgroundFramesCopied(const Database& db);
};

}  // namespace outreach::storage
