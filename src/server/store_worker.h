// StoreWorker: runs blocking Store calls on a small thread pool, off the event
// loops, and resumes the awaiting coroutine on its own executor with the result.
// Thread-safe.
#pragma once

#include <asio/async_result.hpp>
#include <asio/post.hpp>
#include <asio/this_coro.hpp>
#include <asio/thread_pool.hpp>
#include <asio/use_awaitable.hpp>
#include <type_traits>
#include <utility>

#include "store/store.h"

namespace fastchat::server {

class StoreWorker {
 public:
  StoreWorker(store::Store& store, std::size_t threads) : store_(store), pool_(threads) {}
  ~StoreWorker() { stop(); }

  store::Store& store() { return store_; }

  // co_await run([](store::Store& s) { return s.find_user("bob"); });
  template <typename F>
  auto run(F f) -> asio::awaitable<std::invoke_result_t<F, store::Store&>> {
    using R = std::invoke_result_t<F, store::Store&>;
    auto executor = co_await asio::this_coro::executor;
    co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(R)>(
        [this, executor](auto handler, F fn) {
          asio::post(
              pool_, [this, executor, fn = std::move(fn), handler = std::move(handler)]() mutable {
                R result = fn(store_);
                asio::post(executor,
                           [handler = std::move(handler), result = std::move(result)]() mutable {
                             std::move(handler)(std::move(result));
                           });
              });
        },
        asio::use_awaitable, std::move(f));
  }

  // Waits for queued calls to finish; no new calls after this.
  void stop() {
    pool_.stop();
    pool_.join();
  }

 private:
  store::Store& store_;
  asio::thread_pool pool_;
};

}  // namespace fastchat::server
