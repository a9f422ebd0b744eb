// outreach: a field device in a terminal. Uses outreach::Client exactly as a tablet app does;
// see README.md here for the commands and the exit codes scripts can rely on.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <string_view>

#include "client-sdk/cli/commands.h"

int main(int argc, char** argv) {
  using namespace outreach::cli;
  CliRun run;
  CLI::App app{"outreach: record and sync outreach work on this device"};
  // --dir and --json may come before or after the command.
  app.fallthrough();
  app.require_subcommand(1);
  app.add_option("--dir", run.dir, "the device store's folder (or OUTREACH_DIR)")
      ->envname("OUTREACH_DIR")
      ->required();
  app.add_flag("--json", run.json, "machine-readable output (errors too, on stdout)");
  AddDeviceCommands(app, run);
  AddRecordCommands(app, run);
  AddReviewCommands(app, run);
  AddImportCommand(app, run);

  try {
    app.parse(argc, argv);  // runs the chosen command's callback
  } catch (const CLI::ParseError& error) {
    if (error.get_exit_code() == 0) return app.exit(error);  // --help
    // CLI11 lists unexpected arguments verbatim, and those may be record text typed in the
    // wrong place: say how many, not what.
    const std::string message = dynamic_cast<const CLI::ExtrasError*>(&error) != nullptr
                                    ? "unexpected arguments"
                                    : std::string(error.what());
    const bool json = std::find(argv + 1, argv + argc, std::string_view("--json")) != argv + argc;
    return Output(json).Fail(kExitUsage, outreach::InvalidArgumentError(message),
                             outreach::model::Json::object(),
                             "outreach: " + message + "\nRun with --help for more information.\n");
  } catch (const std::exception&) {
    // Never what(): a JSON library's message can quote the record being written.
    std::cerr << "outreach: internal error (unexpected exception)\n";
    return kExitInternal;
  }
  return run.exit_code;
}
