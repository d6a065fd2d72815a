// Whole-file reads and writes for tests, in binary: a file that cannot be read reads
// as "", one that cannot be written fails the test (not fatally), and a test asserts
// on what it reads.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

namespace fastchat::test_support {

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Replaces the file's content; no fsync (for planting test inputs quickly).
inline void write_file(const std::string& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  if (!out.good()) ADD_FAILURE() << "cannot write " << path;
}

}  // namespace fastchat::test_support
