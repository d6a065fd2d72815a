// Awaiting Bus queries from a session's coroutine: the Bus may answer on any
// thread, so the answer is posted back to the awaiting executor.
#pragma once

#include <asio/async_result.hpp>
#include <asio/post.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <vector>

#include "cluster/bus.h"

namespace fastchat::server {

inline asio::awaitable<std::vector<bool>> query_online(cluster::Bus& bus,
                                                       std::vector<UserId> users) {
  auto executor = co_await asio::this_coro::executor;
  // Named, not written inside the co_await expression (g++ 12; see store_worker.h).
  auto initiation = [&bus, executor](auto handler, std::vector<UserId> ids) {
    auto shared = std::make_shared<decltype(handler)>(std::move(handler));
    bus.query_online(std::move(ids), [shared, executor](std::vector<bool> online) {
      asio::post(executor, [shared, online = std::move(online)]() mutable {
        std::move (*shared)(std::move(online));
      });
    });
  };
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(std::vector<bool>)>(
      std::move(initiation), asio::use_awaitable, std::move(users));
}

}  // namespace fastchat::server
