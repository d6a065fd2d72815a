#include "chat_input.h"

#include <cctype>

namespace fastchat::cli {
namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

}  // namespace

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_blank(text.front()))
    text.remove_prefix(1);
  while (!text.empty() && (is_blank(text.back()) || text.back() == '\r'))
    text.remove_suffix(1);
  return text;
}

std::string_view take_word(std::string_view& text) {
  while (!text.empty() && is_blank(text.front()))
    text.remove_prefix(1);
  std::size_t end = 0;
  while (end < text.size() && !is_blank(text[end]))
    ++end;
  const std::string_view word = text.substr(0, end);
  text.remove_prefix(end);
  while (!text.empty() && is_blank(text.front()))
    text.remove_prefix(1);
  return word;
}

ChatInput parse_chat_input(std::string_view line) {
  ChatInput input;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (trim(line).empty()) return input;
  if (line.starts_with("//")) {
    input.kind = ChatInput::kText;
    input.text = line.substr(1);
    return input;
  }
  if (!line.starts_with('/')) {
    input.kind = ChatInput::kText;
    input.text = line;
    return input;
  }
  std::string_view rest = line.substr(1);
  const std::string_view name = take_word(rest);
  input.kind = ChatInput::kCommand;
  for (char c : name)
    input.command.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  input.arguments = rest;
  return input;
}

ChatTarget parse_target(std::string_view text) {
  text = trim(text);
  ChatTarget target;
  if (text.empty()) return target;
  if (text.front() == '#') {
    target.kind = ChatTarget::kGroup;
    target.name = text.substr(1);
    if (target.name.empty()) target.kind = ChatTarget::kNone;
    return target;
  }
  target.kind = ChatTarget::kUser;
  target.name = text;
  return target;
}

}  // namespace fastchat::cli
