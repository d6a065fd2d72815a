// The Client facade against FakeServer: accounts, sessions, delivery rules (DESIGN §4)
// and end-to-end encryption, hermetically.
#include "client/client.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "client/async_signal.h"
#include "client/history_store.h"
#include "client/home.h"
#include "crypto/device_key.h"
#include "crypto/identity.h"
#include "crypto/keystore.h"
#include "crypto/membership.h"
#include "crypto/password.h"
#include "crypto/sender_key_message.h"
#include "crypto/x3dh.h"
#include "fake_server.h"
#include "support/test_files.h"
#include "support/test_passwords.h"
#include "temp_dir.h"

namespace fastchat::client {
namespace {

using namespace std::chrono_literals;
using fastchat::test_support::read_file;
using fastchat::test_support::test_password;
using fastchat::test_support::write_file;

asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor);
  t.expires_after(d);
  co_await t.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
}

// Polls `ready` for up to five seconds.
asio::awaitable<bool> eventually(std::function<bool()> ready) {
  for (int i = 0; i < 500; ++i) {
    if (ready()) co_return true;
    co_await sleep_for(10ms);
  }
  co_return ready();
}

// Ends the process if it is still alive after `limit`: a coroutine that spins on the
// test's io_context never lets the test's own deadline (ClientTest::run) be checked.
class Watchdog {
 public:
  Watchdog(std::chrono::seconds limit, std::string what)
      : thread_([this, limit, what = std::move(what)] {
          std::unique_lock lock(mutex_);
          if (cv_.wait_for(lock, limit, [this] { return done_; })) return;
          std::fprintf(stderr, "FAILED: %s (still running after %llds)\n", what.c_str(),
                       static_cast<long long>(limit.count()));
          std::_Exit(1);
        }) {}
  ~Watchdog() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

// What a client's events reported.
struct Recorder {
  std::vector<ChatMessage> messages;
  std::vector<std::string> identity_changes;
  std::vector<UndecryptableMessage> undecryptable;
  std::vector<bool> connection;

  ClientEvents events() {
    ClientEvents e;
    e.on_message = [this](const ChatMessage& m) { messages.push_back(m); };
    e.on_identity_changed = [this](std::string_view user, std::string_view) {
      identity_changes.emplace_back(user);
    };
    e.on_connection = [this](bool up) { connection.push_back(up); };
    e.on_undecryptable = [this](const UndecryptableMessage& m) { undecryptable.push_back(m); };
    return e;
  }
  std::vector<std::string> texts() const {
    std::vector<std::string> out;
    for (const auto& m : messages)
      out.push_back(m.text);
    return out;
  }
};

Status status_of(const Status& s) {
  return s;
}
template <typename T>
Status status_of(const Result<T>& r) {
  return r.status();
}

// gtest's ASSERT_* return from a void function; these co_return from a coroutine.
#define CO_EXPECT_OK(expr)                                                \
  do {                                                                    \
    const Status status_ = status_of(expr);                               \
    EXPECT_TRUE(status_.is_ok()) << #expr << ": " << status_.to_string(); \
  } while (0)
#define CO_ASSERT_TRUE(cond)                  \
  do {                                        \
    const bool ok_ = static_cast<bool>(cond); \
    EXPECT_TRUE(ok_) << #cond;                \
    if (!ok_) co_return;                      \
  } while (0)
#define CO_ASSERT_EQ(a, b)             \
  do {                                 \
    const auto a_ = (a);               \
    const auto b_ = (b);               \
    EXPECT_EQ(a_, b_) << #a " == " #b; \
    if (!(a_ == b_)) co_return;        \
  } while (0)

class ClientTest : public ::testing::Test {
 protected:
  ClientConfig config(const std::string& home, bool persist = true) {
    ClientConfig c;
    c.server = *parse_endpoint(server_.address());
    c.home_dir = dir_.file(home);
    c.client_name = "client-test";
    c.persist = persist;
    c.insecure_plaintext = true;  // FakeServer speaks plaintext (TLS: integration tests)
    return c;
  }
  std::unique_ptr<Client> make(const std::string& home, bool persist = true) {
    return std::make_unique<Client>(io_.get_executor(), config(home, persist));
  }

  // A client per name (its home named alike), its events recorded, registered.
  asio::awaitable<void> register_all(const std::vector<std::string>& names,
                                     std::map<std::string, std::unique_ptr<Client>>& clients,
                                     std::map<std::string, Recorder>& events) {
    for (const std::string& name : names) {
      clients[name] = make(name);
      clients[name]->set_events(events[name].events());
      CO_EXPECT_OK(co_await clients[name]->register_account(name, test_password(name)));
    }
  }

  // alice's identity, from the keystore in her home (as another of her clients has it).
  Result<crypto::Identity> alice_identity() {
    const auto keys = crypto::derive_password_keys("alice", test_password("alice"));
    return crypto::load_keystore(HomeLayout(dir_.file("alice")).keystore("alice"), "alice",
                                 keys.storage_key);
  }

  // Runs the test body on the io_context until it finishes (60 s at most).
  template <typename Body>
  void run(Body body) {
    bool done = false;
    asio::co_spawn(io_, body(), [&](std::exception_ptr e) {
      done = true;
      if (e) std::rethrow_exception(e);
    });
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (!done && std::chrono::steady_clock::now() < deadline)
      io_.run_for(50ms);
    ASSERT_TRUE(done) << "the test did not finish in time";
  }

  // Starts client.run(); `done` turns true when it returns.
  void start_running(Client& client, bool& done) {
    done = false;
    asio::co_spawn(io_, client.run(), [&done](std::exception_ptr) { done = true; });
  }

