// E2EE v2 under a hostile transport: messages between two devices (and to group
// members) are dropped, duplicated, replayed and reordered at random (fixed seeds).
// Every message that arrives for the first time decrypts to the sender's words; every
// second arrival is refused; the sessions never break.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "crypto/peer_sessions.h"
#include "crypto/sender_key.h"
#include "e2ee_test_util.h"

namespace fastchat::crypto {
namespace {

using testing::kNow;
using testing::TestDevice;

struct InFlight {
  std::string text;
  std::string wire;
  bool delivered = false;
};

class HostileTransportTest : public ::testing::TestWithParam<unsigned> {};

TEST_P(HostileTransportTest, RatchetMessagesArriveOnceInTheSendersWords) {
  std::mt19937 rng(GetParam());
  TestDevice alice("alice"), bob("bob");
  PeerSessions a = alice.sessions_with(bob), b = bob.sessions_with(alice);
  // Half of the runs start from both sides at once.
  ASSERT_TRUE(a.start(alice.local(), bob.bundle()));
  if (GetParam() % 2 == 0) {
    ASSERT_TRUE(b.start(bob.local(), alice.bundle()));
  }

  std::vector<InFlight> to_bob, to_alice;
  int sent = 0, first_arrivals = 0, refused_repeats = 0;
  for (int step = 0; step < 1500; ++step) {
    const unsigned action = rng() % 10;
    if (action < 3) {  // Alice sends (2 in 10), Bob sends once he has a session (1 in 10)
      const bool from_alice = action < 2;
      if (!from_alice && !b.has_session()) continue;
      PeerSessions& sender = from_alice ? a : b;
      const std::string text = (from_alice ? "a" : "b") + std::to_string(sent++);
      Result<std::string> wire = sender.encrypt(text);
      ASSERT_TRUE(wire) << wire.status().to_string();
      (from_alice ? to_bob : to_alice).push_back({text, *wire});
      continue;
    }
    const bool to_b = action < 7;
    std::vector<InFlight>& queue = to_b ? to_bob : to_alice;
    if (queue.empty()) continue;
    // Mostly recent messages, sometimes an old one (reordering and replays).
    const std::size_t back =
        rng() % 4 == 0 ? rng() % queue.size() : rng() % std::min<std::size_t>(3, queue.size());
    InFlight& m = queue[queue.size() - 1 - back];
    if (rng() % 8 == 0 && !m.delivered) {  // dropped for good
      m.delivered = true;
      m.wire.clear();
      continue;
    }
    if (m.wire.empty()) continue;
    Result<std::string> got = to_b ? b.decrypt(bob.local(), bob.prekeys, m.wire, kNow)
                                   : a.decrypt(alice.local(), alice.prekeys, m.wire, kNow);
    if (m.delivered) {
      EXPECT_FALSE(got) << "replay of " << m.text << " accepted";
      ++refused_repeats;
    } else {
      ASSERT_TRUE(got) << m.text << ": " << got.status().to_string();
      EXPECT_EQ(*got, m.text);
      m.delivered = true;
      ++first_arrivals;
    }
  }
  EXPECT_GT(first_arrivals, 300);
  EXPECT_GT(refused_repeats, 50);
  // After the storm, a clean exchange still works both ways.
  ASSERT_EQ(*b.decrypt(bob.local(), bob.prekeys, *a.encrypt("calm"), kNow), "calm");
  ASSERT_EQ(*a.decrypt(alice.local(), alice.prekeys, *b.encrypt("again"), kNow), "again");
}

TEST_P(HostileTransportTest, GroupMessagesArriveOnceAndARemovedMemberReadsNothingNew) {
  std::mt19937 rng(GetParam());
  const std::string group = "g";
  const DeviceAddress alice{"alice", 1};
  SenderKeySender sender = SenderKeySender::generate(group, alice);
  std::vector<SenderKeyReceiver> members;
  for (int i = 0; i < 3; ++i) {
    members.emplace_back(group, alice);
    ASSERT_TRUE(members.back().add(sender.distribution()));
  }
  struct Sent {
    std::string text, wire;
    bool after_removal;
    std::vector<bool> delivered;
  };
  std::vector<Sent> sent;
  bool removed = false;  // member 2 is removed half-way; the sender rotates
  for (int step = 0; step < 1200; ++step) {
    if (step == 600) {
      sender = sender.rotated();
      ASSERT_TRUE(members[0].add(sender.distribution()));
      ASSERT_TRUE(members[1].add(sender.distribution()));
      removed = true;
    }
    if (rng() % 3 == 0) {
      const std::string text = "m" + std::to_string(step);
      sent.push_back({text, *sender.encrypt(text), removed, std::vector<bool>(3, false)});
      continue;
    }
    if (sent.empty()) continue;
    const std::size_t back =
        rng() % 4 == 0 ? rng() % sent.size() : rng() % std::min<std::size_t>(4, sent.size());
    Sent& m = sent[sent.size() - 1 - back];
    const std::size_t who = rng() % 3;
    Result<std::string> got = members[who].decrypt(m.wire, kNow);
    if (who == 2 && m.after_removal) {
      EXPECT_FALSE(got) << "removed member read " << m.text;
    } else if (m.delivered[who]) {
      EXPECT_FALSE(got) << "replay of " << m.text << " accepted by " << who;
    } else {
      ASSERT_TRUE(got) << m.text << " to " << who << ": " << got.status().to_string();
      EXPECT_EQ(*got, m.text);
      m.delivered[who] = true;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, HostileTransportTest, ::testing::Values(1u, 2u, 3u, 4u, 5u, 6u));

}  // namespace
}  // namespace fastchat::crypto
