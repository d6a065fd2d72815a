#include "server/prekey_handlers.h"

#include "crypto/device_key.h"
#include "server/bundle_rate_limiter.h"
#include "server/directory_handlers.h"
#include "server/prekey_validation.h"
#include "server/session.h"

namespace fastchat::server {
namespace {

store::PrekeyLimits prekey_limits(const ServerConfig& config) {
  return {.max_one_time_per_device = config.max_one_time_prekeys,
          .max_devices_per_user = config.max_prekey_devices};
}

void send_status(Session& session, std::uint64_t request_id, std::uint32_t device_id,
                 std::size_t held) {
  wire::Frame reply;
  reply.set_request_id(request_id);
  auto* status = reply.mutable_prekey_status();
  status->set_device_id(device_id);
  status->set_one_time_count(static_cast<std::uint32_t>(held));
  status->set_max_one_time(
      static_cast<std::uint32_t>(session.context().config.max_one_time_prekeys));
  session.send(reply);
}

// A session keeps the prekeys of its own device only: the id of its device key, or
// the id clients used before per-device ids (docs/e2ee-v2.md "Devices").
bool own_device(Session& session, std::uint32_t device_id, std::uint64_t request_id) {
  if (device_id != 0 &&
      (device_id == session.device_id() || device_id == crypto::kLegacyDeviceId)) {
    return true;
  }
  session.send_error(request_id,
                     Status(Code::kBadRequest, "device id " + std::to_string(device_id) +
                                                   " is not this session's device (" +
                                                   std::to_string(session.device_id()) + ")"));
  return false;
}

struct FetchedBundles {
  store::IdentityKeys identity;
  std::string username;
  std::vector<store::StoredPrekeyBundle> bundles;
};

}  // namespace

asio::awaitable<void> handle_publish_prekeys(std::shared_ptr<Session> session,
                                             std::uint64_t request_id,
                                             wire::PublishPrekeys request) {
  auto& ctx = session->context();
  const std::uint32_t device_id = request.device_id();
  if (!own_device(*session, device_id, request_id)) co_return;
  // Only for the caller's own account: the user is the session's, never the request's.
  auto publish = [request = std::move(request), user = session->user_id(), now = ctx.clock.now_ms(),
                  limits = prekey_limits(ctx.config)](store::Store& s) -> Result<std::size_t> {
    auto account = s.find_user_by_id(user);
    if (!account) return account.status();
    auto upload = validate_publish(request, user, account->username, account->identity, now);
    if (!upload) return upload.status();
    return s.publish_prekeys(*upload, limits);
  };
  auto held = co_await ctx.worker.run(std::move(publish));
  if (!held) {
    session->send_error(request_id, held.status());
    co_return;
  }
  send_status(*session, request_id, device_id, *held);
}

asio::awaitable<void> handle_get_prekey_count(std::shared_ptr<Session> session,
                                              std::uint64_t request_id,
                                              wire::GetPrekeyCount request) {
  if (!own_device(*session, request.device_id(), request_id)) co_return;
  auto count = [user = session->user_id(), device = request.device_id()](store::Store& s) {
    return s.count_one_time_prekeys(user, device);
  };
  auto held = co_await session->context().worker.run(std::move(count));
  if (!held) {
    session->send_error(request_id, held.status());
    co_return;
  }
  send_status(*session, request_id, request.device_id(), *held);
}

asio::awaitable<void> handle_fetch_prekey_bundles(std::shared_ptr<Session> session,
                                                  std::uint64_t request_id,
                                                  wire::FetchPrekeyBundles request) {
  auto& ctx = session->context();
  if (ctx.bundle_limiter != nullptr && !ctx.bundle_limiter->try_acquire(session->user_id())) {
    session->send_error(request_id,
                        Status(Code::kRateLimited, "too many prekey bundle requests; retry later"));
    co_return;
  }
  auto user = co_await resolve_user(ctx, request.username());
  if (!user) {
    session->send_error(request_id, user.status());
    co_return;
  }
  auto take = [id = *user](store::Store& s) -> Result<FetchedBundles> {
    auto account = s.find_user_by_id(id);
    if (!account) return account.status();
    auto bundles = s.take_prekey_bundles(id);
    if (!bundles) return bundles.status();
    return FetchedBundles{account->identity, account->username, std::move(bundles).value()};
  };
  auto fetched = co_await ctx.worker.run(std::move(take));
  if (!fetched) {
    session->send_error(request_id, fetched.status());
    co_return;
  }
  // Bounded: at most max_prekey_devices (≤ 64) bundles of ~250 bytes.
  wire::Frame reply;
  reply.set_request_id(request_id);
  auto* list = reply.mutable_prekey_bundles();
  list->set_username(fetched->username);
  for (const auto& stored : fetched->bundles) {
    auto* bundle = list->add_bundles();
    bundle->set_device_id(stored.device_id);
    bundle->set_identity_sign_key(fetched->identity.sign_public_key);
    bundle->set_identity_dh_key(fetched->identity.box_public_key);
    auto* spk = bundle->mutable_signed_prekey();
    spk->set_id(stored.signed_prekey.id);
    spk->set_public_key(stored.signed_prekey.public_key);
    spk->set_signature(stored.signed_prekey.signature);
    if (stored.one_time) {
      auto* opk = bundle->mutable_one_time_prekey();
      opk->set_id(stored.one_time->id);
      opk->set_public_key(stored.one_time->public_key);
    }
  }
  session->send(reply);
}

}  // namespace fastchat::server
