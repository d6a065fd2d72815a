// End to end with the client core library: real fastchat::client::Client objects (each
// with its own home dir) against the in-process server (or, in cluster mode, spread over
// a cluster), some through a WireTap so their connections can be cut mid-stream. Every Client lives
// on one I/O thread; the test thread drives them with co_spawn(..., use_future) and waits with
// deadlines.
#include <gtest/gtest.h>

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/use_future.hpp>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>

#include "client/client.h"
#include "client/content.h"
#include "client/history_store.h"
#include "client/home.h"
#include "client/prekey_bundles.h"
#include "client_fixture.h"
#include "crypto/device_key.h"
#include "crypto/device_message.h"
#include "crypto/identity.h"
#include "crypto/keystore.h"
#include "crypto/membership.h"
#include "crypto/password.h"
#include "crypto/peer_sessions.h"
#include "crypto/state_box.h"
#include "crypto/x3dh.h"
#include "raw_client.h"
#include "secret_scan.h"
#include "store/open_store.h"
#include "support/test_passwords.h"
#include "test_cluster.h"
#include "test_server.h"
#include "test_user.h"
#include "wire_tap.h"

namespace fastchat::itest {
namespace {

using client::ChatMessage;
using client::Client;
using test_support::write_file;

class ClientE2ETest : public ClientFixture {
 protected:
  void serve_signed_prekey(const std::string& user, std::uint32_t device,
                           const crypto::Identity& signer);
};

TEST_F(ClientE2ETest, DirectMessageToAnOnlineUser) {
  auto& alice = peer("alice");
  auto& bob = peer("bob");
  register_account(alice);
  register_account(bob);
  start(bob);

  auto sent = await(alice.client->send_text("bob", "hello bob"));
  ASSERT_TRUE(sent) << sent.status().to_string();
  EXPECT_TRUE(sent->outgoing);
  ASSERT_TRUE(bob.inbox.wait_for(1));
  const auto got = bob.inbox.messages().at(0);
  EXPECT_EQ(got.id, sent->id);
  EXPECT_EQ(got.text, "hello bob");
  EXPECT_EQ(got.sender, "alice");
  EXPECT_EQ(got.peer, "alice");
  EXPECT_EQ(got.group_id, 0u);
  EXPECT_EQ(got.seq, 1u);
  EXPECT_FALSE(got.outgoing);

  // And back; both histories hold the conversation.
  start(alice);
  ASSERT_TRUE(await(bob.client->send_text("alice", "hi alice")));
  ASSERT_TRUE(alice.inbox.wait_for(1));
  EXPECT_EQ(alice.inbox.messages().at(0).text, "hi alice");
  Result<std::vector<ChatMessage>> history = Status(Code::kInternal, "not read");
  on_io([&] { history = bob.client->history("alice", 0, 10); });
  ASSERT_TRUE(history);
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].text, "hello bob");
  EXPECT_EQ((*history)[1].text, "hi alice");
}

TEST_F(ClientE2ETest, ASessionRevokedFromAnotherDeviceStopsAndMustLogInAgain) {
  auto& desk = peer("alice");
  register_account(desk);
  start(desk);
  // The same account on a second device: its own home with the keystore copied over.
  auto& laptop = peer("alice-laptop");
  laptop.name = "alice";
  const client::HomeLayout desk_home(desk.home), laptop_home(laptop.home);
  ASSERT_TRUE(client::make_private_dirs(laptop_home.user_dir("alice")));
  std::filesystem::copy_file(desk_home.keystore("alice"), laptop_home.keystore("alice"));
  login(laptop);

  auto sessions = await(laptop.client->list_sessions());
  ASSERT_TRUE(sessions) << sessions.status().to_string();
  ASSERT_EQ(sessions->size(), 2u);
  const auto other = std::find_if(sessions->begin(), sessions->end(),
                                  [](const client::SessionInfo& s) { return !s.current; });
  ASSERT_NE(other, sessions->end());
  EXPECT_NE(other->device_id, 0u);
  EXPECT_TRUE(other->device_name.starts_with("fastchat on ")) << other->device_name;

  auto revoked = await(laptop.client->revoke_session(other->session_id));
  ASSERT_TRUE(revoked) << revoked.status().to_string();
  EXPECT_EQ(*revoked, 1u);
  // The desk's connection is closed; its resume is refused, so run() gives up.
  ASSERT_EQ(desk.running.wait_for(seconds(20)), std::future_status::ready);
  Status resumed = Status::ok();
  on_io([&] {
    desk.client = std::make_unique<Client>(
        io_.get_executor(),
        client::ClientConfig{.server = {"127.0.0.1", port()}, .home_dir = desk.home});
  });
  resumed = await(desk.client->resume());
  EXPECT_EQ(resumed.code(), Code::kSessionExpired) << resumed.to_string();

  auto none = await(laptop.client->revoke_other_sessions());
  ASSERT_TRUE(none) << none.status().to_string();
  EXPECT_EQ(*none, 0u);
  auto unknown = await(laptop.client->revoke_session(other->session_id));
  ASSERT_TRUE(unknown);
  EXPECT_EQ(*unknown, 0u);
}

TEST_F(ClientE2ETest, OfflineMessagesArriveOnLogin) {
  auto& alice = peer("alice");
  auto& bob = peer("bob");
  register_account(alice);
  register_account(bob);
  go_offline(bob);

  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i)
    ids.push_back(send(alice, "bob", "while you were out " + std::to_string(i)));

  auto& again = peer("bob");  // a new Client on the same home dir
  login(again);
  auto synced = await(again.client->sync());
  ASSERT_TRUE(synced) << synced.status().to_string();
  EXPECT_EQ(*synced, 5u);
  const auto got = again.inbox.messages();
  ASSERT_EQ(got.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(got[i].id.to_hex(), ids[i]);
    EXPECT_EQ(got[i].text, "while you were out " + std::to_string(i));
  }
  // Nothing twice: a second sync finds nothing new.
  synced = await(again.client->sync());
  ASSERT_TRUE(synced);
  EXPECT_EQ(*synced, 0u);

  // A later session resumed from the saved token sees nothing again either.
  go_offline(again);
  auto& third = peer("bob");
  Status resumed = await(third.client->resume());
  ASSERT_TRUE(resumed) << resumed.to_string();
  synced = await(third.client->sync());
  ASSERT_TRUE(synced);
  EXPECT_EQ(*synced, 0u);
}

TEST_F(ClientE2ETest, GroupWithSomeMembersOffline) {
  auto& alice = peer("alice");
  auto& bob = peer("bob");
  auto& carol = peer("carol");
  register_account(alice);
  register_account(bob);
  register_account(carol);
  go_offline(carol);
  start(bob);

  auto group = await(alice.client->create_group("trio", {"bob", "carol"}));
  ASSERT_TRUE(group) << group.status().to_string();
  ASSERT_EQ(group->members.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    auto sent = await(alice.client->send_group_text(group->id, "to all " + std::to_string(i)));
    ASSERT_TRUE(sent) << sent.status().to_string();
  }
  ASSERT_TRUE(bob.inbox.wait_for(3));
  for (const auto& m : bob.inbox.messages()) {
    EXPECT_EQ(m.group_id, group->id);
    EXPECT_EQ(m.sender, "alice");
  }

  auto& carol_again = peer("carol");
  login(carol_again);
  auto synced = await(carol_again.client->sync());
  ASSERT_TRUE(synced) << synced.status().to_string();
  EXPECT_EQ(*synced, 3u);
  const auto got = carol_again.inbox.messages();
  ASSERT_EQ(got.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(got[i].text, "to all " + std::to_string(i));
    EXPECT_EQ(got[i].group_id, group->id);
  }
  // Carol answers the group; alice and bob both get it.
  start(alice);
  ASSERT_TRUE(await(carol_again.client->send_group_text(group->id, "thanks")));
  ASSERT_TRUE(alice.inbox.wait_for(1));
  ASSERT_TRUE(bob.inbox.wait_for(4));
  EXPECT_EQ(alice.inbox.messages().back().text, "thanks");
  EXPECT_EQ(bob.inbox.messages().back().text, "thanks");
}

