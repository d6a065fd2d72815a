// AsyncQueue<T>: a FIFO that synchronous producers (Client event callbacks, libedit's
// line callback) fill and one coroutine drains. Single executor, not thread-safe.
// Unbounded by design: its producers are a person typing and the client's paged
// delivery, which a terminal prints faster than either can fill it.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <deque>
#include <optional>

namespace fastchat::cli {

template <typename T>
class AsyncQueue {
 public:
  explicit AsyncQueue(asio::any_io_executor executor) : wakeup_(executor) {}

  void push(T item) {
    items_.push_back(std::move(item));
    wakeup_.cancel();
  }
  // After close(), pop() returns what is left and then nullopt; push() still queues
  // (for a final try_pop() drain).
  void close() {
    closed_ = true;
    wakeup_.cancel();
  }
  bool closed() const { return closed_; }
  bool empty() const { return items_.empty(); }

  std::optional<T> try_pop() {
    if (items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    return item;
  }

  // The next item; nullopt once the queue is closed and empty.
  asio::awaitable<std::optional<T>> pop() {
    while (items_.empty() && !closed_) {
      wakeup_.expires_at(asio::steady_timer::time_point::max());
      co_await wakeup_.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    }
    co_return try_pop();
  }

 private:
  std::deque<T> items_;
  bool closed_ = false;
  asio::steady_timer wakeup_;
};

}  // namespace fastchat::cli
