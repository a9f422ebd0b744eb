// The outreach CLI's exit codes: the contract scripts rely on (the table in README.md here).
// Every error a command meets maps to exactly one of them through ExitCodeFor.
#pragma once

#include "core/base/status.h"

namespace outreach::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitUsage = 1,          // the command line is wrong (or no passcode source)
  kExitInvalidInput = 2,   // a record fails its schema, bad JSON, unknown record type
  kExitWrongPasscode = 3,  // the passcode does not unlock the store; nothing changed
  kExitNotReady = 4,       // no store or not enrolled yet, or refused in this state
  kExitTryLater = 5,       // server unreachable, sync cancelled, store busy: nothing lost
  kExitRefused = 6,        // the server refused this device's credentials or access
  kExitWiped = 7,          // the server revoked this device; its store was wiped
  kExitNotFound = 8,       // no such record or change
  kExitInternal = 10,      // a bug, a damaged store or a failing disk
};

int ExitCodeFor(StatusCode code);

}  // namespace outreach::cli
