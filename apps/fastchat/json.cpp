#include "json.h"

#include <span>

#include "common/hex.h"
#include "utf8.h"

namespace fastchat::cli {

void append_json_string(std::string& out, std::string_view text) {
  out.reserve(out.size() + text.size() + 2);
  out.push_back('"');
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      char32_t code_point;
      const std::size_t len = decode_utf8(text.substr(i), code_point);
      if (len == 0) {
        out.append(kReplacementChar);
        ++i;
      } else {
        out.append(text.substr(i, len));
        i += len;
      }
      continue;
    }
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\b':
        out.append("\\b");
        break;
      case '\f':
        out.append("\\f");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out.append("\\u00").append(to_hex(std::span(&c, 1)));
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out.push_back('"');
}

std::string json_string(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

void JsonObject::key(std::string_view name) {
  if (body_.size() > 1) body_.push_back(',');
  append_json_string(body_, name);
  body_.push_back(':');
}

JsonObject& JsonObject::add(std::string_view name, std::string_view value) {
  key(name);
  append_json_string(body_, value);
  return *this;
}

JsonObject& JsonObject::add(std::string_view name, bool value) {
  key(name);
  body_.append(value ? "true" : "false");
  return *this;
}

JsonObject& JsonObject::add_raw(std::string_view name, std::string_view json) {
  key(name);
  body_.append(json);
  return *this;
}

JsonArray& JsonArray::add_raw(std::string_view json) {
  if (body_.size() > 1) body_.push_back(',');
  body_.append(json);
  return *this;
}

}  // namespace fastchat::cli