// A file to a group: chunked and sealed for every member as group text is; members
// online and offline get the same bytes, with progress on both sides.
TEST_F(ClientE2ETest, AFileToAGroupReachesEveryMember) {
  auto& alice = peer("alice");
  auto& bob = peer("bob");
  auto& carol = peer("carol");
  auto& dave = peer("dave");
  register_account(alice);
  register_account(bob);
  register_account(carol);
  register_account(dave);
  go_offline(carol);
  start(bob);
  auto group = await(alice.client->create_group("files", {"bob", "carol"}));
  ASSERT_TRUE(group) << group.status().to_string();

  std::string data;
  for (int i = 0; i < 600'000; ++i)
    data.push_back(static_cast<char>((i * 7) ^ (i >> 9)));
  const std::string path = dir_.file("plan.pdf");
  write_file(path, data);

  auto sent = await(alice.client->send_group_file(group->id, path));
  ASSERT_TRUE(sent) << sent.status().to_string();
  EXPECT_EQ(sent->group_id, group->id);
  EXPECT_TRUE(sent->peer.empty());
  EXPECT_EQ(sent->file_name, "plan.pdf");
  EXPECT_EQ(sent->file_size, data.size());
  const auto sending = alice.inbox.file_progress();
  ASSERT_EQ(sending.size(), 3u);  // 256 KiB chunks
  for (const auto& p : sending) {
    EXPECT_TRUE(p.outgoing);
    EXPECT_EQ(p.group_id, group->id);
    EXPECT_EQ(p.sender, "alice");
    EXPECT_TRUE(p.peer.empty());
    EXPECT_EQ(p.total_bytes, data.size());
  }
  EXPECT_EQ(sending.back().done_bytes, data.size());
  auto mine = alice.client->history({}, group->id, 0);
  ASSERT_TRUE(mine);
  ASSERT_EQ(mine->size(), 1u);
  EXPECT_EQ(mine->front().file_name, "plan.pdf");
  EXPECT_EQ(mine->front().file_path, path);

  ASSERT_TRUE(bob.inbox.wait_for(1));
  const ChatMessage got = bob.inbox.messages().front();
  EXPECT_EQ(got.group_id, group->id);
  EXPECT_EQ(got.sender, "alice");
  EXPECT_EQ(got.file_name, "plan.pdf");
  EXPECT_EQ(got.file_size, data.size());
  EXPECT_TRUE(read_file(got.file_path) == data);
  EXPECT_EQ(got.file_path, client::HomeLayout(bob.home).downloads("bob") + "/plan.pdf");
  const auto receiving = bob.inbox.file_progress();
  ASSERT_EQ(receiving.size(), 2u);  // the last chunk arrives as the message
  for (const auto& p : receiving) {
    EXPECT_FALSE(p.outgoing);
    EXPECT_EQ(p.group_id, group->id);
    EXPECT_EQ(p.sender, "alice");
    EXPECT_TRUE(p.peer.empty());
  }

  auto& carol_again = peer("carol");
  login(carol_again);
  auto synced = await(carol_again.client->sync());
  ASSERT_TRUE(synced) << synced.status().to_string();
  EXPECT_EQ(*synced, 1u);
  const auto carol_got = carol_again.inbox.messages();
  ASSERT_EQ(carol_got.size(), 1u);
  EXPECT_EQ(carol_got[0].group_id, group->id);
  EXPECT_TRUE(read_file(carol_got[0].file_path) == data);

  // Not a member, and no such file: refused before anything is sent.
  auto outsider = await(dave.client->send_group_file(group->id, path));
  EXPECT_EQ(outsider.code(), Code::kForbidden) << outsider.status().to_string();
  auto missing = await(alice.client->send_group_file(group->id, dir_.file("nothing.bin")));
  EXPECT_EQ(missing.code(), Code::kIo) << missing.status().to_string();
}

// A member added while a file goes out: the sender seals the remaining chunks for the
// new list (the server refuses one sealed for the old list) and finishes; the new
// member never sees a partial file, the others get all of it.
TEST_F(ClientE2ETest, AMemberAddedMidFileGetsNoPartialFile) {
  auto& alice = peer("alice");
  auto& bob = peer("bob");
  auto& dave = peer("dave");
  register_account(alice);
  register_account(bob);
  register_account(dave);
  start(bob);
  start(dave);
  auto group = await(alice.client->create_group("growing", {"bob"}));
  ASSERT_TRUE(group) << group.status().to_string();
  std::string data(4 * 256 * 1024 + 5, 'x');
  const std::string path = dir_.file("big.bin");
  write_file(path, data);

  // After the first chunk, alice (the admin) adds dave: the request goes out on her
  // connection between two chunks.
  std::promise<Status> added;
  on_io([&] {
    alice.client->set_events({.on_file_progress = [&](const client::FileProgress& p) {
      if (p.done_bytes != 256 * 1024) return;
      asio::co_spawn(
          io_,
          [&]() -> asio::awaitable<void> {
            auto info = co_await alice.client->add_member(group->id, "dave");
            added.set_value(info.status());
          },
          asio::detached);
    }});
  });
  auto sent = await(alice.client->send_group_file(group->id, path));
  ASSERT_TRUE(sent) << sent.status().to_string();
  auto added_future = added.get_future();
  ASSERT_EQ(added_future.wait_for(seconds(30)), std::future_status::ready);
  const Status add_status = added_future.get();
  ASSERT_TRUE(add_status) << add_status.to_string();
  ASSERT_TRUE(bob.inbox.wait_for(1));
  EXPECT_TRUE(read_file(bob.inbox.messages().front().file_path) == data);

  // Anything after the file reaches dave after its chunks: then he has no file.
  ASSERT_TRUE(await(alice.client->send_group_text(group->id, "welcome dave")));
  ASSERT_TRUE(dave.inbox.wait_for(1));
  const auto at_dave = dave.inbox.messages();
  ASSERT_EQ(at_dave.size(), 1u);
  EXPECT_EQ(at_dave[0].text, "welcome dave");
  EXPECT_TRUE(at_dave[0].file_name.empty());
}

// A recipient's client says, end to end, that it stored a message: the sender's
// history counts the delivery; receipts are never shown and never answered.
TEST_F(ClientE2ETest, DeliveryReceiptsComeFromTheRecipientsClient) {
  auto& alice = peer("alice");
  auto& bob = peer("bob");
  auto& carol = peer("carol");
  register_account(alice);
  register_account(bob);
  register_account(carol);
  go_offline(bob);
  start(alice);
  const std::string first = send(alice, "bob", "one");
  const std::string second = send(alice, "bob", "two");
  Result<std::vector<ChatMessage>> history = Status(Code::kInternal, "not read");
  on_io([&] { history = alice.client->history("bob", 0, 10); });
  ASSERT_TRUE(history);
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].delivered_to, 0u);  // stored on the server only

  // Bob's client comes back, stores both and sends one receipt for them.
  auto& bob_again = peer("bob");
  login(bob_again);
  auto synced = await(bob_again.client->sync());
  ASSERT_TRUE(synced) << synced.status().to_string();
  EXPECT_EQ(*synced, 2u);
  ASSERT_TRUE(alice.inbox.wait_for_deliveries(2));
  auto deliveries = alice.inbox.deliveries();
  std::sort(deliveries.begin(), deliveries.end());
  std::vector<std::string> expected = {first + " bob", second + " bob"};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(deliveries, expected);
  on_io([&] { history = alice.client->history("bob", 0, 10); });
  ASSERT_TRUE(history);
  EXPECT_EQ((*history)[0].delivered_to, 1u);
  EXPECT_EQ((*history)[1].delivered_to, 1u);
  EXPECT_EQ(alice.inbox.distinct(), 0u);  // a receipt is not a message

  // In a group each member's client confirms; nothing of it is ever shown.
  start(carol);
  auto group = await(alice.client->create_group("trio", {"bob", "carol"}));
  ASSERT_TRUE(group) << group.status().to_string();
  auto sent = await(alice.client->send_group_text(group->id, "to both"));
  ASSERT_TRUE(sent) << sent.status().to_string();
  synced = await(bob_again.client->sync());
  ASSERT_TRUE(synced);
  EXPECT_EQ(*synced, 1u);
  ASSERT_TRUE(alice.inbox.wait_for_deliveries(4));
  on_io([&] { history = alice.client->history("", group->id, 10); });
  ASSERT_TRUE(history);
  ASSERT_EQ(history->size(), 1u);
  EXPECT_EQ((*history)[0].delivered_to, 2u);
  synced = await(bob_again.client->sync());
  ASSERT_TRUE(synced);
  EXPECT_EQ(*synced, 0u);
  EXPECT_EQ(alice.inbox.distinct(), 0u);
}

// Replies so small that every member list comes in pages: the client follows them
// for create, get, list and group sends alike.
class ClientE2ESmallRepliesTest : public ClientE2ETest {
 protected:
  void configure(server::ServerConfig& config) override { config.max_reply_bytes = 40; }
};

TEST_F(ClientE2ESmallRepliesTest, MemberListsInPagesAreFollowedToTheEnd) {
  auto& alice = peer("alice");
  auto& bob = peer("bob");
  auto& carol = peer("carol");
  auto& dave = peer("dave");
  for (Peer* p : {&alice, &bob, &carol, &dave})
    register_account(*p);
  start(dave);
  auto group = await(alice.client->create_group("four", {"bob", "carol", "dave"}));
  ASSERT_TRUE(group) << group.status().to_string();
  const std::vector<std::string> all{"alice", "bob", "carol", "dave"};
  auto names = [](const client::GroupInfo& g) {
    std::vector<std::string> out;
    for (const auto& m : g.members)
      out.push_back(m.username);
    return out;
  };
  EXPECT_EQ(names(*group), all);
  auto got = await(bob.client->get_group(group->id));
  ASSERT_TRUE(got) << got.status().to_string();
  EXPECT_EQ(names(*got), all);
  auto second = await(bob.client->create_group("two", {"alice"}));
  ASSERT_TRUE(second) << second.status().to_string();
  auto listed = await(alice.client->list_groups());
  ASSERT_TRUE(listed) << listed.status().to_string();
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ(names((*listed)[0]), all);
  EXPECT_EQ(names((*listed)[1]), (std::vector<std::string>{"alice", "bob"}));

  auto sent = await(alice.client->send_group_text(group->id, "to all four"));
  ASSERT_TRUE(sent) << sent.status().to_string();
  ASSERT_TRUE(dave.inbox.wait_for(1));
  EXPECT_EQ(dave.inbox.messages()[0].text, "to all four");
}

// The recipient's connection is reset several times while messages flow; run()
// reconnects and resumes. Nothing is lost and nothing is reported twice.
TEST_F(ClientE2ETest, ARecipientCutOffMidStreamLosesNothingAndSeesNothingTwice) {
  WireTap tap(servers_->ports());  // in a cluster, each reconnect lands on the next server
  auto& alice = peer("alice");
  auto& bob = peer("bob", tap.port());
  register_account(alice);
  register_account(bob);
  start(bob);

  constexpr int kCount = 300;
  std::set<std::string> sent;
  int cuts = 0;
  for (int i = 0; i < kCount; ++i) {
    sent.insert(send(alice, "bob", "stream " + std::to_string(i)));
    if (i % 60 == 30) cuts += tap.cut_all() > 0;  // while pushes are in flight
  }
  ASSERT_GE(cuts, 3);
  ASSERT_TRUE(bob.inbox.wait_for(kCount)) << "got " << bob.inbox.distinct() << " of " << kCount;
  EXPECT_TRUE(bob.inbox.repeated().empty()) << ::testing::PrintToString(bob.inbox.repeated());
  std::set<std::string> received;
  for (const auto& m : bob.inbox.messages())
    received.insert(m.id.to_hex());
  EXPECT_EQ(received, sent);
  EXPECT_GE(bob.inbox.downs(), 1);
  EXPECT_GT(tap.connections(), 1u);  // it reconnected through the tap
}

