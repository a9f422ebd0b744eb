// The worker's passcode: from an environment variable when it is set (scripts and tests; the
// value is never printed), else typed at a terminal prompt with echo off. Held in libsodium's
// guarded memory (SecureBytes), never in a std::string (core/base/secure_bytes.h).
#pragma once

#include <string_view>

#include "core/base/secure_bytes.h"
#include "core/base/status.h"

namespace outreach::cli {

class Passcode {
 public:
  Passcode(SecureBytes bytes, std::size_t length) : bytes_(std::move(bytes)), length_(length) {}
  std::string_view view() const { return {reinterpret_cast<const char*>(bytes_.data()), length_}; }

 private:
  SecureBytes bytes_;
  std::size_t length_;
};

// The passcode from `variable` if set, else from a prompt on the terminal (stdin). `confirm`:
// a new passcode, typed twice at a prompt. failed_precondition: the variable is unset and stdin
// is not a terminal; invalid_argument: empty, too long, or the two typings differ.
Result<Passcode> ReadPasscode(const char* variable, std::string_view prompt, bool confirm);

}  // namespace outreach::cli
