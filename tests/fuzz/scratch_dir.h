// A private directory of one fuzzer process under $TMPDIR (or /tmp), for targets that
// read files: made on first use, removed with everything in it when the process ends.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace fastchat::fuzz {

inline const std::filesystem::path& scratch_dir(std::string_view target) {
  struct Dir {
    std::filesystem::path path;
    ~Dir() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  };
  static const Dir dir{[target] {
    const char* tmp = std::getenv("TMPDIR");
    std::string path =
        std::string(tmp && *tmp ? tmp : "/tmp") + "/" + std::string(target) + ".XXXXXX";
    if (::mkdtemp(path.data()) == nullptr) std::abort();
    return std::filesystem::path(path);
  }()};
  return dir.path;
}

}  // namespace fastchat::fuzz