// The sender's connection is reset while it sends: each send is retried with the same
// id after run() reconnects, and the recipient sees every message exactly once.
TEST_F(ClientE2ETest, ASenderCutOffMidStreamDeliversEachMessageOnce) {
  WireTap tap(servers_->ports());
  auto& alice = peer("alice", tap.port());
  auto& bob = peer("bob");
  register_account(alice);
  register_account(bob);
  start(alice);
  start(bob);

  constexpr int kCount = 200;
  // All sends run concurrently on the I/O thread while the test thread cuts.
  auto sending = asio::co_spawn(
      io_,
      [](Client& client) -> asio::awaitable<int> {
        int ok = 0;
        for (int i = 0; i < kCount; ++i) {
          auto sent = co_await client.send_text("bob", "retry " + std::to_string(i));
          if (sent) ++ok;
        }
        co_return ok;
      }(*alice.client),
      asio::use_future);
  int cuts = 0;
  const auto deadline = std::chrono::steady_clock::now() + seconds(60);
  while (cuts < 5 && sending.wait_for(milliseconds(0)) != std::future_status::ready &&
         std::chrono::steady_clock::now() < deadline) {
    // Cut each time the stream has moved on since the last cut.
    if (bob.inbox.wait_for(bob.inbox.distinct() + 25, seconds(10))) cuts += tap.cut_all() > 0;
  }
  ASSERT_EQ(sending.wait_for(seconds(60)), std::future_status::ready);
  EXPECT_EQ(sending.get(), kCount);
  EXPECT_GE(cuts, 1);
  ASSERT_TRUE(bob.inbox.wait_for(kCount)) << "got " << bob.inbox.distinct();
  EXPECT_TRUE(bob.inbox.repeated().empty()) << ::testing::PrintToString(bob.inbox.repeated());
  // In the order sent.
  const auto got = bob.inbox.messages();
  for (int i = 0; i < kCount; ++i)
    EXPECT_EQ(got[i].text, "retry " + std::to_string(i));
}

// A file to a group whose sender's connection is cut between chunks: the rest goes
// after the reconnect, every member gets the whole file once.
TEST_F(ClientE2ETest, AGroupFileRidesThroughACutConnection) {
  WireTap tap(servers_->ports());
  auto& alice = peer("alice", tap.port());
  auto& bob = peer("bob");
  register_account(alice);
  register_account(bob);
  start(alice);
  start(bob);
  auto group = await(alice.client->create_group("cut", {"bob"}));
  ASSERT_TRUE(group) << group.status().to_string();
  std::string data;
  for (int i = 0; i < 5 * 256 * 1024; ++i)
    data.push_back(static_cast<char>(i * 13 + (i >> 11)));
  const std::string path = dir_.file("cut.bin");
  write_file(path, data);

  std::atomic<int> cuts{0};
  on_io([&] {
    alice.client->set_events({.on_file_progress = [&](const client::FileProgress& p) {
      if (p.done_bytes == 2 * 256 * 1024) cuts += static_cast<int>(tap.cut_all());
    }});
  });
  auto sent = await(alice.client->send_group_file(group->id, path), seconds(60));
  ASSERT_TRUE(sent) << sent.status().to_string();
  EXPECT_GE(cuts.load(), 1);
  ASSERT_TRUE(bob.inbox.wait_for(1));
  const auto got = bob.inbox.messages();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].group_id, group->id);
  EXPECT_TRUE(read_file(got[0].file_path) == data);
  EXPECT_TRUE(bob.inbox.repeated().empty());
}

// Clients keep running across a server restart on the same data dir: they reconnect
// and nothing acknowledged is lost.
TEST_F(ClientE2ETest, ClientsRideThroughAServerRestart) {
  WireTap tap(servers_->ports());
  auto& alice = peer("alice", tap.port());
  auto& bob = peer("bob", tap.port());
  register_account(alice);
  register_account(bob);
  start(alice);
  start(bob);
  send(alice, "bob", "before");
  ASSERT_TRUE(bob.inbox.wait_for(1));

  servers_->stop();  // every server of a cluster
  tap.cut_all();
  ASSERT_TRUE(bob.inbox.wait_for_downs(1));
  ASSERT_TRUE(servers_->start());
  tap.set_upstream_ports(servers_->ports());

  send(alice, "bob", "after");
  ASSERT_TRUE(bob.inbox.wait_for(2));
  EXPECT_EQ(bob.inbox.messages().back().text, "after");
  EXPECT_TRUE(bob.inbox.repeated().empty());
}

// Zero trust with the real client: its traffic, the server's database and the log
// (server and clients share it here) hold no plaintext, password or private key; nor
// do the clients' own histories on disk.
TEST_F(ClientE2ETest, RealClientsLeaveNoSecretsWithTheServer) {
  WireTap tap(servers_->ports());
  ASSERT_TRUE(servers_->record_redis());
  auto& alice = peer("alice", tap.port());
  auto& bob = peer("bob", tap.port());
  auto& carol = peer("carol", tap.port());
  for (auto* p : {&alice, &bob, &carol})
    register_account(*p);
  go_offline(carol);
  start(bob);
  const std::string kDirect = "MARKER-client-direct-5e6f7a8b: the eagle lands at dawn";
  const std::string kGroup = "MARKER-client-group-1c2d3e4f: bring the blue folder";
  send(alice, "bob", kDirect);
  auto group = await(alice.client->create_group("plans", {"bob", "carol"}));
  ASSERT_TRUE(group) << group.status().to_string();
  ASSERT_TRUE(await(alice.client->send_group_text(group->id, kGroup)));
  ASSERT_TRUE(bob.inbox.wait_for(2));
  auto& carol_again = peer("carol", tap.port());
  login(carol_again);
  ASSERT_TRUE(await(carol_again.client->sync()));
  ASSERT_EQ(carol_again.inbox.distinct(), 1u);
  EXPECT_EQ(carol_again.inbox.messages().at(0).text, kGroup);

  SecretScan scan;
  scan.add("direct plaintext", kDirect);
  scan.add("group plaintext", kGroup);
  scan.add("marker prefix", "MARKER-");
  for (auto* p : {&alice, &bob, &carol}) {
    const auto keys = crypto::derive_password_keys(p->name, password(p->name));
    const std::string keystore = client::HomeLayout(p->home).keystore(p->name);
    auto identity = crypto::load_keystore(keystore, p->name, keys.storage_key);
    ASSERT_TRUE(identity) << identity.status().to_string();
    auto data_key = crypto::unwrap_data_key(keystore, p->name, keys.storage_key);
    ASSERT_TRUE(data_key);
    scan.add(p->name + "'s password", password(p->name));
    scan.add(p->name + "'s storage key", keys.storage_key.view());
    scan.add(p->name + "'s login seed", keys.login_seed.view());
    scan.add(p->name + "'s auth key", keys.auth_key.view());
    scan.add(p->name + "'s keystore data key", data_key->view());
    scan.add(p->name + "'s signing secret key", identity->sign_secret_key().view());
    scan.add(p->name + "'s box secret key", identity->box_secret_key().view());
  }
  const std::string wire = tap.client_to_server() + tap.server_to_client();
  // TLS: not even the username is readable on the wire (tls_test.cpp has the
  // plaintext control showing that the tap records readable bytes).
  ASSERT_GT(wire.size(), 4096u);
  EXPECT_EQ(wire.find("carol"), std::string::npos);
  scan.expect_absent("the wire bytes", wire);
  const std::string db_running = servers_->store_contents();
  ASSERT_NE(db_running.find("carol"), std::string::npos) << "not the right store?";
  scan.expect_absent("the database (running)", db_running);
  servers_->stop();
  scan.expect_absent("the database (stopped)", servers_->store_contents());
  for (const auto& dir : servers_->data_dirs())
    scan.expect_absent_in_dir(dir);
  scan.expect_absent("the log", servers_->log());
  if (servers_->cluster()) {
    const std::string redis = servers_->redis_traffic();
    ASSERT_NE(redis.find("PUBLISH"), std::string::npos) << "nothing recorded from Redis";
    scan.expect_absent("the commands Redis executed", redis);
    scan.expect_absent("the key file", read_file(servers_->secret_file()));
  }
  // The clients' local histories (history.db 5: sealed), WAL and journal included.
  for (auto* p : {&alice, &bob, &carol}) {
    const std::string db = client::HomeLayout(p->home).history_db(p->name);
    ASSERT_TRUE(std::filesystem::exists(db)) << db;
    for (const std::string suffix : {"", "-wal", "-journal"}) {
      if (std::filesystem::exists(db + suffix)) {
        scan.expect_absent(p->name + "'s history.db" + suffix, read_file(db + suffix));
      }
    }
  }
  ASSERT_TRUE(servers_->start());
}

// --- key substitution: a server that serves another key for a known contact
// (docs/security.md, "Verified contacts"). The store is rewritten behind the servers'
// backs (serve_identity), which is exactly what a compromised server can do.

store::IdentityKeys keys_of(const crypto::PublicIdentity& id) {
  return {id.sign_public_key, id.box_public_key, id.signature};
}

