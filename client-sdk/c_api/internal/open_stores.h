// The device stores this process has open through the C ABI. A second handle on one store would
// give two outreach::Client objects one outbox and one clock; a wipe under an open handle would
// pull the files from under it. Both are refused instead.
#pragma once

#include <string>

#include "core/base/status.h"

namespace outreach::c_api::detail {

// Claims the store in `dir` for one handle and returns the key to release it with.
// failed_precondition: already claimed.
Result<std::string> ClaimStore(const std::string& dir);
void ReleaseStore(const std::string& key);
// failed_precondition while a handle has the store in `dir` open.
Status RequireStoreClosed(const std::string& dir);

}  // namespace outreach::c_api::detail
