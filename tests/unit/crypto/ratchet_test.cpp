// Double Ratchet through PeerSessions, as two devices use it: round trips, out of
// order, bounds, replays, tampering, forward secrecy, post-compromise security,
// simultaneous initiation, saved states.
#include <gtest/gtest.h>

#include <vector>

#include "crypto/peer_sessions.h"
#include "crypto/ratchet_message.h"
#include "crypto/ratchet_session.h"
#include "e2ee_test_util.h"

namespace fastchat::crypto {
namespace {

using testing::kNow;
using testing::TestDevice;

class RatchetTest : public ::testing::Test {
 protected:
  RatchetTest()
      : alice_("alice", 1),
        bob_("bob", 2),
        alice_to_bob_(alice_.sessions_with(bob_)),
        bob_from_alice_(bob_.sessions_with(alice_)) {}

  std::string send_a(std::string_view text) {
    Result<std::string> m = alice_to_bob_.encrypt(text);
    EXPECT_TRUE(m) << m.status().to_string();
    return m ? *m : std::string();
  }
  std::string send_b(std::string_view text) {
    Result<std::string> m = bob_from_alice_.encrypt(text);
    EXPECT_TRUE(m) << m.status().to_string();
    return m ? *m : std::string();
  }
  Result<std::string> recv_b(std::string_view m, std::int64_t now = kNow) {
    return bob_from_alice_.decrypt(bob_.local(), bob_.prekeys, m, now);
  }
  Result<std::string> recv_a(std::string_view m, std::int64_t now = kNow) {
    return alice_to_bob_.decrypt(alice_.local(), alice_.prekeys, m, now);
  }
  void start(bool with_one_time = true) {
    ASSERT_TRUE(alice_to_bob_.start(alice_.local(), bob_.bundle(with_one_time)));
  }

  TestDevice alice_, bob_;
  PeerSessions alice_to_bob_, bob_from_alice_;
};

TEST_F(RatchetTest, ConversationRoundTripsAndPrekeyHeaderStopsAfterTheFirstReply) {
  start();
  EXPECT_EQ(alice_to_bob_.encrypt("x").code(), Code::kOk);
  EXPECT_EQ(bob_from_alice_.encrypt("x").code(), Code::kNotFound);  // no session yet
  const std::string first = send_a("hello bob");
  EXPECT_EQ(static_cast<unsigned char>(first[0]), kPrekeyMessageV1);
  // The "x" above was sent and lost: the ratchet does not mind.
  ASSERT_EQ(*recv_b(first), "hello bob");
  const std::string second = send_a("still no answer");
  EXPECT_EQ(static_cast<unsigned char>(second[0]), kPrekeyMessageV1);
  ASSERT_EQ(*recv_b(second), "still no answer");
  const std::string reply = send_b("hi alice");
  EXPECT_EQ(static_cast<unsigned char>(reply[0]), kRatchetMessageV1);
  ASSERT_EQ(*recv_a(reply), "hi alice");
  EXPECT_EQ(static_cast<unsigned char>(send_a("answered")[0]), kRatchetMessageV1);

  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i <= round % 3; ++i) {
      const std::string text = "a" + std::to_string(round) + "." + std::to_string(i);
      ASSERT_EQ(*recv_b(send_a(text)), text);
    }
    const std::string text = "b" + std::to_string(round);
    ASSERT_EQ(*recv_a(send_b(text)), text);
  }
  EXPECT_EQ(alice_to_bob_.session_count(), 1u);
  EXPECT_EQ(bob_from_alice_.session_count(), 1u);
}

TEST_F(RatchetTest, EmptyAndLargeMessagesRoundTrip) {
  start(false);
  ASSERT_EQ(*recv_b(send_a("")), "");
  const std::string big(1 << 20, 'z');
  ASSERT_EQ(*recv_a(send_b(big)), big);
}

TEST_F(RatchetTest, UsedOneTimePrekeyIsDeletedAndCannotOpenASecondSession) {
  start(true);
  EXPECT_EQ(bob_.prekeys.one_time_count(), 10u);
  const std::string first = send_a("one");
  ASSERT_TRUE(recv_b(first));
  EXPECT_EQ(bob_.prekeys.one_time(100), nullptr);
  EXPECT_EQ(bob_.prekeys.one_time_count(), 9u);
  // Replayed to a fresh copy of Bob's sessions (as if the session was lost): the
  // one-time prekey is gone, so no second session opens.
  PeerSessions fresh = bob_.sessions_with(alice_);
  EXPECT_EQ(fresh.decrypt(bob_.local(), bob_.prekeys, first, kNow).code(), Code::kCrypto);
}

