#include "client/connection.h"

#include <spdlog/spdlog.h>

#include <asio/connect.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <optional>
#include <utility>

#include "common/supervised.h"
#include "crypto/login_proof.h"
#include "protocol/error_mapping.h"
#include "tls/channel_io.h"

namespace fastchat::client {

std::atomic<std::uint64_t>& client_task_failures() {
  static std::atomic<std::uint64_t> failures{0};
  return failures;
}

namespace {
constexpr auto kAsTuple = asio::experimental::as_tuple(asio::use_awaitable);
constexpr std::size_t kKeepWriteBuffer = 64 * 1024;
}  // namespace

// Lives in the frame of the request() coroutine that waits for it; the reader (or
// close) fills `result` and cancels `timer` to wake it.
struct Connection::Pending {
  explicit Pending(const asio::any_io_executor& executor) : timer(executor) {}
  asio::steady_timer timer;
  std::optional<Result<wire::Frame>> result;
};

std::shared_ptr<Connection> Connection::create(asio::any_io_executor executor,
                                               ConnectionOptions options) {
  return std::shared_ptr<Connection>(new Connection(std::move(executor), options));
}

Connection::Connection(asio::any_io_executor executor, ConnectionOptions options)
    : executor_(executor),
      options_(options),
      socket_(executor),
      writer_wake_(executor),
      drained_(executor),
      keepalive_timer_(executor) {}

Connection::~Connection() {
  asio::error_code ec;
  socket_.close(ec);
}

asio::awaitable<Status> Connection::connect(const std::string& host, std::uint16_t port) {
  auto self = shared_from_this();
  if (open_ || closed_) co_return Status(Code::kInternal, "connect() on a used connection");
  const std::string where = host + ":" + std::to_string(port);
  asio::ip::tcp::resolver resolver(executor_);
  auto [resolve_ec, endpoints] = co_await resolver.async_resolve(
      host, std::to_string(port), asio::ip::resolver_base::numeric_service, kAsTuple);
  if (resolve_ec) {
    co_return Status(Code::kUnavailable, "cannot resolve " + host + ": " + resolve_ec.message());
  }
  // The handler may run after this frame is gone (expired just as the connect
  // completed), so it shares the flag and checks open_ before touching the socket.
  auto timed_out = std::make_shared<bool>(false);
  asio::steady_timer deadline(executor_);
  deadline.expires_after(options_.connect_timeout);
  deadline.async_wait([self, timed_out](asio::error_code ec) {
    if (ec || self->open_) return;
    *timed_out = true;
    asio::error_code ignored;
    self->socket_.close(ignored);  // makes the range connect give up
  });
  auto [connect_ec, endpoint] = co_await asio::async_connect(socket_, endpoints, kAsTuple);
  if (*timed_out) co_return Status(Code::kUnavailable, "timed out connecting to " + where);
  if (connect_ec) {
    deadline.cancel();
    co_return Status(Code::kUnavailable,
                     "cannot connect to " + where + ": " + connect_ec.message());
  }
  if (closed_) co_return Status(Code::kUnavailable, "connection closed while connecting");
  if (options_.tls) {
    // The handshake shares the connect deadline.
    if (Status s = co_await handshake(host, where); !s) {
      deadline.cancel();
      asio::error_code ignored;
      socket_.close(ignored);
      tls_.reset();
      if (*timed_out) co_return Status(Code::kUnavailable, "timed out shaking hands with " + where);
      co_return s;
    }
  }
  deadline.cancel();
  if (closed_) co_return Status(Code::kUnavailable, "connection closed while connecting");
  start_io();
  co_return Status::ok();
}

asio::awaitable<Status> Connection::handshake(const std::string& host, const std::string& where) {
  asio::error_code ec;
  socket_.non_blocking(true, ec);
  auto channel = tls::Channel::connect(*options_.tls, socket_.native_handle(), host);
  if (!channel) co_return channel.status();
  tls_ = std::move(*channel);
  if (options_.sessions) tls_->offer_session(options_.sessions->get(where));
  const asio::error_code handshake_ec = co_await tls::co_handshake(socket_, *tls_);
  if (handshake_ec) {
    const std::string why =
        tls_->error_text().empty() ? handshake_ec.message() : tls_->error_text();
    co_return Status(Code::kUnavailable, "TLS handshake with " + where + " failed: " + why);
  }
  // A resumed session is judged like a full handshake: by the certificate it recorded.
  Status trusted = Status::ok();
  if (options_.trust) {
    trusted = options_.trust->check(where, *tls_, options_.expect_fingerprint);
  } else if (!options_.expect_fingerprint.empty() &&
             tls_->peer_fingerprint() != options_.expect_fingerprint) {
    trusted = Status(Code::kCrypto, where + " does not present the expected key");
  }
  if (options_.sessions) {
    if (trusted) {
      tls_->remember_sessions(options_.sessions, where);
    } else {
      options_.sessions->forget(where);
    }
  }
  co_return trusted;
}

std::string Connection::channel_binding() const {
  auto exported = tls_exporter(crypto::kChannelBindingLabel, {}, crypto::kChannelBindingBytes);
  return exported ? std::move(*exported) : std::string();
}

Result<std::string> Connection::tls_exporter(std::string_view label, std::string_view context,
                                             std::size_t size) const {
  if (!tls_) return Status(Code::kUnavailable, "a plaintext connection has no TLS exporter");
  return tls_->export_keying_material(label, context, size);
}

asio::awaitable<Status> Connection::adopt(asio::ip::tcp::socket socket, const std::string& host,
                                          std::uint16_t port) {
  auto self = shared_from_this();
  socket_ = std::move(socket);
  if (options_.tls) {
    const std::string where = host + ":" + std::to_string(port);
    asio::steady_timer deadline(executor_);
    deadline.expires_after(options_.connect_timeout);
    deadline.async_wait([self](asio::error_code ec) {
      if (ec || self->open_) return;
      asio::error_code ignored;
      self->socket_.close(ignored);
    });
    Status s = co_await handshake(host, where);
    deadline.cancel();
    if (!s) {
      asio::error_code ignored;
      socket_.close(ignored);
      tls_.reset();
      co_return s;
    }
  }
  if (closed_) co_return Status(Code::kUnavailable, "connection closed while connecting");
  start_io();
  co_return Status::ok();
}

void Connection::start(asio::ip::tcp::socket socket) {
  socket_ = std::move(socket);
  start_io();
}

void Connection::start_io() {
  asio::error_code ec;
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  socket_.set_option(asio::socket_base::keep_alive(true), ec);
  open_ = true;
  // A loop that throws closes the connection: pending requests fail, the client reconnects.
  auto close = [self = shared_from_this()] { self->close(); };
  spawn_supervised(
      executor_, [self = shared_from_this()] { return self->read_loop(); }, "connection reader",
      client_task_failures(), close);
  spawn_supervised(
      executor_, [self = shared_from_this()] { return self->write_loop(); }, "connection writer",
      client_task_failures(), close);
  if (options_.keepalive.count() > 0) {
    spawn_supervised(
        executor_, [self = shared_from_this()] { return self->keepalive_loop(); },
        "connection keepalive", client_task_failures(), close);
  }
}

asio::awaitable<void> Connection::keepalive_loop() {
  auto self = shared_from_this();
  while (open_) {
    keepalive_timer_.expires_after(options_.keepalive);
    co_await keepalive_timer_.async_wait(kAsTuple);
    if (!open_) break;
    if (std::exchange(wrote_since_keepalive_, false)) continue;
    wire::Frame ping;
    ping.mutable_ping();
    // A lost answer needs no handling here: a dead connection fails everything anyway.
    auto answer = co_await request(std::move(ping));
    if (!answer) spdlog::debug("keepalive ping: {}", answer.status().to_string());
  }
}

asio::awaitable<Result<wire::Frame>> Connection::request(wire::Frame frame) {
  auto self = shared_from_this();
  while (open_ && outbound_.size() >= options_.max_outbound_bytes) {
    drained_.expires_at(asio::steady_timer::time_point::max());
    co_await drained_.async_wait(kAsTuple);
  }
  if (!open_) co_return Status(Code::kUnavailable, "not connected");
  const std::uint64_t id = next_request_id_++;
  frame.set_request_id(id);
  if (!protocol::append_frame(outbound_, frame)) {
    co_return Status(Code::kFrameTooLarge, "request exceeds the maximum frame size");
  }
  Pending pending(executor_);
  pending.timer.expires_after(options_.request_timeout);
  pending_.emplace(id, &pending);
  writer_wake_.cancel();
  co_await pending.timer.async_wait(kAsTuple);
  pending_.erase(id);
  if (pending.result) co_return std::move(*pending.result);
  spdlog::debug("request {} (type {}) timed out", id, static_cast<int>(frame.body_case()));
  co_return Status(Code::kUnavailable, "the server did not answer in time");
}

asio::awaitable<void> Connection::read_loop() {
  auto self = shared_from_this();
  wire::Frame frame;
  Status reason(Code::kUnavailable, "connection closed by the server");
  asio::error_code ec;
  socket_.non_blocking(true, ec);
  bool readable = false;  // a read may find data without waiting for readiness first
  int reads_without_wait = 0;
  while (open_) {
    // TLS: never a wait while the channel holds plaintext (no readiness would come).
    if (!readable && !(tls_ && tls_->buffered())) {
      const auto what = tls_ && tls_->read_want() == tls::Channel::Want::kWrite
                            ? asio::ip::tcp::socket::wait_write
                            : asio::ip::tcp::socket::wait_read;
      auto [wait_ec] = co_await socket_.async_wait(what, kAsTuple);
      if (wait_ec) {
        reason = Status(Code::kUnavailable, "connection lost: " + wait_ec.message());
        break;
      }
      reads_without_wait = 0;
    } else if (!readable) {
      reads_without_wait = 0;
    }
    // A synchronous read into the thread's scratch buffer (no allocation; an idle
    // connection holds no buffer), decoded at once: nothing may suspend until
    // release_if_empty().
    auto area = decoder_.read_area();
    const std::size_t n = tls::read_some(socket_, tls_.get(), area.data(), area.size(), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      decoder_.release_if_empty();
      readable = false;
      continue;
    }
    if (ec) {
      if (ec != asio::error::eof)
        reason = Status(Code::kUnavailable, "connection lost: " + ec.message());
      break;
    }
    // Plaintext: a full read means more is likely there. TLS reads a record at a time,
    // so it reads on until would_block, and yields (never waits) after a few reads.
    readable = (tls_ || n == area.size()) && ++reads_without_wait < 8;
    if (tls_ && !readable) yield_ = true;
    decoder_.commit(n);
    bool broken = false;
    while (open_) {
      const auto next = decoder_.next(frame);
      if (next == protocol::FrameDecoder::Next::kNeedMore) break;
      if (next != protocol::FrameDecoder::Next::kFrame) {
        reason = Status(Code::kBadRequest, next == protocol::FrameDecoder::Next::kTooLarge
                                               ? "the server sent an oversized frame"
                                               : "the server sent a malformed frame");
        spdlog::warn("closing connection: {}", reason.message());
        broken = true;
        break;
      }
      dispatch(frame);
      frame.Clear();
    }
    decoder_.release_if_empty();
    if (broken) break;
    if (yield_) {
      yield_ = false;
      co_await asio::post(executor_, asio::use_awaitable);
      readable = true;
      reads_without_wait = 0;
    }
  }
  decoder_.release_if_empty();
  close_with(reason);
}

void Connection::dispatch(wire::Frame& frame) {
  const std::uint64_t id = frame.request_id();
  if (id == 0) {
    if (push_handler_) push_handler_(frame);
    return;
  }
  auto it = pending_.find(id);
  if (it == pending_.end()) {
    spdlog::debug("dropping a response to unknown or timed-out request {}", id);
    return;
  }
  Pending* pending = it->second;
  pending_.erase(it);
  if (frame.has_error()) {
    pending->result.emplace(protocol::status_from_wire(frame.error()));
  } else {
    pending->result.emplace(std::move(frame));
  }
  pending->timer.cancel();
}

asio::awaitable<void> Connection::write_loop() {
  auto self = shared_from_this();
  while (open_) {
    if (outbound_.empty()) {
      writer_wake_.expires_at(asio::steady_timer::time_point::max());
      co_await writer_wake_.async_wait(kAsTuple);
      continue;
    }
    writing_.swap(outbound_);
    outbound_.clear();
    wrote_since_keepalive_ = true;
    const std::string_view bytes(writing_);
    const asio::error_code ec = co_await tls::co_write_all(socket_, tls_.get(), bytes);
    writing_.clear();
    if (writing_.capacity() > kKeepWriteBuffer) writing_.shrink_to_fit();
    drained_.cancel();
    if (ec) {
      close_with(Status(Code::kUnavailable, "connection lost: " + ec.message()));
      break;
    }
  }
}

void Connection::close() {
  close_with(Status(Code::kUnavailable, "connection closed"));
}

void Connection::close_with(const Status& reason) {
  if (closed_) return;
  auto self = shared_from_this();  // the close handler may drop the owner's reference
  closed_ = true;
  open_ = false;
  asio::error_code ec;
  if (tls_) tls_->shutdown();  // close_notify, when the socket takes it
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  writer_wake_.cancel();
  drained_.cancel();
  keepalive_timer_.cancel();
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& [id, p] : pending) {
    p->result.emplace(Status(Code::kUnavailable, reason.message()));
    p->timer.cancel();
  }
  outbound_.clear();
  push_handler_ = nullptr;
  if (auto handler = std::move(close_handler_)) {
    close_handler_ = nullptr;
    handler(reason);
  }
}

