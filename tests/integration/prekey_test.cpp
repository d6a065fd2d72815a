// E2EE v2 prekeys over real sockets (issue 11 item 1): publish, fetch (each one-time
// prekey handed out once, then the signed prekey alone), counts, refusals at publish
// (forged signature, bad sizes and counts, caps), the per-requester rate limit, and in
// cluster mode fetches spread over every server that never get the same one-time prekey.
#include <gtest/gtest.h>

#include <set>

#include "chat_fixture.h"
#include "client/prekey_bundles.h"
#include "crypto/device_key.h"
#include "crypto/local_prekeys.h"

namespace fastchat::itest {
namespace {

constexpr std::uint32_t kDevice = 1;

crypto::PublicIdentity public_of(const TestUser& who) {
  const auto id = who.public_identity();
  return {id.sign_public_key(), id.box_public_key(), id.signature()};
}

class PrekeyTest : public ChatTest {
 protected:
  // A PublishPrekeys of `count` new one-time prekeys (and a signed prekey, made on first
  // use) of `who`'s device, as the client core builds it.
  static wire::Frame publish_frame(const TestUser& who, crypto::LocalPrekeys& local,
                                   std::size_t count, bool replace = false,
                                   std::uint32_t device = kDevice) {
    if (local.current_signed() == nullptr) local.rotate_signed(who.identity());
    auto one_time = local.generate_one_time(count);
    EXPECT_TRUE(one_time);
    wire::Frame frame;
    *frame.mutable_publish_prekeys() =
        client::make_publish(local, who.identity(), device,
                             one_time ? *one_time : std::vector<crypto::OneTimePrekey>{}, replace);
    return frame;
  }

  static wire::Frame fetch_frame(const std::string& username) {
    wire::Frame frame;
    frame.mutable_fetch_prekey_bundles()->set_username(username);
    return frame;
  }

  // `who` logged in on a new connection from the device `key`.
  std::unique_ptr<RawClient> on_device(const TestUser& who, const crypto::LoginKey& key) {
    auto client = std::make_unique<RawClient>(port());
    EXPECT_TRUE(client->hello());
    auto frame = login_frame(who, client->login_nonce(), client->channel_binding());
    frame.mutable_login()->set_device_public_key(key.public_key);
    EXPECT_TRUE(client->call(frame).has_auth_ok());
    return client;
  }

  static std::uint32_t count_of(RawClient& client, std::uint32_t device = kDevice) {
    wire::Frame frame;
    frame.mutable_get_prekey_count()->set_device_id(device);
    const auto reply = client.call(frame);
    EXPECT_TRUE(reply.has_prekey_status()) << reply.ShortDebugString();
    return reply.prekey_status().one_time_count();
  }