TEST_F(RatchetTest, InitialMessageWithoutOneTimePrekeyCannotBeReplayedIntoANewSession) {
  start(false);
  const std::string first = send_a("one");
  ASSERT_TRUE(recv_b(first));
  PeerSessions fresh = bob_.sessions_with(alice_);
  EXPECT_EQ(fresh.decrypt(bob_.local(), bob_.prekeys, first, kNow).code(), Code::kCrypto);
}

TEST_F(RatchetTest, FailedFirstMessageConsumesNothing) {
  start(true);
  std::string first = send_a("one");
  std::string tampered = first;
  tampered.back() ^= 1;
  EXPECT_EQ(recv_b(tampered).code(), Code::kCrypto);
  EXPECT_FALSE(bob_from_alice_.has_session());
  EXPECT_EQ(bob_.prekeys.one_time_count(), 10u);
  ASSERT_EQ(*recv_b(first), "one");
}

TEST_F(RatchetTest, OutOfOrderMessagesAcrossRatchetStepsAllDecryptOnce) {
  start();
  ASSERT_TRUE(recv_b(send_a("hello")));
  ASSERT_TRUE(recv_a(send_b("hi")));
  std::vector<std::string> from_alice, from_bob;
  for (int i = 0; i < 5; ++i)
    from_alice.push_back(send_a("a1." + std::to_string(i)));
  for (int i = 0; i < 3; ++i)
    from_bob.push_back(send_b("b1." + std::to_string(i)));
  ASSERT_EQ(*recv_a(from_bob[2]), "b1.2");  // Alice ratchets on this one
  for (int i = 0; i < 4; ++i)
    from_alice.push_back(send_a("a2." + std::to_string(i)));
  // Bob gets the second chain first, then the first chain backwards.
  ASSERT_EQ(*recv_b(from_alice[7]), "a2.2");
  ASSERT_EQ(*recv_b(from_alice[5]), "a2.0");
  for (int i = 4; i >= 0; --i)
    ASSERT_EQ(*recv_b(from_alice[i]), "a1." + std::to_string(i));
  ASSERT_EQ(*recv_b(from_alice[8]), "a2.3");
  ASSERT_EQ(*recv_b(from_alice[6]), "a2.1");
  ASSERT_EQ(*recv_a(from_bob[0]), "b1.0");
  ASSERT_EQ(*recv_a(from_bob[1]), "b1.1");
  // Every one of them, a second time: refused, and the sessions still work.
  for (const std::string& m : from_alice)
    EXPECT_EQ(recv_b(m).code(), Code::kCrypto);
  for (const std::string& m : from_bob)
    EXPECT_EQ(recv_a(m).code(), Code::kCrypto);
  ASSERT_EQ(*recv_b(send_a("after")), "after");
  ASSERT_EQ(*recv_a(send_b("after too")), "after too");
}

TEST_F(RatchetTest, ReplayedMessageIsRejectedInTheCurrentChain) {
  start();
  ASSERT_TRUE(recv_b(send_a("hello")));
  const std::string m = send_b("once");
  ASSERT_EQ(*recv_a(m), "once");
  EXPECT_EQ(recv_a(m).code(), Code::kCrypto);
  const std::string first = send_a("prekey header gone");
  ASSERT_TRUE(recv_b(first));
  EXPECT_EQ(recv_b(first).code(), Code::kCrypto);
}

TEST_F(RatchetTest, ReplayedPrekeyMessageIsRejectedByItsSession) {
  start();
  const std::string first = send_a("hello");
  ASSERT_EQ(*recv_b(first), "hello");
  EXPECT_EQ(recv_b(first).code(), Code::kCrypto);
  EXPECT_EQ(bob_from_alice_.session_count(), 1u);
}