// Replaces the signed prekey of `user`'s `device` in the store by one `signer` signed, and
// drops the one-time prekeys: what a server swapping keys serves.
void ClientE2ETest::serve_signed_prekey(const std::string& user, std::uint32_t device,
                                        const crypto::Identity& signer) {
  auto db = store::open_store(servers_->cluster() ? servers_->db_url() : std::string(),
                              servers_->server(0).data_dir());
  ASSERT_TRUE(db) << db.status().to_string();
  auto row = (*db)->find_user(user);
  ASSERT_TRUE(row) << row.status().to_string();
  const crypto::SignedPrekey forged = crypto::sign_prekey(signer, crypto::generate_prekey(1));
  store::PrekeyUpload swap;
  swap.user = row->id;
  swap.device_id = device;
  swap.signed_prekey = {forged.id, forged.public_key, forged.signature};
  swap.replace_one_time = true;
  ASSERT_TRUE((*db)->publish_prekeys(swap, {}));
}

TEST_F(ClientE2ETest, ASwappedKeyIsShownAndStopsSendingToAVerifiedContact) {
  auto& alice = peer("alice");
  auto& bob = peer("bob");
  register_account(alice);
  register_account(bob);
  start(bob);
  send(alice, "bob", "before");
  ASSERT_TRUE(bob.inbox.wait_for(1));
  auto verified = await(alice.client->confirm_contact("bob"));
  ASSERT_TRUE(verified) << verified.status().to_string();
  ASSERT_TRUE(verified->verified);

  // mallory's keys, validly signed for "bob", and a signed prekey of hers: all a lying
  // server needs.
  const auto mallory = crypto::Identity::generate();
  ASSERT_TRUE(servers_->serve_identity("bob", keys_of(mallory.public_identity("bob"))));
  serve_signed_prekey("bob", bob.client->device_id(), mallory);

  // A new alice process (keys pinned on disk, none cached) notices and sends nothing.
  go_offline(alice);
  auto& alice2 = peer("alice");
  ASSERT_TRUE(await(alice2.client->resume()));
  auto refused = await(alice2.client->send_text("bob", "must not reach mallory"));
  EXPECT_EQ(refused.code(), Code::kIdentityChanged) << refused.status().to_string();
  EXPECT_EQ(alice2.inbox.identity_changes(), (std::vector<std::string>{"bob"}));
  auto trust = await(alice2.client->contact_trust("bob"));
  ASSERT_TRUE(trust);
  EXPECT_TRUE(trust->verified);
  EXPECT_TRUE(trust->key_changed);
  EXPECT_EQ(trust->safety_number, verified->safety_number);  // the pin did not move
  EXPECT_NE(trust->new_safety_number, verified->safety_number);
  EXPECT_EQ(await(alice2.client->confirm_contact("bob")).code(), Code::kIdentityChanged);

  // The user looks and accepts: sending resumes, sealed to the new key (which the real
  // bob cannot open: he reports it instead of showing it, and loses nothing else).
  auto accepted = await(alice2.client->accept_new_identity("bob", false));
  ASSERT_TRUE(accepted) << accepted.status().to_string();
  EXPECT_FALSE(accepted->verified);
  EXPECT_FALSE(accepted->key_changed);
  EXPECT_EQ(accepted->safety_number, trust->new_safety_number);
  send(alice2, "bob", "to the accepted key");
  send(alice2, "bob", "barrier");
  ASSERT_TRUE(eventually([&] { return bob.inbox.undecryptable().size() == 2; }, seconds(30)));
  EXPECT_EQ(bob.inbox.undecryptable()[0].sender, "alice");
}

TEST_F(ClientE2ETest, AKeySwappedAtFirstContactGivesSafetyNumbersThatDiffer) {
  auto& alice = peer("alice");
  auto& bob = peer("bob");
  register_account(alice);
  register_account(bob);
  const auto mallory = crypto::Identity::generate();
  ASSERT_TRUE(servers_->serve_identity("bob", keys_of(mallory.public_identity("bob"))));

  // alice has never seen bob: she pins mallory's key without noticing anything...
  auto seen_by_alice = await(alice.client->contact_trust("bob"));
  ASSERT_TRUE(seen_by_alice) << seen_by_alice.status().to_string();
  EXPECT_FALSE(seen_by_alice->key_changed);
  // ...but the numbers the two compare do not match.
  auto seen_by_bob = await(bob.client->contact_trust("alice"));
  ASSERT_TRUE(seen_by_bob) << seen_by_bob.status().to_string();
  EXPECT_NE(seen_by_alice->safety_number, seen_by_bob->safety_number);
  EXPECT_NE(seen_by_alice->fingerprint, seen_by_bob->own_fingerprint);
  EXPECT_EQ(seen_by_bob->fingerprint, seen_by_alice->own_fingerprint);
}

TEST_F(ClientE2ETest, AnUndecryptableMessageDoesNotChangeThePinnedKey) {
  auto& alice = peer("alice");
  auto& bob = peer("bob");
  register_account(alice);
  register_account(bob);
  start(bob);
  send(alice, "bob", "hello");  // bob pins alice's key on reading it
  ASSERT_TRUE(bob.inbox.wait_for(1));
  auto pinned = await(bob.client->fingerprint("alice"));
  ASSERT_TRUE(pinned);

  // The server now serves other keys for alice and delivers garbage "from" her (sent
  // here on a raw connection logged in as alice: the server's view of a sender).
  const auto mallory = crypto::Identity::generate();
  ASSERT_TRUE(servers_->serve_identity("alice", keys_of(mallory.public_identity("alice"))));
  auto raw = logged_in(port(), TestUser::create("alice", password("alice")));
  ASSERT_TRUE(raw);
  wire::Frame garbage;
  garbage.mutable_send()->set_message_id(MessageId::random().to_bytes());
  garbage.mutable_send()->set_user("bob");
  garbage.mutable_send()->set_body(std::string(1, '\x01') + std::string(80, 'g'));
  const auto request = raw->request(std::move(garbage));
  ASSERT_TRUE(raw->response(request));
  ASSERT_TRUE(eventually([&] { return bob.inbox.undecryptable().size() == 1; }, seconds(30)));
  EXPECT_EQ(bob.inbox.undecryptable()[0].sender, "alice");
  EXPECT_TRUE(bob.inbox.identity_changes().empty());  // no key was fetched because of it
  auto after = await(bob.client->fingerprint("alice"));
  ASSERT_TRUE(after);
  EXPECT_EQ(*after, *pinned);
  // Asking the server now shows the change: a pending key beside the same pin.
  auto now = await(bob.client->contact_trust("alice"));
  ASSERT_TRUE(now);
  EXPECT_EQ(now->fingerprint, *pinned);
  EXPECT_TRUE(now->key_changed);
  EXPECT_EQ(bob.inbox.identity_changes(), (std::vector<std::string>{"alice"}));
  // And alice's next message (to the real key) still reads: nothing else was lost.
  send(alice, "bob", "still here");
  ASSERT_TRUE(bob.inbox.wait_for(2));
}

// --- The server's idle timeout and the client core's keepalive (issue 10 item 6)

class ClientKeepaliveTest : public ClientE2ETest {
 protected:
  void configure(server::ServerConfig& config) override { config.idle_timeout_ms = 1500; }
};

TEST_F(ClientKeepaliveTest, ARunningClientPingsAndIsNeverCutForIdling) {
  keepalive_ = milliseconds(100);
  auto& alice = peer("alice");
  // Carol never pings: each of her connections is cut after the idle timeout (and
  // run() reconnects), which is how the test knows that time passed.
  keepalive_ = milliseconds(0);
  auto& carol = peer("carol");
  // Both register (Argon2id, on the clients' one thread) before Alice runs: on a slow
  // machine (TSan, a loaded CI) Carol's key derivation held that thread past the idle
  // timeout, so Alice's pings could not go out and she was cut.
  register_account(alice);
  register_account(carol);
  start(alice);
  start(carol);
  ASSERT_TRUE(carol.inbox.wait_for_downs(3)) << "a silent client was not cut";
  EXPECT_GE(counter(&server::ServerCounters::idle_closed), 3u);
  EXPECT_EQ(alice.inbox.downs(), 0) << "the pinging client was cut";
  send(carol, "alice", "still there?");
  ASSERT_TRUE(alice.inbox.wait_for(1));
  EXPECT_EQ(alice.inbox.downs(), 0);
}

class ClientSendLimitTest : public ClientE2ETest {
 protected:
  void configure(server::ServerConfig& config) override {
    config.send_limits.messages_per_second = 5;
    config.send_limits.message_burst = 2;
  }
};

TEST_F(ClientSendLimitTest, SendsOverTheLimitWaitAndGoThrough) {
  auto& alice = peer("alice");
  auto& bob = peer("bob");
  register_account(alice);
  register_account(bob);
  start(bob);
  for (int i = 0; i < 6; ++i)
    send(alice, "bob", "quick " + std::to_string(i));
  ASSERT_TRUE(bob.inbox.wait_for(6));
  EXPECT_GT(counter(&server::ServerCounters::sends_rate_limited), 0u)
      << "the limit was never reached: the test proves nothing";
  EXPECT_TRUE(bob.inbox.repeated().empty());
}

// --- E2EE v2 prekeys through the client core (issue 11 item 1)

class ClientPrekeyTest : public ClientE2ETest {
 protected:
  void configure(server::ServerConfig& config) override {
    config.bundle_fetch_limits.burst = 1000;  // the top-up test drains 80 one-time prekeys
  }

  // The device's LocalPrekeys and how often the client asked to save them.
  struct Device {
    crypto::LocalPrekeys local;
    int saves = 0;
    Client::SavePrekeys saver() {
      return [this](const crypto::LocalPrekeys&) {
        ++saves;
        return Status();
      };
    }
  };
};

