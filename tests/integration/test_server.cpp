#include "test_server.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "raw_client.h"
#include "test_user.h"
#include "tls/identity.h"

extern char** environ;

namespace fastchat::itest {

namespace {

using SteadyClock = std::chrono::steady_clock;

// Replaces spdlog's default logger but keeps the old one alive for good: a server
// still running on other threads (several in one test) may hold a raw pointer to it
// mid-call, and destroying it under them was a use-after-free.
void replace_default_logger(std::shared_ptr<spdlog::logger> logger) {
  static std::mutex mutex;
  static std::vector<std::shared_ptr<spdlog::logger>> retired;
  std::lock_guard lock(mutex);
  retired.push_back(spdlog::default_logger());
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace

void install_test_logger(const std::string& file, const std::string& level) {
  auto to_file = std::make_shared<spdlog::sinks::basic_file_sink_mt>(file);
  auto to_stderr = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  to_stderr->set_level(spdlog::level::warn);
  auto logger =
      std::make_shared<spdlog::logger>("fastchat", spdlog::sinks_init_list{to_file, to_stderr});
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::trace);
  replace_default_logger(std::move(logger));
}

void install_stderr_logger() {
  auto logger = std::make_shared<spdlog::logger>(
      "fastchat", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  logger->set_level(spdlog::level::warn);
  replace_default_logger(std::move(logger));
}

std::string write_private_file(const std::string& path, const std::string& content) {
  test_support::write_file(path, content);
  std::filesystem::permissions(
      path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
      std::filesystem::perm_options::replace);
  return path;
}

// --- TestServer

TestServer::TestServer(std::string root, std::string log_level, std::string shared_log_file)
    : root_(std::move(root)),
      data_dir_(root_ + "/data"),
      log_file_(shared_log_file.empty() ? root_ + "/server.log" : shared_log_file),
      owns_logger_(shared_log_file.empty()) {
  if (owns_logger_) install_test_logger(log_file_, log_level);
  config_.threads = 2;
  config_.store_threads = 2;
}

TestServer::~TestServer() {
  stop();
  if (owns_logger_) install_stderr_logger();
}

Status TestServer::start() {
  if (server_) return Status(Code::kInternal, "already running");
  config_.listen_host = "127.0.0.1";
  config_.listen_port = 0;
  config_.data_dir = data_dir_;
  auto server =
      std::make_unique<server::Server>(config_, clock_ ? *clock_ : SystemClock::instance());
  if (Status s = server->start(); !s) return s;
  server_ = std::move(server);
  return Status::ok();
}

void TestServer::stop() {
  if (!server_) return;
  server_->stop();
  server_.reset();
}

Status TestServer::restart() {
  stop();
  return start();
}

std::uint16_t TestServer::port() const {
  return server_ ? server_->port() : 0;
}

std::string TestServer::log() const {
  spdlog::default_logger()->flush();
  return read_file(log_file_);
}

// --- ServerProcess

ServerProcess::ServerProcess(std::string root, std::vector<std::string> extra_args)
    : root_(std::move(root)),
      data_dir_(root_ + "/data"),
      ready_file_(root_ + "/ready"),
      log_file_(root_ + "/server-process.log"),
      output_file_(root_ + "/server-process.out"),
      extra_args_(std::move(extra_args)) {}

ServerProcess::~ServerProcess() {
  if (running()) kill9();
}

std::string ServerProcess::binary_path() {
  return FASTCHAT_BINARY_DIR "/apps/fastchat-server/fastchat-server";
}

Status ServerProcess::start(milliseconds timeout) {
  if (running()) return Status(Code::kInternal, "already running");
  std::error_code ec;
  std::filesystem::remove(ready_file_, ec);
  std::vector<std::string> args = {
      binary_path(), "--listen",   "127.0.0.1:0", "--data-dir", data_dir_, "--ready-file",
      ready_file_,   "--log-file", log_file_,     "--threads",  "2"};
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  std::vector<char*> argv;
  for (auto& arg : args)
    argv.push_back(arg.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, output_file_.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  const int spawned =
      ::posix_spawn(&pid_, args[0].c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    pid_ = -1;
    return Status(Code::kIo, "cannot spawn " + args[0] + ": " + std::strerror(spawned));
  }

  const auto deadline = SteadyClock::now() + timeout;
  while (SteadyClock::now() < deadline) {
    int wstatus = 0;
    if (::waitpid(pid_, &wstatus, WNOHANG) == pid_) {
      pid_ = -1;
      return Status(Code::kUnavailable, "fastchat-server exited before it was ready:\n" + output());
    }
    // The server writes the file atomically (temp + rename): present means complete.
    const std::string ready = read_file(ready_file_);
    const auto colon = ready.rfind(':');
    if (!ready.empty() && ready.back() == '\n' && colon != std::string::npos) {
      port_ = static_cast<std::uint16_t>(std::stoi(ready.substr(colon + 1)));
      return Status::ok();
    }
    std::this_thread::sleep_for(milliseconds(5));  // polling interval, not synchronization
  }
  kill9();
  return Status(Code::kUnavailable, "fastchat-server not ready within the deadline:\n" + output());
}

int ServerProcess::reap(milliseconds timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  for (;;) {
    int wstatus = 0;
    const pid_t done = ::waitpid(pid_, &wstatus, WNOHANG);
    if (done == pid_) {
      pid_ = -1;
      return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
    }
    if (done < 0 && errno != EINTR) {
      pid_ = -1;
      return -1;
    }
    if (SteadyClock::now() >= deadline) return -1;
    std::this_thread::sleep_for(milliseconds(5));
  }
}

void ServerProcess::kill9() {
  if (!running()) return;
  ::kill(pid_, SIGKILL);
  int wstatus = 0;
  while (::waitpid(pid_, &wstatus, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

int ServerProcess::terminate(milliseconds timeout) {
  if (!running()) return -1;
  ::kill(pid_, SIGTERM);
  const int code = reap(timeout);
  if (running()) {
    ADD_FAILURE() << "fastchat-server did not exit within the deadline after SIGTERM";
    kill9();
  }
  return code;
}

std::string ServerProcess::output() const {
  return read_file(output_file_) + read_file(log_file_);
}

// --- checks and fixture

bool eventually(const std::function<bool()>& condition, milliseconds timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  for (;;) {
    if (condition()) return true;
    if (SteadyClock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(2));  // polling interval
  }
}

TlsIdentity tls_identity(const std::string& dir) {
  auto files = tls::ensure_identity({}, {}, dir, {});
  if (!files) {
    ADD_FAILURE() << "cannot make a TLS identity in " << dir << ": " << files.status().to_string();
    return {};
  }
  return {files->cert_file, files->key_file};
}

::testing::AssertionResult server_works(std::uint16_t port, std::string_view first_bytes,
                                        bool plaintext) {
  static std::atomic<int> counter{0};
  RawClient client(port, plaintext ? Transport::kPlaintext : Transport::kTls, first_bytes);
  if (!client.connected()) return ::testing::AssertionFailure() << "cannot connect";
  if (Status s = client.hello(); !s) {
    return ::testing::AssertionFailure() << "Hello failed: " << s.to_string();
  }
  const auto user = TestUser::quick("probe" + std::to_string(::getpid() % 100000) + "x" +
                                    std::to_string(counter.fetch_add(1)));
  if (auto auth = client.register_user(user); !auth) {
    return ::testing::AssertionFailure() << "Register failed: " << auth.status().to_string();
  }
  return ::testing::AssertionSuccess();
}

}  // namespace fastchat::itest
