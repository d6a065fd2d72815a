// Integration-test servers: an in-process fastchat::server::Server on 127.0.0.1 port 0
// with a fresh data dir and a log file (restartable on the same data dir), and the
// real fastchat-server binary as a child process (so a test can kill -9 it).
// Every wait has a bounded deadline. For tests only; use from one thread.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "server/server.h"
#include "server/server_config.h"
#include "support/temp_dir.h"
#include "support/test_files.h"

namespace fastchat::itest {

using std::chrono::milliseconds;
using std::chrono::seconds;

// A fresh directory under the test temp dir, removed with everything in it.
using TempDir = test_support::TempDir;

using test_support::read_file;  // the whole content of a file ("" when it cannot be read)
// Writes `content` to `path`, readable by its owner only (a password file); the path.
std::string write_private_file(const std::string& path, const std::string& content);

// Makes spdlog's default logger write to `file` at `level` (warnings and errors also to
// stderr), or back to stderr only (warnings and errors).
void install_test_logger(const std::string& file, const std::string& level);
void install_stderr_logger();

// An in-process server. Its data dir and log file live under `root`; start() after
// stop() runs a new Server on the same data dir (and a new port).
class TestServer {
 public:
  // `log_level`: spdlog level of the log file ("debug" logs everything the server says).
  // The server's log goes to the process-wide default logger, which the constructor
  // points at <root>/server.log (and the destructor back at stderr) unless
  // `shared_log_file` is given: then whoever installed that logger owns it.
  explicit TestServer(std::string root, std::string log_level = "debug",
                      std::string shared_log_file = {});
  ~TestServer();
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  // Settings for the next start(); listen host, port and dirs are set by start().
  server::ServerConfig& config() { return config_; }
  // The clock of the next start() (it must outlive the server); the system's by default.
  void set_clock(const Clock& clock) { clock_ = &clock; }

  Status start();
  void stop();
  Status restart();
  bool running() const { return server_ != nullptr; }

  std::uint16_t port() const;
  server::Server& server() { return *server_; }
  const std::string& data_dir() const { return data_dir_; }
  const std::string& log_file() const { return log_file_; }
  // The log so far (flushed first).
  std::string log() const;

 private:
  std::string root_;
  const Clock* clock_ = nullptr;
  std::string data_dir_;
  std::string log_file_;
  bool owns_logger_;
  server::ServerConfig config_;
  std::unique_ptr<server::Server> server_;
};

// The fastchat-server binary run as a child process on a data dir under `root`,
// listening on 127.0.0.1 port 0.
class ServerProcess {
 public:
  explicit ServerProcess(std::string root, std::vector<std::string> extra_args = {});
  ~ServerProcess();  // kills the child if it still runs
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  static std::string binary_path();

  // Spawns the binary and waits (polling, bounded) for its ready file.
  Status start(milliseconds timeout = seconds(30));
  // SIGKILL, then reaps the child.
  void kill9();
  // Sends SIGTERM and waits for the exit; the exit code, or -1 (signal or timeout).
  int terminate(milliseconds timeout = seconds(30));
  bool running() const { return pid_ > 0; }

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& data_dir() const { return data_dir_; }
  // What the child wrote to stdout, stderr and its log file.
  std::string output() const;

 private:
  // Waits for the child to exit; its exit code, or -1.
  int reap(milliseconds timeout);

  std::string root_;
  std::string data_dir_;
  std::string ready_file_;
  std::string log_file_;
  std::string output_file_;
  std::vector<std::string> extra_args_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

// A TLS identity (certificate and key, self-signed) made in `dir` once and reused:
// what the servers and balancers of one test cluster all present.
struct TlsIdentity {
  std::string cert_file;
  std::string key_file;
  // Command-line flags giving it to a fastchat-server or fastchat-balancer process.
  std::vector<std::string> args() const { return {"--tls-cert", cert_file, "--tls-key", key_file}; }
};
TlsIdentity tls_identity(const std::string& dir);

// Polls `condition` every few milliseconds until it holds or `timeout` passes.
bool eventually(const std::function<bool()>& condition, milliseconds timeout);

// True when a fresh connection (sending `first_bytes` first: a PROXY header) gets
// through Hello and can register a new account; over TLS unless `plaintext` (a server
// started with insecure_plaintext).
::testing::AssertionResult server_works(std::uint16_t port, std::string_view first_bytes = {},
                                        bool plaintext = false);

}  // namespace fastchat::itest
