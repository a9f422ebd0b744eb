// The C boundary's guard. Every extern "C" function in outreach_c.cc is one call to Guard (or
// WithClient in client_handle.h), which turns a Status or a stray exception into an
// outreach_status code and sets this thread's last-error message
// (couchbase-lite-core's tryCatch in LiteCore/Support/c4ExceptionUtils.hh).
#pragma once

#include <string>
#include <string_view>

#include "core/base/status.h"
#include "core/model/record_state.h"

namespace outreach::c_api::detail {

// Sets this thread's last-error message: the status's message, "" for OK.
void SetLastError(const Status& status) noexcept;
// This thread's last-error message; never null.
const char* LastError() noexcept;

// Inside a catch block: maps the exception in flight to a code and sets the message. Never
// repeats what() (a JSON parser's message can quote record text).
int ReportCurrentException() noexcept;

template <typename Body>
int Guard(Body&& body) noexcept {
  try {
    const Status status = body();
    SetLastError(status);
    return static_cast<int>(status.code());
  } catch (...) {
    return ReportCurrentException();
  }
}

// A required string argument: invalid_argument naming `what` when NULL or empty.
Result<std::string_view> Required(const char* text, std::string_view what);
// An optional string argument: NULL reads as "".
std::string_view Optional(const char* text);
// JSON text passed in. invalid_argument naming `what` (never quoting the text) when it is NULL
// or does not parse.
Result<model::Json> ParseJsonArgument(const char* text, std::string_view what);
// Hands `text` out as a malloc'd copy in `*out` (the caller frees it with outreach_free_string).
// `out` may be NULL when the caller does not want it.
Status CopyOut(std::string_view text, char** out);
// Clears an out parameter at the start of a call, so it is NULL on every error path.
inline void ClearOut(char** out) {
  if (out != nullptr) *out = nullptr;
}

}  // namespace outreach::c_api::detail
