// E2EE v2 prekey requests (docs/protocol.md): PublishPrekeys and GetPrekeyCount for the
// caller's own devices, FetchPrekeyBundles for anyone's (rate-limited per requester).
#pragma once

#include <asio/awaitable.hpp>
#include <memory>

#include "fastchat.pb.h"

namespace fastchat::server {

class Session;

asio::awaitable<void> handle_publish_prekeys(std::shared_ptr<Session> session,
                                             std::uint64_t request_id,
                                             wire::PublishPrekeys request);
asio::awaitable<void> handle_get_prekey_count(std::shared_ptr<Session> session,
                                              std::uint64_t request_id,
                                              wire::GetPrekeyCount request);
asio::awaitable<void> handle_fetch_prekey_bundles(std::shared_ptr<Session> session,
                                                  std::uint64_t request_id,
                                                  wire::FetchPrekeyBundles request);

}  // namespace fastchat::server
