#include "crypto/sender_key.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <vector>

#include "crypto/kdf.h"
#include "crypto/message_cipher.h"
#include "crypto/sender_key_message.h"
#include "e2ee_test_util.h"

namespace fastchat::crypto {
namespace {

using testing::kNow;

const DeviceAddress kAlice{"alice", 1};
const DeviceAddress kBob{"bob", 1};
constexpr std::string_view kGroup = "group-42";

// A receiver of Alice's messages, holding what Alice distributed to it.
SenderKeyReceiver receiver_of(const SenderKeySender& sender) {
  SenderKeyReceiver r{std::string(kGroup), kAlice};
  EXPECT_TRUE(r.add(sender.distribution()));
  return r;
}

TEST(SenderKeyTest, EveryMemberDecryptsTheOneCiphertext) {
  SenderKeySender alice = SenderKeySender::generate(std::string(kGroup), kAlice);
  std::vector<SenderKeyReceiver> members;
  for (int i = 0; i < 3; ++i)
    members.push_back(receiver_of(alice));
  for (int n = 0; n < 10; ++n) {
    const std::string text = "message " + std::to_string(n);
    const std::string m = *alice.encrypt(text);
    EXPECT_EQ(static_cast<unsigned char>(m[0]), kSenderKeyMessageV1);
    EXPECT_EQ(m.find(text), std::string::npos);
    for (SenderKeyReceiver& r : members)
      ASSERT_EQ(*r.decrypt(m, kNow), text);
  }
  EXPECT_EQ(alice.iteration(), 10u);
}

TEST(SenderKeyTest, OutOfOrderDecryptsOnceAndReplaysAreRejected) {
  SenderKeySender alice = SenderKeySender::generate(std::string(kGroup), kAlice);
  SenderKeyReceiver bob = receiver_of(alice);
  std::vector<std::string> sent;
  for (int n = 0; n < 6; ++n)
    sent.push_back(*alice.encrypt("m" + std::to_string(n)));
  for (int n : {5, 2, 0, 4, 1, 3})
    ASSERT_EQ(*bob.decrypt(sent[n], kNow), "m" + std::to_string(n));
  EXPECT_EQ(bob.skipped_key_count(), 0u);
  for (const std::string& m : sent)
    EXPECT_EQ(bob.decrypt(m, kNow).code(), Code::kCrypto);
}

TEST(SenderKeyTest, SkipBoundAndSkippedKeyExpiry) {
  SenderKeySender alice = SenderKeySender::generate(std::string(kGroup), kAlice);
  SenderKeyReceiver bob = receiver_of(alice);
  std::vector<std::string> sent;
  for (std::uint32_t n = 0; n < kMaxSenderKeySkip + 2; ++n)
    sent.push_back(*alice.encrypt("m"));
  EXPECT_EQ(bob.decrypt(sent.back(), kNow).code(), Code::kCrypto);
  ASSERT_TRUE(bob.decrypt(sent[kMaxSenderKeySkip], kNow));
  EXPECT_EQ(bob.skipped_key_count(), kMaxSenderKeySkip);
  ASSERT_TRUE(bob.decrypt(sent[0], kNow + kSenderKeySkippedMaxAgeMs));
  EXPECT_EQ(bob.decrypt(sent[1], kNow + kSenderKeySkippedMaxAgeMs + 1).code(), Code::kCrypto);
  EXPECT_EQ(bob.skipped_key_count(), 0u);
}

TEST(SenderKeyTest, TamperedMessagesAreRejected) {
  SenderKeySender alice = SenderKeySender::generate(std::string(kGroup), kAlice);
  SenderKeyReceiver bob = receiver_of(alice);
  const std::string m = *alice.encrypt("genuine");
  for (std::size_t i = 0; i < m.size(); ++i) {
    std::string t = m;
    t[i] ^= 0x01;
    EXPECT_FALSE(bob.decrypt(t, kNow)) << i;
  }
  EXPECT_FALSE(bob.decrypt(m.substr(0, m.size() - 1), kNow));
  ASSERT_EQ(*bob.decrypt(m, kNow), "genuine");  // the failed attempts changed nothing
}

// A member knows Alice's chain key (from her distribution), so it can encrypt under the
// right message key; only Alice's signing key makes the message hers.
std::string message_under_chain(const SenderKeyDistribution& d, const DeviceAddress& sender,
                                std::string_view text, const SecretBytes& signing_secret_key) {
  const ChainStep step = chain_step(d.chain_key);
  std::string context = "fastchat/sender-key/v1";
  context.push_back(static_cast<char>(d.group_id.size()));
  context += d.group_id;
  context.push_back(static_cast<char>(sender.user.size()));
  context += sender.user;
  context += std::string("\0\0\0", 3) + static_cast<char>(sender.device_id);
  const std::string header = encode_sender_key_header(d.key_id, d.iteration);
  SenderKeyMessage m;
  m.key_id = d.key_id;
  m.iteration = d.iteration;
  m.ciphertext = seal_with_message_key(step.message_key, "fastchat/sender-key/message/v1", text,
                                       context + header);
  const std::string statement = context + header + m.ciphertext;
  unsigned char signature[crypto_sign_BYTES];
  crypto_sign_detached(signature, nullptr, reinterpret_cast<const unsigned char*>(statement.data()),
                       statement.size(), signing_secret_key.data());
  m.signature = std::string(reinterpret_cast<const char*>(signature), sizeof signature);
  return encode_sender_key_message(m);
}

TEST(SenderKeyTest, AMemberCannotForgeAnotherMembersMessage) {
  SenderKeySender alice = SenderKeySender::generate(std::string(kGroup), kAlice);
  SenderKeyReceiver bob = receiver_of(alice);
  const SenderKeyDistribution known_to_carol = alice.distribution();

  unsigned char carol_pk[crypto_sign_PUBLICKEYBYTES];
  SecretBytes carol_sk(crypto_sign_SECRETKEYBYTES);
  crypto_sign_keypair(carol_pk, carol_sk.data());
  EXPECT_EQ(
      bob.decrypt(message_under_chain(known_to_carol, kAlice, "forged", carol_sk), kNow).code(),
      Code::kCrypto);

  // The same construction with Alice's own signing key (the last 64 bytes of her saved
  // state) is accepted: only the signature stopped Carol.
  const SecretBytes state = alice.serialize();
  const SecretBytes alice_sk(state.view().substr(state.size() - crypto_sign_SECRETKEYBYTES));
  ASSERT_EQ(*bob.decrypt(message_under_chain(known_to_carol, kAlice, "real", alice_sk), kNow),
            "real");
}

TEST(SenderKeyTest, MessageClaimedForAnotherSenderDeviceIsRejected) {
  SenderKeySender alice = SenderKeySender::generate(std::string(kGroup), kAlice);
  // The server delivers Alice's message as if Bob sent it (to a receiver holding the
  // same key under Bob's address): the signed context names Alice.
  SenderKeyReceiver as_bob{std::string(kGroup), kBob};
  ASSERT_TRUE(as_bob.add(alice.distribution()));
  EXPECT_EQ(as_bob.decrypt(*alice.encrypt("x"), kNow).code(), Code::kCrypto);
}

TEST(SenderKeyTest, SignatureIsCheckedWithTheDistributedKey) {
  SenderKeySender alice = SenderKeySender::generate(std::string(kGroup), kAlice);
  SenderKeyDistribution d = alice.distribution();
  const SenderKeySender stranger = SenderKeySender::generate(std::string(kGroup), kAlice);
  d.signing_public_key = stranger.distribution().signing_public_key;
  SenderKeyReceiver bob{std::string(kGroup), kAlice};
  ASSERT_TRUE(bob.add(d));
  EXPECT_EQ(bob.decrypt(*alice.encrypt("x"), kNow).code(), Code::kCrypto);
  // The same key id with another signing key is refused.
  EXPECT_EQ(bob.add(alice.distribution()).code(), Code::kCrypto);
}

TEST(SenderKeyTest, DistributionForAnotherGroupIsRefused) {
  SenderKeySender alice = SenderKeySender::generate("other-group", kAlice);
  SenderKeyReceiver bob{std::string(kGroup), kAlice};
  EXPECT_EQ(bob.add(alice.distribution()).code(), Code::kCrypto);
}

TEST(SenderKeyTest, RotationLocksOutARemovedMemberAndANewMemberReadsNothingEarlier) {
  SenderKeySender alice = SenderKeySender::generate(std::string(kGroup), kAlice);
  SenderKeyReceiver bob = receiver_of(alice);
  SenderKeyReceiver carol = receiver_of(alice);
  const std::string before = *alice.encrypt("before carol leaves");
  ASSERT_TRUE(bob.decrypt(before, kNow));
  ASSERT_TRUE(carol.decrypt(before, kNow));

  // Carol is removed: Alice rotates and distributes the new key to Bob only.
  const std::uint32_t old_key_id = alice.key_id();
  alice = alice.rotated();
  EXPECT_NE(alice.key_id(), old_key_id);
  ASSERT_TRUE(bob.add(alice.distribution()));
  for (int n = 0; n < 5; ++n) {
    const std::string m = *alice.encrypt("after " + std::to_string(n));
    ASSERT_TRUE(bob.decrypt(m, kNow));
    EXPECT_FALSE(carol.decrypt(m, kNow));
    // Not even with everything Carol's device ever held (saved state, restarted).
    SenderKeyReceiver carol_again = *SenderKeyReceiver::deserialize(carol.serialize().view());
    EXPECT_FALSE(carol_again.decrypt(m, kNow));
  }

  // Dave joins: he gets the current chain, which does not run backwards.
  std::vector<std::string> earlier;
  for (int n = 0; n < 3; ++n)
    earlier.push_back(*alice.encrypt("before dave"));
  SenderKeyReceiver dave = receiver_of(alice);
  for (const std::string& m : earlier)
    EXPECT_FALSE(dave.decrypt(m, kNow));
  EXPECT_FALSE(dave.decrypt(before, kNow));
  ASSERT_EQ(*dave.decrypt(*alice.encrypt("welcome dave"), kNow), "welcome dave");
}

TEST(SenderKeyTest, ReceiverKeepsThePreviousKeyForMessagesInFlight) {
  SenderKeySender old_key = SenderKeySender::generate(std::string(kGroup), kAlice);
  SenderKeyReceiver bob = receiver_of(old_key);
  const std::string in_flight = *old_key.encrypt("sent before the rotation");
  SenderKeySender new_key = SenderKeySender::generate(std::string(kGroup), kAlice);
  ASSERT_TRUE(bob.add(new_key.distribution()));
  ASSERT_EQ(*bob.decrypt(*new_key.encrypt("new"), kNow), "new");
  ASSERT_EQ(*bob.decrypt(in_flight, kNow), "sent before the rotation");
  // A third key pushes the oldest out.
  SenderKeySender third = SenderKeySender::generate(std::string(kGroup), kAlice);
  ASSERT_TRUE(bob.add(third.distribution()));
  EXPECT_FALSE(bob.knows_key(old_key.key_id()));
  EXPECT_TRUE(bob.knows_key(new_key.key_id()));
}

TEST(SenderKeyTest, ForwardSecrecyReceiverStateDoesNotOpenEarlierMessages) {
  SenderKeySender alice = SenderKeySender::generate(std::string(kGroup), kAlice);
  SenderKeyReceiver bob = receiver_of(alice);
  std::vector<std::string> recorded;
  for (int n = 0; n < 4; ++n) {
    recorded.push_back(*alice.encrypt("secret"));
    ASSERT_TRUE(bob.decrypt(recorded.back(), kNow));
  }
  SenderKeyReceiver seized = *SenderKeyReceiver::deserialize(bob.serialize().view());
  SenderKeyReceiver seized_sender_view = receiver_of(alice);  // the sender's current state
  for (const std::string& m : recorded) {
    EXPECT_FALSE(seized.decrypt(m, kNow));
    EXPECT_FALSE(seized_sender_view.decrypt(m, kNow));
  }
}

TEST(SenderKeyTest, StatesAndDistributionsRoundTripAndMalformedOnesAreRefused) {
  SenderKeySender alice = SenderKeySender::generate(std::string(kGroup), kAlice);
  SenderKeyReceiver bob = receiver_of(alice);
  std::vector<std::string> sent;
  for (int n = 0; n < 3; ++n)
    sent.push_back(*alice.encrypt("m" + std::to_string(n)));
  ASSERT_TRUE(bob.decrypt(sent[2], kNow));

  const SecretBytes sender_state = alice.serialize();
  SenderKeySender alice2 = *SenderKeySender::deserialize(sender_state.view());
  EXPECT_EQ(alice2.key_id(), alice.key_id());
  const SecretBytes receiver_state = bob.serialize();
  SenderKeyReceiver bob2 = *SenderKeyReceiver::deserialize(receiver_state.view());
  ASSERT_EQ(*bob2.decrypt(sent[0], kNow), "m0");
  ASSERT_EQ(*bob2.decrypt(*alice2.encrypt("resumed"), kNow), "resumed");

  const SecretBytes dist = encode_sender_key_distribution(alice.distribution());
  Result<SenderKeyDistribution> decoded = decode_sender_key_distribution(dist.view());
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->group_id, kGroup);
  EXPECT_TRUE(decoded->chain_key.equals(alice.distribution().chain_key.view()));

  for (std::size_t n = 0; n < dist.size(); ++n) {
    EXPECT_FALSE(decode_sender_key_distribution(dist.view().substr(0, n))) << n;
  }
  EXPECT_FALSE(decode_sender_key_distribution(std::string(dist.view()) + "x"));
  for (std::size_t n = 0; n < sender_state.size(); ++n) {
    EXPECT_FALSE(SenderKeySender::deserialize(sender_state.view().substr(0, n))) << n;
  }
  for (std::size_t n = 0; n < receiver_state.size(); n += 5) {
    EXPECT_FALSE(SenderKeyReceiver::deserialize(receiver_state.view().substr(0, n))) << n;
  }
  std::string bad_secret(sender_state.view());
  bad_secret[bad_secret.size() - 1] ^= 1;  // the signing key's public half disagrees
  EXPECT_FALSE(SenderKeySender::deserialize(bad_secret));
  EXPECT_FALSE(decode_sender_key_message(std::string(1, '\x13')));
  EXPECT_FALSE(decode_sender_key_message(sent[0].substr(0, 9 + kMessageCipherOverhead + 63)));
}

}  // namespace
}  // namespace fastchat::crypto
