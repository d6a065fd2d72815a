// `fastchat recv`: fetch what arrived, print it, acknowledge it; with a wait, keep
// listening for live pushes. Single executor.
#pragma once

#include <asio/awaitable.hpp>

#include "client/client.h"
#include "group_directory.h"
#include "output.h"

namespace fastchat::cli {

// Syncs and prints every new message (the client acknowledges them). When
// `wait_seconds` > 0, then stays connected (Client::run(): live pushes, reconnects)
// and prints messages as they arrive until the time is up or SIGINT/SIGTERM/SIGHUP
// arrives; either ends it successfully. Requires a resumed session.
asio::awaitable<Status> receive(client::Client& client, const Output& out, GroupDirectory& groups,
                                double wait_seconds);

}  // namespace fastchat::cli
