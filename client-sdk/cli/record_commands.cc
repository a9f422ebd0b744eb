// Commands on records: add, edit, note, strike, delete, withdraw, list, show. Only list and
// show print record values; the others print ids.
#include <utility>

#include "client-sdk/cli/commands.h"
#include "client-sdk/client_json.h"

namespace outreach::cli {
namespace {

using model::Json;

struct RecordArguments {
  std::string collection;           // add, list
  std::string id;                   // edit, note, strike, delete, withdraw, show
  std::string field;                // note, strike: the append field
  std::string entry_id;             // strike: the entry struck
  std::vector<std::string> fields;  // field=value ...
  std::string file;                 // --file: JSON object ("-": stdin)
  std::string reason;               // delete, strike --reason
  std::string where;                // list --where field=value
};

// Runs `command` once the record in the arguments has been read (WithTypedValues).
template <typename Command>
int WithRecord(const CliRun& run, const RecordArguments& arguments, Command&& command) {
  return WithTypedValues(run, arguments.fields, arguments.file, std::forward<Command>(command));
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

int RunStrike(const CliRun& run, const RecordArguments& arguments) {
  return WithOpenDevice(run, [&](Client& client) {
    auto strike_id =
        client.Strike(arguments.id, arguments.field, arguments.entry_id, arguments.reason);
    if (!strike_id.ok()) return run.output().Fail(strike_id.status());
    run.output().Print(Json{{"id", arguments.id},
                            {"struck", arguments.entry_id},
                            {"entry_id", *strike_id}},
                       *strike_id + "\n");
    return int{kExitOk};
  });
}

int RunWithdraw(const CliRun& run, const RecordArguments& arguments) {
  return RunWrite(
      run, [&](Client& client) { return client.WithdrawCreate(arguments.id); },
      Json{{"id", arguments.id}, {"withdrawn", true}}, "withdrawn " + arguments.id + "\n");
}

int RunDelete(const CliRun& run, const RecordArguments& arguments) {
  return RunWrite(
      run, [&](Client& client) { return client.Delete(arguments.id, arguments.reason); },
      Json{{"id", arguments.id}, {"deleted", true}}, "deleted " + arguments.id + "\n");
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

  auto [strike, strike_arguments] = AddCommand<RecordArguments>(
      app, run, "strike", "strike an entry of a record's list field, with a reason", RunStrike);
  strike->add_option("id", strike_arguments->id, "record id")->required();
  strike->add_option("field", strike_arguments->field, "the list field, e.g. summary")->required();
  strike->add_option("entry_id", strike_arguments->entry_id, "the entry struck")->required();
  strike->add_option("--reason", strike_arguments->reason, "why (kept with the strike)")
      ->required();

  auto [withdraw, withdraw_arguments] = AddCommand<RecordArguments>(
      app, run, "withdraw", "take back a record made here that has not been synced", RunWithdraw);
  withdraw->add_option("id", withdraw_arguments->id, "record id")->required();

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
