// AsyncSignal and AsyncLock: coroutine wake-ups on one executor. A waiter waits at
// most a given time; notify() wakes every current waiter. Waiters re-check their
// condition after waking (a wake-up is a hint, not a guarantee).
//
// Thread safety: none; everything on one executor that runs no handlers concurrently.
// An AsyncSignal must outlive its waiters.
#pragma once

#include <algorithm>
#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>
#include <vector>

namespace fastchat::client {

class AsyncSignal {
 public:
  explicit AsyncSignal(asio::any_io_executor executor) : executor_(std::move(executor)) {}
  AsyncSignal(const AsyncSignal&) = delete;
  AsyncSignal& operator=(const AsyncSignal&) = delete;

  // True when woken by notify(), false when `timeout` passed first.
  asio::awaitable<bool> wait(std::chrono::steady_clock::duration timeout) {
    asio::steady_timer timer(executor_);
    timer.expires_after(timeout);
    waiters_.push_back(&timer);
    auto [ec] = co_await timer.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    waiters_.erase(std::remove(waiters_.begin(), waiters_.end(), &timer), waiters_.end());
    co_return ec == asio::error::operation_aborted;
  }

  void notify() {
    for (auto* timer : waiters_)
      timer->cancel();
  }

 private:
  asio::any_io_executor executor_;
  std::vector<asio::steady_timer*> waiters_;
};

// A mutual-exclusion lock for coroutines (no fairness guarantee).
class AsyncLock {
 public:
  class Guard {
   public:
    explicit Guard(AsyncLock* lock) : lock_(lock) {}
    Guard(Guard&& other) noexcept : lock_(std::exchange(other.lock_, nullptr)) {}
    Guard& operator=(Guard&&) = delete;
    ~Guard() {
      if (lock_ != nullptr) lock_->unlock();
    }

   private:
    AsyncLock* lock_;
  };

  explicit AsyncLock(asio::any_io_executor executor) : released_(std::move(executor)) {}

  asio::awaitable<Guard> lock() {
    while (locked_)
      co_await released_.wait(std::chrono::hours(1));
    locked_ = true;
    co_return Guard(this);
  }
  bool locked() const { return locked_; }

 private:
  void unlock() {
    locked_ = false;
    released_.notify();
  }

  bool locked_ = false;
  AsyncSignal released_;
};

}  // namespace fastchat::client
