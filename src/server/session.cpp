#include "server/session.h"

#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/post.hpp>
#include <asio/write.hpp>

#include "protocol/error_mapping.h"
#include "server/message_handlers.h"
#include "server/request_router.h"

namespace fastchat::server {

namespace {
constexpr auto kAsTuple = asio::experimental::as_tuple(asio::use_awaitable);
}

Session::Session(asio::ip::tcp::socket socket, ServerContext& context)
    : socket_(std::move(socket)),
      context_(context),
      resume_reading_(socket_.get_executor()),
      handshake_timer_(socket_.get_executor()) {
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
  arm_handshake_timer();
  asio::co_spawn(
      executor(), [self = shared_from_this()] { return self->read_loop(); }, asio::detached);
}

void Session::arm_handshake_timer() {
  handshake_timer_.expires_after(std::chrono::milliseconds(context_.config.handshake_timeout_ms));
  handshake_timer_.async_wait([weak = weak_from_this()](asio::error_code ec) {
    if (ec) return;  // cancelled: logged in, or closed
    if (auto self = weak.lock(); self && !self->authenticated()) {
      spdlog::debug("closing {}: no login within the handshake timeout", self->peer_address_);
      self->close();
    }
  });
}

asio::awaitable<void> Session::read_loop() {
  auto self = shared_from_this();
  wire::Frame frame;
  while (!closed_) {
    if (inflight_ >= kMaxInflight) {
      resume_reading_.expires_at(asio::steady_timer::time_point::max());
      co_await resume_reading_.async_wait(kAsTuple);
      continue;
    }
    // Wait for readability first so an idle connection holds no read buffer.
    auto [wait_ec] = co_await socket_.async_wait(asio::ip::tcp::socket::wait_read, kAsTuple);
    if (wait_ec) break;
    auto area = decoder_.prepare(16 * 1024);
    auto [ec, n] =
        co_await socket_.async_read_some(asio::buffer(area.data(), area.size()), kAsTuple);
    if (ec) break;
    decoder_.commit(n);
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
      context_.counters.frames_in.fetch_add(1, std::memory_order_relaxed);
      route_frame(self, std::move(frame));
      frame.Clear();
      if (closed_ || close_after_flush_) break;
    }
    if (close_after_flush_) break;
    decoder_.release_if_empty();
  }
  if (!close_after_flush_) close();
}

void Session::end_request() {
  if (inflight_-- == kMaxInflight) resume_reading_.cancel();
}

void Session::deliver(std::shared_ptr<const std::string> frame) {
  asio::post(executor(), [self = shared_from_this(), frame = std::move(frame)] {
    if (self->closed_) return;
    self->outbound_.append(*frame);
    self->context_.counters.deliveries_out.fetch_add(1, std::memory_order_relaxed);
    self->schedule_flush();
  });
}

void Session::send(const wire::Frame& frame) {
  if (closed_) return;
  if (!protocol::append_frame(outbound_, frame)) {
    spdlog::error("dropping an oversized outbound frame (type {})",
                  static_cast<int>(frame.body_case()));
    return;
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
  asio::async_write(socket_, asio::buffer(writing_),
                    [self = shared_from_this()](asio::error_code ec, std::size_t) {
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
    self->socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    self->socket_.close(ec);
    self->handshake_timer_.cancel();
    self->resume_reading_.cancel();
    self->on_closed();
  });
}

void Session::on_closed() {
  if (!authenticated()) return;
  context_.registry.remove(user_id_, this);
  if (!watched_.empty()) context_.registry.set_watch(shared_from_this(), watched_, {});
  context_.bus.session_closed(user_id_, username_);
  spdlog::debug("session of '{}' closed", username_);
}

void Session::authenticate(UserId user, std::string username, std::string token_hash) {
  user_id_ = user;
  username_ = std::move(username);
  token_hash_ = std::move(token_hash);
  handshake_timer_.cancel();
  context_.directory.remember(user_id_, username_);
  context_.registry.add(user_id_, shared_from_this());
  context_.bus.session_opened(user_id_, username_);
}

void Session::enqueue_send(std::uint64_t request_id, wire::Send send) {
  if (!send_queue_) send_queue_ = std::make_unique<decltype(send_queue_)::element_type>();
  send_queue_->emplace_back(request_id, std::move(send));
  if (send_pump_running_) return;
  send_pump_running_ = true;
  asio::co_spawn(
      executor(), [self = shared_from_this()] { return self->send_pump(); }, asio::detached);
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
