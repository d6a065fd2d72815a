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

  //   auto find = [name](store::Store& s) { return s.find_user(name); };
  //   auto user = co_await worker.run(std::move(find));
  //
  // Name the function object first: never write the lambda inside the co_await
  // expression. g++ 12 copies a closure (or any aggregate) temporary of a co_await
  // expression bitwise into the coroutine frame and destroys it twice, so captured
  // strings are double-freed. A named object passed with std::move is copied properly.
  template <typename F>
  auto run(F f) -> asio::awaitable<std::invoke_result_t<F, store::Store&>> {
    using R = std::invoke_result_t<F, store::Store&>;
    auto executor = co_await asio::this_coro::executor;
    auto initiation = [this, executor](auto handler, F fn) {
      asio::post(pool_, [this, executor, fn = std::move(fn),
                         handler = std::move(handler)]() mutable {
        R result = fn(store_);
        asio::post(executor, [handler = std::move(handler), result = std::move(result)]() mutable {
          std::move(handler)(std::move(result));
        });
      });
    };
    co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(R)>(
        std::move(initiation), asio::use_awaitable, std::move(f));
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
