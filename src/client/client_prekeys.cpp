// Client::Impl, E2EE v2 prekeys: publishing the device's, topping them up, and fetching
// and verifying a contact's (the checks are in prekey_bundles.cpp).
#include "client/client_impl.h"
#include "client/prekey_bundles.h"
#include "common/username.h"

namespace fastchat::client {
namespace {

Result<std::size_t> held_from(const Result<wire::Frame>& reply, std::uint32_t device_id) {
  if (!reply) return reply.status();
  if (!reply->has_prekey_status() || reply->prekey_status().device_id() != device_id) {
    return Status(Code::kBadRequest, "expected PrekeyStatus");
  }
  return static_cast<std::size_t>(reply->prekey_status().one_time_count());
}

}  // namespace

asio::awaitable<Result<std::size_t>> Client::Impl::publish_prekeys(crypto::LocalPrekeys& local,
                                                                   std::uint32_t device_id,
                                                                   Client::SavePrekeys save) {
  if (!identity_) co_return Status(Code::kNotAuthenticated, "not logged in");
  if (local.current_signed() == nullptr) local.rotate_signed(*identity_);
  auto one_time = local.generate_one_time(kOneTimePrekeyTarget);
  if (!one_time) co_return one_time.status();
  if (Status s = save(local); !s) co_return s;
  wire::Frame frame;
  *frame.mutable_publish_prekeys() = make_publish(local, *identity_, device_id, *one_time, true);
  auto reply = co_await call(std::move(frame));
  co_return held_from(reply, device_id);
}

asio::awaitable<Result<std::size_t>> Client::Impl::prekey_count(std::uint32_t device_id) {
  wire::Frame frame;
  frame.mutable_get_prekey_count()->set_device_id(device_id);
  auto reply = co_await call(std::move(frame));
  co_return held_from(reply, device_id);
}

asio::awaitable<Result<std::size_t>> Client::Impl::top_up_prekeys(crypto::LocalPrekeys& local,
                                                                  std::uint32_t device_id,
                                                                  Client::SavePrekeys save) {
  if (!identity_) co_return Status(Code::kNotAuthenticated, "not logged in");
  if (local.current_signed() == nullptr) {
    co_return Status(Code::kBadRequest, "no signed prekey yet: publish the prekeys first");
  }
  auto held = co_await prekey_count(device_id);
  if (!held) co_return held.status();
  const std::size_t add = one_time_prekeys_to_add(*held);
  if (add == 0) co_return *held;
  auto one_time = local.generate_one_time(add);
  if (!one_time) co_return one_time.status();
  if (Status s = save(local); !s) co_return s;
  wire::Frame frame;
  *frame.mutable_publish_prekeys() = make_publish(local, *identity_, device_id, *one_time, false);
  auto reply = co_await call(std::move(frame));
  co_return held_from(reply, device_id);
}

asio::awaitable<Result<std::vector<crypto::PrekeyBundle>>> Client::Impl::fetch_prekey_bundles(
    std::string username) {
  auto name = normalize_username(username);
  if (!name) co_return Status(Code::kInvalidUsername, "not a valid username: " + username);
  // The pinned identity first: a bundle is checked against it, not against itself.
  auto pinned = co_await contact(*name);
  if (!pinned) co_return pinned.status();
  const crypto::PublicIdentity identity = (*pinned)->identity;
  wire::Frame frame;
  frame.mutable_fetch_prekey_bundles()->set_username(*name);
  auto reply = co_await call(std::move(frame));
  if (!reply) co_return reply.status();
  if (!reply->has_prekey_bundles()) co_return Status(Code::kBadRequest, "expected PrekeyBundles");
  co_return verified_bundles(reply->prekey_bundles(), *name, identity);
}

// --- the facade

asio::awaitable<Result<std::size_t>> Client::publish_prekeys(crypto::LocalPrekeys& local,
                                                             std::uint32_t device_id,
                                                             SavePrekeys save) {
  return impl_->publish_prekeys(local, device_id, std::move(save));
}

asio::awaitable<Result<std::size_t>> Client::top_up_prekeys(crypto::LocalPrekeys& local,
                                                            std::uint32_t device_id,
                                                            SavePrekeys save) {
  return impl_->top_up_prekeys(local, device_id, std::move(save));
}

asio::awaitable<Result<std::size_t>> Client::prekey_count(std::uint32_t device_id) {
  return impl_->prekey_count(device_id);
}

asio::awaitable<Result<std::vector<crypto::PrekeyBundle>>> Client::fetch_prekey_bundles(
    std::string_view username) {
  return impl_->fetch_prekey_bundles(std::string(username));
}

}  // namespace fastchat::client
