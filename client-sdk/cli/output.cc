#include "client-sdk/cli/output.h"

#include <iostream>

#include "client-sdk/cli/exit_codes.h"
#include "client-sdk/client_json.h"

namespace outreach::cli {
namespace {

// What a person reads for a Status: a plainer sentence for the codes a worker meets often.
std::string HumanText(const Status& status) {
  switch (status.code()) {
    case StatusCode::kWrongKey:
      return "wrong passcode";
    case StatusCode::kUnavailable:
      return "the server could not be reached; nothing is lost, sync again later (" +
             status.message() + ")";
    case StatusCode::kAborted:
      return "cancelled; nothing is lost";
    default:
      return status.message();
  }
}

}  // namespace

void Output::Print(const model::Json& json, std::string_view text) const {
  if (json_) {
    std::cout << JsonText(json, 2) << "\n";
  } else {
    std::cout << text;
  }
  std::cout.flush();
}

int Output::Fail(const Status& status) const {
  return Fail(ExitCodeFor(status.code()), status, model::Json::object(),
              "outreach: " + HumanText(status) + "\n");
}

int Output::Fail(int exit_code, const Status& status, const model::Json& details,
                 std::string_view text) const {
  if (json_) {
    model::Json error{{"code", std::string(StatusCodeName(status.code()))},
                      {"exit_code", exit_code},
                      {"message", status.message()}};
    if (details.is_object()) error.update(details);
    std::cout << JsonText(model::Json{{"error", std::move(error)}}, 2) << "\n";
    std::cout.flush();
  } else {
    std::cerr << text;
  }
  return exit_code;
}

void Output::Note(std::string_view text) const {
  if (!json_) std::cerr << text;
}

int FailWrite(const Output& output, const Status& status,
              const std::vector<schema::ValidationProblem>& problems) {
  if (problems.empty()) return output.Fail(status);
  std::string text = "outreach: the record is not valid:\n";
  for (const schema::ValidationProblem& problem : problems) {
    text += "  " + (problem.pointer.empty() ? std::string("(record)") : problem.pointer) + ": " +
            problem.message + "\n";
  }
  return output.Fail(kExitInvalidInput, status,
                     model::Json{{"problems", ProblemsToJson(problems)}}, text);
}

}  // namespace outreach::cli
