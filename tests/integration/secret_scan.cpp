#include "secret_scan.h"

#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>

#include "test_server.h"

namespace fastchat::itest {

namespace {

std::string hex(std::string_view bytes, bool upper) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

}  // namespace

void SecretScan::add(const std::string& what, std::string_view bytes) {
  secrets_.push_back({what, std::string(bytes)});
  secrets_.push_back({what + " (hex)", hex(bytes, false)});
  secrets_.push_back({what + " (HEX)", hex(bytes, true)});
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
