// Connection against a tiny in-test peer on 127.0.0.1, port 0, that speaks frames.
#include "client/connection.h"

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <optional>

#include "protocol/error_mapping.h"
#include "protocol/frame_codec.h"

namespace fastchat::client {
namespace {

using namespace std::chrono_literals;
constexpr auto kAsTuple = asio::experimental::as_tuple(asio::use_awaitable);

// The server end of one connection.
struct Peer {
  explicit Peer(asio::ip::tcp::socket s) : socket(std::move(s)) {}

  asio::awaitable<std::optional<wire::Frame>> read() {
    wire::Frame frame;
    for (;;) {
      const auto next = decoder.next(frame);
      if (next == protocol::FrameDecoder::Next::kFrame) co_return frame;
      if (next != protocol::FrameDecoder::Next::kNeedMore) co_return std::nullopt;
      auto area = decoder.prepare(64 * 1024);
      auto [ec, n] =
          co_await socket.async_read_some(asio::buffer(area.data(), area.size()), kAsTuple);
      if (ec) co_return std::nullopt;
      ++reads;
      decoder.commit(n);
    }
  }
  asio::awaitable<void> write(std::string bytes) {
    co_await asio::async_write(socket, asio::buffer(bytes), kAsTuple);
  }
  asio::awaitable<void> send(const wire::Frame& frame) {
    co_await write(protocol::encode_frame(frame));
  }

  asio::ip::tcp::socket socket;
  protocol::FrameDecoder decoder;
  int reads = 0;
};

wire::Frame user_list_reply(std::uint64_t request_id, const std::string& name) {
  wire::Frame f;
  f.set_request_id(request_id);
  f.mutable_user_list()->add_users()->set_username(name);
  return f;
}

wire::Frame list_users(const std::string& pattern) {
  wire::Frame f;
  f.mutable_list_users()->set_pattern(pattern);
  return f;
}

wire::Frame presence_push(const std::string& name) {
  wire::Frame f;
  f.mutable_presence()->set_username(name);
  f.mutable_presence()->set_online(true);
  return f;
}

asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor);
  t.expires_after(d);
  co_await t.async_wait(kAsTuple);
}

class ConnectionTest : public ::testing::Test {
 protected:
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

  asio::awaitable<Peer> accept() {
    auto [ec, socket] = co_await acceptor_.async_accept(kAsTuple);
    EXPECT_FALSE(ec) << ec.message();
    co_return Peer(std::move(socket));
  }

  // Not a default argument: `co_await connect()` would then hold a ConnectionOptions
  // temporary (strings, shared_ptrs) across the suspension, which g++ 12 destroys
  // twice (docs/decisions.md, pitfalls). A plain function makes the named one.
  asio::awaitable<std::shared_ptr<Connection>> connect() { return connect(ConnectionOptions()); }
  asio::awaitable<std::shared_ptr<Connection>> connect(ConnectionOptions options) {
    auto conn = Connection::create(io_.get_executor(), options);
    Status s = co_await conn->connect("127.0.0.1", port());
    EXPECT_TRUE(s) << s.to_string();
    co_return conn;
  }

  // Runs the peer and the client side until the client side is done (10 s at most).
  template <typename Server, typename Client>
  void run(Server server, Client client) {
    asio::co_spawn(
        io_,
        [this, server]() -> asio::awaitable<void> {
          Peer peer = co_await accept();
          co_await server(peer);
        },
        asio::detached);
    bool done = false;
    asio::co_spawn(io_, client(), [&](std::exception_ptr e) {
      done = true;
      if (e) std::rethrow_exception(e);
    });
    for (int i = 0; i < 100 && !done; ++i)
      io_.run_for(100ms);
    EXPECT_TRUE(done) << "the test did not finish in time";
  }

