// `fastchat sessions` and `fastchat sessions revoke`: the logged-in user's sessions
// (docs/cli.md). Single executor, not thread-safe.
#pragma once

#include <asio/awaitable.hpp>
#include <string>

#include "client/client.h"
#include "output.h"

namespace fastchat::cli {

// One line per session (a table header first in text mode), most recently used first.
asio::awaitable<Status> list_sessions(client::Client& client, const Output& out);
// Revokes session `id` (digits), or every other session when `all` (then `id` must be
// empty). kNotFound when no session has that id.
asio::awaitable<Status> revoke_sessions(client::Client& client, const Output& out, std::string id,
                                        bool all);

}  // namespace fastchat::cli
