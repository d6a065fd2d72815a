// Zero trust in the server (DESIGN §6), as a tested property: a scenario with known
// plaintext markers runs through client-side sealing, over a recording proxy, with the
// server logging at debug to a file. Afterwards no marker, password or private key
// appears in the database (SQLite files, or in cluster mode every PostgreSQL row), the
// server log, the bytes on the wire or (cluster mode) the commands Redis executed.
#include <gtest/gtest.h>

#include "chat_fixture.h"
#include "common/hex.h"
#include "secret_scan.h"
#include "wire_tap.h"

namespace fastchat::itest {
namespace {

// The text of an inbox item, or the error.
std::string opened(const TestUser& me, const TestUser& from, const wire::InboxMessage& item) {
  auto text = me.open_text(from, item);
  return text ? *text : text.status().to_string();
}

// `bytes` occur in `haystack` raw or (PostgreSQL's bytea as text) as lower-case hex.
bool holds(const std::string& haystack, const std::string& bytes) {
  return haystack.find(bytes) != std::string::npos ||
         haystack.find(to_hex(bytes)) != std::string::npos;
}

class ZeroTrustTest : public ServerTest {
 protected:
  void add_secret(const std::string& what, const std::string& bytes) { scan_.add(what, bytes); }
  void expect_absent(const std::string& place, const std::string& haystack) {
    scan_.expect_absent(place, haystack);
  }
  SecretScan scan_;
};

TEST_F(ZeroTrustTest, NoPlaintextPasswordOrPrivateKeyReachesTheServer) {
  const std::string kDirect = "MARKER-direct-7c1e5b0a: meet at the old oak at noon";
  const std::string kOffline = "MARKER-offline-93d2f4e1: the key is under the mat";
  const std::string kGroup = "MARKER-group-5a6b7c8d: surprise party on friday";
  const auto zoe = TestUser::create("zoe", "MARKER-password-zoe-4f8e2a91");
  const auto yuri = TestUser::create("yuri", "MARKER-password-yuri-b3c5d7e9");
  const auto xena = TestUser::create("xena", "MARKER-password-xena-0a1b2c3d");
  const auto wrong = TestUser::create("zoe", "MARKER-password-wrong-e5f6a7b8");

  for (const std::string& text : {kDirect, kOffline, kGroup})
    add_secret("plaintext '" + text.substr(0, 20) + "'", text);
  for (const auto* u : {&zoe, &yuri, &xena, &wrong}) {
    add_secret(u->name() + "'s password", u->password());
    add_secret(u->name() + "'s storage key", u->storage_key());
    // Neither the login key's secret nor the legacy password equivalent ever travels.
    add_secret(u->name() + "'s login secret key", std::string(u->login_key().secret_key.view()));
    add_secret(u->name() + "'s auth key", u->auth_key());
    add_secret(u->name() + "'s signing secret key",
               std::string(u->identity().sign_secret_key().view()));
    add_secret(u->name() + "'s box secret key", std::string(u->identity().box_secret_key().view()));
  }
  // Markers by themselves, in case some layer cuts a text.
  add_secret("marker prefix", "MARKER-");

  // In a cluster the tap spreads the connections over the servers, and Redis is
  // recorded from the start.
  WireTap tap(servers_->ports());
  ASSERT_TRUE(servers_->record_redis());
  std::string group_body;
  std::string direct_body;
  {
    auto z = registered(tap.port(), zoe);
    auto y = registered(tap.port(), yuri);
    ASSERT_TRUE(z && y);
    ASSERT_TRUE(registered(tap.port(), xena));

    // Online direct message.
    const auto id = MessageId::random();
    auto direct = direct_send(zoe, yuri, id, kDirect);
    direct_body = direct.send().body();
    ASSERT_TRUE(send_ok(*z, z->request(std::move(direct))));
    auto push = y->push();
    ASSERT_TRUE(push);
    auto text = yuri.open_text(zoe, *push);
    ASSERT_TRUE(text);
    EXPECT_EQ(*text, kDirect);
    ASSERT_TRUE(y->ack(push->seq()));

    // A failed login with a wrong password.
    RawClient failing(tap.port());
    ASSERT_TRUE(failing.hello());
    EXPECT_EQ(failing.login(wrong).code(), Code::kAuthFailed);

    // Offline delivery.
    y.reset();
    ASSERT_TRUE(send_ok(*z, z->request(direct_send(zoe, yuri, MessageId::random(), kOffline))));

    // A group with an offline member.
    wire::Frame create;
    create.mutable_create_group()->set_name("secret plans");
    create.mutable_create_group()->add_members("yuri");
    create.mutable_create_group()->add_members("xena");
    const auto group = z->call(create);
    ASSERT_TRUE(group.has_group_info());
    const std::vector<const TestUser*> members = {&yuri, &xena};
    auto send =
        group_send(zoe, group.group_info().group_id(), members, MessageId::random(), kGroup);
    group_body = send.send().body();
    ASSERT_TRUE(send_ok(*z, z->request(std::move(send))));

    auto y2 = logged_in(tap.port(), yuri);
    ASSERT_TRUE(y2);
    auto items = y2->sync_all();
    ASSERT_TRUE(items);
    ASSERT_EQ(items->size(), 2u);
    EXPECT_EQ(opened(yuri, zoe, (*items)[0]), kOffline);
    EXPECT_EQ(opened(yuri, zoe, (*items)[1]), kGroup);
    auto x = logged_in(tap.port(), xena);
    ASSERT_TRUE(x);
    items = x->sync_all();
    ASSERT_TRUE(items);
    ASSERT_EQ(items->size(), 1u);
    EXPECT_EQ(opened(xena, zoe, (*items)[0]), kGroup);
  }

  // While running (the WAL holds the recent commits) and after a clean stop.
  const std::string db_running = servers_->store_contents();
  const std::string wire = tap.client_to_server() + tap.server_to_client();
  servers_->stop();
  const std::string db_stopped = servers_->store_contents();
  const std::string redis = servers_->redis_traffic();
  const std::string log = read_file(servers_->log_file());

  // The haystacks are real: what the server must see is there. The wire is TLS: it
  // holds ciphertext only (tls_test.cpp shows the tap sees plaintext when TLS is off).
  ASSERT_GT(wire.size(), 4096u);
  EXPECT_EQ(wire.find("zoe"), std::string::npos);
  EXPECT_EQ(wire.find(group_body), std::string::npos);
  ASSERT_TRUE(holds(db_running + db_stopped, group_body))
      << "the database does not hold the sealed body: is this the right store?";
  ASSERT_NE(log.find("zoe"), std::string::npos) << "the log is empty or not at debug";
  ASSERT_GT(tap.connections(), 4u);
  if (servers_->cluster()) {
    // zoe and yuri were on different servers: the push crossed Redis.
    ASSERT_NE(redis.find("PUBLISH"), std::string::npos) << "nothing recorded from Redis";
    ASSERT_NE(redis.find(direct_body), std::string::npos)
        << "the cross-server push is not in the Redis recording";
  }

  expect_absent("the wire bytes", wire);
  expect_absent("the database (running)", db_running);
  expect_absent("the database (stopped)", db_stopped);
  expect_absent("the server log", log);
  expect_absent("the commands Redis executed", redis);
  // Nothing else in the data dirs either (server key, anything added later), nor the
  // cluster's shared key file.
  for (const auto& dir : servers_->data_dirs())
    scan_.expect_absent_in_dir(dir);
  if (servers_->cluster()) expect_absent("the key file", read_file(servers_->secret_file()));
  ASSERT_TRUE(servers_->start());  // for the fixture's final check
}

}  // namespace
}  // namespace fastchat::itest
