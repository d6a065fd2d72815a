#include "server/session.h"

#include <spdlog/spdlog.h>

#include <asio/post.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>

#include "common/supervised.h"
#include "crypto/login_proof.h"
#include "protocol/error_mapping.h"
#include "protocol/proxy_header.h"
#include "server/message_handlers.h"
#include "server/outbound_batch.h"
#include "server/request_router.h"
#include "tls/channel_io.h"

namespace fastchat::server {

Session::Session(asio::ip::tcp::socket socket, ServerContext& context, LoopShard& loop)
    : socket_(std::move(socket)), context_(context), loop_(loop) {
  asio::error_code ec;
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  socket_.set_option(asio::socket_base::keep_alive(true), ec);
  auto remote = socket_.remote_endpoint(ec);
  if (!ec) peer_address_ = remote.address().to_string();
  context_.counters.connections_open.fetch_add(1, std::memory_order_relaxed);
  context_.counters.connections_total.fetch_add(1, std::memory_order_relaxed);
}

Session::~Session() {
  context_.counters.connections_open.fetch_sub(1, std::memory_order_relaxed);
}

void Session::start() {
  arm_handshake_timer();  // also bounds a TLS handshake (and a PROXY header) that never ends
  if (context_.config.proxy_protocol) return read_proxy_header();
  start_transport();
}

// The PROXY v2 header comes before anything else, TLS included: 16 bytes, then the
// body they announce. Anything else closes the connection.
void Session::read_proxy_header() {
  proxy_header_ = std::make_unique<std::string>(protocol::kProxyHeaderFixedBytes, '\0');
  auto refuse = [](const std::shared_ptr<Session>& self, const Status& why) {
    spdlog::warn("closing {}: {}", self->peer_address_, why.to_string());
    self->context_.counters.protocol_errors.fetch_add(1, std::memory_order_relaxed);
    self->close();
  };
  asio::async_read(
      socket_, asio::buffer(*proxy_header_),
      [self = shared_from_this(), refuse](asio::error_code ec, std::size_t) {
        if (ec) return self->close();
        auto body = protocol::proxy_header_body_size(*self->proxy_header_);
        if (!body) return refuse(self, body.status());
        self->proxy_header_->resize(protocol::kProxyHeaderFixedBytes + *body);
        auto rest =
            asio::buffer(self->proxy_header_->data() + protocol::kProxyHeaderFixedBytes, *body);
        asio::async_read(self->socket_, rest, [self, refuse](asio::error_code ec, std::size_t) {
          if (ec) return self->close();
          auto header = protocol::decode_proxy_header(*self->proxy_header_);
          self->proxy_header_.reset();
          if (!header) return refuse(self, header.status());
          if (!header->source_address.empty()) self->peer_address_ = header->source_address;
          self->start_transport();
        });
      });
}

void Session::start_transport() {
  asio::error_code ec;
  socket_.non_blocking(true, ec);  // reads are synchronous, after readiness
  if (context_.tls != nullptr) {
    auto channel = tls::Channel::accept(*context_.tls, socket_.native_handle());
    if (!channel) {
      spdlog::warn("closing {}: {}", peer_address_, channel.status().to_string());
      close();
      return;
    }
    tls_ = std::move(*channel);
  }
  wait_readable();
}

Result<std::string> Session::tls_exporter(std::string_view label, std::string_view context,
                                          std::size_t size) const {
  if (!tls_) return Status(Code::kUnavailable, "a plaintext connection has no TLS exporter");
  return tls_->export_keying_material(label, context, size);
}

std::string Session::channel_binding() const {
  auto exported = tls_exporter(crypto::kChannelBindingLabel, {}, crypto::kChannelBindingBytes);
  return exported ? std::move(*exported) : std::string();
}

void Session::arm_handshake_timer() {
  // Only until login: an authenticated session holds no timer.
  handshake_timer_ = std::make_unique<asio::steady_timer>(socket_.get_executor());
  handshake_timer_->expires_after(std::chrono::milliseconds(context_.config.handshake_timeout_ms));
  handshake_timer_->async_wait([weak = weak_from_this()](asio::error_code ec) {
    if (ec) return;  // cancelled: logged in, or closed
    if (auto self = weak.lock(); self && !self->authenticated()) {
      spdlog::debug("closing {}: no login within the handshake timeout", self->peer_address_);
      self->close();
    }
  });
}

// The reader is a readiness callback, not a coroutine: an idle connection holds one
// pending wait and no coroutine frame or read buffer (docs/performance.md, idle).
// With TLS, never a wait while the channel holds plaintext (async_wait_readable).
void Session::wait_readable() {
  tls::async_wait_readable(socket_, tls_.get(), [self = shared_from_this()](asio::error_code ec) {
    self->on_readable(ec);
  });
}

void Session::on_readable(asio::error_code ec) {
  if (ec) {
    if (!close_after_flush_) close();
    return;
  }
  // A few reads per readiness (then the wait lets the loop's other connections run).
  bool drained = false;
  for (int reads = 0; reads < 8; ++reads) {
    if (closed_) return;
    if (inflight_ >= kMaxInflight) {
      reading_paused_ = true;  // end_request() resumes
      return;
    }
    // A synchronous read into the loop's scratch buffer (no allocation per read),
    // decoded at once: nothing may suspend until release_if_empty().
    auto area = decoder_.read_area();
    const std::size_t n = tls::read_some(socket_, tls_.get(), area.data(), area.size(), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      decoder_.release_if_empty();
      drained = true;
      break;
    }
    if (ec == asio::error::eof) {
      // A half-close (FIN): the client sent everything it will. Its requests still
      // get their answers; the connection closes once they are written.
      decoder_.release_if_empty();
      peer_closed_ = true;
      if (inflight_ == 0) close_after_flush();
      return;
    }
    if (ec) {
      decoder_.release_if_empty();
      if (tls_ && ec == asio::error::connection_aborted) {  // a broken or hostile handshake
        context_.counters.protocol_errors.fetch_add(1, std::memory_order_relaxed);
        spdlog::debug("closing {}: TLS: {}", peer_address_, tls_->error_text());
      }
      if (!close_after_flush_) close();
      return;
    }
    decoder_.commit(n);
    if (n > 0) last_read_ms_.store(steady_now_ms(), std::memory_order_relaxed);
    if (tls_ && !handshake_counted_ && tls_->handshake_done()) count_handshake();
    const bool stop = decode_frames();
    decoder_.release_if_empty();
    if (stop) return;
    // Plaintext: most likely drained. TLS reads a record at a time: on until would_block.
    if (!tls_ && n < area.size()) break;
  }
  if (tls_ && !drained && !closed_) {
    // More may wait in the kernel or the channel, and no readiness event would say so.
    asio::post(executor(), [self = shared_from_this()] { self->on_readable({}); });
    return;
  }
  wait_readable();
}

void Session::count_handshake() {
  handshake_counted_ = true;
  auto& counter = tls_->resumed() ? context_.counters.tls_handshakes_resumed
                                  : context_.counters.tls_handshakes_full;
  counter.fetch_add(1, std::memory_order_relaxed);
}

// Hands every complete frame to the router; true when reading must stop.
bool Session::decode_frames() {
  auto self = shared_from_this();
  wire::Frame frame;
  for (;;) {
    const auto next = decoder_.next(frame);
    if (next == protocol::FrameDecoder::Next::kNeedMore) break;
    if (next == protocol::FrameDecoder::Next::kTooLarge) {
      context_.counters.protocol_errors.fetch_add(1, std::memory_order_relaxed);
      fail(0, Status(Code::kFrameTooLarge, "frame exceeds 1 MiB"));
      break;
    }
    if (next == protocol::FrameDecoder::Next::kMalformed) {
      context_.counters.protocol_errors.fetch_add(1, std::memory_order_relaxed);
      fail(0, Status(Code::kBadRequest, "malformed frame"));
      break;
    }
    loop_.counters().frames_in.fetch_add(1, std::memory_order_relaxed);
    route_frame(self, std::move(frame));
    frame.Clear();
    if (closed_ || close_after_flush_) break;
  }
  return closed_ || close_after_flush_;
}

void Session::end_request() {
  --inflight_;
  if (peer_closed_) {
    if (inflight_ == 0 && !close_after_flush_) close_after_flush();
    return;
  }
  if (reading_paused_ && inflight_ < kMaxInflight && !closed_) {
    reading_paused_ = false;
    // Read at once rather than wait: the pause left bytes in the kernel (or the TLS
    // channel), and Asio's edge-triggered epoll would not announce them again.
    asio::post(executor(), [self = shared_from_this()] { self->on_readable({}); });
  }
}

void Session::deliver(std::shared_ptr<const std::string> frame, std::uint64_t seq, bool replay) {
  auto nothing = [](std::string&) { return true; };
  const auto flags = replay ? OutboundBatch::kReplay : OutboundBatch::kDelivery;
  OutboundBatch::queue(shared_from_this(), nothing, std::move(frame), flags, seq);
}

bool Session::take_queued(std::string_view bytes, const std::string* shared, bool ends_request,
                          std::uint64_t seq, bool replay, bool& needs_flush) {
  bool taken = false;
  const bool wanted = seq == 0 || !(replay ? sent_seqs_.covered(seq) : sent_seqs_.sent(seq));
  if (!closed_ && wanted) {
    if (seq != 0) sent_seqs_.mark(seq);
    outbound_.append(bytes);
    if (shared != nullptr) outbound_.append(*shared);
    taken = true;
    if (outbound_.size() > kMaxOutboundBytes) {
      schedule_flush();  // closes the connection
    } else if (!flush_scheduled_ && !write_in_flight_) {
      flush_scheduled_ = true;  // flush_queued() follows, once per batch
      needs_flush = true;
    }
  }
  if (ends_request) end_request();
  return taken;
}

void Session::flush_queued() {
  flush_scheduled_ = false;
  flush();
}

void Session::send(const wire::Frame& frame) {
  if (closed_) return;
  if (!protocol::append_frame(outbound_, frame)) {
    // Replies are bounded by their handlers; should one still not fit, its request
    // gets an error rather than no answer.
    spdlog::error("an outbound frame (type {}) does not fit a frame",
                  static_cast<int>(frame.body_case()));
    if (frame.request_id() == 0) return;
    wire::Frame error;
    protocol::set_error(error, frame.request_id(),
                        Status(Code::kTooLarge, "the reply does not fit one frame"));
    if (!protocol::append_frame(outbound_, error)) return;
  }
  schedule_flush();
}

void Session::send_error(std::uint64_t request_id, const Status& status) {
  wire::Frame frame;
  protocol::set_error(frame, request_id, status);
  send(frame);
}

void Session::fail(std::uint64_t request_id, const Status& status) {
  spdlog::debug("closing {} after error: {}", peer_address_, status.to_string());
  send_error(request_id, status);
  close_after_flush();
}

void Session::close_after_flush() {
  close_after_flush_ = true;
  schedule_flush();
}

void Session::schedule_flush() {
  if (outbound_.size() > kMaxOutboundBytes) {
    spdlog::warn("closing slow connection of '{}' ({} bytes queued)", username_, outbound_.size());
    close();
    return;
  }
  if (flush_scheduled_ || write_in_flight_) return;
  flush_scheduled_ = true;
  // Let everything produced in this loop turn join the same write.
  asio::post(executor(), [self = shared_from_this()] {
    self->flush_scheduled_ = false;
    self->flush();
  });
}

void Session::flush() {
  if (closed_ || write_in_flight_) return;
  if (outbound_.empty()) {
    if (close_after_flush_) close();
    return;
  }
  writing_.swap(outbound_);
  outbound_.clear();
  write_in_flight_ = true;
  tls::async_write_all(socket_, tls_.get(), writing_,
                       [self = shared_from_this()](asio::error_code ec) {
                         self->write_in_flight_ = false;
                         self->writing_.clear();
                         if (self->writing_.capacity() > 64 * 1024) self->writing_.shrink_to_fit();
                         if (ec) {
                           self->close();
                           return;
                         }
                         self->flush();
                       });
}

void Session::close() {
  asio::dispatch(executor(), [self = shared_from_this()] {
    if (self->closed_) return;
    self->closed_ = true;
    asio::error_code ec;
    if (self->tls_) self->tls_->shutdown();  // close_notify, when the socket takes it
    self->socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    self->socket_.close(ec);
    self->handshake_timer_.reset();  // cancels its wait
    self->on_closed();
  });
}

void Session::on_closed() {
  if (!authenticated()) return;
  loop_.sessions().remove(user_id_, this);
  context_.registry.remove(user_id_, this);
  for (UserId watched : watched_)
    loop_.watchers().remove(watched, this);
  context_.bus.session_closed(user_id_, username_);
  spdlog::debug("session of '{}' closed", username_);
}

void Session::authenticate(UserId user, std::string username, std::string token_hash,
                           std::uint64_t acked_seq, std::uint64_t last_seq) {
  sent_seqs_.reset(acked_seq, last_seq);
  user_id_ = user;
  username_ = std::move(username);
  token_hash_ = std::move(token_hash);
  handshake_timer_.reset();  // cancels its wait; from now on IdleSweeper watches it
  last_read_ms_.store(steady_now_ms(), std::memory_order_relaxed);
  context_.directory.remember(user_id_, username_);
  loop_.directory().remember(user_id_, username_);
  // The loop's own map first: a delivery posted to this loop by whoever found the
  // session in the registry finds it there too.
  loop_.sessions().add(user_id_, shared_from_this());
  context_.registry.add(user_id_, shared_from_this());
  context_.bus.session_opened(user_id_, username_);
}

std::int64_t Session::steady_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void Session::enqueue_send(std::uint64_t request_id, wire::Send send) {
  if (!send_queue_) send_queue_ = std::make_unique<decltype(send_queue_)::element_type>();
  send_queue_->emplace_back(request_id, std::move(send));
  if (send_pump_running_) return;
  send_pump_running_ = true;
  // A pump that throws closes the session: its queue would otherwise never move again.
  spawn_supervised(
      executor(), [self = shared_from_this()] { return self->send_pump(); },
      "send queue of '" + username_ + "'", context_.counters.task_failures,
      [self = shared_from_this()] { self->close(); });
}

asio::awaitable<void> Session::send_pump() {
  auto self = shared_from_this();
  while (!send_queue_->empty() && !closed_) {
    auto [request_id, send] = std::move(send_queue_->front());
    send_queue_->pop_front();
    co_await submit_send(self, request_id, std::move(send));
  }
  send_queue_->clear();
  send_pump_running_ = false;
}

}  // namespace fastchat::server
