// The device's own commands: enrol, passcode, status, sync, wipe.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <ctime>
#include <iostream>

#include "client-sdk/cli/commands.h"
#include "client-sdk/cli/passcode_prompt.h"
#include "client-sdk/cli/sync_progress.h"
#include "client-sdk/client_json.h"

namespace outreach::cli {
namespace {

struct EnrolArguments {
  std::string url;
  std::string code;
  std::string ca_file;
  std::string pin;
  std::string name;
};

int RunEnrol(const CliRun& run, const EnrolArguments& arguments) {
  int exit_code = kExitOk;
  auto client = OpenDevice(run, /*create=*/true, exit_code);
  if (!client) return exit_code;
  const Output output = run.output();
  const EnrolOptions options{arguments.ca_file, arguments.pin, arguments.name};
  if (Status enrolled = client->Enrol(arguments.url, arguments.code, options); !enrolled.ok()) {
    return output.Fail(enrolled);
  }
  auto status = client->GetStatus();
  if (!status.ok()) return output.Fail(status.status());
  output.Print(StatusToJson(*status), "enrolled: device " + status->device_id + ", user " +
                                          status->user_name + ", team " + status->team + "\n");
  return kExitOk;
}

int RunPasscode(const CliRun& run) {
  const Output output = run.output();
  if (!Client::Exists(run.dir)) {
    return output.Fail(FailedPreconditionError("no device store in " + run.dir));
  }
  auto current = ReadPasscode("OUTREACH_PASSCODE", "current passcode: ", /*confirm=*/false);
  if (!current.ok()) return FailPasscode(output, current.status());
  auto fresh = ReadPasscode("OUTREACH_NEW_PASSCODE", "new passcode: ", /*confirm=*/true);
  if (!fresh.ok()) return FailPasscode(output, fresh.status());
  if (Status changed = Client::ChangePasscode(run.dir, current->view(), fresh->view());
      !changed.ok()) {
    return output.Fail(changed);
  }
  output.Print(model::Json{{"passcode_changed", true}}, "passcode changed\n");
  return kExitOk;
}

std::string TimeText(std::int64_t unix_ms) {
  if (unix_ms == 0) return "never";
  const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::string StatusText(const ClientStatus& status) {
  return "enrolled   " + std::string(status.enrolled ? "yes" : "no") + "\n" + "device     " +
         status.device_id + "\n" + "user       " + status.user_name + " (" + status.user_id +
         "), " + status.role + "\n" + "team       " + status.team + "\n" + "server     " +
         status.server_url + "\n" + "pending    " + std::to_string(status.pending) +
         " changes not yet synced\n" + "rejected   " + std::to_string(status.rejected) +
         " changes refused by the server\n" + "last sync  " + TimeText(status.last_sync_ms) + "\n";
}

int RunStatus(const CliRun& run) {
  return WithOpenDevice(run, [&](Client& client) {
    auto status = client.GetStatus();
    if (!status.ok()) return run.output().Fail(status.status());
    run.output().Print(StatusToJson(*status), StatusText(*status));
    return int{kExitOk};
  });
}

// Set by Ctrl-C during a sync; the sync stops at the next step, nothing lost.
std::atomic<bool> sync_interrupted{false};
extern "C" void OnSyncInterrupt(int) { sync_interrupted.store(true); }

// Syncs with a progress display and Ctrl-C as the cancel.
Result<SyncSummary> SyncWithProgress(const CliRun& run, Client& client) {
  SyncProgressPrinter printer(::isatty(STDERR_FILENO) != 0);
  SyncOptions options;
  options.cancel = &sync_interrupted;
  if (!run.json) options.progress = [&](const SyncProgress& step) { printer.Show(step); };
  const auto previous_handler = std::signal(SIGINT, OnSyncInterrupt);
  auto summary = client.Sync(options);
  std::signal(SIGINT, previous_handler);
  printer.EndLine();
  return summary;
}

int RunSync(const CliRun& run, Client& client) {
  const Output output = run.output();
  auto summary = SyncWithProgress(run, client);
  if (!summary.ok()) return output.Fail(summary.status());
  if (summary->wiped) {
    return output.Fail(kExitWiped,
                       FailedPreconditionError("an administrator revoked this device; its "
                                               "records were wiped from it"),
                       model::Json{{"wiped", true}},
                       "outreach: an administrator revoked this device; its records were wiped "
                       "from it\n");
  }
  std::string text = "synced: sent " + std::to_string(summary->pushed) + " changes, received " +
                     std::to_string(summary->pulled) + " records, " +
                     std::to_string(summary->conflicts) + " conflicts\n";
  if (summary->rejected > 0) {
    text += std::to_string(summary->rejected) +
            " changes were refused by the server and kept here: see `outreach rejected`\n";
  }
  output.Print(SummaryToJson(*summary), text);
  return kExitOk;
}

// A worker's "yes" at the terminal, or --yes.
bool ConfirmWipe(bool yes) {
  if (yes) return true;
  if (!::isatty(STDIN_FILENO)) return false;
  std::cerr << "This destroys every record on this device, synced or not.\n"
               "Type 'wipe' to go on: "
            << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  return answer == "wipe";
}

struct WipeArguments {
  bool yes = false;  // --yes: no question at the terminal
};

int RunWipe(const CliRun& run, const WipeArguments& arguments) {
  const Output output = run.output();
  if (!Client::Exists(run.dir)) {
    return output.Fail(FailedPreconditionError("no device store in " + run.dir));
  }
  if (!ConfirmWipe(arguments.yes)) {
    return output.Fail(kExitUsage, InvalidArgumentError("not confirmed; nothing wiped"),
                       model::Json::object(),
                       "outreach: not confirmed; nothing wiped (pass --yes in a script)\n");
  }
  if (Status wiped = Client::Wipe(run.dir); !wiped.ok()) return output.Fail(wiped);
  output.Print(model::Json{{"wiped", true}}, "wiped\n");
  return kExitOk;
}

}  // namespace

void AddDeviceCommands(CLI::App& app, CliRun& run) {
  auto [enrol, enrol_arguments] = AddCommand<EnrolArguments>(
      app, run, "enrol", "enrol this device with a one-time code from an administrator", RunEnrol);
  enrol->add_option("url", enrol_arguments->url, "server, https://host:port")->required();
  enrol->add_option("code", enrol_arguments->code, "the enrolment code")->required();
  enrol->add_option("--ca", enrol_arguments->ca_file, "PEM file of the CA to trust the server by")
      ->check(CLI::ExistingFile);
  enrol->add_option("--pin", enrol_arguments->pin,
                    "the server's public key, sha256//<base64>; alone, trusts it without a CA");
  enrol->add_option("--name", enrol_arguments->name, "this device's name, shown to administrators");

  app.add_subcommand("passcode", "change the passcode (OUTREACH_PASSCODE, OUTREACH_NEW_PASSCODE)")
      ->callback([&run] { run.exit_code = RunPasscode(run); });
  app.add_subcommand("status", "pending and rejected changes, last sync, device, user, team")
      ->callback([&run] { run.exit_code = RunStatus(run); });
  app.add_subcommand("sync", "send this device's changes and receive the team's")->callback([&run] {
    run.exit_code = WithOpenDevice(run, [&](Client& client) { return RunSync(run, client); });
  });

  auto [wipe, wipe_arguments] =
      AddCommand<WipeArguments>(app, run, "wipe", "destroy this device's store", RunWipe);
  wipe->add_flag("--yes", wipe_arguments->yes, "do not ask");
}

}  // namespace outreach::cli
