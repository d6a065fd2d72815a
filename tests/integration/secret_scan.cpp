#include "secret_scan.h"

#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>

#include "common/hex.h"
#include "test_server.h"

namespace fastchat::itest {

namespace {

std::string upper_case(std::string text) {
  for (char& c : text)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

void SecretScan::add(const std::string& what, std::string_view bytes) {
  secrets_.push_back({what, std::string(bytes)});
  secrets_.push_back({what + " (hex)", to_hex(bytes)});
  secrets_.push_back({what + " (HEX)", upper_case(to_hex(bytes))});
}

void SecretScan::expect_absent(const std::string& place, std::string_view haystack) const {
  for (const auto& secret : secrets_) {
    EXPECT_EQ(haystack.find(secret.bytes), std::string_view::npos)
        << secret.what << " found in " << place;
  }
}

void SecretScan::expect_absent_in_dir(const std::string& dir) const {
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) expect_absent(entry.path().string(), read_file(entry.path()));
  }
}

}  // namespace fastchat::itest
