#include "output.h"

#include <cstdio>

#include "exit_codes.h"
#include "format.h"
#include "json.h"

namespace fastchat::cli {

Output::Sink Output::stdout_sink() {
  return [](std::string_view line) {
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
  };
}

std::string describe(const Status& status) {
  const bool explains_itself = status.code() == Code::kBadRequest && !status.message().empty();
  return sanitize_for_terminal(explains_itself ? status.message() : status.to_string());
}

std::string error_line(const Status& status, bool json) {
  if (json) {
    return JsonObject()
        .add("type", "error")
        .add("code", code_id(status.code()))
        .add("message", status.to_string())
        .add("exit_code", static_cast<int>(exit_code_for(status.code())))
        .str();
  }
  // A bad request explains itself ("--server: ..."); other codes name their class.
  std::string text = sanitize_for_terminal(
      status.code() == Code::kBadRequest && !status.message().empty() ? status.message()
                                                                      : status.to_string());
  for (char& c : text) {
    if (c == '\n' || c == '\t') c = ' ';
  }
  return "fastchat: " + text;
}

void print_error(const Status& status, bool json) {
  const std::string line = error_line(status, json) + "\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace fastchat::cli
