// Hostile input over real sockets: oversized and malformed frames, truncated
// streams, random bytes, idle and stalled connection floods, a consumer that never
// reads. After each, the server must still serve a fresh client.
#include <gtest/gtest.h>

#include <asio/write.hpp>
#include <random>

#include "chat_fixture.h"

namespace fastchat::itest {
namespace {

class HostileInputTest : public ChatTest {};

std::string length_prefix(std::uint32_t n) {
  return {static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8),
          static_cast<char>(n)};
}

std::string hello_bytes() {
  wire::Frame hello;
  hello.set_request_id(1);
  hello.mutable_hello()->set_protocol_version(protocol::kProtocolVersion);
  return protocol::encode_frame(hello);
}

TEST_F(HostileInputTest, OversizedLengthPrefixIsRefusedAndTheConnectionClosed) {
  for (const std::uint32_t size :
       {static_cast<std::uint32_t>(protocol::kMaxFrameBytes + 1), 2u << 20, 0xFFFFFFFFu}) {
    for (const bool after_hello : {false, true}) {
      RawClient client(port());
      if (after_hello) {
        ASSERT_TRUE(client.hello());
      }
      ASSERT_TRUE(client.write(length_prefix(size) + "some bytes"));
      auto reply = client.next();
      ASSERT_TRUE(reply) << size;
      EXPECT_EQ(error_of(*reply), wire::FRAME_TOO_LARGE) << reply->ShortDebugString();
      EXPECT_TRUE(client.wait_closed()) << size;
    }
  }
  EXPECT_TRUE(server_works(port()));
}

TEST_F(HostileInputTest, AFrameOfExactlyTheMaximumSizeIsReadAndAnswered) {
  auto alice = online("alice");
  register_offline("bob");
  ASSERT_TRUE(alice);
  // A Send whose body is too large for a message but whose frame is within the limit.
  auto frame = direct_send(user("alice"), user("bob"), MessageId::random(), "x");
  frame.set_request_id(77);
  auto* body = frame.mutable_send()->mutable_body();
  body->resize(protocol::kMaxFrameBytes, 'b');
  while (frame.ByteSizeLong() > protocol::kMaxFrameBytes) {
    body->resize(body->size() - (frame.ByteSizeLong() - protocol::kMaxFrameBytes));
  }
  const std::string bytes = protocol::encode_frame(frame);
  ASSERT_EQ(bytes.size(), protocol::kMaxFrameBytes + protocol::kLengthPrefixBytes);
  ASSERT_TRUE(alice->write(bytes));
  auto reply = alice->response(77);
  ASSERT_TRUE(reply);
  EXPECT_EQ(error_of(*reply), wire::BAD_REQUEST);  // body above the message limit
  EXPECT_TRUE(alice->call(frame).has_error());     // still connected and answering
}

TEST_F(HostileInputTest, GarbagePayloadIsABadRequestAndTheConnectionClosed) {
  for (const bool after_hello : {false, true}) {
    RawClient client(port());
    if (after_hello) {
      ASSERT_TRUE(client.hello());
    }
    // Wire type 7 does not exist: this never parses as a Frame.
    ASSERT_TRUE(client.write(length_prefix(16) + std::string(16, '\xFF')));
    auto reply = client.next();
    ASSERT_TRUE(reply);
    EXPECT_EQ(error_of(*reply), wire::BAD_REQUEST) << reply->ShortDebugString();
    EXPECT_TRUE(client.wait_closed());
  }
  EXPECT_TRUE(server_works(port()));
}

TEST_F(HostileInputTest, TruncatedFrameThenDisconnect) {
  {
    RawClient client(port());
    ASSERT_TRUE(client.write(hello_bytes()));
    ASSERT_TRUE(client.next());
    const std::string frame =
        protocol::encode_frame(login_frame(TestUser::quick("someone"), std::string(32, 'n')));
    ASSERT_TRUE(client.write(frame.substr(0, frame.size() / 2)));
    client.shutdown_send();
    EXPECT_TRUE(client.wait_closed());
  }
  {
    RawClient client(port());
    ASSERT_TRUE(client.write(length_prefix(1000) + std::string(10, 'x')));
    client.abort();
  }
  {
    RawClient client(port());
    ASSERT_TRUE(client.write(std::string("\0\0", 2)));  // half a length prefix
    client.shutdown_send();
    EXPECT_TRUE(client.wait_closed());
  }
  EXPECT_TRUE(server_works(port()));
}

TEST_F(HostileInputTest, NonRequestBodiesAreBadRequests) {
  auto alice = online("alice");
  ASSERT_TRUE(alice);
  std::vector<wire::Frame> frames(6);
  frames[0].mutable_send_ok()->set_message_id(std::string(16, 'x'));
  frames[1].mutable_auth_ok()->set_username("alice");
  frames[2].mutable_message()->set_seq(5);
  frames[3].mutable_error()->set_code(wire::INTERNAL);
  frames[4].mutable_sync_page();
  // frames[5]: no body at all.
  for (auto& frame : frames) {
    const auto reply = alice->call(frame);
    EXPECT_EQ(error_of(reply), wire::BAD_REQUEST) << frame.ShortDebugString();
  }
  // The connection stays usable.
  wire::Frame list;
  list.mutable_list_users();
  EXPECT_TRUE(alice->call(list).has_user_list());
  EXPECT_GE(counter(&server::ServerCounters::protocol_errors), 6u);
}

// Random bytes in several shapes, from a fixed seed: nothing may crash the server.
TEST_F(HostileInputTest, RandomBlobsNeverCrashTheServer) {
  std::mt19937 random(20240611);
  auto bytes = [&](std::size_t n) {
    std::string out(n, '\0');
    for (auto& c : out)
      c = static_cast<char>(random() & 0xFF);
    return out;
  };
  // Valid frames to mutate: what reaches the handlers when a few bits flip.
  std::vector<std::string> valid;
  const auto someone = TestUser::quick("someone");
  valid.push_back(protocol::encode_frame(register_frame(someone)));
  valid.push_back(protocol::encode_frame(login_frame(someone, std::string(32, 'n'))));
  valid.push_back(protocol::encode_frame(resume_frame("someone", std::string(32, 't'))));
  valid.push_back(protocol::encode_frame(direct_send(someone, someone, MessageId::random(), "x")));
  {
    wire::Frame f;
    f.mutable_sync()->set_limit(5);
    valid.push_back(protocol::encode_frame(f));
    f.mutable_create_group()->set_name("g");
    f.mutable_create_group()->add_members("someone");
    valid.push_back(protocol::encode_frame(f));
  }

  constexpr int kBlobs = 300;
  for (int i = 0; i < kBlobs; ++i) {
    std::string blob;
    switch (i % 4) {
      case 0:  // anything at all
        blob = bytes(1 + random() % 2048);
        break;
      case 1:  // a Hello, then anything
        blob = hello_bytes() + bytes(1 + random() % 2048);
        break;
      case 2: {  // a Hello, then frames with sane lengths and random payloads
        blob = hello_bytes();
        for (int n = 1 + random() % 5; n > 0; --n) {
          const std::size_t size = random() % 300;
          blob += length_prefix(static_cast<std::uint32_t>(size)) + bytes(size);
        }
        break;
      }
      default: {  // a Hello, a registration, then valid frames with flipped bits
        blob = hello_bytes() + valid[0];
        for (int n = 1 + random() % 4; n > 0; --n) {
          std::string frame = valid[random() % valid.size()];
          for (int flips = 1 + random() % 4; flips > 0; --flips) {
            const std::size_t at = protocol::kLengthPrefixBytes +
                                   random() % (frame.size() - protocol::kLengthPrefixBytes);
            frame[at] = static_cast<char>(frame[at] ^ (1 << (random() % 8)));
          }
          blob += frame;
        }
        break;
      }
    }
    RawClient client(port());
    ASSERT_TRUE(client.connected()) << "blob " << i << ": the server stopped accepting";
    client.write(blob);  // the server may close before everything is written
    client.shutdown_send();
    ASSERT_TRUE(client.wait_closed()) << "blob " << i << ": connection not closed after EOF";
  }
  EXPECT_TRUE(server_works(port()));
  // The handlers saw the well-formed mutations too.
  EXPECT_GT(counter(&server::LoopTotals::frames_in), static_cast<std::uint64_t>(kBlobs));
}

// The flood's connections never log in: the handshake timeout must not close them
// before the test has counted them (opening 100 TLS connections on a loaded machine
// can take longer than the default 30 s).
class ConnectionFloodTest : public ChatTest {
 protected:
  void configure(server::ServerConfig& config) override { config.handshake_timeout_ms = 600'000; }
};

TEST_F(ConnectionFloodTest, IdleAndStalledConnectionFloodDoesNotStopNormalClients) {
  constexpr int kIdle = 500;
  constexpr int kStalled = 100;
  asio::io_context io;
  std::vector<asio::ip::tcp::socket> flood;  // TCP only: not even a ClientHello
  flood.reserve(kIdle);
  const asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port());
  for (int i = 0; i < kIdle; ++i) {
    flood.emplace_back(io);
    asio::error_code ec;
    flood.back().connect(endpoint, ec);
    ASSERT_FALSE(ec) << "connection " << i << ": " << ec.message();
  }
  std::vector<std::unique_ptr<RawClient>> stalled;  // TLS, a Hello and half a frame, silence
  for (int i = 0; i < kStalled; ++i) {
    stalled.push_back(std::make_unique<RawClient>(port()));
    ASSERT_TRUE(stalled.back()->connected()) << "stalled connection " << i;
    ASSERT_TRUE(stalled.back()->write(hello_bytes() + length_prefix(500) + "partial"));
  }

