#include "client-sdk/cli/passcode_prompt.h"

#include <sodium.h>
#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>

namespace outreach::cli {
namespace {

constexpr std::size_t kMaxPasscodeBytes = 1024;

// The terminal settings to put back if Ctrl-C arrives while echo is off: a shell left without
// echo looks broken to the worker.
struct termios saved_terminal;

extern "C" void RestoreTerminalAndDie(int signal_number) {
  tcsetattr(STDIN_FILENO, TCSANOW, &saved_terminal);  // async-signal-safe
  std::signal(signal_number, SIG_DFL);
  std::raise(signal_number);
}

Result<Passcode> Copy(std::string_view text) {
  if (text.empty()) return InvalidArgumentError("the passcode is empty");
  if (text.size() > kMaxPasscodeBytes) return InvalidArgumentError("the passcode is too long");
  SecureBytes bytes = SecureBytes::CopyOf(text);
  return Passcode(std::move(bytes), text.size());
}

// One line from the terminal with echo off, straight into guarded memory.
Result<Passcode> Prompt(std::string_view prompt) {
  std::cerr << prompt << std::flush;
  if (tcgetattr(STDIN_FILENO, &saved_terminal) != 0) return IoError("cannot read the terminal");
  struct termios quiet = saved_terminal;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  auto previous_handler = std::signal(SIGINT, RestoreTerminalAndDie);
  tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  SecureBytes buffer(kMaxPasscodeBytes + 1);
  std::size_t length = 0;
  char byte = 0;
  while (::read(STDIN_FILENO, &byte, 1) == 1 && byte != '\n') {
    if (length < buffer.size()) buffer.data()[length++] = static_cast<std::uint8_t>(byte);
  }
  byte = 0;
  tcsetattr(STDIN_FILENO, TCSANOW, &saved_terminal);
  std::signal(SIGINT, previous_handler);
  std::cerr << "\n";
  if (length > 0 && buffer.data()[length - 1] == '\r') --length;
  return Copy(std::string_view(reinterpret_cast<const char*>(buffer.data()), length));
}

}  // namespace

Result<Passcode> ReadPasscode(const char* variable, std::string_view prompt, bool confirm) {
  if (const char* from_environment = std::getenv(variable); from_environment != nullptr) {
    return Copy(from_environment);
  }
  if (!::isatty(STDIN_FILENO)) {
    return FailedPreconditionError(std::string("no passcode: set ") + variable +
                                   " or run in a terminal");
  }
  OUTREACH_ASSIGN_OR_RETURN(Passcode passcode, Prompt(prompt));
  if (confirm) {
    OUTREACH_ASSIGN_OR_RETURN(Passcode again, Prompt("again: "));
    if (passcode.view().size() != again.view().size() ||
        sodium_memcmp(passcode.view().data(), again.view().data(), again.view().size()) != 0) {
      return InvalidArgumentError("the two passcodes differ");
    }
  }
  return passcode;
}

}  // namespace outreach::cli
