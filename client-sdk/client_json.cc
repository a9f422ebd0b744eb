#include "client-sdk/client_json.h"

namespace outreach {

using model::Json;

Json RecordViewToJson(const replica::RecordView& view) {
  Json conflicts = Json::array();
  for (const merge::Conflict& conflict : view.conflicts)
    conflicts.push_back(ConflictToJson(conflict));
  return Json{{"values", view.values},
              {"deleted", view.deleted},
              {"has_pending_changes", view.has_pending_changes},
              {"conflicts", std::move(conflicts)}};
}

Json ConflictToJson(const merge::Conflict& conflict) {
  return Json{{"record_id", conflict.record_id},
              {"field", conflict.field},
              {"kind", std::string(merge::ConflictKindName(conflict.kind))},
              {"candidates", conflict.candidates.size()}};
}

Json ConflictsToJson(const std::vector<merge::Conflict>& conflicts) {
  Json list = Json::array();
  for (const merge::Conflict& conflict : conflicts) list.push_back(ConflictToJson(conflict));
  return list;
}

Json RejectedToJson(const std::vector<replica::OutboxEntry>& rejected) {
  Json list = Json::array();
  for (const replica::OutboxEntry& entry : rejected) {
    list.push_back(Json{{"change_id", entry.change.change_id},
                        {"record_id", entry.change.record_id},
                        {"collection", entry.change.collection},
                        {"reason", entry.reason}});
  }
  return list;
}

Json StatusToJson(const ClientStatus& status) {
  return Json{{"enrolled", status.enrolled},   {"server_url", status.server_url},
              {"device_id", status.device_id}, {"user_id", status.user_id},
              {"user_name", status.user_name}, {"team", status.team},
              {"role", status.role},           {"pending", status.pending},
              {"rejected", status.rejected},   {"last_sync_ms", status.last_sync_ms}};
}

Json SummaryToJson(const SyncSummary& summary) {
  return Json{{"pushed", summary.pushed},
              {"rejected", summary.rejected},
              {"pulled", summary.pulled},
              {"conflicts", summary.conflicts},
              {"requests", summary.requests},
              {"bytes_sent", summary.bytes_sent},
              {"bytes_received", summary.bytes_received},
              {"wiped", summary.wiped}};
}

Json ProblemsToJson(const std::vector<schema::ValidationProblem>& problems) {
  Json list = Json::array();
  for (const schema::ValidationProblem& problem : problems) {
    list.push_back(Json{{"pointer", problem.pointer}, {"message", problem.message}});
  }
  return list;
}

std::string JsonText(const Json& json, int indent) {
  return json.dump(indent, ' ', /*ensure_ascii=*/false, Json::error_handler_t::replace);
}

}  // namespace outreach
