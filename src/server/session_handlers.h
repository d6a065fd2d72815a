// Sessions a user controls (DESIGN §5): ListSessions and RevokeSession, and what every
// server does when a revocation arrives on the bus. Handlers run on the session's
// executor; store calls go through the StoreWorker.
#pragma once

#include <asio/awaitable.hpp>
#include <memory>

#include "cluster/bus.h"
#include "fastchat.pb.h"
#include "server/session_registry.h"

namespace fastchat::server {

class Session;

asio::awaitable<void> handle_list_sessions(std::shared_ptr<Session> session,
                                           std::uint64_t request_id);
asio::awaitable<void> handle_revoke_session(std::shared_ptr<Session> session,
                                            std::uint64_t request_id, wire::RevokeSession request);

// Closes this server's connections of the revoked sessions. Any thread.
void close_revoked(SessionRegistry& registry, const cluster::SessionRevocation& revocation);

}  // namespace fastchat::server