  // Spawns `request` and stores its result.
  void spawn_request(const std::shared_ptr<Connection>& conn, wire::Frame frame,
                     std::optional<Result<wire::Frame>>& out) {
    asio::co_spawn(
        io_,
        [conn, frame, &out]() -> asio::awaitable<void> {
          out.emplace(co_await conn->request(frame));
        },
        asio::detached);
  }

  asio::awaitable<void> wait_until(const std::function<bool()>& ready) {
    for (int i = 0; i < 500 && !ready(); ++i)
      co_await sleep_for(10ms);
    EXPECT_TRUE(ready());
  }

  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_{io_, {asio::ip::make_address("127.0.0.1"), 0}};
};

TEST_F(ConnectionTest, MatchesResponsesToRequestsInAnyOrder) {
  std::optional<Result<wire::Frame>> first, second;
  std::uint64_t id1 = 0, id2 = 0;
  run(
      [&](Peer& peer) -> asio::awaitable<void> {
        auto a = co_await peer.read();
        auto b = co_await peer.read();
        if (!a || !b) co_return;
        id1 = a->request_id();
        id2 = b->request_id();
        EXPECT_EQ(a->list_users().pattern(), "one");
        EXPECT_EQ(b->list_users().pattern(), "two");
        // Answer the second first; the first gets an error.
        co_await peer.send(user_list_reply(b->request_id(), "two"));
        wire::Frame error;
        protocol::set_error(error, a->request_id(), Status(Code::kUnknownUser, "no such user"));
        co_await peer.send(error);
      },
      [&]() -> asio::awaitable<void> {
        auto conn = co_await connect();
        spawn_request(conn, list_users("one"), first);
        spawn_request(conn, list_users("two"), second);
        co_await wait_until([&] { return first && second; });
        EXPECT_EQ(conn->pending_requests(), 0u);
        conn->close();
      });
  EXPECT_NE(id1, 0u);
  EXPECT_NE(id2, 0u);
  EXPECT_NE(id1, id2);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->code(), Code::kUnknownUser);
  EXPECT_EQ(first->status().message(), "no such user");
  ASSERT_TRUE(*second) << second->status().to_string();
  EXPECT_EQ((*second)->user_list().users(0).username(), "two");
}

TEST_F(ConnectionTest, HandsPushesToTheHandlerInOrder) {
  std::vector<std::string> events;
  run(
      [&](Peer& peer) -> asio::awaitable<void> {
        auto request = co_await peer.read();
        if (!request) co_return;
        wire::Frame message;
        message.mutable_message()->set_seq(5);
        // Two pushes and the response in one write.
        co_await peer.write(protocol::encode_frame(presence_push("alice")) +
                            protocol::encode_frame(message) +
                            protocol::encode_frame(user_list_reply(request->request_id(), "x")));
      },
      [&]() -> asio::awaitable<void> {
        auto conn = co_await connect();
        conn->set_push_handler([&](wire::Frame& f) {
          events.push_back(f.has_presence() ? "presence " + f.presence().username()
                                            : "message " + std::to_string(f.message().seq()));
        });
        auto reply = co_await conn->request(list_users(""));
        EXPECT_TRUE(reply);
        events.push_back("response");
        conn->close();
      });
  EXPECT_EQ(events, (std::vector<std::string>{"presence alice", "message 5", "response"}));
}

TEST_F(ConnectionTest, FailsEveryPendingRequestWhenThePeerCloses) {
  std::optional<Result<wire::Frame>> results[3];
  int closes = 0;
  Status reason;
  bool open_after = true;
  std::optional<Result<wire::Frame>> later;
  run(
      [&](Peer& peer) -> asio::awaitable<void> {
        for (int i = 0; i < 3; ++i)
          (void)co_await peer.read();
        peer.socket.close();
      },
      [&]() -> asio::awaitable<void> {
        auto conn = co_await connect();
        conn->set_close_handler([&](const Status& why) {
          ++closes;
          reason = why;
        });
        for (auto& r : results)
          spawn_request(conn, list_users(""), r);
        co_await wait_until([&] { return results[0] && results[1] && results[2]; });
        open_after = conn->is_open();
        EXPECT_EQ(conn->pending_requests(), 0u);
        later.emplace(co_await conn->request(list_users("")));
        conn->close();  // idempotent: no second close event
      });
  for (auto& r : results) {
    ASSERT_TRUE(r);
    EXPECT_EQ(r->code(), Code::kUnavailable);
  }
  EXPECT_FALSE(open_after);
  EXPECT_EQ(closes, 1);
  EXPECT_EQ(reason.code(), Code::kUnavailable);
  ASSERT_TRUE(later);
  EXPECT_EQ(later->code(), Code::kUnavailable);
}

