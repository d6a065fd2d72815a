// Parsing what the user types in `fastchat chat`: plain lines are messages to the
// current conversation, lines starting with '/' are commands ("//" escapes a
// leading slash). Pure functions.
#pragma once

#include <string>
#include <string_view>

namespace fastchat::cli {

struct ChatInput {
  enum Kind { kEmpty, kText, kCommand };
  Kind kind = kEmpty;
  std::string text;       // kText: the message
  std::string command;    // kCommand: the name without the slash, lower-case ("msg")
  std::string arguments;  // kCommand: the rest of the line, leading blanks removed
};

ChatInput parse_chat_input(std::string_view line);

// Removes and returns the first blank-delimited word of `text`, and the blanks after it.
std::string_view take_word(std::string_view& text);

// `text` without leading and trailing blanks.
std::string_view trim(std::string_view text);

// A conversation: "#NAME"/"#ID" is a group, anything else a user.
struct ChatTarget {
  enum Kind { kNone, kUser, kGroup };
  Kind kind = kNone;
  std::string name;  // the user, or the group as typed (without '#')
};
ChatTarget parse_target(std::string_view text);

}  // namespace fastchat::cli
