// Test helpers that run real programs: one-shot runs with captured output and
// background children whose output can be awaited. posix_spawn + pipes + poll;
// every wait has a deadline. For tests only; not thread-safe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace fastchat::e2e {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

struct RunResult {
  int exit_code = -1;  // -1: killed after the deadline (timed_out) or by a signal
  bool timed_out = false;
  std::string out;
  std::string err;
};

// Runs `argv` (argv[0] is a path) with `input` on stdin; kills it after `timeout`.
RunResult run_process(const std::vector<std::string>& argv, const std::string& input = {},
                      Clock::duration timeout = seconds(60));

// A child process running in the background with stdout and stderr captured.
class Child {
 public:
  // With `log_file`, stdout and stderr go to that file instead of pipes (for a server
  // whose output nobody reads, so it can never block on a full pipe).
  explicit Child(const std::vector<std::string>& argv, const std::string& log_file = {});
  ~Child();  // kills the child if it still runs
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  // Reads output until `done(stdout)` holds; false if it did not before `timeout`
  // or the child closed its output first.
  bool wait_for_stdout(const std::function<bool(const std::string&)>& done,
                       Clock::duration timeout);
  bool wait_for_stdout(const std::string& needle, Clock::duration timeout);
  // Sends `signal` and waits for the exit; returns the exit code, or -1.
  int stop(int signal, Clock::duration timeout);
  // Waits for the child to exit on its own; returns the exit code, or -1.
  int wait(Clock::duration timeout);
  const std::string& out() const { return out_; }
  const std::string& err() const { return err_; }

 private:
  // Reads what is available (waiting up to `wait`); false when both pipes are closed.
  bool pump(Clock::duration wait);

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  int exit_code_ = -1;
  bool exited_ = false;
  std::string out_;
  std::string err_;
};

// Lines of `text`, without the newlines (a last line without newline included).
std::vector<std::string> lines_of(const std::string& text);

// Polls `condition` every few milliseconds until it holds or `timeout` passes.
bool eventually(const std::function<bool()>& condition, Clock::duration timeout);

}  // namespace fastchat::e2e
