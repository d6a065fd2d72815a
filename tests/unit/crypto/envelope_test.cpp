#include "crypto/envelope.h"

#include <gtest/gtest.h>

namespace fastchat::crypto {
namespace {

struct Pair {
  Identity alice = Identity::generate();
  Identity bob = Identity::generate();
  SharedKey alice_to_bob = *SharedKey::derive(bob.box_public_key(), alice.box_secret_key());
  SharedKey bob_to_alice = *SharedKey::derive(alice.box_public_key(), bob.box_secret_key());
};

TEST(EnvelopeTest, DirectRoundTripBothWays) {
  Pair p;
  const std::string envelope = seal_direct(p.alice_to_bob, "hello bob");
  EXPECT_EQ(static_cast<unsigned char>(envelope[0]), kEnvelopeDirectV1);
  EXPECT_EQ(envelope.find("hello bob"), std::string::npos);
  auto opened = open_direct(p.bob_to_alice, envelope);
  ASSERT_TRUE(opened) << opened.status().to_string();
  EXPECT_EQ(*opened, "hello bob");
  EXPECT_EQ(*open_direct(p.alice_to_bob, seal_direct(p.bob_to_alice, "")), "");
}

TEST(EnvelopeTest, SameMessageSealsDifferently) {
  Pair p;
  EXPECT_NE(seal_direct(p.alice_to_bob, "x"), seal_direct(p.alice_to_bob, "x"));
}

TEST(EnvelopeTest, EveryTamperedByteIsRejected) {
  Pair p;
  const std::string envelope = seal_direct(p.alice_to_bob, "attack at dawn");
  for (std::size_t i = 0; i < envelope.size(); ++i) {
    std::string tampered = envelope;
    tampered[i] ^= 0x01;
    EXPECT_EQ(open_direct(p.bob_to_alice, tampered).code(), Code::kCrypto) << "byte " << i;
  }
  for (std::size_t n = 0; n < envelope.size(); ++n) {
    EXPECT_FALSE(open_direct(p.bob_to_alice, envelope.substr(0, n))) << "length " << n;
  }
}

TEST(EnvelopeTest, WrongKeyIsRejected) {
  Pair p;
  const Identity eve = Identity::generate();
  auto eve_key = SharedKey::derive(p.alice.box_public_key(), eve.box_secret_key());
  ASSERT_TRUE(eve_key);
  EXPECT_EQ(open_direct(*eve_key, seal_direct(p.alice_to_bob, "secret")).code(), Code::kCrypto);
}

TEST(EnvelopeTest, SharedKeyRejectsBadSizes) {
  const Identity a = Identity::generate();
  EXPECT_FALSE(SharedKey::derive("short", a.box_secret_key()));
}

TEST(EnvelopeTest, GroupRoundTripForEveryMemberWithOneBody) {
  const Identity sender = Identity::generate();
  std::vector<Identity> members;
  std::vector<SharedKey> sender_keys;
  for (int i = 0; i < 5; ++i) {
    members.push_back(Identity::generate());
    sender_keys.push_back(
        *SharedKey::derive(members.back().box_public_key(), sender.box_secret_key()));
  }
  std::vector<const SharedKey*> recipients;
  for (const auto& k : sender_keys)
    recipients.push_back(&k);
  const std::string ad = "group 7 message 1";
  const SealedGroupMessage sealed = seal_group(recipients, "team lunch?", ad);
  ASSERT_EQ(sealed.wraps.size(), members.size());
  EXPECT_EQ(static_cast<unsigned char>(sealed.body[0]), kEnvelopeGroupV1);
  for (std::size_t i = 0; i < members.size(); ++i) {
    auto key = SharedKey::derive(sender.box_public_key(), members[i].box_secret_key());
    ASSERT_TRUE(key);
    auto opened = open_group(*key, sealed.wraps[i], sealed.body, ad);
    ASSERT_TRUE(opened) << opened.status().to_string();
    EXPECT_EQ(*opened, "team lunch?");
    // Another member's wrap does not open with this member's key.
    EXPECT_FALSE(open_group(*key, sealed.wraps[(i + 1) % members.size()], sealed.body, ad));
  }
}

TEST(EnvelopeTest, GroupRejectsTamperingAndWrongAssociatedData) {
  const Identity sender = Identity::generate();
  const Identity member = Identity::generate();
  const SharedKey to_member = *SharedKey::derive(member.box_public_key(), sender.box_secret_key());
  const SharedKey from_sender =
      *SharedKey::derive(sender.box_public_key(), member.box_secret_key());
  const SharedKey* recipients[] = {&to_member};
  const SealedGroupMessage sealed = seal_group(recipients, "payload", "ad");
  EXPECT_FALSE(open_group(from_sender, sealed.wraps[0], sealed.body, "other ad"));
  for (std::size_t i = 0; i < sealed.body.size(); ++i) {
    std::string body = sealed.body;
    body[i] ^= 0x80;
    EXPECT_FALSE(open_group(from_sender, sealed.wraps[0], body, "ad")) << "body byte " << i;
  }
  for (std::size_t i = 0; i < sealed.wraps[0].size(); ++i) {
    std::string wrap = sealed.wraps[0];
    wrap[i] ^= 0x80;
    EXPECT_FALSE(open_group(from_sender, wrap, sealed.body, "ad")) << "wrap byte " << i;
  }
  EXPECT_FALSE(open_group(from_sender, sealed.wraps[0], sealed.body.substr(0, 10), "ad"));
  // A direct envelope is not a group envelope.
  EXPECT_FALSE(open_group(from_sender, sealed.wraps[0], seal_direct(to_member, "x"), "ad"));
}

}  // namespace
}  // namespace fastchat::crypto