TEST_F(RatchetTest, MessagesMoreThanMaxSkipAheadAreRefusedWithoutHarm) {
  start();
  ASSERT_TRUE(recv_b(send_a("hello")));
  ASSERT_TRUE(recv_a(send_b("hi")));
  std::vector<std::string> sent;
  for (std::uint32_t i = 0; i < kMaxSkip + 2; ++i)
    sent.push_back(send_a("m"));
  EXPECT_EQ(recv_b(sent.back()).code(), Code::kCrypto);  // needs kMaxSkip + 1 skipped keys
  ASSERT_TRUE(recv_b(sent[kMaxSkip]));                   // exactly kMaxSkip skipped keys
  ASSERT_TRUE(recv_b(sent.back()));
  ASSERT_TRUE(recv_b(sent[0]));
}

TEST_F(RatchetTest, SkippedKeyStoreIsBoundedAndOldestKeysGoFirst) {
  start();
  ASSERT_TRUE(recv_b(send_a("hello")));
  ASSERT_TRUE(recv_a(send_b("hi")));
  // Three chains of kMaxSkip skipped messages each: more than the store holds.
  std::vector<std::string> skipped_first_chain;
  for (int chain = 0; chain < 3; ++chain) {
    std::vector<std::string> sent;
    for (std::uint32_t i = 0; i <= kMaxSkip; ++i)
      sent.push_back(send_a("c"));
    if (chain == 0) skipped_first_chain.assign(sent.begin(), sent.begin() + 10);
    ASSERT_TRUE(recv_b(sent.back()));
    ASSERT_TRUE(recv_a(send_b("turn")));
  }
  ASSERT_TRUE(recv_b(send_a("tail")));
  Result<PeerSessions> saved = PeerSessions::deserialize(bob_from_alice_.serialize().view());
  ASSERT_TRUE(saved);
  // The oldest keys were evicted: those messages are lost, not decryptable forever.
  for (const std::string& m : skipped_first_chain)
    EXPECT_EQ(recv_b(m).code(), Code::kCrypto);
}

TEST_F(RatchetTest, SkippedKeysExpireAfterTheirMaximumAge) {
  start();
  ASSERT_TRUE(recv_b(send_a("hello")));
  const std::string late = send_a("late");
  const std::string later = send_a("later");
  const std::string on_time = send_a("on time");
  ASSERT_TRUE(recv_b(on_time, kNow));
  ASSERT_EQ(*recv_b(later, kNow + kSkippedKeyMaxAgeMs), "later");  // at the limit: kept
  EXPECT_EQ(recv_b(late, kNow + kSkippedKeyMaxAgeMs + 1).code(), Code::kCrypto);
}

TEST_F(RatchetTest, TamperedHeaderCiphertextOrVersionIsRejected) {
  start();
  ASSERT_TRUE(recv_b(send_a("hello")));
  const std::string m = send_b("genuine");
  // Every single byte matters: version, ratchet key, PN, N, ciphertext and tag.
  for (std::size_t i = 0; i < m.size(); ++i) {
    std::string t = m;
    t[i] ^= 0x20;
    EXPECT_FALSE(recv_a(t)) << "byte " << i;
  }
  EXPECT_FALSE(recv_a(m.substr(0, m.size() - 1)));
  EXPECT_FALSE(recv_a(m + "x"));
  EXPECT_EQ(*recv_a(m), "genuine");  // the failed attempts changed nothing
}

TEST_F(RatchetTest, MessageFromAnotherSenderAddressIsRejected) {
  // The server claims the message came from "mallory" device 1: the AD differs.
  start();
  const std::string first = send_a("hello");
  PeerSessions wrong(DeviceAddress{"mallory", 1}, std::string(alice_.identity.sign_public_key()),
                     std::string(alice_.identity.box_public_key()));
  EXPECT_EQ(wrong.decrypt(bob_.local(), bob_.prekeys, first, kNow).code(), Code::kCrypto);
  EXPECT_EQ(bob_.prekeys.one_time_count(), 10u);
  ASSERT_EQ(*recv_b(first), "hello");
}

TEST_F(RatchetTest, PrekeyMessageUnderAnotherIdentityIsRefused) {
  TestDevice impostor("alice", 1);
  PeerSessions impostor_to_bob = impostor.sessions_with(bob_);
  ASSERT_TRUE(impostor_to_bob.start(impostor.local(), bob_.bundle()));
  const std::string m = *impostor_to_bob.encrypt("it's me, alice");
  Result<std::string> got = recv_b(m);
  EXPECT_EQ(got.code(), Code::kCrypto);
  EXPECT_NE(got.status().message().find("identity"), std::string::npos);
}