TEST_F(ConnectionTest, ReassemblesAFrameSplitAcrossWrites) {
  std::optional<Result<wire::Frame>> reply;
  run(
      [&](Peer& peer) -> asio::awaitable<void> {
        auto request = co_await peer.read();
        if (!request) co_return;
        wire::Frame big = user_list_reply(request->request_id(), std::string(5000, 'u'));
        const std::string bytes = protocol::encode_frame(big);
        // The length prefix split in two, then the body in three pieces.
        const std::size_t cuts[] = {0, 1, 4, 100, 3000, bytes.size()};
        for (std::size_t i = 0; i + 1 < std::size(cuts); ++i) {
          co_await peer.write(bytes.substr(cuts[i], cuts[i + 1] - cuts[i]));
          co_await sleep_for(20ms);
        }
      },
      [&]() -> asio::awaitable<void> {
        auto conn = co_await connect();
        reply.emplace(co_await conn->request(list_users("")));
        conn->close();
      });
  ASSERT_TRUE(reply);
  ASSERT_TRUE(*reply) << reply->status().to_string();
  EXPECT_EQ((*reply)->user_list().users(0).username(), std::string(5000, 'u'));
}

TEST_F(ConnectionTest, CoalescesFramesQueuedInOneTurnIntoOneWrite) {
  constexpr int kRequests = 20;
  std::optional<Result<wire::Frame>> results[kRequests];
  int reads_for_all = 0;
  run(
      [&](Peer& peer) -> asio::awaitable<void> {
        co_await sleep_for(50ms);  // let everything arrive
        std::vector<wire::Frame> requests;
        for (int i = 0; i < kRequests; ++i) {
          auto f = co_await peer.read();
          if (!f) co_return;
          requests.push_back(std::move(*f));
        }
        reads_for_all = peer.reads;
        std::string replies;
        for (const auto& r : requests)
          protocol::append_frame(replies,
                                 user_list_reply(r.request_id(), r.list_users().pattern()));
        co_await peer.write(replies);
      },
      [&]() -> asio::awaitable<void> {
        auto conn = co_await connect();
        for (int i = 0; i < kRequests; ++i)
          spawn_request(conn, list_users(std::to_string(i)), results[i]);
        co_await wait_until([&] {
          for (auto& r : results)
            if (!r) return false;
          return true;
        });
        conn->close();
      });
  EXPECT_EQ(reads_for_all, 1);
  for (int i = 0; i < kRequests; ++i) {
    ASSERT_TRUE(results[i] && *results[i]);
    EXPECT_EQ((*results[i])->user_list().users(0).username(), std::to_string(i));
  }
}

TEST_F(ConnectionTest, TimesOutAnUnansweredRequestAndDropsTheLateAnswer) {
  std::optional<Result<wire::Frame>> timed_out, answered;
  bool open_after_timeout = false;
  run(
      [&](Peer& peer) -> asio::awaitable<void> {
        auto first = co_await peer.read();
        auto second = co_await peer.read();
        if (!first || !second) co_return;
        co_await peer.send(user_list_reply(first->request_id(), "late"));
        co_await peer.send(user_list_reply(second->request_id(), "on time"));
      },
      [&]() -> asio::awaitable<void> {
        ConnectionOptions options;
        options.request_timeout = 100ms;
        auto conn = co_await connect(options);
        timed_out.emplace(co_await conn->request(list_users("")));
        open_after_timeout = conn->is_open();
        answered.emplace(co_await conn->request(list_users("")));
        conn->close();
      });
  ASSERT_TRUE(timed_out && answered);
  EXPECT_EQ(timed_out->code(), Code::kUnavailable);
  EXPECT_TRUE(open_after_timeout);
  ASSERT_TRUE(*answered);
  EXPECT_EQ((*answered)->user_list().users(0).username(), "on time");
}

