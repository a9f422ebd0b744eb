// The JSON forms of what outreach::Client returns, shared by the C ABI and the CLI's --json, so
// a mobile binding and a shell script read the same shapes. Only RecordViewToJson carries record
// values (the caller asked to read that record); every other form holds ids, field names,
// codes and counts, never contents.
#pragma once

#include <vector>

#include "client-sdk/client.h"

namespace outreach {

// {"values": {...}, "deleted": b, "has_pending_changes": b, "conflicts": [ConflictToJson...]}
model::Json RecordViewToJson(const replica::RecordView& view);
// {"record_id": s, "field": s ("" for delete_vs_edit), "kind": "review"|..., "candidates": n}
model::Json ConflictToJson(const merge::Conflict& conflict);
model::Json ConflictsToJson(const std::vector<merge::Conflict>& conflicts);
// [{"change_id", "record_id", "collection", "reason"}]: what the server refused and why.
model::Json RejectedToJson(const std::vector<replica::OutboxEntry>& rejected);
// {"enrolled", "server_url", "device_id", "user_id", "user_name", "team", "role", "pending",
//  "rejected", "last_sync_ms"}
model::Json StatusToJson(const ClientStatus& status);
// {"pushed", "rejected", "pulled", "conflicts", "requests", "bytes_sent", "bytes_received",
//  "wiped"}
model::Json SummaryToJson(const SyncSummary& summary);
// [{"pointer": "/field", "message": "is required"}]
model::Json ProblemsToJson(const std::vector<schema::ValidationProblem>& problems);

// Serialises for output; invalid UTF-8 is replaced rather than thrown about.
std::string JsonText(const model::Json& json, int indent = -1);

}  // namespace outreach
