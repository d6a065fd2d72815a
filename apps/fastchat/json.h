// A small JSON writer for the CLI's --json output: one object per line, strings
// escaped per RFC 8259 and always valid UTF-8 (invalid bytes become U+FFFD).
// Value types; no shared state.
#pragma once

#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>

namespace fastchat::cli {

// Appends `text` as a quoted JSON string.
void append_json_string(std::string& out, std::string_view text);
std::string json_string(std::string_view text);

// Builds one JSON object, key by key, in insertion order.
class JsonObject {
 public:
  JsonObject& add(std::string_view key, std::string_view value);
  JsonObject& add(std::string_view key, const char* value) {
    return add(key, std::string_view(value));
  }
  JsonObject& add(std::string_view key, const std::string& value) {
    return add(key, std::string_view(value));
  }
  JsonObject& add(std::string_view key, bool value);
  template <std::integral T>
  requires(!std::same_as<T, bool>) JsonObject& add(std::string_view key, T value) {
    return add_raw(key, std::to_string(value));
  }
  // `json` must already be valid JSON (an object or array built by this writer).
  JsonObject& add_raw(std::string_view key, std::string_view json);

  std::string str() const { return body_ + "}"; }

 private:
  void key(std::string_view name);
  std::string body_ = "{";
};

// Builds one JSON array of already-serialized values.
class JsonArray {
 public:
  JsonArray& add_raw(std::string_view json);
  std::string str() const { return body_ + "]"; }

 private:
  std::string body_ = "[";
};

}  // namespace fastchat::cli
