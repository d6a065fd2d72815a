// TempDir: a fresh directory under the test temp dir ($TMPDIR, else /tmp), removed with
// everything in it on destruction. The one copy for every test (unit, integration, e2e).
#pragma once

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace fastchat::test_support {

class TempDir {
 public:
  // `prefix` names the directory (e.g. "fastchat-tls"), to tell leftovers apart.
  explicit TempDir(std::string_view prefix = "fastchat-test") {
    std::string pattern =
        (std::filesystem::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
    // Thrown, not asserted: a constructor cannot ASSERT, and the test fails with this.
    if (::mkdtemp(pattern.data()) == nullptr)
      throw std::runtime_error("mkdtemp failed: " + pattern);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(std::string_view name) const { return path_ + "/" + std::string(name); }
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
  std::string path_;
};

}  // namespace fastchat::test_support
