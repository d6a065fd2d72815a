// TLS on the client links, against real servers (single node and, linked with
// cluster_mode.cpp, a cluster): hostile handshakes (garbage, stalls, many half-open
// ones, old protocol versions), the wire capture, and the client's trust decisions
// (pinning on first use, a changed key, a CA file). After each, the servers must
// still serve a fresh client (ServerTest's TearDown checks it too).
#include <gtest/gtest.h>
#include <poll.h>

#include <asio/co_spawn.hpp>
#include <asio/use_future.hpp>
#include <asio/write.hpp>
#include <chrono>
#include <random>

#include "chat_fixture.h"
#include "client/connection.h"
#include "secret_scan.h"
#include "tls/identity.h"
#include "tls/known_hosts.h"
#include "tls/session_cache.h"
#include "tls_resumption.h"
#include "wire_tap.h"

namespace fastchat::itest {
namespace {

using Clock = std::chrono::steady_clock;

std::string hello_bytes() {
  wire::Frame hello;
  hello.set_request_id(1);
  hello.mutable_hello()->set_protocol_version(protocol::kProtocolVersion);
  return protocol::encode_frame(hello);
}

// A bare TCP connection: writes what it is given, then reads whatever comes until the
// server closes it. Returns whether the close came within `wait`.
class RawTcp {
 public:
  explicit RawTcp(std::uint16_t port) : socket_(io_) {
    asio::error_code ec;
    socket_.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
    EXPECT_FALSE(ec) << ec.message();
  }
  int fd() { return socket_.native_handle(); }
  asio::ip::tcp::socket& socket() { return socket_; }
  bool write(std::string_view bytes) {
    asio::error_code ec;
    asio::write(socket_, asio::buffer(bytes.data(), bytes.size()), ec);
    return !ec;
  }
  bool closed_within(std::chrono::milliseconds wait) {
    const auto deadline = Clock::now() + wait;
    for (;;) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() < 0) return false;
      pollfd p{socket_.native_handle(), POLLIN, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) return false;
      char buf[4096];
      const ssize_t n = ::recv(socket_.native_handle(), buf, sizeof buf, MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) return true;
      if (n > 0) received_.append(buf, static_cast<std::size_t>(n));
    }
  }
  const std::string& received() const { return received_; }

 private:
  asio::io_context io_;
  asio::ip::tcp::socket socket_;
  std::string received_;
};

// A TLS 1.3 ClientHello sent on a fresh connection, and then nothing: the server
// answers with its flight and waits for the client's Finished forever (or until the
// handshake timeout).
class StalledHandshake {
 public:
  explicit StalledHandshake(std::uint16_t port) : tcp_(port) {
    static const auto ctx = *tls::ClientTls::create();
    asio::error_code ec;
    tcp_.socket().non_blocking(true, ec);
    channel_ = std::move(*tls::Channel::connect(*ctx, tcp_.fd(), "127.0.0.1"));
    // The ClientHello is out. (Rarely the in-process server answers before this call
    // reads: then the client finishes too, and the connection is merely silent.)
    const auto first = channel_->handshake();
    EXPECT_TRUE(!first || first == asio::error::would_block) << first.message();
  }
  bool closed_within(std::chrono::milliseconds wait) { return tcp_.closed_within(wait); }

 private:
  RawTcp tcp_;
  std::unique_ptr<tls::Channel> channel_;
};

template <typename T>
T run_on(asio::io_context& io, asio::awaitable<T> work) {
  auto future = asio::co_spawn(io, std::move(work), asio::use_future);
  io.restart();
  io.run();
  return future.get();
}

class TlsTest : public ChatTest {};

