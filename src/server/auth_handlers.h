// Register, Login, Resume, Logout and ChangeLoginKey (DESIGN §5). Run on the session's executor;
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
// A password change: the current login key proves it; the account's other sessions are
// revoked and this server's connections of them closed.
asio::awaitable<void> handle_change_login_key(std::shared_ptr<Session> session,
                                              std::uint64_t request_id,
                                              wire::ChangeLoginKey request);

}  // namespace fastchat::server
