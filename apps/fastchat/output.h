// Output: where the results of commands go, in text or JSON. One-shot commands
// write lines to stdout; the interactive chat prints them above its input line.
// Not thread-safe: use from the thread running the command.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace fastchat::cli {

class Output {
 public:
  // Receives one line at a time, without the trailing newline.
  using Sink = std::function<void(std::string_view line)>;

  Output(bool json, Sink sink) : json_(json), sink_(std::move(sink)) {}

  bool json() const { return json_; }
  // Prints `text` or `json`, whichever this output's format is.
  void emit(std::string_view text, std::string_view json) const { sink_(json_ ? json : text); }
  // Prints a line in either format (text mode only, unless the caller checked json()).
  void line(std::string_view text) const { sink_(text); }

  // A sink that writes each line to stdout and flushes it, so a reader of a pipe
  // sees each line as soon as it is printed.
  static Sink stdout_sink();

 private:
  bool json_;
  Sink sink_;
};

// What went wrong, for people: "unknown user: bob"; a bad request explains itself
// ("--server: ..."), so it is shown without the "bad request" class. Sanitized for
// the terminal, but it may span lines.
std::string describe(const Status& status);

// The one-line error of a failed command: "fastchat: unknown user: bob", or in JSON
// {"type":"error","code":"unknown_user","message":"...","exit_code":4}. Line breaks in
// the message are flattened so the error is always exactly one line.
std::string error_line(const Status& status, bool json);
// Writes error_line() and a newline to stderr.
void print_error(const Status& status, bool json);

}  // namespace fastchat::cli