// Garbage where a ClientHello belongs is a failed handshake: that connection is
// closed at once (not after the 30 s handshake timeout) and counted.
TEST_F(TlsTest, GarbageInsteadOfAClientHelloIsClosedAtOnce) {
  std::mt19937 random(7);
  std::string noise(4096, '\0');
  for (auto& c : noise)
    c = static_cast<char>(random());
  const std::vector<std::string> garbage = {
      hello_bytes(),                                 // a plaintext fastchat client
      "GET / HTTP/1.1\r\nHost: x\r\n\r\n",           // the wrong protocol
      noise,                                         // random bytes
      std::string("\x16\x03\x01\xff\xff", 5) + "x",  // a handshake record too long to exist
      std::string("\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00", 10),  // a ClientHello of nothing
  };
  const auto errors_before = counter(&server::ServerCounters::protocol_errors);
  for (std::size_t i = 0; i < garbage.size(); ++i) {
    RawTcp raw(port());
    ASSERT_TRUE(raw.write(garbage[i]));
    EXPECT_TRUE(raw.closed_within(seconds(5))) << "garbage " << i << " was not refused";
    EXPECT_EQ(raw.received().find("fastchat"), std::string::npos);  // no HelloOk
  }
  EXPECT_GE(counter(&server::ServerCounters::protocol_errors) - errors_before, garbage.size());
  EXPECT_TRUE(server_works(port()));
}

// A client that offers only TLS 1.2 (the last version with renegotiation) is refused;
// a fastchat client gets TLS 1.3, where renegotiation does not exist, and its
// KeyUpdates (1.3's only renewal) are answered without disturbing anything.
TEST_F(TlsTest, OnlyTls13IsSpokenAndKeyUpdatesAreHarmless) {
  {
    tls::SslCtxPtr old_ctx(SSL_CTX_new(TLS_client_method()));
    SSL_CTX_set_max_proto_version(old_ctx.get(), TLS1_2_VERSION);
    RawTcp raw(port());
    tls::SslPtr ssl(SSL_new(old_ctx.get()));
    SSL_set_fd(ssl.get(), raw.fd());
    EXPECT_NE(SSL_connect(ssl.get()), 1) << "a TLS 1.2 handshake succeeded";
    EXPECT_TRUE(raw.closed_within(seconds(5)));
  }
  auto alice = online("alice");
  auto bob = online("bob");
  ASSERT_TRUE(alice && bob);
  ASSERT_TRUE(alice->channel());
  EXPECT_EQ(alice->channel()->protocol(), "TLSv1.3");
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(alice->channel()->request_key_update());
    const auto id = MessageId::random();
    ASSERT_TRUE(send_ok(*alice, alice->request(direct_send(user("alice"), user("bob"), id, "hi"))));
    auto push = bob->push();
    ASSERT_TRUE(push);
    EXPECT_EQ(push->message_id(), id.to_bytes());
  }
}

// Short enough to wait for, long enough for the users who do log in on a loaded
// machine (ASan, several test processes).
class TlsHandshakeTimeoutTest : public ChatTest {
 protected:
  void configure(server::ServerConfig& config) override { config.handshake_timeout_ms = 3000; }
};

// A handshake that stops half-way, in the middle of a record or after a whole
// ClientHello, is closed by the handshake timeout; meanwhile everyone else is served.
TEST_F(TlsHandshakeTimeoutTest, AHandshakeThatStallsHalfWayIsClosedByTheTimeout) {
  RawTcp partial_record(port());
  // A ClientHello record announcing 512 bytes, and only its first few.
  ASSERT_TRUE(partial_record.write(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11) +
                                   std::string(32, 'r')));
  StalledHandshake after_hello(port());
  auto alice = online("alice");
  ASSERT_TRUE(alice);
  const auto start = Clock::now();
  EXPECT_TRUE(partial_record.closed_within(seconds(20)));
  EXPECT_TRUE(after_hello.closed_within(seconds(20)));
  EXPECT_LT(Clock::now() - start, seconds(15));
  wire::Frame list;
  list.mutable_list_users();
  EXPECT_TRUE(alice->call(list).has_user_list()) << "a logged-in connection was disturbed";
}

// Many handshakes left half-open cost a bounded time (the handshake timeout) and
// never hold up the users who are chatting meanwhile.
TEST_F(TlsHandshakeTimeoutTest, ManyHalfOpenHandshakesAreBoundedAndOthersAreServed) {
  constexpr int kHalfOpen = 300;
  auto alice = online("alice");
  ASSERT_TRUE(alice);
  std::vector<std::unique_ptr<StalledHandshake>> stalled;
  for (int i = 0; i < kHalfOpen; ++i)
    stalled.push_back(std::make_unique<StalledHandshake>(port()));
  auto bob = online("bob");  // logs in while they hang
  ASSERT_TRUE(bob);
  for (int i = 0; i < 20; ++i) {
    const auto id = MessageId::random();
    ASSERT_TRUE(send_ok(*alice, alice->request(direct_send(user("alice"), user("bob"), id, "hi"))));
    auto push = bob->push();
    ASSERT_TRUE(push);
    EXPECT_EQ(push->message_id(), id.to_bytes());
  }
  // Every half-open one is closed by the server, without any help from its client.
  for (auto& s : stalled)
    EXPECT_TRUE(s->closed_within(seconds(20)));
  EXPECT_TRUE(eventually([&] { return counter(&server::ServerCounters::connections_open) == 2; },
                         seconds(10)));
  EXPECT_EQ(online_sessions(), 2u);
}