TEST_F(ClientPrekeyTest, PrekeysArePublishedFetchedVerifiedAndToppedUpWhenLow) {
  auto& alice = peer("alice");
  auto& bob = peer("bob");
  register_account(alice);
  register_account(bob);
  const std::uint32_t own = alice.client->device_id();
  ASSERT_NE(own, 0u);
  Device device;
  auto held = await(alice.client->publish_prekeys(device.local, own, device.saver()));
  ASSERT_TRUE(held) << held.status().to_string();
  EXPECT_EQ(*held, client::kOneTimePrekeyTarget);
  EXPECT_EQ(device.saves, 1);
  ASSERT_NE(device.local.current_signed(), nullptr);

  auto bundles = await(bob.client->fetch_prekey_bundles("Alice"));
  ASSERT_TRUE(bundles) << bundles.status().to_string();
  ASSERT_EQ(bundles->size(), 1u);
  const crypto::PrekeyBundle& bundle = (*bundles)[0];
  EXPECT_EQ(bundle.address.user, "alice");
  EXPECT_EQ(bundle.address.device_id, own);
  ASSERT_TRUE(bundle.one_time_prekey);
  ASSERT_NE(device.local.one_time(bundle.one_time_prekey->id), nullptr);
  auto count = await(alice.client->prekey_count(own));
  ASSERT_TRUE(count) << count.status().to_string();
  EXPECT_EQ(*count, client::kOneTimePrekeyTarget - 1);

  // Plenty left: a top-up publishes nothing.
  auto same = await(alice.client->top_up_prekeys(device.local, own, device.saver()));
  ASSERT_TRUE(same) << same.status().to_string();
  EXPECT_EQ(*same, client::kOneTimePrekeyTarget - 1);
  EXPECT_EQ(device.saves, 1);

  // Drained below the low-water mark: topped up to the target, saved before it left.
  const std::size_t drain = client::kOneTimePrekeyTarget - client::kOneTimePrekeyLowWater;
  for (std::size_t i = 0; i < drain; ++i) {
    auto fetched = await(bob.client->fetch_prekey_bundles("alice"));
    ASSERT_TRUE(fetched) << i << ": " << fetched.status().to_string();
  }
  auto low = await(alice.client->prekey_count(own));
  ASSERT_TRUE(low);
  ASSERT_LT(*low, client::kOneTimePrekeyLowWater);
  auto topped = await(alice.client->top_up_prekeys(device.local, own, device.saver()));
  ASSERT_TRUE(topped) << topped.status().to_string();
  EXPECT_EQ(*topped, client::kOneTimePrekeyTarget);
  EXPECT_EQ(device.saves, 2);
  EXPECT_EQ(device.local.one_time_count(), 2 * client::kOneTimePrekeyTarget - *low);
}

TEST_F(ClientPrekeyTest, NothingIsPublishedWhenTheLocalSaveFails) {
  auto& alice = peer("alice");
  register_account(alice);
  const std::uint32_t own = alice.client->device_id();
  auto before = await(alice.client->prekey_count(own));  // published at registration
  ASSERT_TRUE(before) << before.status().to_string();
  EXPECT_EQ(*before, client::kOneTimePrekeyTarget);
  crypto::LocalPrekeys local;
  auto failed = await(alice.client->publish_prekeys(
      local, own, [](const crypto::LocalPrekeys&) { return Status(Code::kIo, "disk full"); }));
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.code(), Code::kIo);
  auto count = await(alice.client->prekey_count(own));
  ASSERT_TRUE(count) << count.status().to_string();
  EXPECT_EQ(*count, *before);
}

// The server is hostile: a signed prekey swapped in its database (behind the server's
// back, past its own check at publish) is refused by the fetching client.
TEST_F(ClientPrekeyTest, ABundleAlteredInTheServersDatabaseIsRefusedByTheClient) {
  auto& alice = peer("alice");
  auto& bob = peer("bob");
  register_account(alice);
  register_account(bob);
  const std::uint32_t own = alice.client->device_id();
  crypto::LocalPrekeys local;
  ASSERT_TRUE(await(alice.client->publish_prekeys(
      local, own, [](const crypto::LocalPrekeys&) { return Status(); })));

  auto db = store::open_store(servers_->cluster() ? servers_->db_url() : std::string(),
                              servers_->server(0).data_dir());
  ASSERT_TRUE(db) << db.status().to_string();
  auto alice_row = (*db)->find_user("alice");
  ASSERT_TRUE(alice_row) << alice_row.status().to_string();
  // The attacker's own signed prekey, signed by the attacker's identity.
  const crypto::Identity mallory = crypto::Identity::generate();
  const crypto::SignedPrekey forged = crypto::sign_prekey(mallory, crypto::generate_prekey(1));
  store::PrekeyUpload swap;
  swap.user = alice_row->id;
  swap.device_id = own;
  swap.signed_prekey = {forged.id, forged.public_key, forged.signature};
  ASSERT_TRUE((*db)->publish_prekeys(swap, {}));

  auto bundles = await(bob.client->fetch_prekey_bundles("alice"));
  ASSERT_FALSE(bundles) << "a forged bundle was accepted";
  EXPECT_EQ(bundles.code(), Code::kCrypto);
  EXPECT_NE(bundles.status().message().find("does not verify"), std::string::npos)
      << bundles.status().message();
}

// --- signed group membership (docs/e2ee-v2.md, "Group membership") and blocks. The
// lying-server tests rewrite the store behind the servers' backs (exec_sql), which is
// what a compromised server can do.

std::vector<std::string> described(const Result<std::vector<client::MembershipEvent>>& events) {
  std::vector<std::string> out;
  if (!events) return {events.status().to_string()};
  for (const auto& e : *events)
    out.push_back(client::describe(e));
  return out;
}

std::vector<std::string> member_names(const client::GroupInfo& group) {
  std::vector<std::string> out;
  for (const auto& m : group.members)
    out.push_back(m.username + (m.admin ? "*" : ""));
  return out;
}

TEST_F(ClientE2ETest, EveryMemberSeesWhoAddedAndRemovedWhom) {
  auto& alice = peer("alice");
  auto& bob = peer("bob");
  auto& carol = peer("carol");
  register_account(alice);
  register_account(bob);
  register_account(carol);
  start(carol);
  auto group = await(alice.client->create_group("signed", {"bob"}));
  ASSERT_TRUE(group) << group.status().to_string();
  EXPECT_EQ(group->membership_seq, 1u);
  auto added = await(alice.client->add_member(group->id, "carol"));
  ASSERT_TRUE(added) << added.status().to_string();
  auto removed = await(alice.client->remove_member(group->id, "bob"));
  ASSERT_TRUE(removed) << removed.status().to_string();
  EXPECT_EQ(member_names(*removed), (std::vector<std::string>{"alice*", "carol"}));
  EXPECT_EQ(removed->membership_seq, 3u);

  // carol's client verifies the chain from the creation and tells who did what.
  auto seen = await(carol.client->get_group(group->id));
  ASSERT_TRUE(seen) << seen.status().to_string();
  EXPECT_EQ(member_names(*seen), (std::vector<std::string>{"alice*", "carol"}));
  Result<std::vector<client::MembershipEvent>> events = Status(Code::kInternal, "unread");
  on_io([&] { events = carol.client->membership_events(group->id); });
  EXPECT_EQ(described(events),
            (std::vector<std::string>{"alice created the group", "alice added carol",
                                      "alice removed bob"}));
  // A message goes to the verified members only; a leave is signed too.
  ASSERT_TRUE(await(alice.client->send_group_text(group->id, "after bob left")));
  ASSERT_TRUE(carol.inbox.wait_for(1));
  EXPECT_EQ(carol.inbox.messages().at(0).text, "after bob left");
  ASSERT_TRUE(await(carol.client->leave_group(group->id)));
  auto after = await(alice.client->get_group(group->id));
  ASSERT_TRUE(after) << after.status().to_string();
  EXPECT_EQ(member_names(*after), (std::vector<std::string>{"alice*"}));
  on_io([&] { events = alice.client->membership_events(group->id); });
  EXPECT_EQ(described(events).back(), "carol left");
  // bob, removed, cannot read the group any more.
  EXPECT_EQ(await(bob.client->get_group(group->id)).code(), Code::kForbidden);
}

TEST_F(ClientE2ETest, AMemberTheServerInsertsIsRefusedByEveryClient) {
  auto& alice = peer("alice");
  auto& bob = peer("bob");
  auto& carol = peer("carol");
  auto& mallory = peer("mallory");
  register_account(alice);
  register_account(bob);
  register_account(carol);
  register_account(mallory);
  auto group = await(alice.client->create_group("ghosts", {"bob", "carol"}));
  ASSERT_TRUE(group) << group.status().to_string();
  ASSERT_TRUE(await(bob.client->get_group(group->id)));

  ASSERT_TRUE(servers_->exec_sql("INSERT INTO group_members (group_id, user_id, admin) SELECT " +
                                 std::to_string(group->id) +
                                 ", id, false FROM users WHERE username = 'mallory'"));
  for (Peer* p : {&alice, &bob, &carol}) {
    auto sent = await(p->client->send_group_text(group->id, "secret plans"));
    ASSERT_FALSE(sent) << p->name << " sent to a member the server made up";
    EXPECT_EQ(sent.code(), Code::kMembershipUnverified) << sent.status().to_string();
    EXPECT_NE(sent.status().message().find("mallory"), std::string::npos)
        << sent.status().message();
    EXPECT_EQ(await(p->client->get_group(group->id)).code(), Code::kMembershipUnverified);
  }
  auto got = await(mallory.client->sync());
  ASSERT_TRUE(got) << got.status().to_string();
  EXPECT_EQ(*got, 0u);
}