  // `requester` fetches `owner`'s bundles and the client core verifies them against
  // `owner`'s real identity.
  static std::vector<crypto::PrekeyBundle> fetch_verified(RawClient& requester,
                                                          const std::string& owner) {
    const auto reply = requester.call(fetch_frame(owner));
    EXPECT_TRUE(reply.has_prekey_bundles()) << reply.ShortDebugString();
    auto bundles = client::verified_bundles(reply.prekey_bundles(), owner, public_of(user(owner)));
    EXPECT_TRUE(bundles) << bundles.status().to_string();
    return bundles ? std::move(bundles).value() : std::vector<crypto::PrekeyBundle>{};
  }
};

TEST_F(PrekeyTest, EachFetchTakesOneOneTimePrekeyThenTheSignedPrekeyAloneIsHandedOut) {
  auto alice = online("alice");
  auto bob = online("bob");
  ASSERT_TRUE(alice && bob);
  crypto::LocalPrekeys local;
  const auto published = alice->call(publish_frame(user("alice"), local, 3));
  ASSERT_TRUE(published.has_prekey_status()) << published.ShortDebugString();
  EXPECT_EQ(published.prekey_status().one_time_count(), 3u);
  EXPECT_EQ(published.prekey_status().max_one_time(), 200u);
  EXPECT_EQ(count_of(*alice), 3u);

  std::set<std::uint32_t> handed_out;
  for (std::uint32_t left = 2;; --left) {
    const auto bundles = fetch_verified(*bob, "alice");
    ASSERT_EQ(bundles.size(), 1u);
    EXPECT_EQ(bundles[0].address.device_id, kDevice);
    EXPECT_EQ(bundles[0].signed_prekey.id, local.current_signed()->id);
    ASSERT_TRUE(bundles[0].one_time_prekey);
    const std::uint32_t id = bundles[0].one_time_prekey->id;
    ASSERT_NE(local.one_time(id), nullptr) << "not a key alice published";
    EXPECT_EQ(bundles[0].one_time_prekey->public_key, local.one_time(id)->public_key);
    EXPECT_TRUE(handed_out.insert(id).second) << "one-time prekey " << id << " handed out twice";
    EXPECT_EQ(count_of(*alice), left);
    if (left == 0) break;
  }

  // None left: the signed prekey alone, still verifying.
  const auto alone = fetch_verified(*bob, "alice");
  ASSERT_EQ(alone.size(), 1u);
  EXPECT_FALSE(alone[0].one_time_prekey);
  EXPECT_EQ(alone[0].signed_prekey.public_key, local.current_signed()->public_key);
}

TEST_F(PrekeyTest, AUserWithoutPrekeysHasNoBundlesAndAnUnknownUserIsAnError) {
  auto bob = online("bob");
  register_offline("alice");
  ASSERT_TRUE(bob);
  const auto none = bob->call(fetch_frame("ALICE"));
  ASSERT_TRUE(none.has_prekey_bundles()) << none.ShortDebugString();
  EXPECT_EQ(none.prekey_bundles().username(), "alice");
  EXPECT_EQ(none.prekey_bundles().bundles_size(), 0);
  EXPECT_EQ(error_of(bob->call(fetch_frame("nobody"))), wire::UNKNOWN_USER);
  EXPECT_EQ(error_of(bob->call(fetch_frame("not a name!"))), wire::INVALID_USERNAME);
}

TEST_F(PrekeyTest, ASignedPrekeyNotSignedByTheAccountsIdentityIsRefusedAtPublish) {
  auto alice = online("alice");
  auto bob = online("bob");
  ASSERT_TRUE(alice && bob);
  crypto::LocalPrekeys mallorys;
  // Signed by another identity (mallory's), published on alice's account.
  wire::Frame forged = publish_frame(user("mallory"), mallorys, 2);
  EXPECT_EQ(error_of(alice->call(forged)), wire::BAD_REQUEST);
  // Alice's own signature with one bit of the key flipped.
  crypto::LocalPrekeys local;
  wire::Frame tampered = publish_frame(user("alice"), local, 2);
  (*tampered.mutable_publish_prekeys()->mutable_signed_prekey()->mutable_public_key())[5] ^= 1;
  EXPECT_EQ(error_of(alice->call(tampered)), wire::BAD_REQUEST);
  wire::Frame wrong_id = publish_frame(user("alice"), local, 2);
  wrong_id.mutable_publish_prekeys()->mutable_signed_prekey()->set_id(local.current_signed()->id +
                                                                      1);
  EXPECT_EQ(error_of(alice->call(wrong_id)), wire::BAD_REQUEST);

  // Nothing of them was stored.
  EXPECT_EQ(count_of(*alice), 0u);
  const auto reply = bob->call(fetch_frame("alice"));
  ASSERT_TRUE(reply.has_prekey_bundles());
  EXPECT_EQ(reply.prekey_bundles().bundles_size(), 0);
}

TEST_F(PrekeyTest, MalformedPublishesAreRefusedAndChangeNothing) {
  auto alice = online("alice");
  ASSERT_TRUE(alice);
  crypto::LocalPrekeys local;
  const wire::Frame good = publish_frame(user("alice"), local, 2);
  ASSERT_TRUE(alice->call(good).has_prekey_status());

  auto with = [&](const std::function<void(wire::PublishPrekeys&)>& change) {
    wire::Frame frame = good;
    change(*frame.mutable_publish_prekeys());
    return error_of(alice->call(frame));
  };
  EXPECT_EQ(with([](auto& p) { p.set_device_id(0); }), wire::BAD_REQUEST);
  // Another device's prekeys: only the session's own device id (or the legacy id 1).
  const std::uint32_t own = crypto::device_id_of(test_device_key().public_key);
  EXPECT_EQ(with([&](auto& p) { p.set_device_id(own + 1 == 1 ? own + 2 : own + 1); }),
            wire::BAD_REQUEST);
  EXPECT_EQ(with([](auto& p) { p.clear_signed_prekey(); }), wire::BAD_REQUEST);
  EXPECT_EQ(with([](auto& p) { p.mutable_signed_prekey()->mutable_signature()->pop_back(); }),
            wire::BAD_REQUEST);
  EXPECT_EQ(with([](auto& p) { p.mutable_one_time_prekeys(0)->set_public_key("short"); }),
            wire::BAD_REQUEST);
  // A low-order point: every DH with it gives zeros.
  EXPECT_EQ(
      with([](auto& p) { p.mutable_one_time_prekeys(0)->set_public_key(std::string(32, '\0')); }),
      wire::BAD_REQUEST);
  EXPECT_EQ(
      with([](auto& p) { p.mutable_one_time_prekeys(1)->set_id(p.one_time_prekeys(0).id()); }),
      wire::BAD_REQUEST);
  EXPECT_EQ(with([](auto& p) {
              for (int i = 0; i < 101; ++i)
                *p.add_one_time_prekeys() = p.one_time_prekeys(0);
            }),
            wire::BAD_REQUEST);
  EXPECT_EQ(count_of(*alice), 2u);

  wire::Frame zero;
  zero.mutable_get_prekey_count()->set_device_id(0);
  EXPECT_EQ(error_of(alice->call(zero)), wire::BAD_REQUEST);
}

TEST_F(PrekeyTest, EachDevicePublishesUnderItsOwnIdAndBundlesListThemAll) {
  auto alice = online("alice");
  auto bob = online("bob");
  ASSERT_TRUE(alice && bob);
  crypto::LocalPrekeys legacy, laptop_prekeys;
  ASSERT_TRUE(alice->call(publish_frame(user("alice"), legacy, 1)).has_prekey_status());
  const crypto::LoginKey laptop_key = crypto::new_device_key();
  const std::uint32_t laptop = crypto::device_id_of(laptop_key.public_key);
  auto on_laptop = on_device(user("alice"), laptop_key);
  EXPECT_EQ(
      error_of(on_laptop->call(publish_frame(user("alice"), laptop_prekeys, 1, false,
                                             crypto::device_id_of(test_device_key().public_key)))),
      wire::BAD_REQUEST);
  const auto published =
      on_laptop->call(publish_frame(user("alice"), laptop_prekeys, 1, false, laptop));
  ASSERT_TRUE(published.has_prekey_status()) << published.ShortDebugString();
  EXPECT_EQ(published.prekey_status().device_id(), laptop);
  EXPECT_EQ(count_of(*on_laptop, laptop), 1u);

  std::set<std::uint32_t> devices;
  for (const auto& bundle : fetch_verified(*bob, "alice"))
    devices.insert(bundle.address.device_id);
  EXPECT_EQ(devices, (std::set<std::uint32_t>{kDevice, laptop}));
}

TEST_F(PrekeyTest, PrekeyRequestsNeedALogin) {
  RawClient anonymous(port());
  ASSERT_TRUE(anonymous.hello());
  crypto::LocalPrekeys local;
  EXPECT_EQ(error_of(anonymous.call(publish_frame(user("alice"), local, 1))),
            wire::NOT_AUTHENTICATED);
  EXPECT_EQ(error_of(anonymous.call(fetch_frame("alice"))), wire::NOT_AUTHENTICATED);
}

class PrekeyLimitsTest : public PrekeyTest {
 protected:
  void configure(server::ServerConfig& config) override {
    config.max_one_time_prekeys = 5;
    config.max_prekey_devices = 2;
    config.bundle_fetch_limits.burst = 3;
    config.bundle_fetch_limits.per_minute = 0.01;  // nothing comes back during a test
  }
};

TEST_F(PrekeyLimitsTest, OneTimePrekeysAndDevicesAreCapped) {
  auto alice = online("alice");
  ASSERT_TRUE(alice);
  crypto::LocalPrekeys local;
  const auto first = alice->call(publish_frame(user("alice"), local, 4));
  ASSERT_TRUE(first.has_prekey_status()) << first.ShortDebugString();
  EXPECT_EQ(first.prekey_status().max_one_time(), 5u);
  EXPECT_EQ(error_of(alice->call(publish_frame(user("alice"), local, 2))), wire::LIMIT_REACHED);
  EXPECT_EQ(count_of(*alice), 4u);
  // Replacing the batch is within the cap.
  const auto replaced = alice->call(publish_frame(user("alice"), local, 5, true));
  ASSERT_TRUE(replaced.has_prekey_status()) << replaced.ShortDebugString();
  EXPECT_EQ(replaced.prekey_status().one_time_count(), 5u);

  // Each further device publishes from its own session.
  const crypto::LoginKey second_key = crypto::new_device_key(),
                         third_key = crypto::new_device_key();
  crypto::LocalPrekeys second_device, third_device;
  auto second = on_device(user("alice"), second_key);
  ASSERT_TRUE(second
                  ->call(publish_frame(user("alice"), second_device, 1, false,
                                       crypto::device_id_of(second_key.public_key)))
                  .has_prekey_status());
  auto third = on_device(user("alice"), third_key);
  EXPECT_EQ(error_of(third->call(publish_frame(user("alice"), third_device, 1, false,
                                               crypto::device_id_of(third_key.public_key)))),
            wire::LIMIT_REACHED);
}

TEST_F(PrekeyLimitsTest, BundleFetchesAreRateLimitedPerRequester) {
  auto alice = online("alice");
  auto bob = online("bob");
  auto carol = online("carol");
  ASSERT_TRUE(alice && bob && carol);
  crypto::LocalPrekeys local;
  ASSERT_TRUE(alice->call(publish_frame(user("alice"), local, 5)).has_prekey_status());
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(bob->call(fetch_frame("alice")).has_prekey_bundles()) << i;
  EXPECT_EQ(error_of(bob->call(fetch_frame("alice"))), wire::RATE_LIMITED);
  EXPECT_EQ(error_of(bob->call(fetch_frame("carol"))), wire::RATE_LIMITED);
  // Bob could not drain more than his burst; another requester is still served.
  EXPECT_EQ(count_of(*alice), 2u);
  const auto reply = carol->call(fetch_frame("alice"));
  ASSERT_TRUE(reply.has_prekey_bundles()) << reply.ShortDebugString();
  EXPECT_EQ(count_of(*alice), 1u);
}

// Requesters on every server (round robin in a cluster) fetch at once, pipelined: every
// one-time prekey goes to exactly one of them, and all are handed out.
TEST_F(PrekeyTest, ConcurrentFetchesOnEveryServerNeverGetTheSameOneTimePrekey) {
  auto alice = online("alice");
  ASSERT_TRUE(alice);
  constexpr std::size_t kKeys = 30;
  crypto::LocalPrekeys local;
  ASSERT_TRUE(alice->call(publish_frame(user("alice"), local, kKeys)).has_prekey_status());

  std::vector<std::unique_ptr<RawClient>> requesters;
  for (const char* name : {"bob", "carol", "dave"})
    requesters.push_back(online(name));
  std::vector<std::vector<std::uint64_t>> ids;
  for (auto& requester : requesters) {
    ASSERT_TRUE(requester);
    ids.push_back(
        requester->request_all(std::vector<wire::Frame>(kKeys / 3, fetch_frame("alice"))));
  }
  std::multiset<std::uint32_t> taken;
  for (std::size_t r = 0; r < requesters.size(); ++r) {
    for (std::uint64_t id : ids[r]) {
      auto reply = requesters[r]->response(id);
      ASSERT_TRUE(reply && reply->has_prekey_bundles()) << (reply ? reply->ShortDebugString() : "");
      auto bundles =
          client::verified_bundles(reply->prekey_bundles(), "alice", public_of(user("alice")));
      ASSERT_TRUE(bundles) << bundles.status().to_string();
      ASSERT_EQ(bundles->size(), 1u);
      if ((*bundles)[0].one_time_prekey) taken.insert((*bundles)[0].one_time_prekey->id);
    }
  }
  EXPECT_EQ(taken.size(), kKeys);
  EXPECT_EQ(std::set<std::uint32_t>(taken.begin(), taken.end()).size(), taken.size())
      << "a one-time prekey was handed out twice";
  EXPECT_EQ(count_of(*alice), 0u);
}

}  // namespace
}  // namespace fastchat::itest
