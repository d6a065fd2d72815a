// The fixture of the terminal client's end-to-end tests: each test gets its own
// `fastchat-server` on port 0 with a fresh data directory, and runs the `fastchat`
// binary as a user would. Binaries: FASTCHAT_BINARY_DIR's, or $FASTCHAT_CLI and
// $FASTCHAT_SERVER_BIN. For tests only.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "process.h"
#include "support/test_passwords.h"

namespace fastchat::e2e {

inline constexpr auto kCommandTimeout = std::chrono::seconds(60);
inline constexpr auto kWaitTimeout = std::chrono::seconds(30);

// "[2026-11-23 10:00:01]" as a regular expression.
inline constexpr const char* kTimeRe = R"(\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\])";

const std::string& client_binary();
const std::string& server_binary();

bool matches(const std::string& text, const std::string& pattern);
// A loopback port that nothing listens on (bound once, then released).
int unused_port();
// Expects a failed run with exactly one line on stderr; returns that line.
std::string single_error_line(const RunResult& r);

class CliE2e : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  std::string server_log() const;

  std::string home(const std::string& user) const { return dir_ + "/home-" + user; }

  // Runs `fastchat --server <test server> --home <user's home> args...`.
  RunResult cli(const std::string& user, std::vector<std::string> args,
                const std::string& input = {}) {
    std::vector<std::string> argv = {client_binary(), "--server", address_, "--home", home(user)};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, input, kCommandTimeout);
  }

  // As cli(), with `env` ("NAME=VALUE") added to the environment of that one run.
  RunResult cli_env(const std::string& user, std::vector<std::string> env,
                    std::vector<std::string> args, const std::string& input = {}) {
    std::vector<std::string> argv = {"/usr/bin/env"};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.insert(argv.end(), {client_binary(), "--server", address_, "--home", home(user)});
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, input, kCommandTimeout);
  }

  RunResult register_user(const std::string& user) {
    return cli(user, {"--password-stdin", "register", user}, password(user) + "\n");
  }
  static std::string password(const std::string& user) { return test_support::test_password(user); }

  std::unique_ptr<Child> recv_wait(const std::string& user, int seconds,
                                   std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {
        client_binary(), "--server", address_, "--home",
        home(user),      "recv",     "--wait", std::to_string(seconds)};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return std::make_unique<Child>(argv);
  }

  std::string dir_;
  std::string address_;
  std::unique_ptr<Child> server_;
};

#define ASSERT_OK(run_expr)                                                       \
  do {                                                                            \
    const RunResult r_ = (run_expr);                                              \
    ASSERT_EQ(r_.exit_code, 0) << "stdout: " << r_.out << "\nstderr: " << r_.err; \
  } while (0)

}  // namespace fastchat::e2e