TEST_F(RatchetTest, ForwardSecrecyEarlierMessagesDoNotDecryptWithCurrentStates) {
  start();
  std::vector<std::string> recorded_a, recorded_b;
  for (int i = 0; i < 4; ++i) {
    recorded_a.push_back(send_a("secret from alice " + std::to_string(i)));
    ASSERT_TRUE(recv_b(recorded_a.back()));
    recorded_b.push_back(send_b("secret from bob " + std::to_string(i)));
    ASSERT_TRUE(recv_a(recorded_b.back()));
  }
  // The attacker seizes both devices now: every key and both saved states.
  const SecretBytes alice_state = alice_to_bob_.serialize();
  const SecretBytes bob_state = bob_from_alice_.serialize();
  const SecretBytes bob_prekeys = bob_.prekeys.serialize();
  for (const std::string& m : recorded_a) {
    Result<PeerSessions> as_bob = PeerSessions::deserialize(bob_state.view());
    Result<LocalPrekeys> prekeys = LocalPrekeys::deserialize(bob_prekeys.view());
    ASSERT_TRUE(as_bob && prekeys);
    EXPECT_EQ(as_bob->decrypt(bob_.local(), *prekeys, m, kNow).code(), Code::kCrypto);
  }
  for (const std::string& m : recorded_b) {
    Result<PeerSessions> as_alice = PeerSessions::deserialize(alice_state.view());
    ASSERT_TRUE(as_alice);
    EXPECT_EQ(as_alice->decrypt(alice_.local(), alice_.prekeys, m, kNow).code(), Code::kCrypto);
  }
}

TEST_F(RatchetTest, PostCompromiseSecurityCopiedStateIsLockedOutAfterOneRoundTrip) {
  start();
  ASSERT_TRUE(recv_b(send_a("hello")));
  const std::string hi = send_b("hi");
  // The attacker copies Bob's device (state, prekeys, identity) and then sees every
  // message Alice sends, trying each with its copy, which it keeps updating.
  Result<PeerSessions> copy = PeerSessions::deserialize(bob_from_alice_.serialize().view());
  ASSERT_TRUE(copy);
  LocalPrekeys copy_prekeys = *LocalPrekeys::deserialize(bob_.prekeys.serialize().view());
  auto attacker_reads = [&](const std::string& m) {
    return copy->decrypt(bob_.local(), copy_prekeys, m, kNow).is_ok();
  };
  ASSERT_TRUE(recv_a(hi));
  // Right after the copy the attacker can read (no protocol can prevent that)...
  const std::string out = send_a("round trip, out");
  EXPECT_TRUE(attacker_reads(out));
  ASSERT_TRUE(recv_b(out));
  // ...but after one round trip without the attacker (fresh DH keys on both sides):
  ASSERT_TRUE(recv_a(send_b("round trip, back")));
  for (int i = 0; i < 3; ++i) {
    const std::string m = send_a("healed " + std::to_string(i));
    EXPECT_FALSE(attacker_reads(m)) << i;
    ASSERT_EQ(*recv_b(m), "healed " + std::to_string(i));
  }
}

