// Awaiting Bus queries from a session's coroutine.
#pragma once

#include <vector>

#include "cluster/bus.h"
#include "server/await_callback.h"

namespace fastchat::server {

inline asio::awaitable<std::vector<bool>> query_online(cluster::Bus& bus,
                                                       std::vector<UserId> users) {
  auto start = [&bus, users = std::move(users)](auto done) mutable {
    bus.query_online(std::move(users), std::move(done));
  };
  co_return co_await await_callback<std::vector<bool>>(std::move(start));
}

}  // namespace fastchat::server
