// Helpers for the crypto unit tests: a private temp directory removed at the end of a
// test, and file modes. Not thread-safe. Raw file access that bypasses the module under
// test: support/test_files.h.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "support/temp_dir.h"

namespace fastchat::crypto::testing {

using ScratchDir = test_support::TempDir;

inline unsigned file_mode(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0xffffffffu;
  return st.st_mode & 07777;
}

// True when some `window`-byte run of `needle` occurs in `haystack`.
inline bool shares_a_run(std::string_view haystack, std::string_view needle, std::size_t window) {
  for (std::size_t i = 0; i + window <= needle.size(); ++i) {
    if (haystack.find(needle.substr(i, window)) != std::string_view::npos) return true;
  }
  return false;
}

}  // namespace fastchat::crypto::testing