TEST_F(ClientE2ETest, ADroppedRemovalOrAnOldMemberListIsRefused) {
  auto& alice = peer("alice");
  auto& bob = peer("bob");
  auto& carol = peer("carol");
  register_account(alice);
  register_account(bob);
  register_account(carol);
  auto group = await(alice.client->create_group("trio", {"bob", "carol"}));
  ASSERT_TRUE(group) << group.status().to_string();
  ASSERT_TRUE(await(alice.client->remove_member(group->id, "carol")));
  ASSERT_TRUE(await(bob.client->get_group(group->id)));  // bob saw the removal

  // The server forgets the removal: carol back in the list, the record gone (the list
  // and chain as they were before it).
  const std::string id = std::to_string(group->id);
  ASSERT_TRUE(
      servers_->exec_sql("DELETE FROM group_membership WHERE group_id = " + id + " AND seq = 2"));
  ASSERT_TRUE(servers_->exec_sql("INSERT INTO group_members (group_id, user_id, admin) SELECT " +
                                 id + ", id, false FROM users WHERE username = 'carol'"));
  for (Peer* p : {&alice, &bob}) {
    auto sent = await(p->client->send_group_text(group->id, "carol must not read this"));
    ASSERT_FALSE(sent) << p->name << " wrapped a key for a removed member";
    EXPECT_EQ(sent.code(), Code::kMembershipUnverified) << sent.status().to_string();
  }
  auto got = await(carol.client->sync());
  ASSERT_TRUE(got) << got.status().to_string();
  EXPECT_EQ(*got, 0u);
}

TEST_F(ClientE2ETest, AForgedOrForkedChainIsRefused) {
  auto& alice = peer("alice");
  auto& bob = peer("bob");
  auto& carol = peer("carol");
  register_account(alice);
  register_account(bob);
  register_account(carol);
  register_account(peer("mallory"));
  auto group = await(alice.client->create_group("forged", {"bob", "carol"}));
  ASSERT_TRUE(group) << group.status().to_string();
  ASSERT_TRUE(await(bob.client->get_group(group->id)));  // bob verified record 1

  // Record 2, "alice added mallory", signed by a key that is not alice's.
  auto db = store::open_store(servers_->cluster() ? servers_->db_url() : std::string(),
                              servers_->server(0).data_dir());
  ASSERT_TRUE(db) << db.status().to_string();
  auto first = (*db)->read_membership(group->id, 0, 1);
  ASSERT_TRUE(first && first->size() == 1);
  auto genesis = crypto::decode_record(first->front().record);
  ASSERT_TRUE(genesis);
  crypto::MembershipChain head(group->id, 1, crypto::record_hash(*genesis),
                               {{"alice", true}, {"bob", false}, {"carol", false}});
  auto forged = head.next("alice", crypto::MembershipAction::kAdd, "mallory", {}, 1);
  ASSERT_TRUE(forged);
  crypto::sign_record(*forged, crypto::Identity::generate());
  const std::string id = std::to_string(group->id);
  ASSERT_TRUE(servers_->exec_sql("INSERT INTO group_membership (group_id, seq, record) VALUES (" +
                                 id + ", 2, " +
                                 servers_->blob_literal(crypto::encode_record(*forged)) + ")"));
  ASSERT_TRUE(servers_->exec_sql("INSERT INTO group_members (group_id, user_id, admin) SELECT " +
                                 id + ", id, false FROM users WHERE username = 'mallory'"));
  for (Peer* p : {&alice, &bob, &carol}) {  // carol verifies from the creation
    auto seen = await(p->client->get_group(group->id));
    ASSERT_FALSE(seen) << p->name << " accepted a forged record";
    EXPECT_EQ(seen.code(), Code::kMembershipUnverified);
    EXPECT_NE(seen.status().message().find("does not verify"), std::string::npos)
        << seen.status().message();
  }

  // A cut chain: the server drops a record both clients verified (a fork needs one,
  // and crypto's MembershipTest covers forks record by record).
  ASSERT_TRUE(
      servers_->exec_sql("DELETE FROM group_membership WHERE group_id = " + id + " AND seq = 2"));
  ASSERT_TRUE(servers_->exec_sql("DELETE FROM group_members WHERE group_id = " + id +
                                 " AND user_id = (SELECT id FROM users WHERE username = "
                                 "'mallory')"));
  ASSERT_TRUE(await(alice.client->remove_member(group->id, "carol")));
  ASSERT_TRUE(await(bob.client->get_group(group->id)));  // bob's head: record 2
  ASSERT_TRUE(
      servers_->exec_sql("DELETE FROM group_membership WHERE group_id = " + id + " AND seq = 2"));
  ASSERT_TRUE(servers_->exec_sql("INSERT INTO group_members (group_id, user_id, admin) SELECT " +
                                 id + ", id, false FROM users WHERE username = 'carol'"));
  // Neither signs anything on top of it, nor sends to the list the server shows.
  auto other = await(alice.client->remove_member(group->id, "bob"));
  EXPECT_FALSE(other) << "alice's client signed on top of a cut chain";
  EXPECT_EQ(other.code(), Code::kMembershipUnverified);
  EXPECT_EQ(await(bob.client->send_group_text(group->id, "x")).code(), Code::kMembershipUnverified);
}

TEST_F(ClientE2ETest, ABlockedUsersMessagesLookSentButAreNeverDeliveredAndTheirAddsAreRefused) {
  auto& alice = peer("alice");
  auto& bob = peer("bob");
  register_account(alice);
  register_account(bob);
  start(alice);
  start(bob);
  ASSERT_TRUE(await(bob.client->block("alice")));
  auto blocks = await(bob.client->list_blocked());
  ASSERT_TRUE(blocks) << blocks.status().to_string();
  EXPECT_EQ(*blocks, (std::vector<std::string>{"alice"}));

  // To alice a direct message looks sent, as any other (docs/decisions.md, "Blocks")...
  auto hidden = await(alice.client->send_text("bob", "let me in"));
  ASSERT_TRUE(hidden) << hidden.status().to_string();
  EXPECT_GT(hidden->server_time_ms, 0);
  // ...but adding bob to a group is refused (the adder learns that much).
  auto created = await(alice.client->create_group("trap", {"bob"}));
  EXPECT_EQ(created.code(), Code::kForbidden) << created.status().to_string();
  auto group = await(alice.client->create_group("solo", {}));
  ASSERT_TRUE(group) << group.status().to_string();
  auto added = await(alice.client->add_member(group->id, "bob"));
  EXPECT_EQ(added.code(), Code::kForbidden) << added.status().to_string();
  // bob can still write to alice.
  ASSERT_TRUE(await(bob.client->send_text("alice", "I changed my mind")));
  ASSERT_TRUE(alice.inbox.wait_for(1));

  ASSERT_TRUE(await(bob.client->unblock("alice")));
  auto none = await(bob.client->list_blocked());
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  auto thanks = await(alice.client->send_text("bob", "thanks"));
  ASSERT_TRUE(thanks) << thanks.status().to_string();
  ASSERT_TRUE(bob.inbox.wait_for(1));
  // The receipt of "thanks" is the only one alice gets: what bob's server dropped was
  // never delivered, not even after the unblock.
  ASSERT_TRUE(alice.inbox.wait_for_deliveries(1));
  auto synced = await(bob.client->sync());
  ASSERT_TRUE(synced) << synced.status().to_string();
  EXPECT_EQ(*synced, 0u);
  ASSERT_EQ(bob.inbox.messages().size(), 1u);
  EXPECT_EQ(bob.inbox.messages().at(0).text, "thanks");
  EXPECT_EQ(alice.inbox.deliveries(), (std::vector<std::string>{thanks->id.to_hex() + " bob"}));
  EXPECT_TRUE(await(alice.client->add_member(group->id, "bob")));
}
}  // namespace

// --- E2EE v2 for 1:1: the Double Ratchet through the client core (docs/e2ee-v2.md,
// "1:1 messages")

// The texts `inbox` showed from `sender`, in the order shown.
std::vector<std::string> texts_from(const Inbox& inbox, const std::string& sender) {
  std::vector<std::string> out;
  for (const auto& m : inbox.messages()) {
    if (m.sender == sender && m.file_name.empty()) out.push_back(m.text);
  }
  return out;
}

// The identity in `user`'s keystore in `home`.
std::optional<crypto::Identity> identity_in(const std::string& home, const std::string& user,
                                            const std::string& password) {
  const auto keys = crypto::derive_password_keys(user, password);
  auto identity =
      crypto::load_keystore(client::HomeLayout(home).keystore(user), user, keys.storage_key);
  if (!identity) return std::nullopt;
  return std::move(*identity);
}

// `user`'s sealed ratchet sessions with `peer` (under `peer_sign_key`) as history.db
// holds them (nullopt: none).
// The E2EE device id of `user`'s device in `home` (the id of its device key).
std::uint32_t e2ee_device_in(const std::string& home, const std::string& user) {
  auto key = crypto::load_or_create_device_key(client::HomeLayout(home).device_key(user));
  return key ? crypto::device_id_of(key->public_key) : 0;
}

std::optional<std::string> saved_session(const std::string& home, const std::string& user,
                                         const std::string& peer, const std::string& peer_home,
                                         std::string_view peer_sign_key) {
  auto identity = identity_in(home, user, test_support::test_password(user));
  if (!identity) return std::nullopt;
  auto history = client::HistoryStore::open(client::HomeLayout(home).history_db(user),
                                            crypto::HistoryBox(*identity));
  if (!history) return std::nullopt;
  return (*history)->peer_session(peer, e2ee_device_in(peer_home, peer), peer_sign_key);
}

