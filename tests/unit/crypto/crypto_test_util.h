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

namespace fastchat::crypto::testing {

class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern =
        (std::filesystem::path(::testing::TempDir()) / "fastchat-crypto-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed for " << pattern;
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  std::string path() const { return path_.string(); }
  std::string file(std::string_view name) const { return (path_ / name).string(); }
  // The names in the directory, sorted (to spot leftover temp files).
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(path_)) {
      names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  std::filesystem::path path_;
};

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
