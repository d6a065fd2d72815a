// SecretScan: a list of secrets (plaintext markers, passwords, private keys) and a
// check that none of them, raw or hex-encoded, occurs in a haystack (a file, a log,
// captured wire bytes). For the zero-trust tests. Not thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace fastchat::itest {

class SecretScan {
 public:
  // Remembers `bytes` raw and as lower- and upper-case hex.
  void add(const std::string& what, std::string_view bytes);
  // Adds a gtest failure for each secret found in `haystack`, naming `place`.
  void expect_absent(const std::string& place, std::string_view haystack) const;
  // expect_absent() over every regular file under `dir`.
  void expect_absent_in_dir(const std::string& dir) const;

 private:
  struct Secret {
    std::string what;
    std::string bytes;
  };
  std::vector<Secret> secrets_;
};

}  // namespace fastchat::itest
