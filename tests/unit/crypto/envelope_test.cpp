#include "crypto/envelope.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <set>

namespace fastchat::crypto {
namespace {

// Envelope layouts (envelope.h): direct = version | nonce(24) | MAC(16) | ciphertext;
// group body = version | nonce(24) | ciphertext | MAC(16);
// wrap = nonce(24) | MAC(16) | key(32) | body hash(32).
constexpr std::size_t kNonce = 24;
constexpr std::size_t kMac = 16;
constexpr std::size_t kWrapSize = kNonce + kMac + 32 + 32;  // message key | body hash

SharedKey derive(const Identity& them, const Identity& me) {
  auto key = SharedKey::derive(them.box_public_key(), me.box_secret_key());
  EXPECT_TRUE(key) << key.status().to_string();
  return std::move(key).value();
}

struct Pair {
  Identity alice = Identity::generate();
  Identity bob = Identity::generate();
  SharedKey alice_to_bob = derive(bob, alice);
  SharedKey bob_to_alice = derive(alice, bob);
};

// Flips each byte of `sealed` in [begin, end) with several masks; `open` must fail.
template <typename Open>
void expect_every_flip_rejected(const std::string& sealed, std::size_t begin, std::size_t end,
                                const char* what, Open open) {
  for (std::size_t i = begin; i < end; ++i) {
    for (unsigned char mask : {0x01, 0x80, 0xff}) {
      std::string tampered = sealed;
      tampered[i] = static_cast<char>(tampered[i] ^ mask);
      auto opened = open(tampered);
      EXPECT_EQ(opened.code(), Code::kCrypto) << what << " byte " << i << " mask " << int(mask);
    }
  }
}

TEST(SharedKeyTest, BothSidesDeriveTheSameKey) {
  Pair p;
  EXPECT_EQ(p.alice_to_bob.bytes().size(), 32u);
  EXPECT_TRUE(p.alice_to_bob.bytes().equals(p.bob_to_alice.bytes().view()));
  const Identity carol = Identity::generate();
  EXPECT_FALSE(derive(carol, p.alice).bytes().equals(p.alice_to_bob.bytes().view()));
}

TEST(SharedKeyTest, RejectsBadSizesAndWeakPublicKeys) {
  const Identity a = Identity::generate();
  const Identity b = Identity::generate();
  EXPECT_EQ(SharedKey::derive("short", a.box_secret_key()).code(), Code::kCrypto);
  EXPECT_EQ(SharedKey::derive(std::string(b.box_public_key()) + "x", a.box_secret_key()).code(),
            Code::kCrypto);
  EXPECT_EQ(SharedKey::derive(b.box_public_key(), SecretBytes()).code(), Code::kCrypto);
  EXPECT_EQ(SharedKey::derive(b.box_public_key(), SecretBytes(31)).code(), Code::kCrypto);
  // Low-order points (u = 0, u = 1) would give an all-zero shared secret.
  EXPECT_EQ(SharedKey::derive(std::string(32, '\0'), a.box_secret_key()).code(), Code::kCrypto);
  std::string one(32, '\0');
  one[0] = 1;
  EXPECT_EQ(SharedKey::derive(one, a.box_secret_key()).code(), Code::kCrypto);
}

TEST(DirectEnvelopeTest, RoundTripsBothWays) {
  Pair p;
  const std::string envelope = seal_direct(p.alice_to_bob, "hello bob");
  ASSERT_EQ(envelope.size(), 1 + kNonce + kMac + 9);
  EXPECT_EQ(static_cast<unsigned char>(envelope[0]), kEnvelopeDirectV1);
  EXPECT_EQ(envelope.find("hello bob"), std::string::npos);
  auto opened = open_direct(p.bob_to_alice, envelope);
  ASSERT_TRUE(opened) << opened.status().to_string();
  EXPECT_EQ(*opened, "hello bob");

  auto reply = open_direct(p.alice_to_bob, seal_direct(p.bob_to_alice, "hi alice"));
  ASSERT_TRUE(reply);
  EXPECT_EQ(*reply, "hi alice");
}

TEST(DirectEnvelopeTest, RoundTripsEmptyBinaryAndLargePlaintexts) {
  Pair p;
  const std::string binary("\0\x01\xff\0zero bytes inside\0", 21);
  std::string large(256 * 1024, '\0');
  for (std::size_t i = 0; i < large.size(); ++i)
    large[i] = static_cast<char>(i * 131 + 7);
  for (const std::string& plaintext : {std::string(), binary, large}) {
    auto opened = open_direct(p.bob_to_alice, seal_direct(p.alice_to_bob, plaintext));
    ASSERT_TRUE(opened) << opened.status().to_string();
    EXPECT_EQ(*opened, plaintext);
  }
}

TEST(DirectEnvelopeTest, SameMessageSealsDifferently) {
  Pair p;
  const std::string a = seal_direct(p.alice_to_bob, "x");
  const std::string b = seal_direct(p.alice_to_bob, "x");
  EXPECT_NE(a, b);
  EXPECT_NE(a.substr(1, kNonce), b.substr(1, kNonce));  // fresh nonce every time
}

TEST(DirectEnvelopeTest, EveryTamperedByteIsRejected) {
  Pair p;
  const std::string envelope = seal_direct(p.alice_to_bob, "attack at dawn");
  auto open = [&](const std::string& e) { return open_direct(p.bob_to_alice, e); };
  expect_every_flip_rejected(envelope, 0, 1, "version", open);
  expect_every_flip_rejected(envelope, 1, 1 + kNonce, "nonce", open);
  expect_every_flip_rejected(envelope, 1 + kNonce, 1 + kNonce + kMac, "mac", open);
  expect_every_flip_rejected(envelope, 1 + kNonce + kMac, envelope.size(), "ciphertext", open);
}

TEST(DirectEnvelopeTest, UnknownVersionsAreRejected) {
  Pair p;
  const std::string envelope = seal_direct(p.alice_to_bob, "payload");
  for (int version = 0; version < 256; ++version) {
    if (version == kEnvelopeDirectV1) continue;
    std::string other = envelope;
    other[0] = static_cast<char>(version);
    auto opened = open_direct(p.bob_to_alice, other);
    EXPECT_EQ(opened.code(), Code::kCrypto) << "version " << version;
  }
}

TEST(DirectEnvelopeTest, TruncatedOrExtendedEnvelopesAreRejected) {
  Pair p;
  const std::string envelope = seal_direct(p.alice_to_bob, "attack at dawn");
  for (std::size_t n = 0; n < envelope.size(); ++n) {
    EXPECT_EQ(open_direct(p.bob_to_alice, envelope.substr(0, n)).code(), Code::kCrypto)
        << "length " << n;
  }
  EXPECT_EQ(open_direct(p.bob_to_alice, envelope + '\0').code(), Code::kCrypto);
}

TEST(DirectEnvelopeTest, WrongKeysAreRejected) {
  Pair p;
  const Identity eve = Identity::generate();
  const std::string envelope = seal_direct(p.alice_to_bob, "secret");
  // Eve's key with Alice, with Bob, and Alice's key with herself: none opens it.
  EXPECT_EQ(open_direct(derive(p.alice, eve), envelope).code(), Code::kCrypto);
  EXPECT_EQ(open_direct(derive(p.bob, eve), envelope).code(), Code::kCrypto);
  EXPECT_EQ(open_direct(derive(p.alice, p.alice), envelope).code(), Code::kCrypto);
  EXPECT_EQ(open_direct(SharedKey(), envelope).code(), Code::kCrypto);
}

struct Group {
  static constexpr std::size_t kMembers = 5;
  Identity sender = Identity::generate();
  std::vector<Identity> members;
  std::vector<SharedKey> to_member;    // sender's key with members[i]
  std::vector<SharedKey> from_sender;  // members[i]'s key with the sender
  std::vector<const SharedKey*> recipients;

