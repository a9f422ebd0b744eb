// What needs a person's attention: conflicts to review, and changes the server refused, with
// what a worker does about one (fix it, or discard it). Ids, field names and reasons only,
// never values.
#include "client-sdk/cli/commands.h"
#include "client-sdk/client_json.h"

namespace outreach::cli {
namespace {

using model::Json;

struct ChangeArguments {
  std::string change_id;
  std::vector<std::string> fields;  // fix: field=value ... laid over what the change wrote
  std::string file;                 // fix --file: JSON object ("-": stdin)
};

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

int RunFix(const CliRun& run, const ChangeArguments& arguments) {
  return WithTypedValues(run, arguments.fields, arguments.file, [&](Client& client, const Json& patch) {
    std::vector<schema::ValidationProblem> problems;
    auto fixed = client.FixRejected(arguments.change_id, patch, &problems);
    if (!fixed.ok()) return FailWrite(run.output(), fixed.status(), problems);
    run.output().Print(Json{{"fixed", arguments.change_id}, {"change_id", *fixed}}, *fixed + "\n");
    return int{kExitOk};
  });
}

int RunDiscard(const CliRun& run, const ChangeArguments& arguments) {
  return RunWrite(
      run, [&](Client& client) { return client.Discard(arguments.change_id); },
      Json{{"change_id", arguments.change_id}, {"discarded", true}},
      "discarded " + arguments.change_id + "\n");
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

  auto [fix, fix_arguments] = AddCommand<ChangeArguments>(
      app, run, "fix", "send a refused change again, with fields corrected", RunFix);
  fix->add_option("change_id", fix_arguments->change_id, "the refused change")->required();
  fix->add_option("fields", fix_arguments->fields, "field=value ... laid over what it wrote");
  fix->add_option("--file", fix_arguments->file, "a JSON object of fields (- for stdin)");

  auto [discard, discard_arguments] = AddCommand<ChangeArguments>(
      app, run, "discard", "drop a refused change from this device", RunDiscard);
  discard->add_option("change_id", discard_arguments->change_id, "the refused change")
      ->required();
}

}  // namespace outreach::cli