TEST_F(ClientE2ETest, BothStartAtOnceThenManyMessagesAndFilesBothWaysUseTheRatchet) {
  auto& alice = peer("alice");
  auto& bob = peer("bob");
  register_account(alice);
  register_account(bob);
  // Both open a session before either has read anything (simultaneous initiation).
  send(alice, "bob", "a-first");
  send(bob, "alice", "b-first");
  start(alice);
  start(bob);
  std::vector<std::string> from_alice{"a-first"}, from_bob{"b-first"};
  std::string data;
  for (int i = 0; i < 600'000; ++i)
    data.push_back(static_cast<char>((i * 131) ^ (i >> 7)));
  const std::string file = alice.home + "/photo.bin";
  write_file(file, data);
  for (int i = 0; i < 25; ++i) {
    from_alice.push_back("a" + std::to_string(i));
    send(alice, "bob", from_alice.back());
    if (i % 3 != 0) {  // runs of messages in one direction, and turns
      from_bob.push_back("b" + std::to_string(i));
      send(bob, "alice", from_bob.back());
    }
    if (i == 10) {
      auto sent = await(alice.client->send_file("bob", file), seconds(60));
      ASSERT_TRUE(sent) << sent.status().to_string();
      const std::string back = bob.home + "/back.bin";
      std::filesystem::copy_file(file, back);
      auto returned = await(bob.client->send_file("alice", back), seconds(60));
      ASSERT_TRUE(returned) << returned.status().to_string();
    }
  }
  ASSERT_TRUE(bob.inbox.wait_for(from_alice.size() + 1, seconds(60)));
  ASSERT_TRUE(alice.inbox.wait_for(from_bob.size() + 1, seconds(60)));
  EXPECT_EQ(texts_from(bob.inbox, "alice"), from_alice);  // in the sender's words, in order
  EXPECT_EQ(texts_from(alice.inbox, "bob"), from_bob);
  EXPECT_TRUE(bob.inbox.repeated().empty());
  EXPECT_TRUE(alice.inbox.repeated().empty());
  EXPECT_TRUE(bob.inbox.undecryptable().empty());
  EXPECT_TRUE(alice.inbox.undecryptable().empty());
  for (auto* p : {&alice, &bob}) {
    const auto messages = p->inbox.messages();
    auto it = std::find_if(messages.begin(), messages.end(),
                           [](const ChatMessage& m) { return !m.file_name.empty(); });
    ASSERT_NE(it, messages.end()) << p->name;
    EXPECT_TRUE(read_file(it->file_path) == data) << p->name;
  }
  // Through the ratchet: each side keeps a sealed session with the other, and it is not
  // readable without the keystore's identity.
  stop(alice);
  stop(bob);
  const auto alice_id = identity_in(alice.home, "alice", password("alice"));
  const auto bob_id = identity_in(bob.home, "bob", password("bob"));
  ASSERT_TRUE(alice_id && bob_id);
  auto alice_side = saved_session(alice.home, "alice", "bob", bob.home, bob_id->sign_public_key());
  auto bob_side = saved_session(bob.home, "bob", "alice", alice.home, alice_id->sign_public_key());
  ASSERT_TRUE(alice_side);
  ASSERT_TRUE(bob_side);
  EXPECT_EQ(alice_side->rfind("FCSB", 0), 0u);
  EXPECT_FALSE(crypto::PeerSessions::deserialize(*bob_side));
}

// --- Devices (docs/e2ee-v2.md, "Devices"): keys, prekeys and sessions per (user, device).

// A second device of alice: a copy of her home (keys and history) with a device key of its
// own, logged in with her password. A message to alice is sealed for each of her devices.
TEST_F(ClientE2ETest, DevicesEachDeviceOfTheRecipientOpensTheMessageWithItsOwnSession) {
  auto& laptop = peer("alice");
  auto& bob = peer("bob");
  register_account(laptop);
  register_account(bob);
  const std::uint32_t laptop_device = laptop.client->device_id();
  EXPECT_EQ(laptop_device, e2ee_device_in(laptop.home, "alice"));  // the device key's id
  go_offline(laptop);
  const std::string phone_home = dir_.file("home-alice-phone");
  std::filesystem::copy(laptop.home, phone_home, std::filesystem::copy_options::recursive);
  ASSERT_TRUE(std::filesystem::remove(client::HomeLayout(phone_home).device_key("alice")));
  ASSERT_TRUE(std::filesystem::remove(client::HomeLayout(phone_home).session_file()));

  auto& phone = peer("alice-phone");
  phone.name = "alice";
  login(phone);
  const std::uint32_t phone_device = phone.client->device_id();
  EXPECT_NE(phone_device, laptop_device);
  EXPECT_EQ(phone_device, e2ee_device_in(phone_home, "alice"));
  auto& laptop_again = peer("alice");
  ASSERT_TRUE(await(laptop_again.client->resume()));
  start(laptop_again);
  start(phone);
  start(bob);

  auto bundles = await(bob.client->fetch_prekey_bundles("alice"));
  ASSERT_TRUE(bundles) << bundles.status().to_string();
  std::set<std::uint32_t> published;
  for (const auto& b : *bundles)
    published.insert(b.address.device_id);
  EXPECT_EQ(published, (std::set<std::uint32_t>{laptop_device, phone_device}));

  send(bob, "alice", "to both of your devices");
  ASSERT_TRUE(laptop_again.inbox.wait_for(1));
  ASSERT_TRUE(phone.inbox.wait_for(1));
  EXPECT_EQ(texts_from(laptop_again.inbox, "bob"),
            (std::vector<std::string>{"to both of your devices"}));
  EXPECT_EQ(texts_from(phone.inbox, "bob"), (std::vector<std::string>{"to both of your devices"}));

  // Each device answers on its own session; bob keeps one per device and seals to both.
  send(phone, "bob", "from the phone");
  send(laptop_again, "bob", "from the laptop");
  ASSERT_TRUE(bob.inbox.wait_for(2));
  auto from_alice = texts_from(bob.inbox, "alice");
  std::sort(from_alice.begin(), from_alice.end());
  EXPECT_EQ(from_alice, (std::vector<std::string>{"from the laptop", "from the phone"}));
  send(bob, "alice", "again to both");
  ASSERT_TRUE(laptop_again.inbox.wait_for(2));
  ASSERT_TRUE(phone.inbox.wait_for(2));
  EXPECT_TRUE(laptop_again.inbox.undecryptable().empty());
  EXPECT_TRUE(phone.inbox.undecryptable().empty());
  EXPECT_TRUE(bob.inbox.undecryptable().empty());
}

// A client from before per-device bodies sends a bare prekey message as device 1: it is
// still read. The same ratchet message re-addressed to another sender device (what a
// server could do to the unauthenticated device field) opens nothing and changes nothing.
TEST_F(ClientE2ETest, DevicesABareMessageIsDeviceOneAndAReaddressedOneIsRefused) {
  auto& bob = peer("bob");
  register_account(bob);
  start(bob);
  const TestUser carol = TestUser::create("carol", password("carol"));
  auto raw = registered(port(), carol);
  ASSERT_TRUE(raw);
  auto bob_identity = identity_in(bob.home, "bob", password("bob"));
  ASSERT_TRUE(bob_identity);
  const auto bob_public = bob_identity->public_identity("bob");
  wire::Frame fetch;
  fetch.mutable_fetch_prekey_bundles()->set_username("bob");
  const wire::Frame reply = raw->call(fetch);
  ASSERT_TRUE(reply.has_prekey_bundles()) << reply.ShortDebugString();
  auto bundles = client::verified_bundles(reply.prekey_bundles(), "bob", bob_public);
  ASSERT_TRUE(bundles) << bundles.status().to_string();
  ASSERT_EQ(bundles->size(), 1u);
  crypto::PeerSessions to_bob((*bundles)[0].address, std::string(bob_public.sign_public_key),
                              std::string(bob_public.box_public_key));
  ASSERT_TRUE(to_bob.start({carol.identity(), {"carol", crypto::kLegacyDeviceId}}, (*bundles)[0]));
  auto send_body = [&](const std::string& text, auto wrap) {
    const MessageId id = MessageId::random();
    auto content = client::make_content(id, "carol", "bob", 0, 0);
    content.set_text(text);
    auto sealed = to_bob.encrypt(content.SerializeAsString());
    ASSERT_TRUE(sealed) << sealed.status().to_string();
    wire::Frame frame;
    frame.mutable_send()->set_message_id(id.to_bytes());
    frame.mutable_send()->set_user("bob");
    frame.mutable_send()->set_body(wrap(*sealed));
    ASSERT_TRUE(raw->call(frame).has_send_ok());
  };
  auto bare = [](const std::string& m) { return m; };
  send_body("from an older client", bare);
  ASSERT_TRUE(bob.inbox.wait_for(1));
  EXPECT_EQ(texts_from(bob.inbox, "carol"), (std::vector<std::string>{"from an older client"}));

  const std::uint32_t bob_device = bob.client->device_id();
  send_body("said to be from device 5", [&](const std::string& m) {
    crypto::DeviceMessage readdressed{5, {{crypto::DeviceOwner::kRecipient, bob_device, m}}};
    return *crypto::encode_device_message(std::move(readdressed));
  });
  ASSERT_TRUE(eventually([&] { return bob.inbox.undecryptable().size() == 1; }, seconds(30)));
  send_body("device 1 again", bare);
  ASSERT_TRUE(bob.inbox.wait_for(2));
  EXPECT_EQ(texts_from(bob.inbox, "carol"),
            (std::vector<std::string>{"from an older client", "device 1 again"}));
}

// A server that replays a recorded ciphertext under a new id, or tampers with one: the
// client refuses it (reports it undecryptable) and shows every real message once.
// The copied state of the receiver (history.db and keystore) opens none of the recorded
// ciphertexts afterwards: forward secrecy at client level.
TEST_F(ClientE2ETest, ReplayedAndTamperedRatchetMessagesAreRefusedAndOldOnesStayClosed) {
  auto& alice = peer("alice");
  auto& bob = peer("bob");
  register_account(alice);
  register_account(bob);
  for (const char* text : {"one", "two", "three"})
    send(alice, "bob", text);
  // What the server recorded: bob's inbox as the server holds it.
  auto bob_raw = logged_in(port(), TestUser::create("bob", password("bob")));
  ASSERT_TRUE(bob_raw);
  auto recorded = bob_raw->sync_all();
  ASSERT_TRUE(recorded) << recorded.status().to_string();
  ASSERT_EQ(recorded->size(), 3u);
  for (const auto& item : *recorded)
    EXPECT_EQ(static_cast<unsigned char>(item.body().front()), crypto::kDeviceMessageV1);

  start(bob);
  ASSERT_TRUE(bob.inbox.wait_for(3));
  // The server's view of a sender: alice's account on a raw connection.
  auto alice_raw = logged_in(port(), TestUser::create("alice", password("alice")));
  ASSERT_TRUE(alice_raw);
  auto inject = [&](std::string body) {
    wire::Frame frame;
    frame.mutable_send()->set_message_id(MessageId::random().to_bytes());
    frame.mutable_send()->set_user("bob");
    frame.mutable_send()->set_body(std::move(body));
    ASSERT_TRUE(alice_raw->response(alice_raw->request(std::move(frame))));
  };
  inject((*recorded)[1].body());  // a replay under a fresh id
  std::string tampered = (*recorded)[2].body();
  tampered[tampered.size() / 2] ^= 0x01;
  inject(tampered);
  ASSERT_TRUE(eventually([&] { return bob.inbox.undecryptable().size() == 2; }, seconds(30)));
  send(alice, "bob", "four");
  ASSERT_TRUE(bob.inbox.wait_for(4));
  EXPECT_EQ(texts_from(bob.inbox, "alice"),
            (std::vector<std::string>{"one", "two", "three", "four"}));
  EXPECT_TRUE(bob.inbox.repeated().empty());

  // An attacker with a copy of bob's files (and his password) now.
  go_offline(bob);
  const client::HomeLayout home(bob.home);
  const auto keys = crypto::derive_password_keys("bob", password("bob"));
  auto identity = crypto::load_keystore(home.keystore("bob"), "bob", keys.storage_key);
  ASSERT_TRUE(identity) << identity.status().to_string();
  auto history = client::HistoryStore::open(home.history_db("bob"), crypto::HistoryBox(*identity));
  ASSERT_TRUE(history);
  const crypto::StateBox box(*identity);
  const auto alice_id = identity_in(alice.home, "alice", password("alice"));
  ASSERT_TRUE(alice_id);
  const std::uint32_t alice_device = e2ee_device_in(alice.home, "alice");
  const std::uint32_t bob_device = e2ee_device_in(bob.home, "bob");
  auto sealed_sessions =
      (*history)->peer_session("alice", alice_device, alice_id->sign_public_key());
  auto sealed_prekeys = (*history)->local_prekeys(bob_device);
  ASSERT_TRUE(sealed_sessions && sealed_prekeys);
  auto state = box.open("peer-sessions", "alice/" + std::to_string(alice_device), *sealed_sessions);
  ASSERT_TRUE(state) << state.status().to_string();
  auto prekey_state =
      box.open("local-prekeys", "bob/" + std::to_string(bob_device), sealed_prekeys->state);
  ASSERT_TRUE(prekey_state) << prekey_state.status().to_string();
  for (const auto& item : *recorded) {
    auto sessions = crypto::PeerSessions::deserialize(state->view());
    auto prekeys = crypto::LocalPrekeys::deserialize(prekey_state->view());
    ASSERT_TRUE(sessions && prekeys);
    const crypto::LocalDevice me{*identity, {"bob", bob_device}};
    const auto now = std::chrono::duration_cast<milliseconds>(
        std::chrono::system_clock::now().time_since_epoch());
    auto addressed = crypto::decode_device_message(item.body());
    ASSERT_TRUE(addressed) << addressed.status().to_string();
    const crypto::DeviceEntry* mine = addressed->find(crypto::DeviceOwner::kRecipient, bob_device);
    ASSERT_NE(mine, nullptr);
    EXPECT_FALSE(sessions->decrypt(me, *prekeys, mine->message, now.count()))
        << "seq " << item.seq();
  }
}

// --- Sender Keys for groups (docs/e2ee-v2.md, "Sender Keys for groups")

// The group items of `user`'s inbox as the server holds it (a raw login), oldest first.
std::vector<wire::InboxMessage> group_items_on_server(std::uint16_t port, const std::string& user,
                                                      const std::string& password) {
  std::vector<wire::InboxMessage> out;
  auto raw = logged_in(port, TestUser::create(user, password));
  if (!raw) return out;
  auto items = raw->sync_all();
  if (!items) return out;
  for (auto& item : *items)
    if (item.group_id() != 0) out.push_back(std::move(item));
  return out;
}

TEST_F(ClientE2ETest, SenderKeysARemovedMemberReadsNothingNewAndANewMemberNothingOld) {
  auto& alice = peer("alice");
  auto& bob = peer("bob");
  auto& carol = peer("carol");
  auto& dave = peer("dave");
  for (Peer* p : {&alice, &bob, &carol, &dave})
    register_account(*p);
  auto group = await(alice.client->create_group("sk", {"bob", "carol"}));
  ASSERT_TRUE(group) << group.status().to_string();
  ASSERT_TRUE(await(alice.client->send_group_text(group->id, "before")));
  ASSERT_TRUE(await(alice.client->remove_member(group->id, "carol")));
  ASSERT_TRUE(await(alice.client->send_group_text(group->id, "after")));
  ASSERT_TRUE(await(alice.client->add_member(group->id, "dave")));
  ASSERT_TRUE(await(alice.client->send_group_text(group->id, "welcome")));

  // One stored ciphertext per message, no key wraps, signed by a sender key.
  const auto recorded = group_items_on_server(port(), "bob", password("bob"));
  ASSERT_EQ(recorded.size(), 3u);
  for (const auto& item : recorded) {
    EXPECT_EQ(static_cast<unsigned char>(item.body().front()), 0x13);
    EXPECT_TRUE(item.sealed_key().empty());
  }

  // A lying server: carol back in the member table (no signed record), and alice's
  // recorded ciphertexts sent again under fresh ids to everyone it lists.
  ASSERT_TRUE(servers_->exec_sql("INSERT INTO group_members (group_id, user_id, admin) SELECT " +
                                 std::to_string(group->id) +
                                 ", id, false FROM users WHERE username = 'carol'"));
  auto alice_raw = logged_in(port(), TestUser::create("alice", password("alice")));
  ASSERT_TRUE(alice_raw);
  for (const auto& item : recorded) {
    wire::Frame frame;
    frame.mutable_send()->set_message_id(MessageId::random().to_bytes());
    frame.mutable_send()->set_group_id(group->id);
    frame.mutable_send()->set_body(item.body());
    frame.mutable_send()->set_membership_seq(3);
    auto reply = alice_raw->call(std::move(frame));
    ASSERT_TRUE(reply.has_send_ok()) << reply.DebugString();
  }

  for (Peer* p : {&bob, &carol, &dave}) {
    auto synced = await(p->client->sync());
    ASSERT_TRUE(synced) << p->name << ": " << synced.status().to_string();
  }
  EXPECT_EQ(texts_from(bob.inbox, "alice"),
            (std::vector<std::string>{"before", "after", "welcome"}));
  EXPECT_EQ(bob.inbox.undecryptable().size(), 3u);  // the replays: each key is used once
  // carol, removed, has the first key only: "after" and "welcome" stay closed to her.
  EXPECT_EQ(texts_from(carol.inbox, "alice"), (std::vector<std::string>{"before"}));
  // dave, added, got the key at its current state: nothing from before he joined.
  EXPECT_EQ(texts_from(dave.inbox, "alice"), (std::vector<std::string>{"welcome"}));
  for (Peer* p : {&bob, &carol, &dave})
    EXPECT_TRUE(p->inbox.repeated().empty()) << p->name;
}

TEST_F(ClientE2ETest, SenderKeysAMessageReattributedToAnotherMemberIsNeverShown) {
  auto& alice = peer("alice");
  auto& bob = peer("bob");
  auto& carol = peer("carol");
  for (Peer* p : {&alice, &bob, &carol})
    register_account(*p);
  auto group = await(alice.client->create_group("who", {"bob", "carol"}));
  ASSERT_TRUE(group) << group.status().to_string();
  ASSERT_TRUE(await(alice.client->send_group_text(group->id, "from alice")));
  ASSERT_TRUE(await(carol.client->send_group_text(group->id, "from carol")));
  const auto recorded = group_items_on_server(port(), "bob", password("bob"));
  ASSERT_EQ(recorded.size(), 2u);
  // The server presents alice's ciphertext as carol's (carol's raw session sends it).
  auto carol_raw = logged_in(port(), TestUser::create("carol", password("carol")));
  ASSERT_TRUE(carol_raw);
  wire::Frame frame;
  frame.mutable_send()->set_message_id(MessageId::random().to_bytes());
  frame.mutable_send()->set_group_id(group->id);
  frame.mutable_send()->set_body(recorded[0].body());
  frame.mutable_send()->set_membership_seq(1);
  ASSERT_TRUE(carol_raw->call(std::move(frame)).has_send_ok());

  auto synced = await(bob.client->sync());
  ASSERT_TRUE(synced) << synced.status().to_string();
  EXPECT_EQ(texts_from(bob.inbox, "alice"), (std::vector<std::string>{"from alice"}));
  EXPECT_EQ(texts_from(bob.inbox, "carol"), (std::vector<std::string>{"from carol"}));
  EXPECT_TRUE(bob.inbox.repeated().empty());
  auto history = await(bob.client->sync());  // nothing more to show
  ASSERT_TRUE(history);
  EXPECT_EQ(*history, 0u);
}

}  // namespace fastchat::itest
