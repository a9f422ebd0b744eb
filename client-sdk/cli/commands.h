// The outreach CLI's commands, one file per group. Each Add* registers its subcommands on the
// app; the one that runs stores its exit code in `run.exit_code` (exit_codes.h).
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "client-sdk/cli/exit_codes.h"
#include "client-sdk/cli/output.h"
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
void AddRecordCommands(CLI::App& app, CliRun& run);  // add, edit, note, delete, list, show
void AddReviewCommands(CLI::App& app, CliRun& run);  // conflicts, rejected
void AddImportCommand(CLI::App& app, CliRun& run);   // import

}  // namespace outreach::cli
