// Routes each decoded frame to its handler, enforcing the connection's state
// machine: Hello first, then Register/Login/Resume, then everything else.
// Runs on the session's executor.
#pragma once

#include <asio/awaitable.hpp>
#include <memory>

#include "fastchat.pb.h"

namespace fastchat::server {

class Session;

void route_frame(const std::shared_ptr<Session>& session, wire::Frame&& frame);

// Runs an asynchronous handler on the session's loop, counting it as in flight.
void spawn_request(const std::shared_ptr<Session>& session, asio::awaitable<void> handler);

}  // namespace fastchat::server
