// `fastchat chat`: the interactive session. Plain lines go to the current
// conversation (/to USER, /to #GROUP), slash commands do everything the one-shot
// commands do, and incoming messages appear as they arrive (Client::run() keeps the
// connection, reconnecting as needed). Single executor.
#pragma once

#include <asio/awaitable.hpp>

#include "client/client.h"
#include "command_line.h"

namespace fastchat::cli {

// Runs the chat until /quit, end of input or SIGINT/SIGTERM/SIGHUP. Requires a
// resumed session.
asio::awaitable<Status> run_chat(client::Client& client, const GlobalOptions& options);

}  // namespace fastchat::cli
