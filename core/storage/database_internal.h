// DatabaseInternal: the raw SQLite handle of a Database, for core code, benchmarks and tests
// that need an SQLite call the thin API does not wrap (a WAL hook, identical statements on a
// plain database). Never hand the handle to code outside core: with it, sqlite3_backup could copy
// pages to a file the encrypting VFS does not seal.
#pragma once

#include <cstdint>

#include "core/storage/database.h"

namespace outreach::storage {

class DatabaseInternal {
 public:
  static sqlite3* Handle(const Database& db) { return db.db_; }
  // With OpenOptions::checkpoint_in_background (-1 without): the background checkpointer's
  // copies that found frames copied, and the times the writer copied for itself. A WAL hook set
  // through Handle() replaces both.
  static std::int64_t BackgroundCopies(const Database& db);
  static std::int64_t WriterCopies(const Database& db);
};

}  // namespace outreach::storage
