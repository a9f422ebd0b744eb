// `outreach import TYPE FILE`: records of one type from JSON lines, all or nothing. Every line
// is checked before anything is written, so one run reports every bad line (by number, with
// its problems: pointers and messages, never values); then all are created in one transaction.
#include <algorithm>

#include "client-sdk/cli/commands.h"
#include "client-sdk/cli/record_input.h"
#include "client-sdk/client_json.h"

namespace outreach::cli {
namespace {

using model::Json;

struct ImportArguments {
  std::string collection;
  std::string file;
};

struct InvalidLine {
  std::size_t line = 0;  // 1-based
  std::vector<schema::ValidationProblem> problems;
};

struct ImportLines {
  std::vector<Json> records;
  std::vector<std::size_t> line_numbers;  // of each record
  std::vector<InvalidLine> invalid;       // lines that are not JSON
};

// Blank lines are skipped; their numbers still count, so reports match an editor's.
ImportLines SplitLines(const std::string& text) {
  ImportLines lines;
  std::size_t start = 0;
  for (std::size_t line = 1; start < text.size(); ++line) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string_view content(text.data() + start, end - start);
    start = end + 1;
    if (content.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    Json record = Json::parse(content, nullptr, /*allow_exceptions=*/false);
    if (record.is_discarded()) {
      lines.invalid.push_back({line, {{"", "is not valid JSON"}}});
      continue;
    }
    lines.records.push_back(std::move(record));
    lines.line_numbers.push_back(line);
  }
  return lines;
}

int FailLines(const Output& output, const std::vector<InvalidLine>& invalid, std::size_t total) {
  std::string text;
  Json details = Json::array();
  for (const InvalidLine& line : invalid) {
    for (const schema::ValidationProblem& problem : line.problems) {
      text += "outreach: line " + std::to_string(line.line) + ": " +
              (problem.pointer.empty() ? std::string("(record)") : problem.pointer) + ": " +
              problem.message + "\n";
    }
    details.push_back(Json{{"line", line.line}, {"problems", ProblemsToJson(line.problems)}});
  }
  const std::string summary = "nothing imported: " + std::to_string(invalid.size()) + " of " +
                              std::to_string(total) + " lines invalid";
  return output.Fail(kExitInvalidInput, InvalidArgumentError(summary), Json{{"lines", details}},
                     text + "outreach: " + summary + "\n");
}

// Checks every line, then creates all of them in one transaction, or reports and creates none.
int Import(const Output& output, Client& client, const std::string& collection,
           ImportLines& lines) {
  const std::size_t total = lines.records.size() + lines.invalid.size();
  for (std::size_t index = 0; index < lines.records.size(); ++index) {
    auto problems = client.ValidateCreate(collection, lines.records[index]);
    if (!problems.ok()) return output.Fail(problems.status());
    if (!problems->empty()) lines.invalid.push_back({lines.line_numbers[index], *problems});
  }
  if (!lines.invalid.empty()) {
    std::sort(lines.invalid.begin(), lines.invalid.end(),
              [](const InvalidLine& a, const InvalidLine& b) { return a.line < b.line; });
    return FailLines(output, lines.invalid, total);
  }
  std::size_t failed_index = 0;
  auto ids = client.CreateAll(collection, lines.records, &failed_index);
  if (!ids.ok()) {
    const std::size_t line = lines.line_numbers[failed_index];
    return output.Fail(ExitCodeFor(ids.status().code()), ids.status(), Json{{"line", line}},
                       "outreach: line " + std::to_string(line) + ": " + ids.status().message() +
                           "\noutreach: nothing imported\n");
  }
  std::string listing;
  for (const std::string& id : *ids) listing += id + "\n";
  output.Print(Json{{"created", *ids}}, listing);
  output.Note("imported " + std::to_string(ids->size()) + " " + collection + " records\n");
  return kExitOk;
}

int RunImport(const CliRun& run, const ImportArguments& arguments) {
  const Output output = run.output();
  auto text = ReadInput(arguments.file);
  if (!text.ok()) return output.Fail(text.status());
  ImportLines lines = SplitLines(*text);
  return WithOpenDevice(
      run, [&](Client& client) { return Import(output, client, arguments.collection, lines); });
}

}  // namespace

void AddImportCommand(CLI::App& app, CliRun& run) {
  auto [command, arguments] = AddCommand<ImportArguments>(
      app, run, "import", "create records from JSON lines, all of them or none", RunImport);
  command->add_option("type", arguments->collection, "record type")->required();
  command->add_option("file", arguments->file, "JSON lines (- for stdin)")->required();
}

}  // namespace outreach::cli
