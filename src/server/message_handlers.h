// Send, Sync and Ack (DESIGN §4): sends are validated, resolved and handed to the
// group committer; the sender is answered and recipients are pushed once the batch
// holding the message is durably committed.
#pragma once

#include <asio/awaitable.hpp>
#include <memory>

#include "fastchat.pb.h"

namespace fastchat::server {

class Session;

// Largest message body accepted: leaves room in a 1 MiB frame for the routing fields.
inline constexpr std::size_t kMaxBodyBytes = 960 * 1024;

// Called in order for each Send of a session (see Session::enqueue_send); returns
// once the message is queued for commit, not when it is committed.
asio::awaitable<void> submit_send(std::shared_ptr<Session> session, std::uint64_t request_id,
                                  wire::Send send);
asio::awaitable<void> handle_sync(std::shared_ptr<Session> session, std::uint64_t request_id,
                                  wire::Sync request);
void handle_ack(const std::shared_ptr<Session>& session, std::uint64_t request_id,
                const wire::Ack& request);

}  // namespace fastchat::server
