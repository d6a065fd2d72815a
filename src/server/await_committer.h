// Awaiting a session-token write of the GroupCommitter from a session's coroutine.
#pragma once

#include <utility>

#include "common/status.h"
#include "server/await_callback.h"
#include "server/group_committer.h"
#include "store/store.h"

namespace fastchat::server {

inline asio::awaitable<Status> commit_session_write(GroupCommitter& committer,
                                                    store::SessionWrite write) {
  auto start = [&committer, write = std::move(write)](auto done) mutable {
    committer.enqueue_session_write(std::move(write), std::move(done));
  };
  co_return co_await await_callback<Status>(std::move(start));
}

}  // namespace fastchat::server