TEST_F(RatchetTest, SimultaneousInitiationConvergesOnOneSession) {
  PeerSessions& a = alice_to_bob_;
  PeerSessions& b = bob_from_alice_;
  ASSERT_TRUE(a.start(alice_.local(), bob_.bundle()));
  ASSERT_TRUE(b.start(bob_.local(), alice_.bundle()));
  const std::string from_a = *a.encrypt("alice first");
  const std::string from_b = *b.encrypt("bob first");
  ASSERT_EQ(*recv_b(from_a), "alice first");
  ASSERT_EQ(*recv_a(from_b), "bob first");
  EXPECT_EQ(a.session_count(), 2u);
  EXPECT_EQ(b.session_count(), 2u);
  // Crossed: each sends on the session the other opened, which the other surely has.
  ASSERT_FALSE(a.active_base_key().empty());
  EXPECT_NE(a.active_base_key(), b.active_base_key());
  const std::string from_b_late = *b.encrypt("bob second, delivered late");
  // One message that does not cross, and both send on the session it came on.
  ASSERT_EQ(*recv_b(send_a("a0")), "a0");
  EXPECT_EQ(a.active_base_key(), b.active_base_key());
  // The choice survives a restart.
  Result<PeerSessions> a_saved = PeerSessions::deserialize(a.serialize().view());
  ASSERT_TRUE(a_saved);
  EXPECT_EQ(a_saved->active_base_key(), a.active_base_key());
  for (int i = 1; i < 5; ++i) {
    ASSERT_EQ(*recv_b(send_a("a" + std::to_string(i))), "a" + std::to_string(i));
    ASSERT_EQ(*recv_a(send_b("b" + std::to_string(i))), "b" + std::to_string(i));
    EXPECT_EQ(a.active_base_key(), b.active_base_key());
  }
  // A message sent on the other session before the sides agreed still decrypts, once;
  // it switches Alice to that session, which Bob has, and the next answer brings both
  // back together.
  ASSERT_EQ(*recv_a(from_b_late), "bob second, delivered late");
  EXPECT_FALSE(recv_a(from_b_late));
  ASSERT_EQ(*recv_b(send_a("after the late one")), "after the late one");
  ASSERT_EQ(*recv_a(send_b("and back")), "and back");
  EXPECT_EQ(a.active_base_key(), b.active_base_key());
}

// A session the peer can never open (a stale bundle: its one-time prekey was used by
// someone else): the peer starts its own session, and its first message makes that one
// active here, whichever identity key is lower (both orders run).
TEST_F(RatchetTest, ASessionThePeerNeverOpenedIsLeftAtThePeersFirstMessage) {
  for (const bool alice_stale : {true, false}) {
    SCOPED_TRACE(alice_stale ? "alice got the stale bundle" : "bob got the stale bundle");
    PeerSessions a = alice_.sessions_with(bob_);
    PeerSessions b = bob_.sessions_with(alice_);
    PeerSessions& loser = alice_stale ? a : b;
    PeerSessions& other = alice_stale ? b : a;
    TestDevice& loser_device = alice_stale ? alice_ : bob_;
    TestDevice& other_device = alice_stale ? bob_ : alice_;
    const PrekeyBundle stale = other_device.bundle();
    {  // Someone used its one-time prekey first.
      PeerSessions first = loser_device.sessions_with(other_device);
      ASSERT_TRUE(first.start(loser_device.local(), stale));
      PeerSessions opened = other_device.sessions_with(loser_device);
      ASSERT_TRUE(opened.decrypt(other_device.local(), other_device.prekeys,
                                 *first.encrypt("first"), kNow));
    }
    ASSERT_TRUE(loser.start(loser_device.local(), stale));
    EXPECT_EQ(other
                  .decrypt(other_device.local(), other_device.prekeys,
                           *loser.encrypt("never opens"), kNow)
                  .code(),
              Code::kCrypto);
    ASSERT_TRUE(other.start(other_device.local(), loser_device.bundle()));
    const std::string answer = *other.encrypt("are you there?");
    ASSERT_EQ(*loser.decrypt(loser_device.local(), loser_device.prekeys, answer, kNow),
              "are you there?");
    const std::string reply = *loser.encrypt("yes");
    ASSERT_EQ(*other.decrypt(other_device.local(), other_device.prekeys, reply, kNow), "yes");
    EXPECT_EQ(loser.active_base_key(), other.active_base_key());
  }
}

TEST_F(RatchetTest, SimultaneousInitiationWithALateFirstMessageKeepsBothDirectionsWorking) {
  PeerSessions& a = alice_to_bob_;
  PeerSessions& b = bob_from_alice_;
  ASSERT_TRUE(a.start(alice_.local(), bob_.bundle()));
  ASSERT_TRUE(b.start(bob_.local(), alice_.bundle()));
  const std::string from_a = *a.encrypt("alice first");
  const std::string from_b = *b.encrypt("bob first, delivered last");
  ASSERT_EQ(*recv_b(from_a), "alice first");
  ASSERT_EQ(*recv_a(send_b("bob's reply")), "bob's reply");
  ASSERT_EQ(*recv_a(from_b), "bob first, delivered last");
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(*recv_b(send_a("a" + std::to_string(i))), "a" + std::to_string(i));
    ASSERT_EQ(*recv_a(send_b("b" + std::to_string(i))), "b" + std::to_string(i));
  }
  EXPECT_LE(a.session_count(), 2u);
  EXPECT_LE(b.session_count(), 2u);
}

