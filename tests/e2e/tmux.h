// Tmux: drives a program in a detached tmux session on a private socket, for
// end-to-end tests of interactive terminal programs (send keys, read the screen).
// For tests only.
#pragma once

#include <regex>
#include <string>
#include <vector>

#include "process.h"

namespace fastchat::e2e {

class Tmux {
 public:
  Tmux(std::string socket, std::string session)
      : socket_(std::move(socket)), session_(std::move(session)) {}
  ~Tmux() { run({"kill-server"}); }

  RunResult run(std::vector<std::string> args) const {
    std::vector<std::string> argv = {"/usr/bin/tmux", "-S", socket_, "-f", "/dev/null"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, {}, seconds(20));
  }
  bool start(const std::string& command, int width, int height) const {
    return run({"new-session", "-d", "-s", session_, "-x", std::to_string(width), "-y",
                std::to_string(height), command})
               .exit_code == 0;
  }
  void keys(const std::string& literal) const { run({"send-keys", "-t", session_, "-l", literal}); }
  void key(const std::string& name) const { run({"send-keys", "-t", session_, name}); }
  std::vector<std::string> screen() const {
    auto lines = lines_of(run({"capture-pane", "-p", "-t", session_}).out);
    while (!lines.empty() && lines.back().find_first_not_of(' ') == std::string::npos) {
      lines.pop_back();
    }
    for (auto& line : lines)
      line.erase(line.find_last_not_of(' ') + 1);
    return lines;
  }
  std::string format(const std::string& spec) const {
    auto out = run({"display-message", "-p", "-t", session_, spec}).out;
    while (!out.empty() && out.back() == '\n')
      out.pop_back();
    return out;
  }
  std::string last_line() const {
    const auto lines = screen();
    return lines.empty() ? std::string() : lines.back();
  }
  bool screen_has(const std::string& pattern) const {
    for (const auto& line : screen()) {
      if (std::regex_search(line, std::regex(pattern))) return true;
    }
    return false;
  }
  std::string dump() const {
    std::string out;
    for (const auto& line : screen())
      out += "|" + line + "\n";
    return out;
  }

 private:
  std::string socket_;
  std::string session_;
};

}  // namespace fastchat::e2e
