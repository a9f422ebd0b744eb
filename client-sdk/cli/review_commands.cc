// What needs a person's attention: conflicts to review and changes the server refused. Ids,
// field names and reasons only, never values.
#include "client-sdk/cli/commands.h"
#include "client-sdk/client_json.h"

namespace outreach::cli {
namespace {

int RunConflicts(const CliRun& run, Client& client) {
  auto conflicts = client.Conflicts();
  if (!conflicts.ok()) return run.output().Fail(conflicts.status());
  std::string text;
  for (const merge::Conflict& conflict : *conflicts) {
    text += conflict.record_id + " " + (conflict.field.empty() ? "-" : conflict.field) + " " +
            std::string(merge::ConflictKindName(conflict.kind)) +
            " candidates=" + std::to_string(conflict.candidates.size()) + "\n";
  }
  if (conflicts->empty()) text = "no conflicts\n";
  run.output().Print(ConflictsToJson(*conflicts), text);
  return kExitOk;
}

int RunRejected(const CliRun& run, Client& client) {
  auto rejected = client.Rejected();
  if (!rejected.ok()) return run.output().Fail(rejected.status());
  std::string text;
  for (const replica::OutboxEntry& entry : *rejected) {
    text += entry.change.change_id + " " + entry.change.collection + " " + entry.change.record_id +
            ": " + entry.reason + "\n";
  }
  if (rejected->empty()) text = "no rejected changes\n";
  run.output().Print(RejectedToJson(*rejected), text);
  return kExitOk;
}

}  // namespace

void AddReviewCommands(CLI::App& app, CliRun& run) {
  const auto add = [&](const char* name, const char* help, int (*command)(const CliRun&, Client&)) {
    app.add_subcommand(name, help)->callback([&run, command] {
      run.exit_code = WithOpenDevice(run, [&](Client& client) { return command(run, client); });
    });
  };
  add("conflicts", "conflicts on this device's records that need a person", RunConflicts);
  add("rejected", "changes the server refused (kept on this device)", RunRejected);
}

}  // namespace outreach::cli