TEST_F(RatchetTest, NewSessionFromThePeerReplacesAnAnsweredOne) {
  start();
  ASSERT_TRUE(recv_b(send_a("hello")));
  ASSERT_TRUE(recv_a(send_b("hi")));
  // Alice lost her state and starts over with a new bundle.
  PeerSessions restarted = alice_.sessions_with(bob_);
  ASSERT_TRUE(restarted.start(alice_.local(), bob_.bundle()));
  ASSERT_EQ(*recv_b(*restarted.encrypt("started over")), "started over");
  EXPECT_EQ(bob_from_alice_.active_base_key(), restarted.active_base_key());
  ASSERT_EQ(*restarted.decrypt(alice_.local(), alice_.prekeys, send_b("welcome back"), kNow),
            "welcome back");
}

TEST_F(RatchetTest, SavedStatesResumeTheConversation) {
  start();
  ASSERT_TRUE(recv_b(send_a("hello")));
  ASSERT_TRUE(recv_a(send_b("hi")));
  const std::string skipped = send_a("arrives after the restart");
  ASSERT_TRUE(recv_b(send_a("skips one")));
  // Both restart from saved state.
  alice_to_bob_ = *PeerSessions::deserialize(alice_to_bob_.serialize().view());
  bob_from_alice_ = *PeerSessions::deserialize(bob_from_alice_.serialize().view());
  bob_.prekeys = *LocalPrekeys::deserialize(bob_.prekeys.serialize().view());
  ASSERT_EQ(*recv_b(skipped), "arrives after the restart");
  ASSERT_EQ(*recv_a(send_b("b")), "b");
  ASSERT_EQ(*recv_b(send_a("a")), "a");
  EXPECT_EQ(alice_to_bob_.peer().user, "bob");
  EXPECT_EQ(alice_to_bob_.serialize().view(),
            PeerSessions::deserialize(alice_to_bob_.serialize().view())->serialize().view());
}

TEST_F(RatchetTest, RolledBackSenderStateLeaksNothingAndItsRepeatIsRefused) {
  start();
  ASSERT_TRUE(recv_b(send_a("hello")));
  ASSERT_TRUE(recv_a(send_b("hi")));
  // Alice encrypts, crashes before saving, and restarts from the saved state.
  const SecretBytes saved = alice_to_bob_.serialize();
  const std::string first = send_a(std::string(64, 'a'));
  alice_to_bob_ = *PeerSessions::deserialize(saved.view());
  const std::string again = send_a(std::string(64, 'b'));
  ASSERT_EQ(first.size(), again.size());
  ASSERT_EQ(first.substr(0, kRatchetHeaderBytes), again.substr(0, kRatchetHeaderBytes));
  std::size_t same_xor = 0;  // a repeated keystream would make this 64
  for (std::size_t i = 0; i < 64; ++i) {
    const std::size_t at = kRatchetHeaderBytes + 24 + i;
    if ((first[at] ^ again[at]) == ('a' ^ 'b')) ++same_xor;
  }
  EXPECT_LT(same_xor, 8u);
  ASSERT_EQ(*recv_b(again), std::string(64, 'b'));
  EXPECT_EQ(recv_b(first).code(), Code::kCrypto);  // same message key: refused as a replay
  ASSERT_EQ(*recv_b(send_a("next")), "next");
}

TEST_F(RatchetTest, MalformedSavedStatesAreRefused) {
  start();
  ASSERT_TRUE(recv_b(send_a("hello")));
  const SecretBytes saved = bob_from_alice_.serialize();
  for (std::size_t n = 0; n < saved.size(); n += 7) {
    EXPECT_EQ(PeerSessions::deserialize(saved.view().substr(0, n)).code(), Code::kCrypto) << n;
  }
  EXPECT_FALSE(PeerSessions::deserialize(std::string(saved.view()) + "x"));
  std::string wrong_version(saved.view());
  wrong_version[0] = 0x7f;
  EXPECT_FALSE(PeerSessions::deserialize(wrong_version));
  EXPECT_FALSE(RatchetSession::deserialize(""));
}

}  // namespace
}  // namespace fastchat::crypto
