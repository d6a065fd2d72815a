// What every seed writer of tests/fuzz does: write one seed file (creating its folder).
#pragma once

#include <filesystem>
#include <fstream>
#include <string_view>

namespace fastchat::fuzz {

inline void write_seed(const std::filesystem::path& dir, std::string_view name,
                       std::string_view bytes) {
  std::filesystem::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A protobuf message, serialized.
template <typename Message>
void write_message_seed(const std::filesystem::path& dir, std::string_view name,
                        const Message& message) {
  write_seed(dir, name, message.SerializeAsString());
}

}  // namespace fastchat::fuzz
