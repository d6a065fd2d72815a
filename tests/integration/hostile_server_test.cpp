// A hostile server at the wire (issue 11, Tests): real clients talk to real servers
// through a HostileProxy that plays the server operator. It drops, holds back
// (delays), reorders, duplicates and replays what the server sends, and rewrites
// prekey bundle answers (forged, stale). Whatever it does, every message a client shows
// is shown exactly once and in its sender's words; nothing is lost once the proxy
// stops dropping (a sync after reconnecting fetches what was never acknowledged);
// forged bundles are refused and nothing is sent under them; a stale bundle never
// makes a client trust another key. Both legs are plaintext: tests/integration/README.md,
// "A hostile server", says why that is the honest set-up.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "client_fixture.h"
#include "common/message_id.h"
#include "crypto/identity.h"
#include "crypto/x3dh.h"
#include "hostile_proxy.h"
#include "store/open_store.h"

namespace fastchat::itest {
namespace {

using Verdict = HostileProxy::Verdict;

class HostileServerTest : public ClientFixture {
 protected:
  void configure(server::ServerConfig& config) override { config.insecure_plaintext = true; }

  void SetUp() override {
    insecure_plaintext_ = true;
    ClientFixture::SetUp();
    if (servers_ && servers_->running()) {
      proxy_ = std::make_unique<HostileProxy>(servers_->ports());
    }
  }
  void TearDown() override {
    ClientFixture::TearDown();  // the clients stop first, while their links still work
    proxy_.reset();
  }

  // A client of `name` whose every connection goes through the proxy.
  Peer& behind_proxy(const std::string& name) { return peer(name, proxy_->port()); }

  // Sends and remembers what was sent: id (hex) → text.
  void send_text(Peer& from, const std::string& to, const std::string& text) {
    const std::string id = send(from, to, text);
    ASSERT_FALSE(id.empty());
    sent_[id] = text;
  }
  void send_group(Peer& from, GroupId group, const std::string& text) {
    auto sent = await(from.client->send_group_text(group, text));
    ASSERT_TRUE(sent) << sent.status().to_string();
    sent_[sent->id.to_hex()] = text;
  }

  // What `p` showed, each id once, in the sender's words and from `sender`: true when it
  // showed exactly the messages in `ids` (and nothing twice).
  ::testing::AssertionResult shown_once(const Peer& p, const std::string& sender,
                                        const std::set<std::string>& ids) {
    if (const auto repeated = p.inbox.repeated(); !repeated.empty()) {
      return ::testing::AssertionFailure() << "shown more than once: " << repeated.front();
    }
    std::set<std::string> shown;
    for (const auto& m : p.inbox.messages()) {
      const std::string id = m.id.to_hex();
      auto it = sent_.find(id);
      if (it == sent_.end()) {
        return ::testing::AssertionFailure() << "shown but never sent: '" << m.text << "'";
      }
      if (m.text != it->second || m.sender != sender) {
        return ::testing::AssertionFailure()
               << "'" << m.text << "' from " << m.sender << " instead of '" << it->second << "'";
      }
      shown.insert(id);
    }
    if (shown != ids) {
      return ::testing::AssertionFailure()
             << shown.size() << " shown, " << ids.size() << " expected";
    }
    return ::testing::AssertionSuccess();
  }

  // Ids of everything sent so far.
  std::set<std::string> all_sent() const {
    std::set<std::string> ids;
    for (const auto& [id, text] : sent_)
      ids.insert(id);
    return ids;
  }

  // True once the server has sent `user` every id in `ids` (pushed or in a page).
  bool server_sent_all(const std::string& user, const std::set<std::string>& ids) const {
    std::set<std::string> sent;
    for (const auto& item : proxy_->server_sent(user)) {
      if (auto id = MessageId::from_bytes(item.message_id())) sent.insert(id->to_hex());
    }
    return std::includes(sent.begin(), sent.end(), ids.begin(), ids.end());
  }

