// The outreach CLI's commands, one file per group. Each Add* registers its subcommands on the
// app; the one that runs stores its exit code in `run.exit_code` (exit_codes.h).
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "client-sdk/cli/exit_codes.h"
#include "client-sdk/cli/output.h"
#include "client-sdk/cli/record_input.h"
#include "client-sdk/client.h"

namespace outreach::cli {

// The global options and the outcome of one invocation.
struct CliRun {
  std::string dir;    // --dir: the device store's folder
  bool json = false;  // --json: machine-readable output
  int exit_code = kExitOk;

  Output output() const { return Output(json); }
};

// Unlocks the store in run.dir with the worker's passcode (OUTREACH_PASSCODE or a prompt).
// Only `enrol` passes `create`: any other command on a folder without a store is "not
// enrolled". On failure reports it, sets `exit_code` and returns null.
std::unique_ptr<Client> OpenDevice(const CliRun& run, bool create, int& exit_code);

// Runs `command(client)` on the store unlocked by OpenDevice and returns its exit code, or the
// exit code of failing to open it.
template <typename Command>
int WithOpenDevice(const CliRun& run, Command&& command) {
  int exit_code = kExitOk;
  std::unique_ptr<Client> client = OpenDevice(run, /*create=*/false, exit_code);
  if (!client) return exit_code;
  return command(*client);
}

// Runs `action(client)`, a write returning a Status, on the unlocked store; reports its failure,
// or prints `done_json` / `done_text` (ids only).
template <typename Action>
int RunWrite(const CliRun& run, Action&& action, const model::Json& done_json,
             const std::string& done_text) {
  return WithOpenDevice(run, [&](Client& client) {
    if (Status done = action(client); !done.ok()) return run.output().Fail(done);
    run.output().Print(done_json, done_text);
    return int{kExitOk};
  });
}

// Runs `command(client, values)` on the unlocked store once the values typed as `fields`
// (field=value ...) over `file` have been read, so bad input fails before the passcode is
// asked for.
template <typename Command>
int WithTypedValues(const CliRun& run, const std::vector<std::string>& fields,
                    const std::string& file, Command&& command) {
  auto values = RecordFromArguments(fields, file);
  if (!values.ok()) return run.output().Fail(values.status());
  return WithOpenDevice(run, [&](Client& client) { return command(client, *values); });
}

// Registers command `name`, which runs `run_command(run, arguments)` with a fresh Arguments
// the caller binds the command's options to (the returned pointer lives as long as the app).
template <typename Arguments, typename RunCommand>
std::pair<CLI::App*, Arguments*> AddCommand(CLI::App& app, CliRun& run, const char* name,
                                            const char* help, RunCommand run_command) {
  auto arguments = std::make_shared<Arguments>();
  CLI::App* command = app.add_subcommand(name, help);
  command->callback(
      [&run, arguments, run_command] { run.exit_code = run_command(run, *arguments); });
  return {command, arguments.get()};
}

// Reports a passcode that could not be read: no passcode source at all is a usage error.
int FailPasscode(const Output& output, const Status& status);

void AddDeviceCommands(CLI::App& app, CliRun& run);  // enrol, passcode, status, sync, wipe
// add, edit, note, strike, delete, withdraw, list, show
void AddRecordCommands(CLI::App& app, CliRun& run);
void AddReviewCommands(CLI::App& app, CliRun& run);  // conflicts, rejected, fix, discard
void AddImportCommand(CLI::App& app, CliRun& run);   // import

}  // namespace outreach::cli
