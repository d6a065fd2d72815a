// LoginLimiter: counts failed logins per account and per client address in a fixed
// window and refuses further attempts past a limit (DESIGN §5). Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/clock.h"

namespace fastchat::server {

struct LoginLimits {
  int failures_per_account = 10;
  int failures_per_address = 50;
  std::int64_t window_ms = 60'000;
};

class LoginLimiter {
 public:
  LoginLimiter(const Clock& clock, LoginLimits limits) : clock_(clock), limits_(limits) {}

  // False when the account or the address has failed too often in this window.
  bool allowed(std::string_view username, std::string_view address);
  void record_failure(std::string_view username, std::string_view address);
  // A success clears the account's count (not the address's).
  void record_success(std::string_view username);

 private:
  struct Window {
    std::int64_t start_ms = 0;
    int failures = 0;
  };
  int failures(std::unordered_map<std::string, Window>& map, const std::string& key,
               std::int64_t now);
  void add(std::unordered_map<std::string, Window>& map, const std::string& key, std::int64_t now);

  const Clock& clock_;
  const LoginLimits limits_;
  std::mutex mutex_;
  std::unordered_map<std::string, Window> accounts_;
  std::unordered_map<std::string, Window> addresses_;
};

}  // namespace fastchat::server