TEST_F(ConnectionTest, ClosesOnAMalformedFrame) {
  std::optional<Result<wire::Frame>> reply;
  Status reason;
  run(
      [&](Peer& peer) -> asio::awaitable<void> {
        (void)co_await peer.read();
        co_await peer.write(std::string("\x00\x00\x00\x05\xff\xff\xff\xff\xff", 9));
        co_await sleep_for(500ms);
      },
      [&]() -> asio::awaitable<void> {
        auto conn = co_await connect();
        conn->set_close_handler([&](const Status& why) { reason = why; });
        reply.emplace(co_await conn->request(list_users("")));
        EXPECT_FALSE(conn->is_open());
      });
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->code(), Code::kUnavailable);
  EXPECT_EQ(reason.code(), Code::kBadRequest);
}

TEST_F(ConnectionTest, SaysHelloAndChecksTheVersion) {
  Result<wire::HelloOk> hello = Status(Code::kInternal, "not run");
  std::string client_name;
  run(
      [&](Peer& peer) -> asio::awaitable<void> {
        auto f = co_await peer.read();
        if (!f) co_return;
        client_name = f->hello().client_name();
        EXPECT_EQ(f->hello().protocol_version(), protocol::kProtocolVersion);
        wire::Frame reply;
        reply.set_request_id(f->request_id());
        reply.mutable_hello_ok()->set_protocol_version(protocol::kProtocolVersion);
        reply.mutable_hello_ok()->set_server_name("test");
        co_await peer.send(reply);
      },
      [&]() -> asio::awaitable<void> {
        auto conn = co_await connect();
        hello = co_await say_hello(*conn, "unit-test");
        conn->close();
      });
  ASSERT_TRUE(hello) << hello.status().to_string();
  EXPECT_EQ(hello->server_name(), "test");
  EXPECT_EQ(client_name, "unit-test");
}

TEST_F(ConnectionTest, HelloRefusedByTheServer) {
  Result<wire::HelloOk> hello = Status(Code::kInternal, "not run");
  run(
      [&](Peer& peer) -> asio::awaitable<void> {
        auto f = co_await peer.read();
        if (!f) co_return;
        wire::Frame reply;
        protocol::set_error(reply, f->request_id(),
                            Status(Code::kUnsupportedVersion, "server speaks version 2"));
        co_await peer.send(reply);
      },
      [&]() -> asio::awaitable<void> {
        auto conn = co_await connect();
        hello = co_await say_hello(*conn, "unit-test");
        conn->close();
      });
  EXPECT_EQ(hello.code(), Code::kUnsupportedVersion);
}

TEST_F(ConnectionTest, ConnectFailsCleanlyWhenNobodyListens) {
  const std::uint16_t closed_port = port();
  acceptor_.close();
  Status status;
  bool done = false;
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        auto conn = Connection::create(io_.get_executor());
        status = co_await conn->connect("127.0.0.1", closed_port);
        EXPECT_FALSE(conn->is_open());
        auto r = co_await conn->request(list_users(""));
        EXPECT_EQ(r.code(), Code::kUnavailable);
        done = true;
      },
      asio::detached);
  io_.run_for(5s);
  EXPECT_TRUE(done);
  EXPECT_EQ(status.code(), Code::kUnavailable);
}

}  // namespace
}  // namespace fastchat::client