  auto alice = online("alice");
  auto bob = online("bob");
  ASSERT_TRUE(alice && bob);
  for (int i = 0; i < 50; ++i) {
    const auto id = MessageId::random();
    ASSERT_TRUE(send_ok(*alice, alice->request(direct_send(user("alice"), user("bob"), id, "hi"))));
    auto push = bob->push();
    ASSERT_TRUE(push);
    ASSERT_EQ(push->message_id(), id.to_bytes());
    const auto back = MessageId::random();
    ASSERT_TRUE(send_ok(*bob, bob->request(direct_send(user("bob"), user("alice"), back, "yo"))));
    push = alice->push();
    ASSERT_TRUE(push);
    ASSERT_EQ(push->message_id(), back.to_bytes());
  }
  // Every flood connection was accepted and is still open on the server.
  EXPECT_TRUE(eventually(
      [&] {
        return counter(&server::ServerCounters::connections_open) >=
               static_cast<std::uint64_t>(kIdle + kStalled + 2);
      },
      seconds(10)));
  flood.clear();
  stalled.clear();
  EXPECT_TRUE(server_works(port()));
}

TEST_F(HostileInputTest, AConsumerThatNeverReadsIsDisconnectedAndLosesNothing) {
  auto alice = online("alice");
  auto bob = online("bob");  // logged in, and never reads from here on
  ASSERT_TRUE(alice && bob);
  // ~900 KiB per push: past the 16 MiB outbound bound plus what the kernel buffers.
  constexpr int kCount = 40;
  const std::string filler(900 * 1024, 'p');
  std::vector<MessageId> ids;
  for (int i = 0; i < kCount; ++i) {
    ids.push_back(MessageId::random());
    ASSERT_TRUE(send_ok(
        *alice, alice->request(direct_send(user("alice"), user("bob"), ids.back(), filler))))
        << "the sender was held up by the slow consumer at " << i;
  }
  // Bob's session was cut (he has not read a byte); nothing is lost: all of it is in
  // the inbox.
  EXPECT_TRUE(eventually([&] { return online_sessions() == 1; }, seconds(30)));
  bob.reset();
  auto again = logged_in(port(), user("bob"));
  ASSERT_TRUE(again);
  auto items = again->sync_all();
  ASSERT_TRUE(items) << items.status().to_string();
  ASSERT_EQ(items->size(), static_cast<std::size_t>(kCount));
  for (int i = 0; i < kCount; ++i)
    EXPECT_EQ((*items)[i].message_id(), ids[i].to_bytes());
}

class LimitsTest : public ChatTest {
 protected:
  void configure(server::ServerConfig& config) override {
    config.handshake_timeout_ms = 300;
    config.max_connections = 20;
  }
};

TEST_F(LimitsTest, ConnectionsThatNeverLogInAreClosedAfterTheHandshakeTimeout) {
  RawClient silent(port());
  RawClient hello_only(port());
  ASSERT_TRUE(hello_only.hello());
  auto alice = online("alice");
  ASSERT_TRUE(alice);
  EXPECT_TRUE(silent.wait_closed(seconds(10)));
  EXPECT_TRUE(hello_only.wait_closed(seconds(10)));
  // Once a connection opened after alice's has timed out, alice's timer has passed too.
  RawClient late(port());
  EXPECT_TRUE(late.wait_closed(seconds(10)));
  wire::Frame list;
  list.mutable_list_users();
  EXPECT_TRUE(alice->call(list).has_user_list()) << "a logged-in connection was closed";
}

// The connection limit alone: with TLS, opening 20 connections per server (60 in a
// cluster) takes longer than LimitsTest's 300 ms handshake timeout.
class ConnectionLimitTest : public ChatTest {
 protected:
  void configure(server::ServerConfig& config) override { config.max_connections = 20; }
};

// The limit is per server: fill every server of a cluster to it.
TEST_F(ConnectionLimitTest, ConnectionsBeyondTheLimitAreClosedAtOnce) {
  const std::size_t servers = servers_->size();
  std::vector<std::unique_ptr<RawClient>> idle;
  for (std::size_t s = 0; s < servers; ++s) {
    for (int i = 0; i < 20; ++i) {
      idle.push_back(std::make_unique<RawClient>(servers_->port_of(s)));
      ASSERT_TRUE(idle.back()->connected());
    }
  }
  auto open_on = [&](std::size_t s) {
    return servers_->server(s).server().counters().connections_open.load();
  };
  for (std::size_t s = 0; s < servers; ++s) {
    ASSERT_TRUE(eventually([&] { return open_on(s) == 20; }, seconds(10))) << "server " << s;
  }
  for (std::size_t s = 0; s < servers; ++s) {
    RawClient over(servers_->port_of(s));
    EXPECT_TRUE(over.wait_closed(seconds(5))) << "server " << s;
  }
  idle.clear();
  ASSERT_TRUE(eventually([&] { return counter(&server::ServerCounters::connections_open) == 0; },
                         seconds(10)));
  EXPECT_TRUE(server_works(port()));
}

}  // namespace
}  // namespace fastchat::itest
