// Inbox replay: when notifications may have been lost (Redis went away and came back,
// a store commit's answer was lost), the sessions on this server are sent again what their inbox
// holds beyond the user's last ack, as ordinary pushes. Clients drop ids they have already shown
// (DESIGN §4), so a replay is harmless, and nothing committed while the bus was down waits for the
// user's next reconnect.
//
// Thread safety: replay_inboxes() may be called from any thread; the work runs on
// `executor` and the store worker pool, one user at a time.
#pragma once

#include <asio/any_io_executor.hpp>

#include "server/server_context.h"

namespace fastchat::server {

// At most this many messages per user are replayed; the client's own sync on its
// next reconnect (or gap) fetches the rest.
inline constexpr std::size_t kMaxReplayPerUser = 256;

void replay_inboxes(ServerContext& context, asio::any_io_executor executor);

}  // namespace fastchat::server