  // Resets every link through the proxy and waits until `p` has connected again and
  // the server has answered its sync.
  void reconnect(Peer& p) {
    const int ups = p.inbox.ups();
    const std::size_t pages = proxy_->frames_to(p.name, wire::Frame::kSyncPage);
    proxy_->cut_all();
    ASSERT_TRUE(eventually([&] { return p.inbox.ups() > ups; }, seconds(20))) << p.name;
    ASSERT_TRUE(eventually(
        [&] { return proxy_->frames_to(p.name, wire::Frame::kSyncPage) > pages; }, seconds(20)));
  }
  // start(p) for a client behind the proxy, once the server has answered its first
  // sync: what is sent from now on reaches it as pushes (which the policy sees).
  void start_synced(Peer& p) {
    const std::size_t pages = proxy_->frames_to(p.name, wire::Frame::kSyncPage);
    start(p);
    ASSERT_TRUE(eventually(
        [&] { return proxy_->frames_to(p.name, wire::Frame::kSyncPage) > pages; }, seconds(20)));
  }

  // `user`'s Ed25519 identity key as the store holds it.
  std::string sign_key_of(const std::string& user) {
    auto db = store::open_store(servers_->cluster() ? servers_->db_url() : std::string(),
                                servers_->server(0).data_dir());
    if (!db) return {};
    auto row = (*db)->find_user(user);
    return row ? row->identity.sign_public_key : std::string();
  }

  void stale_bundle_then_answer(bool sender_key_lower);

