// Commands on records: add, edit, note, delete, list, show. Only list and show print record
// values; the others print ids.
#include "client-sdk/cli/commands.h"
#include "client-sdk/cli/record_input.h"
#include "client-sdk/client_json.h"

namespace outreach::cli {
namespace {

using model::Json;

struct RecordArguments {
  std::string collection;           // add, list
  std::string id;                   // edit, note, delete, show
  std::string field;                // note: the append field
  std::vector<std::string> fields;  // field=value ...
  std::string file;                 // --file: JSON object ("-": stdin)
  std::string reason;               // delete --reason
  std::string where;                // list --where field=value
};

// A write refused by the schema lists each problem (pointer + message, never a value).
int FailWrite(const Output& output, const Status& status,
              const std::vector<schema::ValidationProblem>& problems) {
  if (problems.empty()) return output.Fail(status);
  std::string text = "outreach: the record is not valid:\n";
  for (const schema::ValidationProblem& problem : problems) {
    text += "  " + (problem.pointer.empty() ? std::string("(record)") : problem.pointer) + ": " +
            problem.message + "\n";
  }
  return output.Fail(kExitInvalidInput, status, Json{{"problems", ProblemsToJson(problems)}}, text);
}

// Runs `command` on the unlocked store once the record in the arguments has been read, so bad
// input fails before the passcode is asked for.
template <typename Command>
int WithRecord(const CliRun& run, const RecordArguments& arguments, Command&& command) {
  auto values = RecordFromArguments(arguments.fields, arguments.file);
  if (!values.ok()) return run.output().Fail(values.status());
  return WithOpenDevice(run, [&](Client& client) { return command(client, *values); });
}

int RunAdd(const CliRun& run, const RecordArguments& arguments) {
  return WithRecord(run, arguments, [&](Client& client, const Json& values) {
    std::vector<schema::ValidationProblem> problems;
    auto id = client.Create(arguments.collection, values, &problems);
    if (!id.ok()) return FailWrite(run.output(), id.status(), problems);
    run.output().Print(Json{{"id", *id}}, *id + "\n");
    return int{kExitOk};
  });
}

int RunEdit(const CliRun& run, const RecordArguments& arguments) {
  return WithRecord(run, arguments, [&](Client& client, const Json& patch) {
    std::vector<schema::ValidationProblem> problems;
    if (Status updated = client.Update(arguments.id, patch, &problems); !updated.ok()) {
      return FailWrite(run.output(), updated, problems);
    }
    run.output().Print(Json{{"id", arguments.id}, {"updated", true}},
                       "updated " + arguments.id + "\n");
    return int{kExitOk};
  });
}

int RunNote(const CliRun& run, const RecordArguments& arguments) {
  return WithRecord(run, arguments, [&](Client& client, const Json& entry) {
    auto entry_id = client.Append(arguments.id, arguments.field, entry);
    if (!entry_id.ok()) return run.output().Fail(entry_id.status());
    run.output().Print(Json{{"id", arguments.id}, {"entry_id", *entry_id}}, *entry_id + "\n");
    return int{kExitOk};
  });
}

int RunDelete(const CliRun& run, const RecordArguments& arguments) {
  return WithOpenDevice(run, [&](Client& client) {
    if (Status deleted = client.Delete(arguments.id, arguments.reason); !deleted.ok()) {
      return run.output().Fail(deleted);
    }
    run.output().Print(Json{{"id", arguments.id}, {"deleted", true}},
                       "deleted " + arguments.id + "\n");
    return int{kExitOk};
  });
}

int RunList(const CliRun& run, const RecordArguments& arguments) {
  std::pair<std::string, Json> where{"", nullptr};
  if (!arguments.where.empty()) {
    auto parsed = ParseFieldArgument(arguments.where);
    if (!parsed.ok()) return run.output().Fail(parsed.status());
    where = std::move(parsed).value();
  }
  return WithOpenDevice(run, [&](Client& client) {
    auto records = client.List(arguments.collection, where.first, where.second);
    if (!records.ok()) return run.output().Fail(records.status());
    // One record per line, as JSON: readable, and what `import` reads.
    std::string text;
    for (const Json& record : *records) text += JsonText(record) + "\n";
    run.output().Print(Json(*records), text);
    return int{kExitOk};
  });
}

std::string RecordViewText(const replica::RecordView& view) {
  std::string text = JsonText(view.values, 2) + "\n";
  if (view.deleted) text += "deleted\n";
  if (view.has_pending_changes) text += "changes not yet synced\n";
  for (const merge::Conflict& conflict : view.conflicts) {
    text += "conflict: " + (conflict.field.empty() ? std::string("(delete)") : conflict.field) +
            " " + std::string(merge::ConflictKindName(conflict.kind)) + ", " +
            std::to_string(conflict.candidates.size()) + " candidates\n";
  }
  return text;
}

int RunShow(const CliRun& run, const RecordArguments& arguments) {
  return WithOpenDevice(run, [&](Client& client) {
    auto view = client.Get(arguments.id);
    if (!view.ok()) return run.output().Fail(view.status());
    run.output().Print(RecordViewToJson(*view), RecordViewText(*view));
    return int{kExitOk};
  });
}

}  // namespace

void AddRecordCommands(CLI::App& app, CliRun& run) {
  constexpr const char* kFieldsHelp = "field=value ... (a value that parses as JSON is JSON)";
  constexpr const char* kFileHelp = "a JSON object to start from (- for stdin)";

  auto [add, add_arguments] =
      AddCommand<RecordArguments>(app, run, "add", "create a record", RunAdd);
  add->add_option("type", add_arguments->collection, "record type, e.g. contact")->required();
  add->add_option("fields", add_arguments->fields, kFieldsHelp);
  add->add_option("--file", add_arguments->file, kFileHelp);

  auto [edit, edit_arguments] =
      AddCommand<RecordArguments>(app, run, "edit", "change fields of a record", RunEdit);
  edit->add_option("id", edit_arguments->id, "record id")->required();
  edit->add_option("fields", edit_arguments->fields, kFieldsHelp);
  edit->add_option("--file", edit_arguments->file, kFileHelp);

  auto [note, note_arguments] = AddCommand<RecordArguments>(
      app, run, "note", "append an entry to a record's list field", RunNote);
  note->add_option("id", note_arguments->id, "record id")->required();
  note->add_option("field", note_arguments->field, "the list field, e.g. summary")->required();
  note->add_option("fields", note_arguments->fields, kFieldsHelp);
  note->add_option("--file", note_arguments->file, kFileHelp);

  auto [remove, remove_arguments] =
      AddCommand<RecordArguments>(app, run, "delete", "delete a record", RunDelete);
  remove->add_option("id", remove_arguments->id, "record id")->required();
  remove->add_option("--reason", remove_arguments->reason, "why (kept with the change)")
      ->required();

  auto [list, list_arguments] =
      AddCommand<RecordArguments>(app, run, "list", "list records of a type", RunList);
  list->add_option("type", list_arguments->collection, "record type")->required();
  list->add_option("--where", list_arguments->where, "only records whose field=value");

  auto [show, show_arguments] =
      AddCommand<RecordArguments>(app, run, "show", "show one record", RunShow);
  show->add_option("id", show_arguments->id, "record id")->required();
}

}  // namespace outreach::cli
