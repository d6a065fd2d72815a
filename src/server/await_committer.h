// Awaiting a session-token write of the GroupCommitter from a session's coroutine: the
// committer completes on its own thread, so the answer is posted back to the awaiting
// executor.
#pragma once

#include <asio/async_result.hpp>
#include <asio/post.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <memory>
#include <utility>

#include "common/status.h"
#include "server/group_committer.h"
#include "store/store.h"

namespace fastchat::server {

inline asio::awaitable<Status> commit_session_write(GroupCommitter& committer,
                                                    store::SessionWrite write) {
  auto executor = co_await asio::this_coro::executor;
  // Named, not written inside the co_await expression (g++ 12; see store_worker.h).
  auto initiation = [&committer, executor](auto handler, store::SessionWrite pending) {
    auto shared = std::make_shared<decltype(handler)>(std::move(handler));
    committer.enqueue_session_write(std::move(pending), [shared, executor](Status status) {
      asio::post(executor, [shared, status = std::move(status)]() mutable {
        std::move (*shared)(std::move(status));
      });
    });
  };
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(Status)>(
      std::move(initiation), asio::use_awaitable, std::move(write));
}

}  // namespace fastchat::server