  std::unique_ptr<HostileProxy> proxy_;
  std::map<std::string, std::string> sent_;
};

// --- drop, then redelivery

TEST_F(HostileServerTest, DroppedPushesAreNeverAckedAndArriveOnceAfterAReconnect) {
  auto& alice = peer("alice");
  auto& bob = behind_proxy("bob");
  register_account(alice);
  register_account(bob);
  start_synced(bob);

  // Every other message pushed to bob is dropped, the first one (which opens the
  // session) included.
  std::atomic<int> pushes{0};
  proxy_->set_policy([&](const std::string& user, wire::Frame& frame) {
    if (user != "bob" || !is_push(frame)) return Verdict::kForward;
    return pushes++ % 2 == 0 ? Verdict::kDrop : Verdict::kForward;
  });
  for (int i = 0; i < 6; ++i)
    send_text(alice, "bob", "message " + std::to_string(i));
  ASSERT_TRUE(bob.inbox.wait_for(3));
  ASSERT_TRUE(eventually([&] { return server_sent_all("bob", all_sent()); }, seconds(10)));
  EXPECT_EQ(pushes.load(), 6);
  // The later messages decrypt out of order (skipped keys), but nothing past the first
  // gap is acknowledged: the server keeps what was dropped.
  EXPECT_EQ(bob.inbox.distinct(), 3u);
  EXPECT_EQ(proxy_->acked("bob"), 0u);

  // The proxy stops dropping; the reconnect's sync brings the rest, each once.
  proxy_->honest();
  reconnect(bob);
  ASSERT_TRUE(bob.inbox.wait_for(6));
  EXPECT_TRUE(shown_once(bob, "alice", all_sent()));
  ASSERT_TRUE(eventually(
      [&] {
        std::uint64_t top = 0;
        for (const auto& item : proxy_->server_sent("bob"))
          top = std::max(top, item.seq());
        return proxy_->acked("bob") == top;
      },
      seconds(10)))
      << "acked " << proxy_->acked("bob");

  // A stale sync page (the server answers with an old page) loses nothing either: while
  // new messages are withheld from pushes, the next sync gets the old page, which
  // shows nothing again, and a later sync brings them.
  wire::SyncPage old_page;
  for (const auto& item : proxy_->server_sent("bob"))
    *old_page.add_messages() = item;
  std::atomic<int> stale_pages{0};
  proxy_->set_policy([&](const std::string& user, wire::Frame& frame) {
    if (user != "bob") return Verdict::kForward;
    if (frame.has_sync_page()) {
      *frame.mutable_sync_page() = old_page;
      ++stale_pages;
    }
    return is_push(frame) ? Verdict::kDrop : Verdict::kForward;
  });
  send_text(alice, "bob", "withheld 1");
  send_text(alice, "bob", "withheld 2");
  reconnect(bob);
  ASSERT_TRUE(eventually([&] { return stale_pages.load() >= 1; }, seconds(10)));
  // A push after the stale page (same link, so processed after it): shown, and it
  // proves the page was processed.
  proxy_->honest();
  send_text(alice, "bob", "pushed after the stale page");
  ASSERT_TRUE(bob.inbox.wait_for(7));
  EXPECT_EQ(bob.inbox.distinct(), 7u);
  reconnect(bob);
  ASSERT_TRUE(bob.inbox.wait_for(9));
  EXPECT_TRUE(shown_once(bob, "alice", all_sent()));

  Result<std::vector<client::ChatMessage>> history = Status(Code::kInternal, "not read");
  on_io([&] { history = bob.client->history("alice", 0, 20); });
  ASSERT_TRUE(history);
  EXPECT_EQ(history->size(), sent_.size());
}

// --- duplicates and replays

TEST_F(HostileServerTest, DuplicatedAndReplayedPushesAreShownOnce) {
  auto& alice = peer("alice");
  auto& bob = behind_proxy("bob");
  auto& carol = peer("carol");
  register_account(alice);
  register_account(bob);
  register_account(carol);
  start_synced(bob);

  // Every push twice in a row.
  proxy_->set_policy([](const std::string& user, wire::Frame&) {
    return user == "bob" ? Verdict::kDuplicate : Verdict::kForward;
  });
  for (int i = 0; i < 3; ++i)
    send_text(alice, "bob", "twice " + std::to_string(i));
  ASSERT_TRUE(bob.inbox.wait_for(3));
  ASSERT_TRUE(eventually([&] { return server_sent_all("bob", all_sent()); }, seconds(10)));
  proxy_->honest();

  // Every earlier push replayed, on the same connection and then on a new one.
  const auto earlier = proxy_->server_sent("bob");
  const auto replay_all = [&] {
    for (const auto& item : earlier) {
      wire::Frame push;
      *push.mutable_message() = item;
      ASSERT_TRUE(proxy_->inject("bob", push));
    }
  };
  replay_all();
  reconnect(bob);
  replay_all();

  // Replays under inbox items of their own: the server re-stores alice's first message
  // (its id) and her second one under a new id, in place of two messages of carol's.
  std::atomic<int> carried{0};
  proxy_->set_policy([&](const std::string& user, wire::Frame& frame) {
    if (user != "bob" || !is_push(frame) || frame.message().sender() != "carol") {
      return Verdict::kForward;
    }
    const int n = carried++;
    const auto& old = earlier.at(static_cast<std::size_t>(n));
    auto* item = frame.mutable_message();
    item->set_sender(old.sender());
    item->set_body(old.body());
    item->set_message_id(n == 0 ? old.message_id() : MessageId::random().to_bytes());
    return Verdict::kForward;
  });
  ASSERT_FALSE(send(carol, "bob", "carrier 0").empty());
  ASSERT_FALSE(send(carol, "bob", "carrier 1").empty());
  ASSERT_TRUE(eventually([&] { return carried.load() == 2; }, seconds(10)));
  proxy_->honest();
  send_text(alice, "bob", "barrier");
  ASSERT_TRUE(bob.inbox.wait_for(4));

  EXPECT_TRUE(shown_once(bob, "alice", all_sent()));
  // The one under a new id did not decrypt (its message key was used): reported.
  const auto undecryptable = bob.inbox.undecryptable();
  ASSERT_EQ(undecryptable.size(), 1u);
  EXPECT_EQ(undecryptable[0].sender, "alice");
  EXPECT_TRUE(bob.inbox.identity_changes().empty());
}

// --- delay and reorder

TEST_F(HostileServerTest, ReorderedAndDelayedPushesAreShownOnceInTheSendersWords) {
  auto& alice = peer("alice");
  auto& bob = behind_proxy("bob");
  register_account(alice);
  register_account(bob);
  start(alice);
  start_synced(bob);

  // The first three messages are held back and come after the fourth, the latest
  // first: bob receives 4, 3, 2, 1 (all of them prekey messages of one session).
  std::atomic<int> pushes{0};
  proxy_->set_policy([&](const std::string& user, wire::Frame& frame) {
    if (user != "bob" || !is_push(frame)) return Verdict::kForward;
    return ++pushes < 4 ? Verdict::kHold : Verdict::kForwardThenRelease;
  });
  std::vector<std::string> texts;
  for (int i = 1; i <= 4; ++i) {
    texts.push_back("in order " + std::to_string(i));
    send_text(alice, "bob", texts.back());
  }
  ASSERT_TRUE(bob.inbox.wait_for(4));
  std::vector<std::string> arrived;
  for (const auto& m : bob.inbox.messages())
    arrived.push_back(m.text);
  EXPECT_EQ(arrived, (std::vector<std::string>(texts.rbegin(), texts.rend())));
  EXPECT_TRUE(shown_once(bob, "alice", all_sent()));

  // Bob answers (a DH ratchet step), and waits for alice's receipts of his answers.
  proxy_->honest();
  ASSERT_FALSE(send(bob, "alice", "answer 1").empty());
  ASSERT_FALSE(send(bob, "alice", "answer 2").empty());
  ASSERT_TRUE(alice.inbox.wait_for(2));
  ASSERT_TRUE(bob.inbox.wait_for_deliveries(2));

  // Delay: everything pushed to bob is held while alice writes on, and bob's own
  // messages still go through.
  proxy_->set_policy([](const std::string& user, wire::Frame& frame) {
    return user == "bob" && is_push(frame) ? Verdict::kHold : Verdict::kForward;
  });
  const std::set<std::string> before = all_sent();
  for (int i = 5; i <= 7; ++i)
    send_text(alice, "bob", "delayed " + std::to_string(i));
  std::set<std::string> delayed;
  for (const auto& [id, text] : sent_) {
    if (!before.contains(id)) delayed.insert(id);
  }
  ASSERT_TRUE(eventually([&] { return server_sent_all("bob", delayed); }, seconds(10)));
  ASSERT_FALSE(send(bob, "alice", "while held").empty());
  ASSERT_TRUE(alice.inbox.wait_for(3));
  EXPECT_EQ(bob.inbox.distinct(), 4u);
  EXPECT_GE(proxy_->held("bob"), 3u);
  proxy_->honest();
  EXPECT_GE(proxy_->release_held("bob"), 3u);
  ASSERT_TRUE(bob.inbox.wait_for(7));
  EXPECT_TRUE(shown_once(bob, "alice", all_sent()));
  EXPECT_TRUE(bob.inbox.undecryptable().empty());
}

// --- group messages (Sender Keys)

TEST_F(HostileServerTest, GroupMessagesSurviveADroppedSenderKeyDuplicatesReordersAndReplays) {
  auto& alice = peer("alice");
  auto& bob = behind_proxy("bob");
  auto& carol = peer("carol");
  register_account(alice);
  register_account(bob);
  register_account(carol);
  start_synced(bob);
  start(carol);
  auto group = await(alice.client->create_group("hostile", {"bob", "carol"}));
  ASSERT_TRUE(group) << group.status().to_string();

  // Alice's sender key reaches bob in a direct message, which is dropped; her group
  // messages come twice.
  std::atomic<int> dropped{0};
  proxy_->set_policy([&](const std::string& user, wire::Frame& frame) {
    if (user != "bob" || !is_push(frame)) return Verdict::kForward;
    if (frame.message().group_id() == 0) {
      ++dropped;
      return Verdict::kDrop;
    }
    return Verdict::kDuplicate;
  });
  for (int i = 0; i < 3; ++i)
    send_group(alice, group->id, "group " + std::to_string(i));
  ASSERT_TRUE(carol.inbox.wait_for(3));
  ASSERT_TRUE(eventually([&] { return server_sent_all("bob", all_sent()); }, seconds(10)));
  EXPECT_EQ(dropped.load(), 1);
  // Without the key bob shows nothing and acknowledges nothing (the key's seq is missing).
  EXPECT_EQ(bob.inbox.distinct(), 0u);
  EXPECT_EQ(proxy_->acked("bob"), 0u);

  // Redelivered by the sync after a reconnect: the kept messages open, each once.
  proxy_->honest();
  reconnect(bob);
  ASSERT_TRUE(bob.inbox.wait_for(3));
  EXPECT_TRUE(shown_once(bob, "alice", all_sent()));

  // Reordered: three held, released after the fourth, the latest first.
  std::atomic<int> pushes{0};
  proxy_->set_policy([&](const std::string& user, wire::Frame& frame) {
    if (user != "bob" || !is_push(frame) || frame.message().group_id() == 0) {
      return Verdict::kForward;
    }
    return ++pushes < 4 ? Verdict::kHold : Verdict::kForwardThenRelease;
  });
  for (int i = 3; i < 7; ++i)
    send_group(alice, group->id, "group " + std::to_string(i));
  ASSERT_TRUE(bob.inbox.wait_for(7));
  proxy_->honest();

  // Replayed: every group item bob was sent, again; then one under a new id in place of
  // a message of carol's (its iteration was used: refused).
  std::vector<wire::InboxMessage> group_items;
  for (const auto& item : proxy_->server_sent("bob")) {
    if (item.group_id() != 0) group_items.push_back(item);
  }
  for (const auto& item : group_items) {
    wire::Frame push;
    *push.mutable_message() = item;
    ASSERT_TRUE(proxy_->inject("bob", push));
  }
  std::atomic<int> carried{0};
  proxy_->set_policy([&](const std::string& user, wire::Frame& frame) {
    if (user != "bob" || !is_push(frame) || frame.message().sender() != "carol" ||
        frame.message().group_id() == 0 || carried.load() > 0) {
      return Verdict::kForward;
    }
    ++carried;
    const auto& old = group_items.front();
    auto* item = frame.mutable_message();
    item->set_sender(old.sender());
    item->set_body(old.body());
    item->set_message_id(MessageId::random().to_bytes());
    return Verdict::kForward;
  });
  ASSERT_TRUE(await(carol.client->send_group_text(group->id, "carrier")));
  ASSERT_TRUE(eventually([&] { return carried.load() == 1; }, seconds(10)));
  proxy_->honest();
  send_group(alice, group->id, "barrier");
  ASSERT_TRUE(bob.inbox.wait_for(8));
  EXPECT_TRUE(shown_once(bob, "alice", all_sent()));
  ASSERT_EQ(bob.inbox.undecryptable().size(), 1u);
  EXPECT_EQ(bob.inbox.undecryptable()[0].sender, "alice");
}

// --- member lists and membership records

// The proxy forges bob's view of the group: records with a flipped signature bit, a
// ghost in the member list, and (after alice removed carol) the old list again. Bob's
// client refuses to seal for any of them and sends nothing; once the proxy is honest
// its message reaches exactly the proven members.
TEST_F(HostileServerTest, MemberListsAndRecordsRewrittenAtTheWireAreRefused) {
  auto& alice = peer("alice");
  auto& bob = behind_proxy("bob");
  auto& carol = peer("carol");
  register_account(alice);
  register_account(bob);
  register_account(carol);
  start(alice);
  start(carol);
  auto group = await(alice.client->create_group("rewritten", {"bob", "carol"}));
  ASSERT_TRUE(group) << group.status().to_string();

  const auto refused = [&](const char* what) {
    SCOPED_TRACE(what);
    const std::size_t sends = proxy_->requests("bob", wire::Frame::kSend);
    auto sent = await(bob.client->send_group_text(group->id, "must not be sealed"));
    EXPECT_EQ(sent.code(), Code::kMembershipUnverified) << sent.status().to_string();
    EXPECT_EQ(proxy_->requests("bob", wire::Frame::kSend), sends) << "a Send left";
  };
  std::atomic<int> rewritten{0};
  proxy_->set_policy([&](const std::string& user, wire::Frame& frame) {
    if (user == "bob" && frame.has_membership_page()) {
      for (auto& record : *frame.mutable_membership_page()->mutable_records()) {
        record.back() = static_cast<char>(record.back() ^ 0x01);
        ++rewritten;
      }
    }
    return Verdict::kForward;
  });
  refused("forged records");
  EXPECT_GT(rewritten.load(), 0);

  rewritten = 0;
  proxy_->set_policy([&](const std::string& user, wire::Frame& frame) {
    if (user == "bob" && frame.has_group_info()) {
      auto* ghost = frame.mutable_group_info()->add_members();
      ghost->set_username("mallory");
      frame.mutable_group_info()->set_member_count(frame.group_info().member_count() + 1);
      ++rewritten;
    }
    return Verdict::kForward;
  });
  refused("a ghost member");
  EXPECT_GT(rewritten.load(), 0);

  ASSERT_TRUE(await(alice.client->remove_member(group->id, "carol")));
  rewritten = 0;
  proxy_->set_policy([&](const std::string& user, wire::Frame& frame) {
    if (user == "bob" && frame.has_group_info()) {
      auto* back = frame.mutable_group_info()->add_members();
      back->set_username("carol");
      frame.mutable_group_info()->set_member_count(frame.group_info().member_count() + 1);
      ++rewritten;
    }
    return Verdict::kForward;
  });
  refused("the list from before the removal");
  EXPECT_GT(rewritten.load(), 0);

  proxy_->honest();
  send_group(bob, group->id, "to the proven members");
  ASSERT_TRUE(alice.inbox.wait_for(1));
  EXPECT_TRUE(shown_once(alice, "bob", all_sent()));
  // carol, removed, got nothing of bob's (a barrier from alice, to whom she can still
  // write, comes first).
  send_text(alice, "carol", "barrier");
  ASSERT_TRUE(carol.inbox.wait_for(1));
  EXPECT_EQ(carol.inbox.distinct(), 1u);
  EXPECT_EQ(carol.inbox.messages().at(0).text, "barrier");
}

// --- forged and stale prekey bundles

// The bundle answer's first bundle, rewritten by `forge`.
HostileProxy::Policy forging(std::atomic<int>& forged,
                             std::function<void(wire::DevicePrekeyBundle&)> forge) {
  return [&forged, forge = std::move(forge)](const std::string& user, wire::Frame& frame) {
    if (user == "alice" && frame.has_prekey_bundles() &&
        frame.prekey_bundles().bundles_size() > 0) {
      forge(*frame.mutable_prekey_bundles()->mutable_bundles(0));
      ++forged;
    }
    return Verdict::kForward;
  };
}

TEST_F(HostileServerTest, ForgedPrekeyBundlesAreRefusedAndNothingIsSentUnderThem) {
  auto& alice = behind_proxy("alice");
  auto& bob = peer("bob");
  register_account(alice);
  register_account(bob);
  start(bob);

  const auto mallory = crypto::Identity::generate();
  const auto mallory_public = mallory.public_identity("bob");
  const crypto::SignedPrekey mallory_spk = crypto::sign_prekey(mallory, crypto::generate_prekey(7));
  const std::vector<std::pair<std::string, std::function<void(wire::DevicePrekeyBundle&)>>>
      forgeries = {
          {"a signature with one bit flipped",
           [](wire::DevicePrekeyBundle& b) {
             std::string sig = b.signed_prekey().signature();
             sig[5] = static_cast<char>(sig[5] ^ 0x01);
             b.mutable_signed_prekey()->set_signature(sig);
           }},
          {"another signed prekey under bob's signature",
           [&](wire::DevicePrekeyBundle& b) {
             b.mutable_signed_prekey()->set_public_key(mallory_spk.public_key);
           }},
          {"mallory's signed prekey, signed by her",
           [&](wire::DevicePrekeyBundle& b) {
             b.mutable_signed_prekey()->set_id(mallory_spk.id);
             b.mutable_signed_prekey()->set_public_key(mallory_spk.public_key);
             b.mutable_signed_prekey()->set_signature(mallory_spk.signature);
           }},
          {"mallory's identity and signed prekey, all validly signed",
           [&](wire::DevicePrekeyBundle& b) {
             b.set_identity_sign_key(mallory_public.sign_public_key);
             b.set_identity_dh_key(mallory_public.box_public_key);
             b.mutable_signed_prekey()->set_id(mallory_spk.id);
             b.mutable_signed_prekey()->set_public_key(mallory_spk.public_key);
             b.mutable_signed_prekey()->set_signature(mallory_spk.signature);
           }},
      };
  std::atomic<int> forged{0};
  for (const auto& [what, forge] : forgeries) {
    SCOPED_TRACE(what);
    const int before = forged.load();
    proxy_->set_policy(forging(forged, forge));
    auto refused = await(alice.client->send_text("bob", "under a forged bundle"));
    ASSERT_FALSE(refused) << "sent under " << what;
    EXPECT_EQ(refused.code(), Code::kCrypto) << refused.status().to_string();
    EXPECT_EQ(forged.load(), before + 1);
    EXPECT_EQ(proxy_->requests("alice", wire::Frame::kSend), 0u) << "a Send left";
  }
  EXPECT_TRUE(alice.inbox.identity_changes().empty());

  // The honest bundle: the message goes, and is the only thing bob ever sees.
  proxy_->honest();
  send_text(alice, "bob", "under the real bundle");
  ASSERT_TRUE(bob.inbox.wait_for(1));
  EXPECT_TRUE(shown_once(bob, "alice", all_sent()));
  EXPECT_TRUE(bob.inbox.undecryptable().empty());
  auto by_alice = await(alice.client->contact_trust("bob"));
  auto by_bob = await(bob.client->contact_trust("alice"));
  ASSERT_TRUE(by_alice && by_bob);
  EXPECT_EQ(by_alice->fingerprint, by_bob->own_fingerprint);
  EXPECT_EQ(by_alice->safety_number, by_bob->safety_number);
  EXPECT_FALSE(by_alice->key_changed);
}

// A bundle the server served before (carol's, whose one-time prekey the recipient
// already used) served again to the sender: the client cannot tell it is stale (it is
// the recipient's, validly signed), so it is used; the recipient cannot open that first
// message and reports it (docs/e2ee-v2.md, "Not yet integrated"). What the client must
// not do is trust any other key because of it: the sender's pin stays the recipient's
// real key, nobody sees a key change, nothing is shown in anyone else's words. Then the
// recipient answers (a session of its own), and the sender's next message must open.
// `sender_key_lower` picks which identity key is lower: the session rule that replaced
// a tie-break by identity order (docs/e2ee-v2.md, "Which session we send on") must
// heal the conversation in both orders.
void HostileServerTest::stale_bundle_then_answer(bool sender_key_lower) {
  auto& alice = behind_proxy("alice");
  auto& bob = behind_proxy("bob");
  auto& carol = behind_proxy("carol");
  register_account(alice);
  register_account(bob);
  register_account(carol);
  const std::string alice_key = sign_key_of("alice");
  const std::string bob_key = sign_key_of("bob");
  ASSERT_FALSE(alice_key.empty() || bob_key.empty());
  // Byte order, as PeerSessions compares them.
  Peer& sender = (alice_key < bob_key) == sender_key_lower ? alice : bob;
  Peer& recipient = &sender == &alice ? bob : alice;
  start(sender);
  start(recipient);

  std::mutex mutex;
  std::optional<wire::PrekeyBundles> carols;  // guarded by mutex
  std::atomic<int> stale{0};
  proxy_->set_policy([&, to = sender.name](const std::string& user, wire::Frame& frame) {
    if (!frame.has_prekey_bundles()) return Verdict::kForward;
    std::lock_guard lock(mutex);
    if (user == "carol" && !carols) carols = frame.prekey_bundles();
    if (user == to && carols) {
      *frame.mutable_prekey_bundles() = *carols;
      ++stale;
    }
    return Verdict::kForward;
  });
  ASSERT_FALSE(send(carol, recipient.name, "carol first").empty());
  ASSERT_TRUE(recipient.inbox.wait_for(1));  // it used the one-time prekey carol was given
  {
    std::lock_guard lock(mutex);
    ASSERT_TRUE(carols && carols->bundles_size() == 1 && carols->bundles(0).has_one_time_prekey());
  }

  auto pinned = await(sender.client->contact_trust(recipient.name));
  ASSERT_TRUE(pinned) << pinned.status().to_string();
  auto lost = await(sender.client->send_text(recipient.name, "under a stale bundle"));
  ASSERT_TRUE(lost) << lost.status().to_string();
  EXPECT_EQ(stale.load(), 1);
  ASSERT_TRUE(eventually([&] { return recipient.inbox.undecryptable().size() == 1; }, seconds(20)));
  EXPECT_EQ(recipient.inbox.undecryptable()[0].sender, sender.name);
  EXPECT_EQ(recipient.inbox.distinct(), 1u);  // carol's message only

  // No key changed anywhere: the sender's pin is the recipient's own key, the numbers
  // still match.
  proxy_->honest();
  auto after = await(sender.client->contact_trust(recipient.name));
  auto by_recipient = await(recipient.client->contact_trust(sender.name));
  ASSERT_TRUE(after && by_recipient);
  EXPECT_EQ(after->fingerprint, pinned->fingerprint);
  EXPECT_EQ(after->fingerprint, by_recipient->own_fingerprint);
  EXPECT_EQ(after->safety_number, by_recipient->safety_number);
  EXPECT_FALSE(after->key_changed);
  EXPECT_TRUE(sender.inbox.identity_changes().empty());
  EXPECT_TRUE(recipient.inbox.identity_changes().empty());

  // The recipient answers (a session of its own, from the sender's real bundle); the
  // sender's next message must be read.
  ASSERT_FALSE(send(recipient, sender.name, "the answer").empty());
  ASSERT_TRUE(sender.inbox.wait_for(1));
  EXPECT_EQ(sender.inbox.messages().at(0).text, "the answer");
  const std::string healed = send(sender, recipient.name, "after the answer");
  ASSERT_TRUE(recipient.inbox.wait_for(2, seconds(10)))
      << recipient.inbox.undecryptable().size() << " undecryptable";
  const auto shown = recipient.inbox.messages();
  ASSERT_EQ(shown.size(), 2u);
  EXPECT_EQ(shown[1].id.to_hex(), healed);
  EXPECT_EQ(shown[1].text, "after the answer");
  EXPECT_EQ(shown[1].sender, sender.name);
  EXPECT_TRUE(recipient.inbox.repeated().empty());
}

TEST_F(HostileServerTest, AStaleBundleNeverMakesTheClientTrustAnotherKey) {
  stale_bundle_then_answer(false);
}

// The roles the other way round: the sender's identity key is the lower one. Before
// session 10's session rule (docs/e2ee-v2.md, "Which session we send on") the sender
// kept its own session, which the recipient never had: broken after the answer too.
TEST_F(HostileServerTest, AfterAStaleBundleAnAnswerHealsTheSessionWhicheverKeyIsLower) {
  stale_bundle_then_answer(true);
}

}  // namespace
}  // namespace fastchat::itest
