// The records table of a server store made by an earlier version, moved to today's layout
// when the store is opened.
#pragma once

#include "core/base/status.h"

namespace outreach::storage {
class Database;
}

namespace outreach::server {

// Stores made before `records.sequence` lost its UNIQUE constraint keep that index (SQLite
// drops a constraint's index only with its table). Nothing reads it (a sequence is unique by
// construction: drawn from last_sequence by the one writer, and pulls read records_by_team),
// and it cost every change of a record two more index writes, one of them on a page of its own
// (sync_bench's incremental push of 1,000 changes took ~15 ms of ~65 with it). Such a table is
// rebuilt without it: every index of `records` dropped, the table set aside, `schema_sql` (the
// store's CREATE ... IF NOT EXISTS statements) run again, every row copied with its rowid,
// the old table dropped; in one transaction, so a store is wholly as it was or wholly moved.
// The dropped table's pages are not zeroed (its rows live on in the new one). Ok and nothing
// done for a store already in today's layout.
Status MoveRecordsToCurrentLayout(storage::Database& db, const char* schema_sql);

}  // namespace outreach::server
