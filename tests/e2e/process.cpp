#include "process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace fastchat::e2e {
namespace {

struct Pipe {
  int read = -1;
  int write = -1;
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    read = fds[0];
    write = fds[1];
  }
};

pid_t spawn(const std::vector<std::string>& argv, int in_fd, int out_fd, int err_fd) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_fd, STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_fd, STDERR_FILENO);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // The child starts with default signal handling whatever the test runner set.
  sigset_t all;
  sigfillset(&all);
  posix_spawnattr_setsigdefault(&attr, &all);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  std::vector<char*> args;
  for (const auto& arg : argv)
    args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, args[0], &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) throw std::runtime_error("cannot run " + argv[0] + ": " + std::strerror(rc));
  return pid;
}

int decode_status(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Reads from `fd` into `into`; false at end of file.
bool read_some(int fd, std::string& into) {
  char buffer[8192];
  const ssize_t n = ::read(fd, buffer, sizeof buffer);
  if (n > 0) {
    into.append(buffer, static_cast<std::size_t>(n));
    return true;
  }
  return n < 0 && (errno == EINTR || errno == EAGAIN);
}

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

}  // namespace

RunResult run_process(const std::vector<std::string>& argv, const std::string& input,
                      Clock::duration timeout) {
  Pipe in, out, err;
  const pid_t pid = spawn(argv, in.read, out.write, err.write);
  ::close(in.read);
  ::close(out.write);
  ::close(err.write);
  // Small inputs fit the pipe buffer; write and close so the child sees EOF.
  if (!input.empty()) {
    [[maybe_unused]] const auto written = ::write(in.write, input.data(), input.size());
  }
  ::close(in.write);

  RunResult result;
  const auto deadline = Clock::now() + timeout;
  bool out_open = true, err_open = true;
  while (out_open || err_open) {
    pollfd fds[2] = {{out_open ? out.read : -1, POLLIN, 0}, {err_open ? err.read : -1, POLLIN, 0}};
    const int ready = ::poll(fds, 2, remaining_ms(deadline));
    if (ready == 0) {
      result.timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    if (fds[0].revents != 0) out_open = read_some(out.read, result.out);
    if (fds[1].revents != 0) err_open = read_some(err.read, result.err);
  }
  ::close(out.read);
  ::close(err.read);
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.exit_code = result.timed_out ? -1 : decode_status(status);
  return result;
}

Child::Child(const std::vector<std::string>& argv, const std::string& log_file) {
  const int null_in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (!log_file.empty()) {
    const int log = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log < 0) throw std::runtime_error("cannot open " + log_file);
    pid_ = spawn(argv, null_in, log, log);
    ::close(log);
    ::close(null_in);
    return;
  }
  Pipe out, err;
  pid_ = spawn(argv, null_in, out.write, err.write);
  ::close(null_in);
  ::close(out.write);
  ::close(err.write);
  out_fd_ = out.read;
  err_fd_ = err.read;
}

Child::~Child() {
  if (!exited_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status;
    ::waitpid(pid_, &status, 0);
  }
  if (out_fd_ >= 0) ::close(out_fd_);
  if (err_fd_ >= 0) ::close(err_fd_);
}

bool Child::pump(Clock::duration wait) {
  if (out_fd_ < 0 && err_fd_ < 0) return false;
  pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
  const int ms = static_cast<int>(std::chrono::duration_cast<milliseconds>(wait).count());
  if (::poll(fds, 2, ms) <= 0) return true;
  if (fds[0].revents != 0 && !read_some(out_fd_, out_)) {
    ::close(out_fd_);
    out_fd_ = -1;
  }
  if (fds[1].revents != 0 && !read_some(err_fd_, err_)) {
    ::close(err_fd_);
    err_fd_ = -1;
  }
  return true;
}

bool Child::wait_for_stdout(const std::function<bool(const std::string&)>& done,
                            Clock::duration timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!done(out_)) {
    if (Clock::now() >= deadline) return false;
    if (!pump(deadline - Clock::now())) return done(out_);
  }
  return true;
}

bool Child::wait_for_stdout(const std::string& needle, Clock::duration timeout) {
  return wait_for_stdout(
      [&](const std::string& out) { return out.find(needle) != std::string::npos; }, timeout);
}

int Child::wait(Clock::duration timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!exited_) {
    int status = 0;
    const pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      exited_ = true;
      exit_code_ = decode_status(status);
      break;
    }
    if (Clock::now() >= deadline) return -1;
    if (!pump(milliseconds(10))) std::this_thread::sleep_for(milliseconds(10));
  }
  for (int i = 0; i < 100 && (out_fd_ >= 0 || err_fd_ >= 0); ++i)
    pump(milliseconds(10));
  return exit_code_;
}

int Child::stop(int signal, Clock::duration timeout) {
  if (!exited_) ::kill(pid_, signal);
  return wait(timeout);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

bool eventually(const std::function<bool()>& condition, Clock::duration timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!condition()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return true;
}

}  // namespace fastchat::e2e
