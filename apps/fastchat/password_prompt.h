// Reading the account password: from the first line of standard input
// (--password-stdin), or from the terminal with echo turned off (termios).
// Call from the main thread before the event loop runs: these calls block.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace fastchat::cli {

// The first line of standard input, without its line ending. Reads byte by byte so
// nothing after the first line is consumed.
Result<std::string> read_password_from_stdin();

// Writes `prompt` to the controlling terminal and reads a line with echo off. The
// terminal is restored on return and also when a signal interrupts the prompt.
Result<std::string> prompt_password(std::string_view prompt);

// The password for `username`: from stdin, or prompted (twice when `confirm`, for a
// new account). An empty password is refused.
Result<std::string> read_password(std::string_view username, bool from_stdin, bool confirm);

struct PasswordChange {
  std::string current;
  std::string next;
};
// For `passwd`: the current and the new password, from the first two lines of stdin,
// or prompted (the new one twice). Empty passwords are refused.
Result<PasswordChange> read_password_change(bool from_stdin);

}  // namespace fastchat::cli