// Recorded between the clients and the servers: no username, login key, session token
// or message body crosses the wire readably. The same recording with TLS off shows
// them, so the tap does see what passes.
TEST_F(TlsTest, TheWireShowsNoUsernameKeyTokenOrMessage) {
  const TestUser& alice = user("alice");
  const TestUser& bob = user("bob");
  auto converse = [&](std::uint16_t at, Transport transport, SecretScan& scan) {
    auto a = std::make_unique<RawClient>(at, transport);
    auto b = std::make_unique<RawClient>(at, transport);
    ASSERT_TRUE(a->connected() && b->connected());
    ASSERT_TRUE(a->hello() && b->hello());
    auto registered_a = a->register_user(alice);
    ASSERT_TRUE(registered_a) << registered_a.status().to_string();
    ASSERT_TRUE(b->register_user(bob));
    const auto id = MessageId::random();
    auto send = direct_send(alice, bob, id, "MARKER-wire-8c1f: see you at nine");
    scan.add("the sealed message body", send.send().body());
    ASSERT_TRUE(send_ok(*a, a->request(std::move(send))));
    ASSERT_TRUE(b->push());
    scan.add("alice's session token", registered_a->session_token());
    // A token resume and a password login on new connections.
    RawClient resumed(at, transport);
    ASSERT_TRUE(resumed.hello());
    ASSERT_TRUE(resumed.resume(alice.name(), registered_a->session_token()));
    RawClient again(at, transport);
    ASSERT_TRUE(again.hello());
    ASSERT_TRUE(again.login(bob));
  };

  SecretScan scan;
  scan.add("alice's username", alice.name());
  scan.add("bob's username", bob.name());
  scan.add("alice's login public key", alice.login_key().public_key);
  scan.add("bob's login public key", bob.login_key().public_key);
  scan.add("a message marker", "MARKER-");
  {
    WireTap tap(servers_->ports());
    converse(tap.port(), Transport::kTls, scan);
    const std::string wire = tap.client_to_server() + tap.server_to_client();
    ASSERT_GT(wire.size(), 2048u);
    scan.expect_absent("the TLS wire", wire);
  }
  // The control: a plaintext server of its own, recorded the same way.
  TempDir plain_dir;
  TestServer plain(plain_dir.path(), "info", servers_->log_file());
  plain.config().insecure_plaintext = true;
  ASSERT_TRUE(plain.start());
  WireTap tap(plain.port());
  SecretScan unused;
  converse(tap.port(), Transport::kPlaintext, unused);
  const std::string wire = tap.client_to_server() + tap.server_to_client();
  EXPECT_NE(wire.find(alice.name()), std::string::npos) << "the tap records nothing readable";
  EXPECT_NE(wire.find(alice.login_key().public_key), std::string::npos);
}

