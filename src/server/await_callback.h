// Awaiting, from a session's coroutine, an operation that answers through a callback
// on a thread of its own (the bus, the group committer, the login limiter): the answer
// is posted back to the awaiting coroutine's executor.
#pragma once

#include <asio/async_result.hpp>
#include <asio/post.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <memory>
#include <utility>

namespace fastchat::server {

// `start(done)` begins the operation; it calls `done(R)` once, on any thread.
//   auto start = [&bus, users](auto done) { bus.query_online(users, std::move(done)); };
//   auto online = co_await await_callback<std::vector<bool>>(std::move(start));
// Name `start` first: never write the lambda inside the co_await expression (g++ 12,
// see store_worker.h).
template <typename R, typename Start>
asio::awaitable<R> await_callback(Start start) {
  auto executor = co_await asio::this_coro::executor;
  auto initiation = [executor](auto handler, Start begin) {
    auto shared = std::make_shared<decltype(handler)>(std::move(handler));
    std::move(begin)([shared, executor](R result) {
      asio::post(executor, [shared, result = std::move(result)]() mutable {
        std::move (*shared)(std::move(result));
      });
    });
  };
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(R)>(
      std::move(initiation), asio::use_awaitable, std::move(start));
}

}  // namespace fastchat::server
