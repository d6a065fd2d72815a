#include "server/login_limiter.h"

#include "server/await_callback.h"

namespace fastchat::server {

namespace {
constexpr std::size_t kMaxTrackedKeys = 100'000;
}

int MemoryLoginLimiter::failures(std::unordered_map<std::string, Window>& map,
                                 const std::string& key, std::int64_t now) {
  auto it = map.find(key);
  if (it == map.end()) return 0;
  if (now - it->second.start_ms >= limits_.window_ms) {
    map.erase(it);
    return 0;
  }
  return it->second.failures;
}

void MemoryLoginLimiter::add(std::unordered_map<std::string, Window>& map, const std::string& key,
                             std::int64_t now) {
  if (map.size() >= kMaxTrackedKeys) {
    std::erase_if(map,
                  [&](const auto& kv) { return now - kv.second.start_ms >= limits_.window_ms; });
  }
  auto& window = map[key];
  if (window.failures == 0 || now - window.start_ms >= limits_.window_ms) {
    window = {now, 0};
  }
  ++window.failures;
}

std::string pair_key(std::string_view username, std::string_view address) {
  std::string key(username);
  key.push_back('\0');
  key.append(address);
  return key;
}

bool MemoryLoginLimiter::allowed(std::string_view username, std::string_view address) {
  const std::int64_t now = clock_.now_ms();
  std::lock_guard lock(mutex_);
  return failures(pairs_, pair_key(username, address), now) <
             limits_.failures_per_account_address &&
         failures(accounts_, std::string(username), now) < limits_.failures_per_account &&
         failures(addresses_, std::string(address), now) < limits_.failures_per_address;
}

void MemoryLoginLimiter::record_failure(std::string_view username, std::string_view address) {
  const std::int64_t now = clock_.now_ms();
  std::lock_guard lock(mutex_);
  add(pairs_, pair_key(username, address), now);
  add(accounts_, std::string(username), now);
  add(addresses_, std::string(address), now);
}

void MemoryLoginLimiter::record_success(std::string_view username, std::string_view address) {
  std::lock_guard lock(mutex_);
  pairs_.erase(pair_key(username, address));
}

bool MemoryLoginLimiter::register_allowed(std::string_view address) {
  const std::int64_t now = clock_.now_ms();
  std::lock_guard lock(mutex_);
  const std::string key(address);
  if (failures(registrations_, key, now) >= limits_.registrations_per_address) return false;
  add(registrations_, key, now);
  return true;
}

asio::awaitable<bool> login_allowed(LoginLimiter& limiter, std::string username,
                                    std::string address) {
  auto start = [&limiter, username = std::move(username), address = std::move(address)](auto done) {
    limiter.allowed(username, address, std::move(done));
  };
  co_return co_await await_callback<bool>(std::move(start));
}

asio::awaitable<void> record_login_failure(LoginLimiter& limiter, std::string username,
                                           std::string address) {
  auto start = [&limiter, username = std::move(username), address = std::move(address)](auto done) {
    limiter.record_failure(username, address, [done = std::move(done)] { done(true); });
  };
  co_await await_callback<bool>(std::move(start));  // the answer says only "recorded"
}

asio::awaitable<bool> register_allowed(LoginLimiter& limiter, std::string address) {
  auto start = [&limiter, address = std::move(address)](auto done) {
    limiter.register_allowed(address, std::move(done));
  };
  co_return co_await await_callback<bool>(std::move(start));
}

}  // namespace fastchat::server
