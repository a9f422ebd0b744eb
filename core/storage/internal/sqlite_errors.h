// Maps an SQLite result code to the most specific Status, using what the encrypting VFS
// recorded (a page that failed authentication, a refused operation) to name file and page.
#pragma once

#include <string_view>

#include "core/base/status.h"

struct sqlite3;

namespace outreach::storage::detail {

class DatabaseContext;

Status StatusFromSqlite(sqlite3* db, int rc, std::string_view action, DatabaseContext* context);

}  // namespace outreach::storage::detail
