// Register, Login, Resume and Logout (DESIGN §5). Run on the session's executor;
// store calls go through the StoreWorker.
#pragma once

#include <asio/awaitable.hpp>
#include <memory>

#include "fastchat.pb.h"

namespace fastchat::server {

class Session;

asio::awaitable<void> handle_register(std::shared_ptr<Session> session, std::uint64_t request_id,
                                      wire::Register request);
asio::awaitable<void> handle_login(std::shared_ptr<Session> session, std::uint64_t request_id,
                                   wire::Login request);
asio::awaitable<void> handle_resume(std::shared_ptr<Session> session, std::uint64_t request_id,
                                    wire::Resume request);
asio::awaitable<void> handle_logout(std::shared_ptr<Session> session, std::uint64_t request_id);

}  // namespace fastchat::server