  Group() {
    for (std::size_t i = 0; i < kMembers; ++i)
      members.push_back(Identity::generate());
    for (const Identity& m : members) {
      to_member.push_back(derive(m, sender));
      from_sender.push_back(derive(sender, m));
    }
    for (const SharedKey& k : to_member)
      recipients.push_back(&k);
  }
};

TEST(GroupEnvelopeTest, EveryMemberOpensTheOneBody) {
  Group g;
  const std::string ad = "group 7 message 1";
  const SealedGroupMessage sealed = seal_group(g.recipients, "team lunch?", ad);
  ASSERT_EQ(sealed.wraps.size(), Group::kMembers);
  ASSERT_EQ(sealed.body.size(), 1 + kNonce + 11 + kMac);
  EXPECT_EQ(static_cast<unsigned char>(sealed.body[0]), kEnvelopeGroupV2);
  EXPECT_EQ(sealed.body.find("team lunch?"), std::string::npos);
  std::set<std::string> distinct(sealed.wraps.begin(), sealed.wraps.end());
  EXPECT_EQ(distinct.size(), Group::kMembers);
  for (std::size_t i = 0; i < Group::kMembers; ++i) {
    ASSERT_EQ(sealed.wraps[i].size(), kWrapSize);
    auto opened = open_group(g.from_sender[i], sealed.wraps[i], sealed.body, ad);
    ASSERT_TRUE(opened) << opened.status().to_string();
    EXPECT_EQ(*opened, "team lunch?");
    // Another member's wrap does not open with this member's key.
    const std::size_t j = (i + 1) % Group::kMembers;
    EXPECT_EQ(open_group(g.from_sender[i], sealed.wraps[j], sealed.body, ad).code(), Code::kCrypto);
  }
}

TEST(GroupEnvelopeTest, EmptyAndLargePlaintextsAndNoRecipients) {
  Group g;
  const SealedGroupMessage empty = seal_group(g.recipients, "", "");
  auto opened = open_group(g.from_sender[0], empty.wraps[0], empty.body, "");
  ASSERT_TRUE(opened);
  EXPECT_EQ(*opened, "");

  const std::string large(200 * 1024, 'q');
  const SealedGroupMessage big = seal_group(g.recipients, large, "ad");
  auto opened_big = open_group(g.from_sender[4], big.wraps[4], big.body, "ad");
  ASSERT_TRUE(opened_big);
  EXPECT_EQ(*opened_big, large);

  const SealedGroupMessage nobody = seal_group({}, "for no one", "ad");
  EXPECT_TRUE(nobody.wraps.empty());
  EXPECT_EQ(nobody.body.size(), 1 + kNonce + 10 + kMac);
}

TEST(GroupEnvelopeTest, NonMembersAndWrongAssociatedDataAreRejected) {
  Group g;
  const SealedGroupMessage sealed = seal_group(g.recipients, "payload", "group 1 msg 1");
  const Identity outsider = Identity::generate();
  const SharedKey outsider_key = derive(g.sender, outsider);
  for (const std::string& wrap : sealed.wraps) {
    EXPECT_EQ(open_group(outsider_key, wrap, sealed.body, "group 1 msg 1").code(), Code::kCrypto);
  }
  for (const char* ad : {"group 1 msg 2", "group 2 msg 1", "", "group 1 msg 1 "}) {
    EXPECT_EQ(open_group(g.from_sender[0], sealed.wraps[0], sealed.body, ad).code(), Code::kCrypto)
        << ad;
  }
  EXPECT_EQ(open_group(SharedKey(), sealed.wraps[0], sealed.body, "group 1 msg 1").code(),
            Code::kCrypto);
}

TEST(GroupEnvelopeTest, EveryTamperedBodyOrWrapByteIsRejected) {
  Group g;
  const SealedGroupMessage sealed = seal_group(g.recipients, "attack at dawn", "ad");
  const SharedKey& key = g.from_sender[0];
  const std::string& wrap = sealed.wraps[0];
  const std::string& body = sealed.body;
  auto open_body = [&](const std::string& b) { return open_group(key, wrap, b, "ad"); };
  auto open_wrap = [&](const std::string& w) { return open_group(key, w, body, "ad"); };
  expect_every_flip_rejected(body, 0, 1, "body version", open_body);
  expect_every_flip_rejected(body, 1, 1 + kNonce, "body nonce", open_body);
  expect_every_flip_rejected(body, 1 + kNonce, body.size() - kMac, "body ciphertext", open_body);
  expect_every_flip_rejected(body, body.size() - kMac, body.size(), "body mac", open_body);
  expect_every_flip_rejected(wrap, 0, kNonce, "wrap nonce", open_wrap);
  expect_every_flip_rejected(wrap, kNonce, kNonce + kMac, "wrap mac", open_wrap);
  expect_every_flip_rejected(wrap, kNonce + kMac, wrap.size(), "wrap ciphertext", open_wrap);
}

TEST(GroupEnvelopeTest, UnknownVersionsAreRejected) {
  Group g;
  const SealedGroupMessage sealed = seal_group(g.recipients, "payload", "ad");
  for (int version = 0; version < 256; ++version) {
    if (version == kEnvelopeGroupV2) continue;
    std::string body = sealed.body;
    body[0] = static_cast<char>(version);
    EXPECT_EQ(open_group(g.from_sender[0], sealed.wraps[0], body, "ad").code(), Code::kCrypto)
        << "version " << version;
  }
}

TEST(GroupEnvelopeTest, TruncatedOrExtendedInputsAreRejected) {
  Group g;
  const SealedGroupMessage sealed = seal_group(g.recipients, "payload", "ad");
  const SharedKey& key = g.from_sender[0];
  for (std::size_t n = 0; n < sealed.body.size(); ++n) {
    EXPECT_EQ(open_group(key, sealed.wraps[0], sealed.body.substr(0, n), "ad").code(),
              Code::kCrypto)
        << "body length " << n;
  }
  for (std::size_t n = 0; n < sealed.wraps[0].size(); ++n) {
    EXPECT_EQ(open_group(key, sealed.wraps[0].substr(0, n), sealed.body, "ad").code(),
              Code::kCrypto)
        << "wrap length " << n;
  }
  EXPECT_EQ(open_group(key, sealed.wraps[0] + 'x', sealed.body, "ad").code(), Code::kCrypto);
  EXPECT_EQ(open_group(key, sealed.wraps[0], sealed.body + 'x', "ad").code(), Code::kCrypto);
}

// A member knows the message key. With the server's help it re-encrypts a different
// body under that key and the right associated data, and hands the other members the
// sender's genuine wraps: the wraps name the original body, so nobody accepts it.
TEST(GroupEnvelopeTest, AMemberCannotPassAnotherBodyOffAsTheSenders) {
  Group g;
  const std::string ad = "group 3 message 9";
  const SealedGroupMessage sealed = seal_group(g.recipients, "lunch at noon", ad);
  // Member 0 recovers the key from its own wrap (what its client can do).
  std::string wrapped(32 + 32, '\0');
  const std::string& wrap = sealed.wraps[0];
  ASSERT_EQ(
      crypto_box_open_easy_afternm(
          reinterpret_cast<unsigned char*>(wrapped.data()),
          reinterpret_cast<const unsigned char*>(wrap.data()) + kNonce, wrap.size() - kNonce,
          reinterpret_cast<const unsigned char*>(wrap.data()), g.from_sender[0].bytes().data()),
      0);
  std::string forged(1, static_cast<char>(kEnvelopeGroupV2));
  const std::string lie = "lunch cancelled";
  forged.resize(1 + kNonce + lie.size() + kMac);
  randombytes_buf(forged.data() + 1, kNonce);
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      reinterpret_cast<unsigned char*>(forged.data()) + 1 + kNonce, nullptr,
      reinterpret_cast<const unsigned char*>(lie.data()), lie.size(),
      reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nullptr,
      reinterpret_cast<const unsigned char*>(forged.data()) + 1,
      reinterpret_cast<const unsigned char*>(wrapped.data()));
  for (std::size_t i = 1; i < Group::kMembers; ++i) {
    auto opened = open_group(g.from_sender[i], sealed.wraps[i], forged, ad);
    EXPECT_EQ(opened.code(), Code::kCrypto) << "member " << i << " accepted the forgery";
    ASSERT_TRUE(open_group(g.from_sender[i], sealed.wraps[i], sealed.body, ad));
  }
}

TEST(GroupEnvelopeTest, PartsOfDifferentMessagesDoNotMix) {
  Group g;
  const SealedGroupMessage first = seal_group(g.recipients, "first", "ad");
  const SealedGroupMessage second = seal_group(g.recipients, "second", "ad");
  EXPECT_NE(first.wraps[0], second.wraps[0]);  // a fresh message key per message
  EXPECT_EQ(open_group(g.from_sender[0], first.wraps[0], second.body, "ad").code(), Code::kCrypto);
  EXPECT_EQ(open_group(g.from_sender[0], second.wraps[0], first.body, "ad").code(), Code::kCrypto);
}

TEST(EnvelopeTest, DirectAndGroupEnvelopesAreNotInterchangeable) {
  Group g;
  const SealedGroupMessage sealed = seal_group(g.recipients, "payload", "ad");
  const std::string direct = seal_direct(g.to_member[0], "payload");
  EXPECT_EQ(open_group(g.from_sender[0], sealed.wraps[0], direct, "ad").code(), Code::kCrypto);
  EXPECT_EQ(open_direct(g.from_sender[0], sealed.body).code(), Code::kCrypto);
  // A wrap is a sealed key, not an envelope.
  EXPECT_EQ(open_direct(g.from_sender[0], sealed.wraps[0]).code(), Code::kCrypto);
}

TEST(EnvelopeDeathTest, SealingWithAnEmptyKeyAborts) {
  const SharedKey empty;
  EXPECT_DEATH(seal_direct(empty, "x"), "empty SharedKey");
  const SharedKey* recipients[] = {&empty};
  EXPECT_DEATH(seal_group(recipients, "x", "ad"), "empty SharedKey");
  const SharedKey* null_recipient[] = {nullptr};
  EXPECT_DEATH(seal_group(null_recipient, "x", "ad"), "null recipient");
}

}  // namespace
}  // namespace fastchat::crypto
