// Output: how a command's results and errors reach the user. For a person: plain lines, errors
// on stderr. With --json: exactly one JSON document on stdout, errors included
// ({"error": {"code", "exit_code", "message", ...}}), so a script reads one stream.
// Error messages come from the SDK, which never puts record values in them; show and list are
// the only commands that print record contents.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/model/record_state.h"
#include "core/schema/validation_problem.h"

namespace outreach::cli {

class Output {
 public:
  explicit Output(bool json) : json_(json) {}

  bool json() const { return json_; }

  // Prints `json` with --json, else `text` (which ends with a newline, or is empty).
  void Print(const model::Json& json, std::string_view text) const;
  // Reports `status` and returns its exit code.
  int Fail(const Status& status) const;
  // Reports a failure with an exit code of its own and, with --json, `details` merged into the
  // error object. `text` is what a person reads (may span lines).
  int Fail(int exit_code, const Status& status, const model::Json& details,
           std::string_view text) const;
  // A notice for a person (stderr); nothing with --json.
  void Note(std::string_view text) const;

 private:
  bool json_;
};

// A write refused by the schema: lists each problem (pointer + message, never a value), exit
// code 2 (with --json, "problems"); any other failure as Output::Fail.
int FailWrite(const Output& output, const Status& status,
              const std::vector<schema::ValidationProblem>& problems);

}  // namespace outreach::cli
