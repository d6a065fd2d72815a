// LineEditor: the chat's terminal. On a terminal it edits the input line with
// libedit (readline-compatible callback interface: history, cursor keys, ^R) driven
// by the event loop, and prints incoming text above the line being typed without
// garbling it. When stdin or stdout is not a terminal it reads plain lines, so the
// chat can be scripted.
//
// libedit's readline interface is process-global: at most one LineEditor may exist.
// Single executor, not thread-safe.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "async_queue.h"

namespace fastchat::cli {

class LineEditor {
 public:
  explicit LineEditor(asio::any_io_executor executor);
  ~LineEditor();
  LineEditor(const LineEditor&) = delete;
  LineEditor& operator=(const LineEditor&) = delete;

  // True when stdin and stdout are a terminal (line editing is on).
  bool interactive() const { return interactive_; }

  // A submitted line for which this returns true is erased from the screen (the chat
  // shows sent messages itself, formatted); other lines stay as typed.
  void set_erase_submitted(std::function<bool(std::string_view)> predicate) {
    erase_submitted_ = std::move(predicate);
  }

  // Reads stdin until end of input or stop(), queueing each complete line.
  asio::awaitable<void> run();
  // The next line; nullopt after end of input (^D on an empty line) or stop().
  asio::awaitable<std::optional<std::string>> next_line() { return lines_.pop(); }

  // Prints `text` (one or more lines) above the input line, then redraws the prompt
  // and the partly typed line with the cursor where it was.
  void print(std::string_view text);
  void set_prompt(std::string prompt);
  // Window size changed (SIGWINCH).
  void resize();
  // Job control (SIGTSTP): restores the terminal, stops the process, and on
  // continuing takes the terminal back and redraws the line typed so far.
  void suspend();
  // Stops reading and gives the terminal back in its original mode.
  void stop();

 private:
  static void on_line(char* line);
  static int read_byte(FILE* stream);
  void install();
  void uninstall();
  // Erases the prompt and the typed line from the screen, leaving the cursor at the
  // start of the line where the prompt was.
  void clear_input_area();
  void erase_submitted_line(std::string_view line);
  void write(std::string_view bytes);
  void split_lines(std::string_view chunk);

  bool interactive_;
  bool installed_ = false;
  bool stopped_ = false;
  bool eof_ = false;
  std::string prompt_ = "> ";
  std::string partial_;  // non-interactive: bytes after the last newline
  std::function<bool(std::string_view)> erase_submitted_;
  asio::posix::stream_descriptor input_;
  AsyncQueue<std::string> lines_;
};

}  // namespace fastchat::cli