asio::awaitable<Result<std::string>> server_key_fingerprint(asio::any_io_executor executor,
                                                            const std::string& host,
                                                            std::uint16_t port) {
  auto key = co_await probe_server_key(executor, host, port);
  if (!key) co_return key.status();
  co_return std::move(key->fingerprint);
}

asio::awaitable<Result<ServerKey>> probe_server_key(asio::any_io_executor executor,
                                                    const std::string& host, std::uint16_t port,
                                                    const std::string& ca_file) {
  auto tls = tls::ClientTls::create(ca_file);
  if (!tls) co_return tls.status();
  ConnectionOptions options;
  options.tls = std::move(*tls);
  auto connection = Connection::create(executor, options);
  if (Status s = co_await connection->connect(host, port); !s) co_return s;
  ServerKey key;
  key.fingerprint = connection->peer_fingerprint();
  key.ca_verified = connection->peer_verified();
  if (!key.ca_verified) key.verify_error = connection->peer_verify_error();
  connection->close();
  co_return key;
}

asio::awaitable<Result<wire::HelloOk>> say_hello(Connection& connection,
                                                 std::string_view client_name) {
  wire::Frame frame;
  auto* hello = frame.mutable_hello();
  hello->set_protocol_version(protocol::kProtocolVersion);
  hello->set_client_name(std::string(client_name));
  auto reply = co_await connection.request(std::move(frame));
  if (!reply) co_return reply.status();
  if (!reply->has_hello_ok()) co_return Status(Code::kBadRequest, "expected HelloOk");
  if (reply->hello_ok().protocol_version() != protocol::kProtocolVersion) {
    co_return Status(
        Code::kUnsupportedVersion,
        "server speaks protocol version " + std::to_string(reply->hello_ok().protocol_version()));
  }
  connection.set_login_nonce(reply->hello_ok().login_nonce());
  co_return std::move(*reply->mutable_hello_ok());
}

}  // namespace fastchat::client