  asio::io_context io_;
  testing::FakeServer server_{io_};
  testing::TempDir dir_;
};

TEST_F(ClientTest, RegisterSendAndSync) {
  run([&]() -> asio::awaitable<void> {
    auto alice = make("alice");
    auto bob = make("bob");
    Recorder bob_events;
    bob->set_events(bob_events.events());
    CO_EXPECT_OK(co_await alice->register_account("Alice", test_password("alice")));
    EXPECT_EQ(alice->username(), "alice");
    CO_EXPECT_OK(co_await bob->register_account("bob", test_password("bob")));

    auto sent = co_await alice->send_text("BOB", "hello bob, a secret");
    CO_EXPECT_OK(sent);
    if (!sent) co_return;
    EXPECT_TRUE(sent->outgoing);
    EXPECT_EQ(sent->peer, "bob");
    EXPECT_EQ(sent->sender, "alice");

    auto synced = co_await bob->sync();
    CO_EXPECT_OK(synced);
    EXPECT_EQ(synced.value(), 1u);
    CO_ASSERT_EQ(bob_events.messages.size(), 1u);
    const ChatMessage& got = bob_events.messages[0];
    EXPECT_EQ(got.id, sent->id);
    EXPECT_EQ(got.text, "hello bob, a secret");
    EXPECT_EQ(got.sender, "alice");
    EXPECT_EQ(got.peer, "alice");
    EXPECT_EQ(got.seq, 1u);
    EXPECT_FALSE(got.outgoing);

    EXPECT_EQ((co_await bob->sync()).value(), 0u);  // nothing new, nothing shown twice
    EXPECT_EQ(bob_events.messages.size(), 1u);
    EXPECT_EQ(server_.users()["bob"].acked, 1u);

    auto bob_history = bob->history("alice", 0, 0);
    CO_ASSERT_TRUE(bob_history);
    CO_ASSERT_EQ(bob_history->size(), 1u);
    EXPECT_EQ((*bob_history)[0].text, "hello bob, a secret");
    auto alice_history = alice->history("bob", 0, 0);
    CO_ASSERT_TRUE(alice_history);
    CO_ASSERT_EQ(alice_history->size(), 1u);
    EXPECT_TRUE((*alice_history)[0].outgoing);

    // The server saw ciphertext only, and never a password.
    EXPECT_EQ(server_.received_bytes().find("a secret"), std::string::npos);
    EXPECT_EQ(server_.received_bytes().find(test_password("alice")), std::string::npos);

    auto unknown = co_await alice->send_text("nobody", "hi");
    EXPECT_EQ(unknown.code(), Code::kUnknownUser);
    auto invalid = co_await alice->send_text("no body", "hi");
    EXPECT_EQ(invalid.code(), Code::kInvalidUsername);
  });
}

TEST_F(ClientTest, SessionFileResumeAndLogout) {
  run([&]() -> asio::awaitable<void> {
    const std::string home = dir_.file("bob");
    {
      auto bob = make("bob");
      CO_EXPECT_OK(co_await bob->register_account("bob", test_password("bob")));
    }
    EXPECT_EQ(Client::saved_user(home), "bob");
    struct stat st {};
    EXPECT_EQ(::stat((home + "/session").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_EQ(::stat((home + "/users/bob/keystore").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);

    auto again = make("bob");
    EXPECT_TRUE(again->username().empty());
    CO_EXPECT_OK(co_await again->resume());  // no password needed
    EXPECT_EQ(again->username(), "bob");
    EXPECT_TRUE(again->connected());
    CO_EXPECT_OK(co_await again->sync());

    CO_EXPECT_OK(co_await again->logout());
    EXPECT_TRUE(again->username().empty());
    EXPECT_EQ(Client::saved_user(home), "");
    EXPECT_NE(::stat((home + "/session").c_str(), &st), 0);
    EXPECT_TRUE(server_.users()["bob"].tokens.empty());  // revoked on the server

    auto third = make("bob");
    EXPECT_EQ((co_await third->resume()).code(), Code::kNotFound);
    EXPECT_EQ((co_await third->login("bob", "wrong")).code(), Code::kAuthFailed);
    CO_EXPECT_OK(co_await third->login("bob", test_password("bob")));
    EXPECT_EQ(Client::saved_user(home), "bob");
  });
}

TEST_F(ClientTest, AWeakPasswordIsRefusedBeforeAnythingIsSent) {
  run([&]() -> asio::awaitable<void> {
    auto bob = make("bob");
    const Status weak = co_await bob->register_account("bob", "bob-password");
    EXPECT_EQ(weak.code(), Code::kWeakPassword) << weak.to_string();
    EXPECT_NE(weak.message().find("user name"), std::string::npos) << weak.message();
    EXPECT_EQ(server_.users().count("bob"), 0u);
    EXPECT_EQ(server_.received_bytes().find("bob"), std::string::npos) << "something was sent";
    EXPECT_TRUE(bob->username().empty());
    CO_EXPECT_OK(co_await bob->register_account("bob", test_password("bob")));
  });
}

TEST_F(ClientTest, LoginNeedsTheKeysOnThisMachine) {
  run([&]() -> asio::awaitable<void> {
    auto bob = make("bob");
    CO_EXPECT_OK(co_await bob->register_account("bob", test_password("bob")));
    auto elsewhere = make("elsewhere");
    auto status = co_await elsewhere->login("bob", test_password("bob"));
    EXPECT_EQ(status.code(), Code::kNotFound);
    EXPECT_NE(status.message().find("registered"), std::string::npos) << status.message();
    EXPECT_EQ((co_await bob->register_account("bob", test_password("bob"))).code(),
              Code::kUsernameTaken);
    // The failed registration left the existing keys alone.
    auto bob2 = make("bob");
    CO_EXPECT_OK(co_await bob2->login("bob", test_password("bob")));
  });
}

TEST_F(ClientTest, LivePushesAreShownOnceInOrderAndAcked) {
  bool bob_done = false;
  run([&]() -> asio::awaitable<void> {
    auto alice = make("alice");
    auto bob = make("bob");
    Recorder bob_events;
    bob->set_events(bob_events.events());
    CO_EXPECT_OK(co_await alice->register_account("alice", test_password("alice")));
    CO_EXPECT_OK(co_await bob->register_account("bob", test_password("bob")));
    server_.duplicate_pushes = true;  // at-least-once on the wire
    start_running(*bob, bob_done);
    for (int i = 0; i < 7; ++i) {
      CO_EXPECT_OK(co_await alice->send_text("bob", "m" + std::to_string(i)));
    }
    EXPECT_TRUE(co_await eventually([&] { return bob_events.messages.size() >= 7; }));
    co_await sleep_for(100ms);
    EXPECT_EQ(bob_events.texts(),
              (std::vector<std::string>{"m0", "m1", "m2", "m3", "m4", "m5", "m6"}));
    EXPECT_TRUE(co_await eventually([&] { return server_.users()["bob"].acked == 7; }));
    bob->stop();
    EXPECT_TRUE(co_await eventually([&] { return bob_done; }));
  });
  EXPECT_TRUE(bob_done);
}

TEST_F(ClientTest, ReconnectsResumesAndCatchesUp) {
  bool bob_done = false;
  run([&]() -> asio::awaitable<void> {
    auto alice = make("alice");
    auto bob = make("bob");
    Recorder bob_events;
    bob->set_events(bob_events.events());
    CO_EXPECT_OK(co_await alice->register_account("alice", test_password("alice")));
    CO_EXPECT_OK(co_await bob->register_account("bob", test_password("bob")));
    start_running(*bob, bob_done);
    CO_EXPECT_OK(co_await alice->send_text("bob", "before"));
    EXPECT_TRUE(co_await eventually([&] { return bob_events.messages.size() == 1; }));

    server_.pushes_enabled = false;  // what arrives meanwhile must come through a sync
    server_.reject_resumes = 3;      // bob stays away for a few backoff rounds
    server_.disconnect("bob");
    CO_EXPECT_OK(co_await alice->send_text("bob", "while away"));
    EXPECT_TRUE(co_await eventually([&] {
      return std::find(bob_events.connection.begin(), bob_events.connection.end(), false) !=
             bob_events.connection.end();
    }));
    // alice is not running run(): after losing her connection, a send reconnects by itself.
    server_.disconnect("alice");
    co_await sleep_for(20ms);
    CO_EXPECT_OK(co_await alice->send_text("bob", "after alice reconnected"));
    // bob's run() comes back after a few backoff rounds and syncs what he missed.
    EXPECT_TRUE(co_await eventually([&] { return bob_events.messages.size() == 3; }));
    EXPECT_EQ(bob_events.texts(),
              (std::vector<std::string>{"before", "while away", "after alice reconnected"}));
    EXPECT_EQ(server_.reject_resumes, 0);
    // Live pushes work again on the new connection.
    server_.pushes_enabled = true;
    CO_EXPECT_OK(co_await alice->send_text("bob", "live again"));
    EXPECT_TRUE(co_await eventually([&] { return bob_events.messages.size() == 4; }));
    EXPECT_TRUE(bob->connected());
    EXPECT_TRUE(bob_events.connection.back());
    bob->stop();
    EXPECT_TRUE(co_await eventually([&] { return bob_done; }));
  });
}

TEST_F(ClientTest, ResendsTheSameIdWhenTheConnectionDropsBeforeSendOk) {
  run([&]() -> asio::awaitable<void> {
    auto alice = make("alice");
    auto bob = make("bob");
    Recorder bob_events;
    bob->set_events(bob_events.events());
    CO_EXPECT_OK(co_await alice->register_account("alice", test_password("alice")));
    CO_EXPECT_OK(co_await bob->register_account("bob", test_password("bob")));
    server_.drop_after_commit = 1;
    auto sent = co_await alice->send_text("bob", "exactly once");
    CO_EXPECT_OK(sent);
    CO_ASSERT_EQ(server_.sends().size(), 2u);
    EXPECT_EQ(server_.sends()[0].message_id(), server_.sends()[1].message_id());
    EXPECT_EQ(server_.stored_messages(), 1u);
    CO_EXPECT_OK(co_await bob->sync());
    EXPECT_EQ(bob_events.texts(), (std::vector<std::string>{"exactly once"}));
  });
}

TEST_F(ClientTest, GroupMessagesAndAMembershipRace) {
  run([&]() -> asio::awaitable<void> {
    std::map<std::string, std::unique_ptr<Client>> clients;
    std::map<std::string, Recorder> events;
    const std::vector<std::string> names{"alice", "bob", "carol", "dave"};
    co_await register_all(names, clients, events);
    std::vector<std::string> members{"bob", "carol"};
    auto group = co_await clients["alice"]->create_group("team", members);
    CO_EXPECT_OK(group);
    if (!group) co_return;
    EXPECT_EQ(group->members.size(), 3u);

    // Another client of alice's adds dave while this one seals: the server takes the
    // signed record first and refuses the send; the client verifies the change and
    // seals again, for dave too.
    auto identity = alice_identity();
    CO_ASSERT_TRUE(identity);
    auto genesis = crypto::decode_record(server_.groups()[group->id].records.at(0));
    CO_ASSERT_TRUE(genesis);
    crypto::MembershipChain chain;
    CO_ASSERT_TRUE(chain.append(*genesis, identity->sign_public_key()));
    auto add_dave = chain.next("alice", crypto::MembershipAction::kAdd, "dave", {}, 1);
    CO_ASSERT_TRUE(add_dave);
    crypto::sign_record(*add_dave, *identity);
    server_.append_before_next_group_send = crypto::encode_record(*add_dave);
    auto sent = co_await clients["alice"]->send_group_text(group->id, "hello team");
    CO_EXPECT_OK(sent);
    // MEMBERSHIP_CHANGED, then sealed again, after dave got alice's sender key.
    std::vector<wire::Send> group_sends;
    std::vector<std::string> key_recipients;
    for (const auto& send : server_.sends()) {
      if (send.has_group_id()) {
        group_sends.push_back(send);
      } else {
        key_recipients.push_back(send.user());
      }
    }
    CO_ASSERT_EQ(group_sends.size(), 2u);
    EXPECT_EQ(group_sends[0].message_id(), group_sends[1].message_id());
    EXPECT_EQ(group_sends[1].key_wraps_size(), 0);  // one ciphertext for all
    EXPECT_EQ(group_sends[1].membership_seq(), 2u);
    EXPECT_EQ(key_recipients, (std::vector<std::string>{"bob", "carol", "dave"}));
    for (const char* name : {"bob", "carol", "dave"}) {
      CO_EXPECT_OK(co_await clients[name]->sync());
      CO_ASSERT_EQ(events[name].messages.size(), 1u);
      const auto& m = events[name].messages[0];
      EXPECT_EQ(m.text, "hello team");
      EXPECT_EQ(m.group_id, group->id);
      EXPECT_EQ(m.sender, "alice");
      EXPECT_TRUE(m.peer.empty());
      EXPECT_EQ(clients[name]->history("", group->id, 0)->size(), 1u);
    }
    EXPECT_EQ(server_.received_bytes().find("hello team"), std::string::npos);

    auto by_name = co_await clients["alice"]->resolve_group("team");
    CO_EXPECT_OK(by_name);
    EXPECT_EQ(by_name.value(), group->id);
    EXPECT_EQ((co_await clients["alice"]->resolve_group("17")).value(), 17u);
    EXPECT_EQ((co_await clients["alice"]->resolve_group("nope")).code(), Code::kUnknownGroup);
    auto outsider = make("outsider");
    CO_EXPECT_OK(co_await outsider->register_account("outsider", test_password("outsider")));
    EXPECT_EQ((co_await outsider->send_group_text(group->id, "let me in")).code(),
              Code::kForbidden);

    // A member the server adds without a signed record gets nothing.
    const std::size_t sends = server_.sends().size();
    server_.join_before_next_group_send = "outsider";
    auto ghost = co_await clients["alice"]->send_group_text(group->id, "not for outsider");
    EXPECT_EQ(ghost.code(), Code::kMembershipUnverified) << ghost.status().to_string();
    CO_ASSERT_EQ(server_.sends().size(), sends + 1);  // the refused first try only
    EXPECT_TRUE(server_.sends().back().has_group_id());
    EXPECT_TRUE(server_.users()["outsider"].inbox.empty());
  });
}

// Sender Keys (docs/e2ee-v2.md): one ciphertext per group message, the key over the 1:1
// sessions once per member, a new key after a removal, nothing before joining.
TEST_F(ClientTest, GroupMessagesUseOneSenderKeyCiphertextRotatedWhenAMemberIsRemoved) {
  run([&]() -> asio::awaitable<void> {
    server_.pushes_enabled = false;
    std::map<std::string, std::unique_ptr<Client>> clients;
    std::map<std::string, Recorder> events;
    const std::vector<std::string> names{"alice", "bob", "carol", "dave"};
    co_await register_all(names, clients, events);
    std::vector<std::string> members{"bob", "carol"};
    auto group = co_await clients["alice"]->create_group("team", members);
    CO_ASSERT_TRUE(group);
    auto& alice = *clients["alice"];
    auto group_sends = [&] {
      std::vector<wire::Send> out;
      for (const auto& send : server_.sends())
        if (send.has_group_id()) out.push_back(send);
      return out;
    };
    auto key_id_of = [](const wire::Send& send) {
      auto m = crypto::decode_sender_key_message(send.body());
      return m ? m->key_id : 0u;
    };

    CO_EXPECT_OK(co_await alice.send_group_text(group->id, "one"));
    const std::size_t after_one = server_.sends().size();
    CO_EXPECT_OK(co_await alice.send_group_text(group->id, "two"));
    EXPECT_EQ(server_.sends().size(), after_one + 1);  // the key went out once per member
    auto sent = group_sends();
    CO_ASSERT_EQ(sent.size(), 2u);
    EXPECT_EQ(sent[0].key_wraps_size(), 0);
    EXPECT_EQ(key_id_of(sent[0]), key_id_of(sent[1]));
    EXPECT_NE(key_id_of(sent[0]), 0u);
    for (const char* name : {"bob", "carol"}) {
      CO_EXPECT_OK(co_await clients[name]->sync());
      EXPECT_EQ(events[name].texts(), (std::vector<std::string>{"one", "two"})) << name;
    }

    // carol removed: alice's next message is under a new key that only bob gets.
    CO_EXPECT_OK(co_await alice.remove_member(group->id, "carol"));
    const std::size_t before_three = server_.sends().size();
    CO_EXPECT_OK(co_await alice.send_group_text(group->id, "three"));
    std::vector<std::string> key_to;
    for (std::size_t i = before_three; i < server_.sends().size(); ++i)
      if (!server_.sends()[i].has_group_id()) key_to.push_back(server_.sends()[i].user());
    EXPECT_EQ(key_to, (std::vector<std::string>{"bob"}));
    sent = group_sends();
    CO_ASSERT_EQ(sent.size(), 3u);
    EXPECT_NE(key_id_of(sent[2]), key_id_of(sent[1]));
    // A server that hands carol the ciphertext anyway: she reads nothing of it.
    wire::InboxMessage leaked;
    leaked.set_seq(server_.users()["carol"].inbox.size() + 1);
    leaked.set_message_id(sent[2].message_id());
    leaked.set_sender("alice");
    leaked.set_group_id(group->id);
    leaked.set_body(sent[2].body());
    server_.users()["carol"].inbox.push_back(leaked);
    CO_EXPECT_OK(co_await clients["carol"]->sync());
    EXPECT_EQ(events["carol"].texts(), (std::vector<std::string>{"one", "two"}));
    EXPECT_EQ(clients["carol"]->history("", group->id, 0)->size(), 2u);

    // dave joins: he gets the key at its current state and cannot open "one".
    CO_EXPECT_OK(co_await alice.add_member(group->id, "dave"));
    CO_EXPECT_OK(co_await alice.send_group_text(group->id, "four"));
    wire::InboxMessage old = leaked;
    old.set_seq(server_.users()["dave"].inbox.size() + 1);
    old.set_message_id(sent[0].message_id());
    old.set_body(sent[0].body());
    server_.users()["dave"].inbox.push_back(old);
    CO_EXPECT_OK(co_await clients["dave"]->sync());
    EXPECT_EQ(events["dave"].texts(), (std::vector<std::string>{"four"}));
    CO_EXPECT_OK(co_await clients["bob"]->sync());
    EXPECT_EQ(events["bob"].texts(), (std::vector<std::string>{"one", "two", "three", "four"}));
    EXPECT_EQ(server_.received_bytes().find("three"), std::string::npos);
  });
}

// The group message before its sender key (a server that reorders), twice (a server
// that duplicates), and replayed under another id: shown once, when the key comes.
TEST_F(ClientTest, AGroupMessageBeforeItsSenderKeyIsKeptUntilTheKeyArrivesAndShownOnce) {
  run([&]() -> asio::awaitable<void> {
    server_.pushes_enabled = false;
    auto alice = make("alice");
    auto bob = make("bob");
    Recorder bob_events;
    bob->set_events(bob_events.events());
    CO_EXPECT_OK(co_await alice->register_account("alice", test_password("alice")));
    CO_EXPECT_OK(co_await bob->register_account("bob", test_password("bob")));
    std::vector<std::string> members{"bob"};
    auto group = co_await alice->create_group("pair", members);
    CO_ASSERT_TRUE(group);
    CO_EXPECT_OK(co_await alice->send_group_text(group->id, "first"));
    CO_EXPECT_OK(co_await alice->send_group_text(group->id, "second"));
    auto& inbox = server_.users()["bob"].inbox;
    CO_ASSERT_EQ(inbox.size(), 3u);  // the key, then the two messages
    CO_ASSERT_TRUE(inbox[0].group_id() == 0 && inbox[1].group_id() != 0);
    // Reordered: second, first, first again, first under a new id, then the key.
    std::vector<wire::InboxMessage> hostile{inbox[2], inbox[1], inbox[1], inbox[1], inbox[0]};
    std::string other_id = hostile[3].message_id();
    other_id[0] ^= 0x01;
    hostile[3].set_message_id(other_id);
    for (std::size_t i = 0; i < hostile.size(); ++i)
      hostile[i].set_seq(i + 1);
    inbox = hostile;
    CO_EXPECT_OK(co_await bob->sync());
    EXPECT_EQ(bob_events.texts(), (std::vector<std::string>{"second", "first"}));
    EXPECT_EQ(bob_events.undecryptable.size(), 1u);  // the replay under another id
    EXPECT_EQ(server_.users()["bob"].acked, 5u);
    auto history = bob->history("", group->id, 0);
    CO_ASSERT_TRUE(history);
    EXPECT_EQ(history->size(), 2u);
  });
}

// A sender key, and group messages, from someone the verified chain does not list (a
// member removed before bob read them, or a server that delivers a non-member's).
TEST_F(ClientTest, ASenderKeyAndGroupMessagesFromANonMemberAreRefused) {
  run([&]() -> asio::awaitable<void> {
    server_.pushes_enabled = false;
    std::map<std::string, std::unique_ptr<Client>> clients;
    std::map<std::string, Recorder> events;
    const std::vector<std::string> names{"alice", "bob", "mallory"};
    co_await register_all(names, clients, events);
    std::vector<std::string> members{"bob", "mallory"};
    auto group = co_await clients["alice"]->create_group("team", members);
    CO_ASSERT_TRUE(group);
    CO_EXPECT_OK(co_await clients["mallory"]->send_group_text(group->id, "mallory's"));
    CO_EXPECT_OK(co_await clients["alice"]->remove_member(group->id, "mallory"));
    CO_EXPECT_OK(co_await clients["alice"]->send_group_text(group->id, "alice's"));
    CO_EXPECT_OK(co_await clients["bob"]->sync());
    EXPECT_EQ(events["bob"].texts(), (std::vector<std::string>{"alice's"}));
    CO_ASSERT_EQ(events["bob"].undecryptable.size(), 1u);
    EXPECT_EQ(events["bob"].undecryptable[0].sender, "mallory");
    EXPECT_NE(events["bob"].undecryptable[0].reason.find("not a member"), std::string::npos)
        << events["bob"].undecryptable[0].reason;
  });
}

TEST_F(ClientTest, AMessageThatDoesNotOpenIsDroppedAndAcked) {
  run([&]() -> asio::awaitable<void> {
    auto alice = make("alice");
    auto bob = make("bob");
    Recorder bob_events;
    bob->set_events(bob_events.events());
    CO_EXPECT_OK(co_await alice->register_account("alice", test_password("alice")));
    CO_EXPECT_OK(co_await bob->register_account("bob", test_password("bob")));
    server_.corrupt_next_body = true;
    CO_EXPECT_OK(co_await alice->send_text("bob", "tampered"));
    CO_EXPECT_OK(co_await alice->send_text("bob", "fine"));
    auto synced = co_await bob->sync();
    CO_EXPECT_OK(synced);
    EXPECT_EQ(synced.value(), 1u);
    EXPECT_EQ(bob_events.texts(), (std::vector<std::string>{"fine"}));
    EXPECT_EQ(server_.users()["bob"].acked, 2u);  // it cannot wedge the inbox
  });
}

TEST_F(ClientTest, SyncPagesThroughABacklog) {
  run([&]() -> asio::awaitable<void> {
    auto alice = make("alice");
    auto bob = make("bob");
    Recorder bob_events;
    bob->set_events(bob_events.events());
    CO_EXPECT_OK(co_await alice->register_account("alice", test_password("alice")));
    CO_EXPECT_OK(co_await bob->register_account("bob", test_password("bob")));
    server_.page_size = 3;
    std::vector<std::string> expected;
    for (int i = 0; i < 10; ++i) {
      expected.push_back("backlog " + std::to_string(i));
      CO_EXPECT_OK(co_await alice->send_text("bob", expected.back()));
    }
    EXPECT_EQ((co_await bob->sync()).value(), 10u);
    EXPECT_EQ(bob_events.texts(), expected);
    EXPECT_EQ(server_.users()["bob"].acked, 10u);

    // A second device position: a new Client on the same home resumes from local history.
    auto bob2 = make("bob");
    Recorder bob2_events;
    bob2->set_events(bob2_events.events());
    CO_EXPECT_OK(co_await bob2->resume());
    server_.users()["bob"].acked = 0;  // even if the server lost the acks
    EXPECT_EQ((co_await bob2->sync()).value(), 0u);
    EXPECT_TRUE(bob2_events.messages.empty());
  });
}

TEST_F(ClientTest, SendsAndReassemblesAFile) {
  run([&]() -> asio::awaitable<void> {
    auto alice = make("alice");
    auto bob = make("bob");
    Recorder bob_events;
    bob->set_events(bob_events.events());
    CO_EXPECT_OK(co_await alice->register_account("alice", test_password("alice")));
    CO_EXPECT_OK(co_await bob->register_account("bob", test_password("bob")));
    std::string data;
    for (int i = 0; i < 600'000; ++i)
      data.push_back(static_cast<char>((i * 31) ^ (i >> 8)));
    const std::string path = dir_.file("photo.png");
    write_file(path, data);

    auto sent = co_await alice->send_file("bob", path);
    CO_EXPECT_OK(sent);
    EXPECT_EQ(sent.value().file_size, data.size());
    EXPECT_EQ(sent.value().file_name, "photo.png");
    EXPECT_EQ(server_.sends().size(), 3u);  // 256 KiB chunks

    EXPECT_EQ((co_await bob->sync()).value(), 1u);
    CO_ASSERT_EQ(bob_events.messages.size(), 1u);
    const auto& m = bob_events.messages[0];
    EXPECT_EQ(m.file_name, "photo.png");
    EXPECT_EQ(m.file_size, data.size());
    EXPECT_EQ(m.file_path, dir_.file("bob") + "/users/bob/downloads/photo.png");
    EXPECT_TRUE(read_file(m.file_path) == data);
    EXPECT_EQ(server_.users()["bob"].acked, 3u);
    EXPECT_EQ(bob->history("alice", 0, 0)->size(), 1u);
  });
}

TEST_F(ClientTest, InMemoryClientsWriteNothing) {
  run([&]() -> asio::awaitable<void> {
    auto alice = make("mem", false);
    auto bob = make("mem", false);
    Recorder bob_events;
    bob->set_events(bob_events.events());
    CO_EXPECT_OK(co_await alice->register_account("alice", test_password("alice")));
    CO_EXPECT_OK(co_await bob->register_account("bob", test_password("bob")));
    CO_EXPECT_OK(co_await alice->send_text("bob", "ephemeral"));
    EXPECT_EQ((co_await bob->sync()).value(), 1u);
    EXPECT_EQ(bob->history("alice", 0, 0)->size(), 1u);
    CO_EXPECT_OK(co_await bob->logout());
    CO_EXPECT_OK(co_await bob->login("bob", test_password("bob")));  // keys kept in memory
    CO_EXPECT_OK(co_await alice->send_text("bob", "again"));
    EXPECT_EQ((co_await bob->sync()).value(), 1u);
    EXPECT_EQ(bob_events.texts(), (std::vector<std::string>{"ephemeral", "again"}));
  });
  struct stat st {};
  EXPECT_NE(::stat(dir_.file("mem").c_str(), &st), 0) << "persist=false wrote to the home";
}

// What a lying server does: serve other, validly self-signed keys for `user`.
void serve_other_keys(testing::FakeServer& server, const std::string& user) {
  const auto other = crypto::Identity::generate();
  const auto pub = other.public_identity(user);
  auto& published = server.users()[user].identity;
  published.set_sign_public_key(pub.sign_public_key);
  published.set_box_public_key(pub.box_public_key);
  published.set_signature(pub.signature);
  // A consistent swap: the signed prekey is the impostor's too, so bundles verify.
  const auto prekey = crypto::generate_prekey(7);
  const auto spk = crypto::sign_prekey(other, prekey);
  auto& stored = server.users()[user].signed_prekey.emplace();
  stored.set_id(spk.id);
  stored.set_public_key(spk.public_key);
  stored.set_signature(spk.signature);
  server.users()[user].one_time.clear();
}

// An unverified member's changed key gets the sender key too (as it gets direct messages,
// with the warning), from the chain's current state; the pinned key's holder keeps reading.
TEST_F(ClientTest, AMembersChangedKeyGetsTheSenderKeyAgainAndTheMessageIsMarked) {
  run([&]() -> asio::awaitable<void> {
    server_.pushes_enabled = false;
    auto alice = make("alice");
    auto bob = make("bob");
    Recorder bob_events;
    bob->set_events(bob_events.events());
    CO_EXPECT_OK(co_await alice->register_account("alice", test_password("alice")));
    CO_EXPECT_OK(co_await bob->register_account("bob", test_password("bob")));
    std::vector<std::string> members{"bob"};
    auto group = co_await alice->create_group("pair", members);
    CO_ASSERT_TRUE(group);
    auto one = co_await alice->send_group_text(group->id, "one");
    CO_ASSERT_TRUE(one);
    EXPECT_FALSE(one->key_changed);
    CO_EXPECT_OK(co_await bob->sync());

    serve_other_keys(server_, "bob");
    auto alice2 = make("alice");
    CO_EXPECT_OK(co_await alice2->resume());
    const std::size_t before = server_.sends().size();
    auto two = co_await alice2->send_group_text(group->id, "two");
    CO_ASSERT_TRUE(two);
    EXPECT_TRUE(two->key_changed);
    CO_ASSERT_EQ(server_.sends().size(),
                 before + 2);  // the key to the new identity, then the message
    EXPECT_EQ(server_.sends()[before].user(), "bob");
    EXPECT_TRUE(server_.sends()[before + 1].has_group_id());
    auto three = co_await alice2->send_group_text(group->id, "three");
    CO_ASSERT_TRUE(three);
    EXPECT_EQ(server_.sends().size(), before + 3);  // sent once per identity
    // The real bob cannot open the key sealed to the impostor, but still has the chain.
    CO_EXPECT_OK(co_await bob->sync());
    EXPECT_EQ(bob_events.texts(), (std::vector<std::string>{"one", "two", "three"}));
  });
}

TEST_F(ClientTest, BothUsersSeeTheSameSafetyNumber) {
  run([&]() -> asio::awaitable<void> {
    auto alice = make("alice");
    auto bob = make("bob");
    CO_EXPECT_OK(co_await alice->register_account("alice", test_password("alice")));
    CO_EXPECT_OK(co_await bob->register_account("bob", test_password("bob")));
    auto seen_by_alice = co_await alice->contact_trust("bob");
    auto seen_by_bob = co_await bob->contact_trust("alice");
    CO_ASSERT_TRUE(seen_by_alice && seen_by_bob);
    EXPECT_EQ(seen_by_alice->safety_number, seen_by_bob->safety_number);
    EXPECT_EQ(seen_by_alice->safety_number.size(), 60u);
    EXPECT_EQ(seen_by_alice->own_fingerprint, seen_by_bob->fingerprint);
    EXPECT_FALSE(seen_by_alice->verified);
    EXPECT_FALSE(seen_by_alice->key_changed);
    EXPECT_EQ((co_await alice->contact_trust("alice")).code(), Code::kBadRequest);
    EXPECT_EQ((co_await alice->contact_trust("nobody")).code(), Code::kUnknownUser);
  });
}

TEST_F(ClientTest, AChangedKeyIsPendingNeverPinnedAndReported) {
  run([&]() -> asio::awaitable<void> {
    auto alice = make("alice");
    auto bob = make("bob");
    CO_EXPECT_OK(co_await alice->register_account("alice", test_password("alice")));
    CO_EXPECT_OK(co_await bob->register_account("bob", test_password("bob")));
    CO_EXPECT_OK(co_await alice->send_text("bob", "pins bob's keys"));
    auto before = co_await alice->contact_trust("bob");
    CO_ASSERT_TRUE(before);

    serve_other_keys(server_, "bob");
    auto alice2 = make("alice");  // a fresh process: keys pinned on disk, none cached
    Recorder alice2_events;
    alice2->set_events(alice2_events.events());
    CO_EXPECT_OK(co_await alice2->resume());
    // bob is unverified: the message goes to the new key, and the change is reported.
    auto sent = co_await alice2->send_text("bob", "to the new keys");
    CO_ASSERT_TRUE(sent);
    EXPECT_TRUE(sent->key_changed);
    EXPECT_EQ(alice2_events.identity_changes, (std::vector<std::string>{"bob"}));
    auto after = co_await alice2->contact_trust("bob");
    CO_ASSERT_TRUE(after);
    EXPECT_EQ(after->fingerprint, before->fingerprint);  // the pin stays
    EXPECT_EQ(after->safety_number, before->safety_number);
    EXPECT_TRUE(after->key_changed);
    EXPECT_NE(after->new_fingerprint, before->fingerprint);
    EXPECT_NE(after->new_safety_number, before->safety_number);
    EXPECT_EQ((co_await alice2->fingerprint("bob")).value(), before->fingerprint);

    // Every later process says so again, until the user accepts the key.
    auto alice3 = make("alice");
    Recorder alice3_events;
    alice3->set_events(alice3_events.events());
    CO_EXPECT_OK(co_await alice3->resume());
    CO_EXPECT_OK(co_await alice3->send_text("bob", "again"));
    EXPECT_EQ(alice3_events.identity_changes, (std::vector<std::string>{"bob"}));
    auto accepted = co_await alice3->accept_new_identity("bob", false);
    CO_ASSERT_TRUE(accepted);
    EXPECT_FALSE(accepted->key_changed);
    EXPECT_FALSE(accepted->verified);
    EXPECT_EQ(accepted->fingerprint, after->new_fingerprint);
    auto quiet = co_await alice3->send_text("bob", "now pinned");
    CO_ASSERT_TRUE(quiet);
    EXPECT_FALSE(quiet->key_changed);
    EXPECT_EQ((co_await alice3->accept_new_identity("bob", false)).code(), Code::kNotFound);

    // Keys that are not validly signed are refused.
    server_.users()["bob"].identity.mutable_signature()->front() ^= 1;
    auto alice4 = make("alice");
    CO_EXPECT_OK(co_await alice4->resume());
    EXPECT_EQ((co_await alice4->send_text("bob", "x")).code(), Code::kCrypto);
  });
}

TEST_F(ClientTest, AVerifiedContactsChangedKeyStopsSendingUntilAccepted) {
  run([&]() -> asio::awaitable<void> {
    auto alice = make("alice");
    auto bob = make("bob");
    CO_EXPECT_OK(co_await alice->register_account("alice", test_password("alice")));
    CO_EXPECT_OK(co_await bob->register_account("bob", test_password("bob")));
    auto confirmed = co_await alice->confirm_contact("bob");
    CO_ASSERT_TRUE(confirmed);
    EXPECT_TRUE(confirmed->verified);
    CO_EXPECT_OK(co_await alice->send_text("bob", "verified"));

    serve_other_keys(server_, "bob");
    auto alice2 = make("alice");
    CO_EXPECT_OK(co_await alice2->resume());
    const std::size_t sends = server_.sends().size();
    auto refused = co_await alice2->send_text("bob", "must not go out");
    EXPECT_EQ(refused.code(), Code::kIdentityChanged);
    EXPECT_EQ(server_.sends().size(), sends);  // nothing reached the server
    EXPECT_EQ((co_await alice2->confirm_contact("bob")).code(), Code::kIdentityChanged);
    auto trust = co_await alice2->contact_trust("bob");
    CO_ASSERT_TRUE(trust);
    EXPECT_TRUE(trust->verified);
    EXPECT_TRUE(trust->key_changed);

    // A group with bob stops too.
    std::vector<std::string> members{"bob"};  // named: g++ 12 and co_await temporaries
    auto group = co_await alice2->create_group("g", std::move(members));
    CO_ASSERT_TRUE(group);
    EXPECT_EQ((co_await alice2->send_group_text(group->id, "no")).code(), Code::kIdentityChanged);
    EXPECT_EQ(server_.sends().size(), sends);

    auto accepted = co_await alice2->accept_new_identity("bob", true);
    CO_ASSERT_TRUE(accepted);
    EXPECT_TRUE(accepted->verified);
    EXPECT_FALSE(accepted->key_changed);
    CO_EXPECT_OK(co_await alice2->send_text("bob", "after looking"));
    CO_EXPECT_OK(co_await alice2->send_group_text(group->id, "and the group"));
  });
}

TEST_F(ClientTest, AnUndecryptableMessageFetchesNoKeysAndChangesNoPin) {
  run([&]() -> asio::awaitable<void> {
    auto alice = make("alice");
    auto bob = make("bob");
    Recorder bob_events;
    bob->set_events(bob_events.events());
    CO_EXPECT_OK(co_await alice->register_account("alice", test_password("alice")));
    CO_EXPECT_OK(co_await bob->register_account("bob", test_password("bob")));
    CO_EXPECT_OK(co_await alice->send_text("bob", "first"));
    CO_EXPECT_OK(co_await bob->sync());  // bob pins alice
    auto pinned = co_await bob->fingerprint("alice");
    CO_ASSERT_TRUE(pinned);

    // The server now serves other keys for alice and hands bob a message that does
    // not open: bob must not take that as a reason to look alice up again.
    serve_other_keys(server_, "alice");
    server_.corrupt_next_body = true;
    CO_EXPECT_OK(co_await alice->send_text("bob", "tampered"));
    const std::size_t lookups = server_.identity_requests();
    auto synced = co_await bob->sync();
    CO_ASSERT_TRUE(synced);
    EXPECT_EQ(synced.value(), 0u);
    EXPECT_EQ(server_.identity_requests(), lookups);
    CO_ASSERT_EQ(bob_events.undecryptable.size(), 1u);
    EXPECT_EQ(bob_events.undecryptable[0].sender, "alice");
    EXPECT_TRUE(bob_events.identity_changes.empty());
    EXPECT_EQ((co_await bob->fingerprint("alice")).value(), pinned.value());
    EXPECT_EQ(server_.users()["bob"].acked, 2u);  // reported, acked, nothing else lost
  });
}

}  // namespace

// E2EE v2 prekeys: published at registration, topped up, and the signed prekey rotated
// once it is older than a week (checked when a saved session resumes).
TEST_F(ClientTest, PrekeysArePublishedAtRegistrationAndTheSignedPrekeyRotatesWeekly) {
  run([&]() -> asio::awaitable<void> {
    auto bob = make("bob");
    CO_EXPECT_OK(co_await bob->register_account("bob", test_password("bob")));
    CO_ASSERT_TRUE(server_.users()["bob"].signed_prekey.has_value());
    const std::uint32_t first = server_.users()["bob"].signed_prekey->id();
    EXPECT_EQ(server_.users()["bob"].one_time.size(), 100u);
    bob.reset();

    // A fresh process within the week: nothing is published again.
    auto again = make("bob");
    CO_EXPECT_OK(co_await again->resume());
    EXPECT_EQ(server_.users()["bob"].signed_prekey->id(), first);
    again.reset();

    // Made eight days ago: the next resume rotates it (and keeps the sealed state).
    {
      const auto keys = crypto::derive_password_keys("bob", test_password("bob"));
      auto identity = crypto::load_keystore(HomeLayout(dir_.file("bob")).keystore("bob"), "bob",
                                            keys.storage_key);
      CO_ASSERT_TRUE(identity);
      auto history = HistoryStore::open(HomeLayout(dir_.file("bob")).history_db("bob"),
                                        crypto::HistoryBox(*identity));
      CO_ASSERT_TRUE(history);
      auto device_key =
          crypto::load_or_create_device_key(HomeLayout(dir_.file("bob")).device_key("bob"));
      CO_ASSERT_TRUE(device_key);
      const std::uint32_t device = crypto::device_id_of(device_key->public_key);
      auto prekeys = (*history)->local_prekeys(device);
      CO_ASSERT_TRUE(prekeys.has_value());
      const auto eight_days = std::chrono::milliseconds(std::chrono::hours(24 * 8));
      prekeys->signed_at_ms -= eight_days.count();
      CO_EXPECT_OK((*history)->save_local_prekeys(device, *prekeys));
    }
    auto later = make("bob");
    CO_EXPECT_OK(co_await later->resume());
    EXPECT_NE(server_.users()["bob"].signed_prekey->id(), first);

    // Messages still arrive: alice opens a session on the rotated prekey.
    auto alice = make("alice");
    CO_EXPECT_OK(co_await alice->register_account("alice", test_password("alice")));
    CO_EXPECT_OK(co_await alice->send_text("bob", "after the rotation"));
    EXPECT_EQ((co_await later->sync()).value(), 1u);
  });
}

// Sends to a peer without a session, all at once (the desktop sends a whole queue):
// they share one bundle (one one-time prekey used) and one session, and every
// message opens on the other side.
TEST_F(ClientTest, ConcurrentFirstSendsToANewPeerShareOneBundleAndOneSession) {
  run([&]() -> asio::awaitable<void> {
    auto alice = make("alice");
    auto bob = make("bob");
    Recorder bob_events;
    bob->set_events(bob_events.events());
    CO_EXPECT_OK(co_await alice->register_account("alice", test_password("alice")));
    CO_EXPECT_OK(co_await bob->register_account("bob", test_password("bob")));
    const std::size_t prekeys_before = server_.users()["bob"].one_time.size();

    constexpr int kSends = 20;
    int finished = 0;
    std::vector<Status> results(kSends);
    AsyncSignal all_done(io_.get_executor());
    for (int i = 0; i < kSends; ++i) {
      asio::co_spawn(
          io_,
          [&, i]() -> asio::awaitable<void> {
            auto sent = co_await alice->send_text("bob", "first contact " + std::to_string(i));
            results[i] = sent.status();
            if (++finished == kSends) all_done.notify();
          },
          asio::detached);
    }
    while (finished < kSends) {
      if (!co_await all_done.wait(30s)) break;
    }
    CO_ASSERT_EQ(finished, kSends);
    for (int i = 0; i < kSends; ++i)
      EXPECT_TRUE(results[i].is_ok()) << i << ": " << results[i].to_string();
    EXPECT_EQ(server_.users()["bob"].one_time.size(), prekeys_before - 1);

    EXPECT_EQ((co_await bob->sync()).value(), static_cast<std::size_t>(kSends));
    EXPECT_TRUE(bob_events.undecryptable.empty());
    auto texts = bob_events.texts();
    std::sort(texts.begin(), texts.end());
    std::vector<std::string> expected;
    for (int i = 0; i < kSends; ++i)
      expected.push_back("first contact " + std::to_string(i));
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(texts, expected);
  });
}

// A receipt for a peer whose first contact is being set up (its bundle fetch in flight)
// is kept for later, and run() waits before trying again: trying again at once spun on
// the executor and starved the very fetch it waited for, a hang (fixed in 1bea34a).
TEST_F(ClientTest, AReceiptForAPeerBeingSetUpWaitsAndDoesNotStarveTheSetup) {
  const Watchdog watchdog(90s, "AReceiptForAPeerBeingSetUpWaitsAndDoesNotStarveTheSetup hangs");
  bool alice_done = false;
  bool carol_done = false;
  run([&]() -> asio::awaitable<void> {
    auto alice = make("alice");
    auto carol = make("carol");
    Recorder alice_events;
    alice->set_events(alice_events.events());
    std::vector<MessageId> delivered_to_alice;
    ClientEvents carol_events;
    carol_events.on_delivered = [&](const MessageId& id, std::string_view by) {
      if (by == "alice") delivered_to_alice.push_back(id);
    };
    carol->set_events(std::move(carol_events));
    CO_EXPECT_OK(co_await alice->register_account("alice", test_password("alice")));
    CO_EXPECT_OK(co_await carol->register_account("carol", test_password("carol")));
    std::vector<std::string> members{"alice"};
    auto group = co_await carol->create_group("pair", members);
    CO_EXPECT_OK(group);
    if (!group) co_return;
    start_running(*alice, alice_done);

    // alice's first message to carol: no session yet, and carol's bundle does not come.
    server_.hold_bundles_of = "carol";
    std::optional<Result<ChatMessage>> first;
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> { first = co_await alice->send_text("carol", "first"); },
        asio::detached);
    CO_ASSERT_TRUE(co_await eventually([&] { return server_.held_bundle_requests() == 1; }));

    // Meanwhile carol writes to the group: her sender key (over a session she opens to
    // alice) and then the message. Alice stores both, acks both and queues a receipt
    // for carol while her own session set-up with carol is still waiting.
    auto to_group = co_await carol->send_group_text(group->id, "to the group");
    CO_EXPECT_OK(to_group);
    if (!to_group) co_return;
    CO_ASSERT_TRUE(co_await eventually([&] {
      auto& inbox = server_.users()["alice"];
      return alice_events.messages.size() == 1 && inbox.acked == inbox.inbox.size();
    }));
    // One more round trip through alice's loop: her run() has tried that receipt by now.
    CO_EXPECT_OK(co_await alice->list_groups());
    EXPECT_FALSE(first.has_value()) << "the bundle fetch was not in flight";
    server_.release_bundles();

    // The first message goes, and then the receipt.
    CO_ASSERT_TRUE(co_await eventually([&] { return first.has_value(); }));
    CO_EXPECT_OK(*first);
    start_running(*carol, carol_done);
    CO_ASSERT_TRUE(co_await eventually([&] { return delivered_to_alice.size() == 1; }));
    EXPECT_EQ(delivered_to_alice[0], to_group->id);
    alice->stop();
    carol->stop();
    EXPECT_TRUE(co_await eventually([&] { return alice_done && carol_done; }));
  });
  EXPECT_TRUE(alice_done && carol_done);
}

}  // namespace fastchat::client