// The client core's trust decisions, over the real handshake: a first connection pins
// the server's key in known_hosts; a different pinned key is a hard error naming the
// command that accepts the new one; a CA file trusts exactly what it signs.
TEST_F(TlsTest, TheClientPinsOnFirstUseRefusesAChangedKeyAndHonoursACaFile) {
  asio::io_context io;
  const std::uint16_t at = servers_->port_of(0);
  const std::string address = "127.0.0.1:" + std::to_string(at);
  const std::string known_hosts = dir_.file("known_hosts");
  const std::string fingerprint = servers_->server(0).server().tls_fingerprint();
  ASSERT_FALSE(fingerprint.empty());
  auto connect = [&](std::shared_ptr<const tls::ClientTls> context,
                     std::shared_ptr<tls::ServerTrust> trust) {
    client::ConnectionOptions options;
    options.tls = std::move(context);
    options.trust = std::move(trust);
    auto connection = client::Connection::create(io.get_executor(), options);
    auto work = [connection, at]() -> asio::awaitable<Status> {
      Status s = co_await connection->connect("127.0.0.1", at);
      if (s) {
        auto hello = co_await client::say_hello(*connection, "tls-test");
        s = hello ? Status::ok() : hello.status();
      }
      connection->close();
      co_return s;
    };
    return run_on(io, work());
  };
  auto system_tls = *tls::ClientTls::create();
  auto pinning = std::make_shared<tls::ServerTrust>(known_hosts);

  // First use: trusted and pinned.
  ASSERT_TRUE(connect(system_tls, pinning));
  EXPECT_EQ(tls::find_pin(known_hosts, address), fingerprint);
  ASSERT_TRUE(connect(system_tls, pinning));

  // The pin says another key: refused, with what to do.
  const std::string other = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
  ASSERT_TRUE(tls::save_pin(known_hosts, address, other));
  Status changed = connect(system_tls, pinning);
  EXPECT_EQ(changed.code(), Code::kCrypto);
  EXPECT_NE(changed.message().find("HAS CHANGED"), std::string::npos) << changed.message();
  EXPECT_NE(changed.message().find("fastchat trust-server " + address + " " + fingerprint),
            std::string::npos)
      << changed.message();
  EXPECT_EQ(tls::find_pin(known_hosts, address), other) << "a changed key must never be re-pinned";
  // trust-server's effect: the new pin, and the connection works again.
  ASSERT_TRUE(tls::save_pin(known_hosts, address, fingerprint));
  EXPECT_TRUE(connect(system_tls, pinning));

  // The server's own certificate as the CA file: verified (it names 127.0.0.1), no pin.
  const std::string ca_known_hosts = dir_.file("known_hosts_ca");
  auto with_ca = *tls::ClientTls::create(servers_->server(0).server().tls_cert_file());
  EXPECT_TRUE(connect(with_ca, std::make_shared<tls::ServerTrust>(ca_known_hosts, true)));
  EXPECT_FALSE(tls::find_pin(ca_known_hosts, address));
  // Another CA: refused, never pinned.
  TempDir other_dir;
  auto other_identity = tls::ensure_identity({}, {}, other_dir.path(), {});
  ASSERT_TRUE(other_identity);
  auto wrong_ca = *tls::ClientTls::create(other_identity->cert_file);
  Status refused = connect(wrong_ca, std::make_shared<tls::ServerTrust>(ca_known_hosts, true));
  EXPECT_EQ(refused.code(), Code::kCrypto) << refused.to_string();
  EXPECT_FALSE(tls::find_pin(ca_known_hosts, address));
}

