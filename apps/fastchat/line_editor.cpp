#include "line_editor.h"

// clang-format off
#include <cstdio>  // libedit's readline.h needs FILE first
#include <editline/readline.h>
// clang-format on
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <array>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cwchar>

namespace fastchat::cli {
namespace {

// The editor libedit's callbacks reach (its readline interface is global anyway).
LineEditor* g_active = nullptr;

bool stdin_readable() {
  pollfd fd{STDIN_FILENO, POLLIN, 0};
  return ::poll(&fd, 1, 0) > 0;
}

int terminal_columns() {
  winsize size{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 80;
}

// Columns `text` takes on the terminal (wide characters count two, invalid bytes one).
std::size_t display_width(std::string_view text) {
  std::size_t width = 0;
  std::mbstate_t state{};
  while (!text.empty()) {
    wchar_t wc;
    const std::size_t n = std::mbrtowc(&wc, text.data(), text.size(), &state);
    if (n == static_cast<std::size_t>(-1) || n == static_cast<std::size_t>(-2) || n == 0) {
      state = {};
      ++width;
      text.remove_prefix(1);
      continue;
    }
    const int w = ::wcwidth(wc);
    width += w > 0 ? static_cast<std::size_t>(w) : 0;
    text.remove_prefix(n);
  }
  return width;
}

}  // namespace

LineEditor::LineEditor(asio::any_io_executor executor)
    : interactive_(::isatty(STDIN_FILENO) == 1 && ::isatty(STDOUT_FILENO) == 1),
      input_(executor, ::dup(STDIN_FILENO)),
      lines_(executor) {
  g_active = this;
}

LineEditor::~LineEditor() {
  uninstall();
  g_active = nullptr;
}

void LineEditor::write(std::string_view bytes) {
  std::fwrite(bytes.data(), 1, bytes.size(), stdout);
}

int LineEditor::read_byte(FILE*) {
  unsigned char c;
  for (;;) {
    const ssize_t n = ::read(STDIN_FILENO, &c, 1);
    if (n == 1) return c;
    if (n < 0 && errno == EINTR) continue;
    if (g_active != nullptr) g_active->eof_ = true;
    return -1;
  }
}

void LineEditor::on_line(char* raw) {
  LineEditor* self = g_active;
  if (self == nullptr) {
    std::free(raw);
    return;
  }
  if (raw == nullptr) {  // ^D on an empty line
    self->installed_ = false;
    self->write("\r\n");
    std::fflush(stdout);
    self->eof_ = true;
    self->lines_.close();
    return;
  }
  std::string line(raw);
  std::free(raw);
  if (!line.empty()) add_history(line.c_str());
  if (self->erase_submitted_ && self->erase_submitted_(line)) self->erase_submitted_line(line);
  self->lines_.push(std::move(line));
  // libedit leaves the callback mode after each line; enter it again (prints the prompt).
  rl_callback_handler_install(self->prompt_.c_str(), &LineEditor::on_line);
}

void LineEditor::install() {
  if (installed_ || !interactive_) return;
  rl_catch_signals = 0;  // signals are the event loop's (asio::signal_set)
  rl_getc_function = &LineEditor::read_byte;
  rl_callback_handler_install(prompt_.c_str(), &LineEditor::on_line);
  std::fflush(stdout);
  installed_ = true;
}

void LineEditor::uninstall() {
  if (!installed_) return;
  clear_input_area();
  std::fflush(stdout);
  rl_callback_handler_remove();  // also restores the terminal mode
  installed_ = false;
}

asio::awaitable<void> LineEditor::run() {
  if (!interactive_) {
    std::array<char, 4096> buffer;
    while (!stopped_) {
      auto [ec, n] = co_await input_.async_read_some(
          asio::buffer(buffer), asio::experimental::as_tuple(asio::use_awaitable));
      if (n > 0) split_lines(std::string_view(buffer.data(), n));
      if (ec) break;
    }
    if (!partial_.empty()) lines_.push(std::exchange(partial_, {}));
    lines_.close();
    co_return;
  }
  install();
  while (!stopped_ && !eof_) {
    auto [ec] = co_await input_.async_wait(asio::posix::stream_descriptor::wait_read,
                                           asio::experimental::as_tuple(asio::use_awaitable));
    if (ec || stopped_) break;
    // Epoll reports readiness once per arrival (edge-triggered): drain it all.
    while (!stopped_ && !eof_ && installed_ && stdin_readable())
      rl_callback_read_char();
    std::fflush(stdout);
  }
  lines_.close();
}

void LineEditor::split_lines(std::string_view chunk) {
  partial_.append(chunk);
  std::size_t start = 0;
  for (std::size_t nl = partial_.find('\n'); nl != std::string::npos;
       nl = partial_.find('\n', start)) {
    lines_.push(partial_.substr(start, nl - start));
    start = nl + 1;
  }
  partial_.erase(0, start);
}

void LineEditor::clear_input_area() {
  if (!installed_) return;
  const std::size_t columns = static_cast<std::size_t>(terminal_columns());
  const std::string_view typed(rl_line_buffer != nullptr ? rl_line_buffer : "");
  const std::size_t point =
      std::min<std::size_t>(static_cast<std::size_t>(std::max(rl_point, 0)), typed.size());
  const std::size_t row =
      (display_width(prompt_) + display_width(typed.substr(0, point))) / columns;
  std::string out = "\r";
  if (row > 0) out += "\033[" + std::to_string(row) + "A";
  out += "\033[J";
  write(out);
}

void LineEditor::erase_submitted_line(std::string_view line) {
  // libedit moved to the line below the input: go up over every row it used.
  const std::size_t columns = static_cast<std::size_t>(terminal_columns());
  const std::size_t rows = (display_width(prompt_) + display_width(line)) / columns + 1;
  write("\033[" + std::to_string(rows) + "A\r\033[J");
}

void LineEditor::print(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (char c : text) {
    if (c == '\n' && interactive_) out.push_back('\r');  // the terminal may be in raw mode
    out.push_back(c);
  }
  out.append(interactive_ ? "\r\n" : "\n");
  if (installed_) {
    clear_input_area();
    write(out);
    rl_forced_update_display();  // redraws prompt and line from the cursor (column 0)
  } else {
    write(out);
  }
  std::fflush(stdout);
}

void LineEditor::set_prompt(std::string prompt) {
  if (prompt == prompt_) return;
  if (!installed_) {
    prompt_ = std::move(prompt);
    return;
  }
  clear_input_area();
  prompt_ = std::move(prompt);
  rl_set_prompt(prompt_.c_str());
  rl_forced_update_display();
  std::fflush(stdout);
}

void LineEditor::resize() {
  if (!installed_) return;
  rl_resize_terminal();
  write("\r\033[J");
  rl_forced_update_display();
  std::fflush(stdout);
}

void LineEditor::suspend() {
  if (!installed_) {
    ::raise(SIGSTOP);
    return;
  }
  const std::string typed(rl_line_buffer != nullptr ? rl_line_buffer : "");
  uninstall();
  std::fflush(stdout);
  ::raise(SIGSTOP);
  // Continued: take the terminal back; a fresh callback starts with an empty line.
  install();
  if (!typed.empty()) {
    write("\r\033[J");
    rl_insert_text(typed.c_str());
    rl_forced_update_display();
  }
  std::fflush(stdout);
}

void LineEditor::stop() {
  if (stopped_) return;
  stopped_ = true;
  uninstall();
  std::fflush(stdout);
  asio::error_code ignored;
  input_.cancel(ignored);
  lines_.close();
}

}  // namespace fastchat::cli
