#include "cli_fixture.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>

#include "support/test_files.h"

namespace fastchat::e2e {
namespace {

namespace fs = std::filesystem;

std::string binary(const char* env, const std::string& relative) {
  if (const char* path = std::getenv(env); path != nullptr && path[0] != '\0') return path;
  return std::string(FASTCHAT_BINARY_DIR) + "/" + relative;
}

}  // namespace

const std::string& client_binary() {
  static const std::string path = binary("FASTCHAT_CLI", "apps/fastchat/fastchat");
  return path;
}

const std::string& server_binary() {
  static const std::string path =
      binary("FASTCHAT_SERVER_BIN", "apps/fastchat-server/fastchat-server");
  return path;
}

bool matches(const std::string& text, const std::string& pattern) {
  return std::regex_match(text, std::regex(pattern));
}

// A loopback port that nothing listens on (bound once, then released).
int unused_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// Expects a failed run with exactly one line on stderr; returns that line.
std::string single_error_line(const RunResult& r) {
  EXPECT_FALSE(r.err.empty());
  EXPECT_EQ(r.err.back(), '\n') << r.err;
  EXPECT_EQ(lines_of(r.err).size(), 1u) << "stderr: " << r.err;
  return r.err.empty() ? std::string() : lines_of(r.err).front();
}

void CliE2e::SetUp() {
  ASSERT_TRUE(fs::exists(client_binary())) << client_binary() << " is not built";
  ASSERT_TRUE(fs::exists(server_binary()))
      << server_binary() << " is not built (set FASTCHAT_SERVER_BIN to use another)";
  std::string pattern = (fs::temp_directory_path() / "fastchat-e2e-XXXXXX").string();
  ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
  dir_ = pattern;
  const std::string ready = dir_ + "/ready";
  server_ = std::make_unique<Child>(
      std::vector<std::string>{server_binary(), "--listen", "127.0.0.1:0", "--data-dir",
                               dir_ + "/server", "--ready-file", ready, "--log-level", "warn"},
      dir_ + "/server.log");
  ASSERT_TRUE(eventually(
      [&] {
        std::ifstream in(ready);
        std::string line;
        if (!std::getline(in, line) || in.eof()) return false;  // wait for the newline
        address_ = line;
        return !address_.empty();
      },
      kWaitTimeout))
      << "the server did not write " << ready << "; log: " << server_log();
}

void CliE2e::TearDown() {
  if (server_) {
    EXPECT_EQ(server_->stop(SIGTERM, kWaitTimeout), 0) << "server log: " << server_log();
  }
  if (!HasFailure() && !dir_.empty()) {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  } else if (!dir_.empty()) {
    std::cerr << "keeping " << dir_ << " for inspection\n";
  }
}

std::string CliE2e::server_log() const {
  return test_support::read_file(dir_ + "/server.log");
}

}  // namespace fastchat::e2e
