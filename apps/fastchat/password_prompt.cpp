#include "password_prompt.h"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>

namespace fastchat::cli {
namespace {

constexpr std::size_t kMaxPasswordLength = 4096;

// The terminal state a signal handler must restore. Only set while a prompt runs.
volatile sig_atomic_t g_tty_fd = -1;
termios g_saved_termios;

void restore_and_reraise(int signal_number) {
  if (g_tty_fd >= 0) tcsetattr(g_tty_fd, TCSAFLUSH, &g_saved_termios);
  std::signal(signal_number, SIG_DFL);
  raise(signal_number);
}

// Reads one line from `fd`, byte by byte; a last line without a newline counts.
Result<std::string> read_line(int fd) {
  std::string line;
  for (;;) {
    char c;
    const ssize_t n = ::read(fd, &c, 1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Result<std::string>(Code::kIo,
                                 std::string("reading the password: ") + std::strerror(errno));
    }
    if (n == 0) {
      if (line.empty()) return Result<std::string>(Code::kBadRequest, "no password given");
      break;
    }
    if (c == '\n') break;
    if (line.size() >= kMaxPasswordLength) {
      return Result<std::string>(Code::kBadRequest, "password too long");
    }
    line.push_back(c);
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

class SignalGuard {
 public:
  SignalGuard() {
    struct sigaction action {};
    action.sa_handler = restore_and_reraise;
    sigemptyset(&action.sa_mask);
    for (std::size_t i = 0; i < kSignals.size(); ++i)
      sigaction(kSignals[i], &action, &saved_[i]);
  }
  ~SignalGuard() {
    for (std::size_t i = 0; i < kSignals.size(); ++i)
      sigaction(kSignals[i], &saved_[i], nullptr);
  }
  SignalGuard(const SignalGuard&) = delete;
  SignalGuard& operator=(const SignalGuard&) = delete;

 private:
  static constexpr std::array<int, 4> kSignals = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
  std::array<struct sigaction, 4> saved_{};
};

}  // namespace

Result<std::string> read_password_from_stdin() {
  auto line = read_line(STDIN_FILENO);
  if (!line && line.code() == Code::kBadRequest) {
    return Result<std::string>(Code::kBadRequest, "--password-stdin: " + line.status().message());
  }
  return line;
}

Result<std::string> prompt_password(std::string_view prompt) {
  const int fd = ::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    return Result<std::string>(Code::kBadRequest,
                               "no terminal to prompt for the password; use --password-stdin");
  }
  termios saved{};
  if (tcgetattr(fd, &saved) != 0) {
    ::close(fd);
    return Result<std::string>(Code::kBadRequest,
                               "no terminal to prompt for the password; use --password-stdin");
  }
  Result<std::string> line(Code::kInternal, "unreachable");
  {
    SignalGuard guard;
    g_saved_termios = saved;
    g_tty_fd = fd;
    termios silent = saved;
    silent.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    silent.c_lflag |= ECHONL;  // the newline the user types is still echoed
    tcsetattr(fd, TCSAFLUSH, &silent);
    [[maybe_unused]] const auto written = ::write(fd, prompt.data(), prompt.size());
    line = read_line(fd);
    tcsetattr(fd, TCSAFLUSH, &saved);
    g_tty_fd = -1;
  }
  ::close(fd);
  return line;
}

Result<PasswordChange> read_password_change(bool from_stdin) {
  auto current = from_stdin ? read_password_from_stdin() : prompt_password("Current password: ");
  if (!current) return current.status();
  auto next = from_stdin ? read_password_from_stdin() : prompt_password("New password: ");
  if (!next) return next.status();
  if (current->empty() || next->empty()) {
    return Result<PasswordChange>(Code::kBadRequest, "empty password");
  }
  if (!from_stdin) {
    auto again = prompt_password("Repeat the new password: ");
    if (!again) return again.status();
    if (*again != *next) {
      return Result<PasswordChange>(Code::kBadRequest, "the passwords do not match");
    }
  }
  return PasswordChange{std::move(*current), std::move(*next)};
}

Result<std::string> read_password(std::string_view username, bool from_stdin, bool confirm) {
  Result<std::string> password =
      from_stdin ? read_password_from_stdin()
                 : prompt_password("Password for " + std::string(username) + ": ");
  if (!password) return password;
  if (password->empty()) return Result<std::string>(Code::kBadRequest, "empty password");
  if (confirm && !from_stdin) {
    auto again = prompt_password("Repeat the password: ");
    if (!again) return again;
    if (*again != *password) {
      return Result<std::string>(Code::kBadRequest, "the passwords do not match");
    }
  }
  return password;
}

}  // namespace fastchat::cli
