// Fuzzes what the client makes of a file name a peer chose (client/files.h): the
// sanitized name is one safe path component, and sanitizing is idempotent.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "client/files.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fastchat::client;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string name = sanitize_file_name(input);
  if (name.empty() || name.size() > 200 || name == "." || name == "..") std::abort();
  if (name.front() == '.' || name.front() == ' ') std::abort();  // hidden, or looks empty
  for (const char c : name) {
    if (c == '/' || c == '\\' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) std::abort();
  }
  if (sanitize_file_name(name) != name) std::abort();
  if (guess_mime_type(input).empty()) std::abort();
  if (transfer_id(input).size() != 2 * input.size()) std::abort();
  return 0;
}
