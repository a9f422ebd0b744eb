#include "client-sdk/cli/exit_codes.h"

namespace outreach::cli {

int ExitCodeFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return kExitOk;
    case StatusCode::kInvalidArgument:
    case StatusCode::kConstraint:
      return kExitInvalidInput;
    case StatusCode::kWrongKey:
      return kExitWrongPasscode;
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition:
      return kExitNotReady;
    case StatusCode::kUnavailable:
    case StatusCode::kAborted:
    case StatusCode::kLocked:
    case StatusCode::kClockSkew:
      return kExitTryLater;
    case StatusCode::kUnauthenticated:
    case StatusCode::kPermissionDenied:
      return kExitRefused;
    case StatusCode::kNotFound:
      return kExitNotFound;
    case StatusCode::kCorrupt:
    case StatusCode::kIo:
    case StatusCode::kResourceExhausted:
    case StatusCode::kInternal:
      return kExitInternal;
  }
  return kExitInternal;
}

}  // namespace outreach::cli
