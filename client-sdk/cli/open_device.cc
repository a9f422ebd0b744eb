#include "client-sdk/cli/commands.h"
#include "client-sdk/cli/passcode_prompt.h"

namespace outreach::cli {

int FailPasscode(const Output& output, const Status& status) {
  if (status.code() != StatusCode::kFailedPrecondition) return output.Fail(status);
  return output.Fail(kExitUsage, status, model::Json::object(),
                     "outreach: " + status.message() + "\n");
}

std::unique_ptr<Client> OpenDevice(const CliRun& run, bool create, int& exit_code) {
  const Output output = run.output();
  const bool exists = Client::Exists(run.dir);
  if (!exists && !create) {
    exit_code = output.Fail(
        FailedPreconditionError("no device store in " + run.dir + "; enrol this device first"));
    return nullptr;
  }
  // A new store's passcode is typed twice: a typo would lock the worker out of their records.
  auto passcode =
      ReadPasscode("OUTREACH_PASSCODE", exists ? "passcode: " : "choose a passcode: ", !exists);
  if (!passcode.ok()) {
    exit_code = FailPasscode(output, passcode.status());
    return nullptr;
  }
  auto client = Client::Open(run.dir, passcode->view());
  if (!client.ok()) {
    exit_code = output.Fail(client.status());
    return nullptr;
  }
  return std::move(client).value();
}

}  // namespace outreach::cli
