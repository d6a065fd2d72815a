// Inbox replay: when notifications may have been lost (Redis went away and came back,
// a store commit's answer was lost), the sessions on this server are sent again what their inbox
// holds beyond the user's last ack, as ordinary pushes; and when another server routed pushes
// of a user's inbox before it knew of the user's session here (a login racing a delivery), that
// user's sessions catch up. Each session sends only the seqs it has not sent yet and that its
// client's login Sync does not cover (SentSeqs), so neither repeats what the client has; clients
// drop ids they have already shown anyway (DESIGN §4). Nothing committed while the bus was down,
// or routed by a stale route, waits for the user's next reconnect.
//
// Thread safety: both functions may be called from any thread; the work runs on `executor`
// (replay) or the sessions' own loops (catch-up), and the store worker pool.
#pragma once

#include <asio/any_io_executor.hpp>
#include <cstdint>

#include "server/server_context.h"

namespace fastchat::server {

// At most this many messages per user are replayed; the client's own sync on its
// next reconnect (or gap) fetches the rest.
inline constexpr std::size_t kMaxReplayPerUser = 256;

void replay_inboxes(ServerContext& context, asio::any_io_executor executor);

// `user`'s sessions here send what they miss of the inbox up to seq `up_to` (and what
// follows it in the same read). A session that has sent everything up to `up_to`, or
// whose login Sync covers it (the usual case), reads nothing.
void catch_up_inbox(ServerContext& context, UserId user, std::uint64_t up_to);

}  // namespace fastchat::server
