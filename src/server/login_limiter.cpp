#include "server/login_limiter.h"

#include <asio/async_result.hpp>
#include <asio/post.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <memory>

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

bool MemoryLoginLimiter::allowed(std::string_view username, std::string_view address) {
  const std::int64_t now = clock_.now_ms();
  std::lock_guard lock(mutex_);
  return failures(accounts_, std::string(username), now) < limits_.failures_per_account &&
         failures(addresses_, std::string(address), now) < limits_.failures_per_address;
}

void MemoryLoginLimiter::record_failure(std::string_view username, std::string_view address) {
  const std::int64_t now = clock_.now_ms();
  std::lock_guard lock(mutex_);
  add(accounts_, std::string(username), now);
  add(addresses_, std::string(address), now);
}

void MemoryLoginLimiter::record_success(std::string_view username) {
  std::lock_guard lock(mutex_);
  accounts_.erase(std::string(username));
}

asio::awaitable<bool> login_allowed(LoginLimiter& limiter, std::string username,
                                    std::string address) {
  auto executor = co_await asio::this_coro::executor;
  // Named, not written inside the co_await expression (g++ 12; see store_worker.h).
  auto initiation = [&limiter, executor](auto handler, std::string name, std::string from) {
    auto shared = std::make_shared<decltype(handler)>(std::move(handler));
    limiter.allowed(name, from, [shared, executor](bool ok) {
      asio::post(executor, [shared, ok]() mutable { std::move (*shared)(ok); });
    });
  };
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(bool)>(
      std::move(initiation), asio::use_awaitable, std::move(username), std::move(address));
}

asio::awaitable<void> record_login_failure(LoginLimiter& limiter, std::string username,
                                           std::string address) {
  auto executor = co_await asio::this_coro::executor;
  auto initiation = [&limiter, executor](auto handler, std::string name, std::string from) {
    auto shared = std::make_shared<decltype(handler)>(std::move(handler));
    limiter.record_failure(name, from, [shared, executor] {
      asio::post(executor, [shared]() mutable { std::move (*shared)(); });
    });
  };
  co_await asio::async_initiate<decltype(asio::use_awaitable), void()>(
      std::move(initiation), asio::use_awaitable, std::move(username), std::move(address));
}

}  // namespace fastchat::server
