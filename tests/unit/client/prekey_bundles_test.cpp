// The client's checks of prekey bundles from a hostile server (client/prekey_bundles.h),
// the publish it builds, and its top-up policy.
#include "client/prekey_bundles.h"

#include <gtest/gtest.h>

namespace fastchat::client {
namespace {

class PrekeyBundlesTest : public ::testing::Test {
 protected:
  PrekeyBundlesTest() {
    local_.rotate_signed(alice_);
    auto one_time = local_.generate_one_time(2);
    EXPECT_TRUE(one_time);
    publish_ = make_publish(local_, alice_, 3, *one_time, false);
    auto* bundle = reply_.add_bundles();
    reply_.set_username("alice");
    bundle->set_device_id(3);
    bundle->set_identity_sign_key(pinned_.sign_public_key);
    bundle->set_identity_dh_key(pinned_.box_public_key);
    *bundle->mutable_signed_prekey() = publish_.signed_prekey();
    *bundle->mutable_one_time_prekey() = publish_.one_time_prekeys(0);
  }

  Status check(const wire::PrekeyBundles& reply) {
    auto bundles = verified_bundles(reply, "alice", pinned_);
    return bundles ? Status() : bundles.status();
  }

  crypto::Identity alice_ = crypto::Identity::generate();
  crypto::Identity mallory_ = crypto::Identity::generate();
  crypto::PublicIdentity pinned_ = alice_.public_identity("alice");
  crypto::LocalPrekeys local_;
  wire::PublishPrekeys publish_;
  wire::PrekeyBundles reply_;
};

TEST_F(PrekeyBundlesTest, AGenuineBundleVerifies) {
  auto bundles = verified_bundles(reply_, "alice", pinned_);
  ASSERT_TRUE(bundles) << bundles.status().to_string();
  ASSERT_EQ(bundles->size(), 1u);
  const crypto::PrekeyBundle& bundle = (*bundles)[0];
  EXPECT_EQ(bundle.address.user, "alice");
  EXPECT_EQ(bundle.address.device_id, 3u);
  EXPECT_EQ(bundle.signed_prekey.public_key, local_.current_signed()->public_key);
  ASSERT_TRUE(bundle.one_time_prekey);
  EXPECT_EQ(bundle.one_time_prekey->public_key,
            local_.one_time(bundle.one_time_prekey->id)->public_key);
  // Without a one-time prekey too.
  reply_.mutable_bundles(0)->clear_one_time_prekey();
  EXPECT_TRUE(check(reply_));
}

TEST_F(PrekeyBundlesTest, AnotherIdentityIsRefusedEvenWhenItsSignatureIsValid) {
  // The server's own identity, with a signed prekey it signed correctly.
  const crypto::SignedPrekey forged = crypto::sign_prekey(mallory_, crypto::generate_prekey(1));
  auto* bundle = reply_.mutable_bundles(0);
  bundle->set_identity_sign_key(std::string(mallory_.sign_public_key()));
  bundle->set_identity_dh_key(std::string(mallory_.box_public_key()));
  bundle->mutable_signed_prekey()->set_id(forged.id);
  bundle->mutable_signed_prekey()->set_public_key(forged.public_key);
  bundle->mutable_signed_prekey()->set_signature(forged.signature);
  const Status status = check(reply_);
  EXPECT_EQ(status.code(), Code::kCrypto);
  EXPECT_NE(status.message().find("not for the identity pinned"), std::string::npos)
      << status.message();
}

TEST_F(PrekeyBundlesTest, ASwappedSignedPrekeyOrOneTimePrekeyIsRefused) {
  wire::PrekeyBundles swapped = reply_;
  swapped.mutable_bundles(0)->mutable_signed_prekey()->set_public_key(
      publish_.one_time_prekeys(1).public_key());
  EXPECT_EQ(check(swapped).code(), Code::kCrypto);

  wire::PrekeyBundles bad_signature = reply_;
  (*bad_signature.mutable_bundles(0)->mutable_signed_prekey()->mutable_signature())[10] ^= 4;
  EXPECT_EQ(check(bad_signature).code(), Code::kCrypto);

  wire::PrekeyBundles low_order = reply_;
  low_order.mutable_bundles(0)->mutable_one_time_prekey()->set_public_key(std::string(32, '\0'));
  EXPECT_EQ(check(low_order).code(), Code::kCrypto);

  wire::PrekeyBundles short_key = reply_;
  short_key.mutable_bundles(0)->mutable_one_time_prekey()->set_public_key("short");
  EXPECT_EQ(check(short_key).code(), Code::kCrypto);
}

TEST_F(PrekeyBundlesTest, RepliesForSomeoneElseOrWithBadDevicesAreRefused) {
  wire::PrekeyBundles other = reply_;
  other.set_username("bob");
  EXPECT_EQ(check(other).code(), Code::kBadRequest);

  wire::PrekeyBundles twice = reply_;
  *twice.add_bundles() = reply_.bundles(0);
  EXPECT_EQ(check(twice).code(), Code::kBadRequest);

  wire::PrekeyBundles zero = reply_;
  zero.mutable_bundles(0)->set_device_id(0);
  EXPECT_EQ(check(zero).code(), Code::kBadRequest);

  wire::PrekeyBundles many = reply_;
  for (std::uint32_t device = 4; device < 4 + kMaxBundlesPerUser; ++device) {
    auto* bundle = many.add_bundles();
    *bundle = reply_.bundles(0);
    bundle->set_device_id(device);
  }
  EXPECT_EQ(check(many).code(), Code::kBadRequest);
}

TEST(PrekeyTopUpTest, TopsUpToTheTargetOnlyBelowTheLowWaterMark) {
  EXPECT_EQ(one_time_prekeys_to_add(0), kOneTimePrekeyTarget);
  EXPECT_EQ(one_time_prekeys_to_add(kOneTimePrekeyLowWater - 1),
            kOneTimePrekeyTarget - kOneTimePrekeyLowWater + 1);
  EXPECT_EQ(one_time_prekeys_to_add(kOneTimePrekeyLowWater), 0u);
  EXPECT_EQ(one_time_prekeys_to_add(150), 0u);
  EXPECT_LE(kOneTimePrekeyTarget, kMaxOneTimePerPublish);
}

}  // namespace
}  // namespace fastchat::client