// TLS 1.3 resumption: a client that kept the ticket of its last connection resumes
// instead of a full handshake, on that server and, the ticket keys coming from the
// cluster's shared server key, on every other. A resumed connection has its own
// exporter: a login proof bound to the first connection is refused there, a proof of
// its own logs in. A server with another key does not resume the ticket: a full
// handshake, and everything works.
TEST_F(TlsTest, ATicketResumesOnEveryServerOfTheClusterAndLoginStaysBoundToTheConnection) {
  const TestUser& alice = user("alice");
  auto sessions = std::make_shared<tls::SessionCache>();
  ScopedTlsResumption resumption(sessions);
  const auto address = [](std::uint16_t at) { return "127.0.0.1:" + std::to_string(at); };
  const std::uint16_t first_port = servers_->port_of(0);
  const std::string fingerprint = servers_->server(0).server().tls_fingerprint();
  std::string first_binding;
  std::string token;
  {
    RawClient first(first_port, Transport::kTls);
    ASSERT_TRUE(first.connected() && first.hello());
    EXPECT_FALSE(first.channel()->resumed());
    auto registered = first.register_user(alice);
    ASSERT_TRUE(registered) << registered.status().to_string();
    token = registered->session_token();
    first_binding = first.channel_binding();
  }
  auto ticket = sessions->get(address(first_port));
  ASSERT_NE(ticket, nullptr) << "the server sent no ticket";
  for (std::size_t i = 0; i < servers_->size(); ++i) {
    const std::uint16_t at = servers_->port_of(i);
    // The first server's ticket at each server's address, as behind one TCP balancer.
    sessions->put(address(at), sessions->get(address(first_port)));
    RawClient resumed(at, Transport::kTls);
    ASSERT_TRUE(resumed.connected() && resumed.hello());
    EXPECT_TRUE(resumed.channel()->resumed()) << "server " << i;
    EXPECT_EQ(resumed.channel()->peer_fingerprint(), fingerprint);
    EXPECT_NE(resumed.channel_binding(), first_binding);
    const auto replayed = resumed.call(login_frame(alice, resumed.login_nonce(), first_binding));
    EXPECT_EQ(error_of(replayed), wire::AUTH_FAILED) << replayed.ShortDebugString();
    auto logged_in = resumed.login(alice);
    EXPECT_TRUE(logged_in) << logged_in.status().to_string();
    RawClient by_token(at, Transport::kTls);
    ASSERT_TRUE(by_token.connected() && by_token.hello());
    EXPECT_TRUE(by_token.channel()->resumed()) << "server " << i;
    auto resumed_token = by_token.resume(alice.name(), token);
    EXPECT_TRUE(resumed_token) << resumed_token.status().to_string();
  }
  // What fastchat_tls_handshakes_total{kind=...} reports: the two connections per server.
  for (std::size_t i = 0; i < servers_->size(); ++i) {
    EXPECT_EQ(servers_->server(i).server().counters().tls_handshakes_resumed.load(), 2u) << i;
  }
  EXPECT_GE(servers_->server(0).server().counters().tls_handshakes_full.load(), 1u);

  // A server of another key (another cluster): the ticket is not its own.
  TempDir other_dir;
  TestServer other(other_dir.path(), "info", servers_->log_file());
  ASSERT_TRUE(other.start());
  sessions->put(address(other.port()), std::move(ticket));
  RawClient elsewhere(other.port(), Transport::kTls);
  ASSERT_TRUE(elsewhere.connected() && elsewhere.hello());
  EXPECT_FALSE(elsewhere.channel()->resumed());
  EXPECT_EQ(elsewhere.channel()->peer_fingerprint(), other.server().tls_fingerprint());
  EXPECT_TRUE(elsewhere.register_user(user("bob")));
}

// The client core's Connection resumes with the session it kept for the address, and
// judges a resumed connection like any other: once the pinned key differs, the
// resumed server is refused (and its session forgotten) just as a full handshake is.
TEST_F(TlsTest, AResumedConnectionIsStillCheckedAgainstThePinnedKey) {
  asio::io_context io;
  const std::uint16_t at = servers_->port_of(0);
  const std::string address = "127.0.0.1:" + std::to_string(at);
  const std::string known_hosts = dir_.file("known_hosts");
  auto sessions = std::make_shared<tls::SessionCache>();
  auto pinning = std::make_shared<tls::ServerTrust>(known_hosts);
  auto client_tls = *tls::ClientTls::create();
  bool resumed = false;
  auto connect = [&]() {
    client::ConnectionOptions options;
    options.tls = client_tls;
    options.trust = pinning;
    options.sessions = sessions;
    auto connection = client::Connection::create(io.get_executor(), options);
    auto work = [connection, at, &resumed]() -> asio::awaitable<Status> {
      Status s = co_await connection->connect("127.0.0.1", at);
      if (s) {
        resumed = connection->resumed();
        auto hello = co_await client::say_hello(*connection, "tls-test");
        s = hello ? Status::ok() : hello.status();
      }
      connection->close();
      co_return s;
    };
    return run_on(io, work());
  };
  ASSERT_TRUE(connect());
  EXPECT_FALSE(resumed);
  ASSERT_NE(sessions->get(address), nullptr) << "the ticket of a trusted server is kept";
  ASSERT_TRUE(connect());
  EXPECT_TRUE(resumed);
  ASSERT_TRUE(connect());
  EXPECT_TRUE(resumed);

  // The session is offered and would be resumed (as just now), but the key it recorded
  // is not the pinned one.
  ASSERT_TRUE(
      tls::save_pin(known_hosts, address, "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
  Status changed = connect();
  EXPECT_EQ(changed.code(), Code::kCrypto) << changed.to_string();
  EXPECT_EQ(sessions->get(address), nullptr) << "a refused server's session is forgotten";
}

}  // namespace
}  // namespace fastchat::itest
