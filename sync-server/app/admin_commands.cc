#include "sync-server/app/admin_commands.h"

#include <cstdio>
#include <iostream>

#include "core/merge/record_view.h"
#include "core/model/physical_clock.h"
#include "core/protocol/binary_codec.h"
#include "core/schema/record_schema.h"
#include "core/schema/schema_registry.h"
#include "sync-server/app/server_files.h"
#include "sync-server/sync/merged_rules.h"
#include "sync-server/sync/sync_service.h"

namespace outreach::server {
namespace {

int Fail(const Status& status) {
  std::cerr << "outreach-server: " << status.ToString() << "\n";
  return status.code() == StatusCode::kIo || status.code() == StatusCode::kCorrupt ||
                 status.code() == StatusCode::kWrongKey
             ? 2
             : 1;
}

int ListConflicts(ServerStore& store, const schema::SchemaRegistry& schemas) {
  auto records = store.ListConflicts();
  if (!records.ok()) return Fail(records.status());
  for (const ConflictedRecord& record : *records) {
    auto state = protocol::DecodeRecordState(record.state);
    const schema::RecordSchema* schema = schemas.Find(record.collection);
    if (!state.ok() || schema == nullptr) return Fail(CorruptError("record " + record.record_id));
    // The disputed fields and their candidates' authors: never the values themselves.
    for (const merge::Conflict& conflict : merge::Conflicts(*schema, *state)) {
      if (!conflict.NeedsReview()) continue;
      std::cout << record.record_id << " " << record.collection << " " << record.team_name << " "
                << (conflict.field.empty() ? "-" : conflict.field) << " "
                << merge::ConflictKindName(conflict.kind) << " candidates="
                << conflict.candidates.size() << "\n";
    }
    // Rules the merged record breaks (concurrent edits, each valid alone): the field a
    // problem points at ("-" for a rule over the whole record) and its value-free message.
    for (const schema::ValidationProblem& problem : RuleProblems(*schema, *state)) {
      const std::string field = ProblemField(problem);
      std::cout << record.record_id << " " << record.collection << " " << record.team_name << " "
                << (field.empty() ? "-" : field) << " rule " << problem.message << "\n";
    }
  }
  return 0;
}

}  // namespace

int RunAdmin(const AdminRequest& request) {
  auto store = OpenDataStore(request.data_dir, /*create=*/true);
  if (!store.ok()) return Fail(store.status());
  auto schemas = schema::SchemaRegistry::LoadDirectory(request.schemas_dir);
  if (!schemas.ok()) return Fail(schemas.status());
  model::SystemClock clock;
  SyncService service(store->get(), &*schemas, &clock);
  ServerStore& db = **store;

  if (request.command == "create-team") {
    auto team = db.CreateTeam(request.name);
    if (!team.ok()) return Fail(team.status());
    std::cout << "team " << team->name << " " << team->id << "\n";
  } else if (request.command == "create-user") {
    auto user = db.CreateUser(request.name, request.team, request.role);
    if (!user.ok()) return Fail(user.status());
    std::cout << "user " << user->name << " " << user->id << " team " << user->team_name
              << " role " << user->role << "\n";
  } else if (request.command == "enrolment-code") {
    auto code = service.IssueEnrolmentCode(request.name);
    if (!code.ok()) return Fail(code.status());
    // The code last: scripts read the last word.
    std::cout << "enrolment code for " << request.name << ": " << *code << "\n";
  } else if (request.command == "revoke") {
    if (Status revoked = db.RevokeDevice(request.name); !revoked.ok()) return Fail(revoked);
    std::cout << "revoked " << request.name << " (its next sync wipes it)\n";
  } else if (request.command == "devices") {
    auto devices = db.ListDevices();
    if (!devices.ok()) return Fail(devices.status());
    for (const Device& device : *devices) {
      std::cout << device.id << " " << device.user.name << " " << device.user.team_name << " "
                << device.user.role << " " << (device.revoked ? "revoked" : "active")
                << " last_seen_ms=" << device.last_seen_ms << "\n";
    }
  } else if (request.command == "conflicts") {
    return ListConflicts(db, *schemas);
  } else if (request.command == "stats") {
    auto stats = db.Stats();
    if (!stats.ok()) return Fail(stats.status());
    std::cout << "records=" << stats->records << " changes=" << stats->changes
              << " last_sequence=" << stats->last_sequence << " devices=" << stats->devices
              << " bytes=" << stats->bytes << "\n";
  } else {
    return Fail(InvalidArgumentError("unknown admin command " + request.command));
  }
  return 0;
}

}  // namespace outreach::server
