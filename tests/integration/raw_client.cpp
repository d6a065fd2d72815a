#include "raw_client.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <asio/connect.hpp>
#include <asio/write.hpp>
#include <cerrno>
#include <utility>

#include "protocol/error_mapping.h"
#include "tls_resumption.h"

namespace fastchat::itest {

namespace {

using SteadyClock = std::chrono::steady_clock;

Deadline deadline_after(std::chrono::milliseconds wait) {
  return SteadyClock::now() + wait;
}

Status status_of(const std::optional<wire::Frame>& frame, wire::Frame::BodyCase expected) {
  if (!frame) return Status(Code::kUnavailable, "no response before the deadline");
  if (frame->has_error()) return protocol::status_from_wire(frame->error());
  if (frame->body_case() != expected) {
    return Status(Code::kInternal,
                  "unexpected response type " + std::to_string(frame->body_case()));
  }
  return Status::ok();
}

// One client context for every RawClient of the process.
const tls::ClientTls& client_tls() {
  static const auto tls = [] {
    auto made = tls::ClientTls::create();
    if (!made) std::abort();
    return *made;
  }();
  return *tls;
}

Result<wire::AuthOk> auth_result(const std::optional<wire::Frame>& frame) {
  if (Status s = status_of(frame, wire::Frame::kAuthOk); !s) return s;
  return frame->auth_ok();
}

}  // namespace

wire::ErrorCode error_of(const wire::Frame& frame) {
  return frame.has_error() ? frame.error().code() : wire::ERROR_CODE_UNSPECIFIED;
}

namespace {
thread_local std::shared_ptr<tls::SessionCache> t_resumption_cache;
}  // namespace

ScopedTlsResumption::ScopedTlsResumption(std::shared_ptr<tls::SessionCache> sessions)
    : before_(std::exchange(t_resumption_cache, std::move(sessions))) {}

ScopedTlsResumption::~ScopedTlsResumption() {
  t_resumption_cache = std::move(before_);
}

std::shared_ptr<tls::SessionCache> tls_resumption_cache() {
  return t_resumption_cache;
}

RawClient::RawClient(std::uint16_t port, Transport transport, std::string_view first_bytes)
    : socket_(io_) {
  asio::error_code ec;
  socket_.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
  if (!ec && !first_bytes.empty()) asio::write(socket_, asio::buffer(first_bytes), ec);
  if (ec) {
    socket_.close(ec);
    return;
  }
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  if (transport == Transport::kPlaintext) return;
  socket_.non_blocking(true, ec);
  auto channel = tls::Channel::connect(client_tls(), socket_.native_handle(), "127.0.0.1");
  if (!channel) {
    socket_.close(ec);
    return;
  }
  tls_ = std::move(*channel);
  const std::string address = "127.0.0.1:" + std::to_string(port);
  const auto sessions = tls_resumption_cache();
  if (sessions) tls_->offer_session(sessions->get(address));
  const Deadline deadline = deadline_after(kDefaultWait);
  for (;;) {
    ec = tls_->handshake();
    if (!ec) {
      if (sessions) tls_->remember_sessions(sessions, address);
      return;
    }
    if (ec != asio::error::would_block || !wait_for(tls_->write_want(), deadline)) {
      peer_closed_ = ec != asio::error::would_block;  // e.g. closed at once (connection limit)
      socket_.close(ec);
      return;
    }
  }
}

bool RawClient::wait_for(tls::Channel::Want want, Deadline deadline) {
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (left.count() < 0) return false;
    const short events = want == tls::Channel::Want::kWrite ? POLLOUT : POLLIN;
    pollfd fd{socket_.native_handle(), events, 0};
    const int ready = ::poll(&fd, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    return ready > 0;
  }
}

RawClient::~RawClient() {
  asio::error_code ec;
  socket_.close(ec);
}

bool RawClient::write(std::string_view bytes) {
  if (!socket_.is_open()) return false;
  asio::error_code ec;
  if (!tls_) {
    asio::write(socket_, asio::buffer(bytes.data(), bytes.size()), ec);
    return !ec;
  }
  const Deadline deadline = deadline_after(kDefaultWait);
  std::size_t done = 0;
  while (done < bytes.size()) {
    done += tls_->write(bytes.data() + done, bytes.size() - done, ec);
    if (ec == asio::error::would_block) {
      if (!wait_for(tls_->write_want(), deadline)) return false;
    } else if (ec) {
      return false;
    }
  }
  return true;
}

bool RawClient::send(const wire::Frame& frame) {
  return write(protocol::encode_frame(frame));
}

std::uint64_t RawClient::request(wire::Frame frame) {
  const std::uint64_t id = next_request_id_++;
  frame.set_request_id(id);
  return send(frame) ? id : 0;
}

std::vector<std::uint64_t> RawClient::request_all(std::vector<wire::Frame> frames) {
  std::vector<std::uint64_t> ids;
  std::string bytes;
  for (auto& frame : frames) {
    ids.push_back(next_request_id_++);
    frame.set_request_id(ids.back());
    protocol::append_frame(bytes, frame);
  }
  if (!write(bytes)) ids.assign(ids.size(), 0);
  return ids;
}

bool RawClient::read_one(Deadline deadline) {
  for (;;) {
    wire::Frame frame;
    switch (decoder_.next(frame)) {
      case protocol::FrameDecoder::Next::kFrame:
        pending_.push_back(std::move(frame));
        return true;
      case protocol::FrameDecoder::Next::kTooLarge:
      case protocol::FrameDecoder::Next::kMalformed:
        if (!stream_broken_) ADD_FAILURE() << "the server sent an undecodable frame";
        stream_broken_ = true;
        return false;
      case protocol::FrameDecoder::Next::kNeedMore:
        break;
    }
    if (peer_closed_ || stream_broken_ || !socket_.is_open()) return false;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (left.count() < 0) return false;
    if (!tls_ || !tls_->buffered()) {  // plaintext buffered in the channel: no waiting
      pollfd fd{socket_.native_handle(),
                static_cast<short>(
                    tls_ && tls_->read_want() == tls::Channel::Want::kWrite ? POLLOUT : POLLIN),
                0};
      const int ready = ::poll(&fd, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) return false;
    }
    auto area = decoder_.prepare(64 * 1024);
    asio::error_code ec;
    const std::size_t n = tls_ ? tls_->read(area.data(), area.size(), ec)
                               : socket_.read_some(asio::buffer(area.data(), area.size()), ec);
    if (ec == asio::error::would_block) {
      decoder_.commit(0);
      continue;
    }
    if (ec) {
      peer_closed_ = true;  // end of stream or reset
      continue;             // frames already buffered are still decoded
    }
    decoder_.commit(n);
  }
}

std::optional<wire::Frame> RawClient::take_if(const std::function<bool(const wire::Frame&)>& match,
                                              Deadline deadline) {
  std::size_t scanned = 0;
  for (;;) {
    for (; scanned < pending_.size(); ++scanned) {
      if (match(pending_[scanned])) {
        wire::Frame frame = std::move(pending_[scanned]);
        pending_.erase(pending_.begin() + static_cast<std::ptrdiff_t>(scanned));
        return frame;
      }
    }
    if (!read_one(deadline)) return std::nullopt;
  }
}

std::optional<wire::Frame> RawClient::next(std::chrono::milliseconds wait) {
  return take_if([](const wire::Frame&) { return true; }, deadline_after(wait));
}

std::optional<wire::Frame> RawClient::response(std::uint64_t request_id,
                                               std::chrono::milliseconds wait) {
  return take_if([request_id](const wire::Frame& f) { return f.request_id() == request_id; },
                 deadline_after(wait));
}

std::optional<wire::InboxMessage> RawClient::push(std::chrono::milliseconds wait) {
  auto frame = take_if([](const wire::Frame& f) { return f.request_id() == 0 && f.has_message(); },
                       deadline_after(wait));
  if (!frame) return std::nullopt;
  return std::move(*frame->mutable_message());
}

wire::Frame RawClient::call(wire::Frame frame, std::chrono::milliseconds wait) {
  const std::uint64_t id = request(std::move(frame));
  std::optional<wire::Frame> reply;
  if (id != 0) reply = response(id, wait);
  if (reply) return std::move(*reply);
  wire::Frame failed;
  failed.set_request_id(id);
  failed.mutable_error()->set_code(wire::INTERNAL);
  failed.mutable_error()->set_message(id == 0 ? "write failed" : "no response before the deadline");
  return failed;
}

bool RawClient::wait_closed(std::chrono::milliseconds wait) {
  const Deadline deadline = deadline_after(wait);
  while (!peer_closed_) {
    if (!read_one(deadline) && !peer_closed_) return false;
  }
  return true;
}

void RawClient::abort() {
  asio::error_code ec;
  socket_.set_option(asio::socket_base::linger(true, 0), ec);
  socket_.close(ec);
}

void RawClient::shutdown_send() {
  if (tls_) tls_->shutdown();
  asio::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
}

Status RawClient::hello(std::uint32_t version) {
  wire::Frame frame;
  frame.mutable_hello()->set_protocol_version(version);
  frame.mutable_hello()->set_client_name("itest");
  auto reply = call(std::move(frame));
  if (reply.has_hello_ok()) login_nonce_ = reply.hello_ok().login_nonce();
  return status_of(reply, wire::Frame::kHelloOk);
}

Result<wire::AuthOk> RawClient::register_user(const TestUser& user) {
  return auth_result(call(register_frame(user)));
}

std::string RawClient::channel_binding() const {
  if (!tls_) return {};
  auto exported =
      tls_->export_keying_material(crypto::kChannelBindingLabel, {}, crypto::kChannelBindingBytes);
  return exported ? std::move(*exported) : std::string();
}

Result<wire::AuthOk> RawClient::login(const TestUser& user) {
  return auth_result(call(login_frame(user, login_nonce_, channel_binding())));
}

Result<wire::AuthOk> RawClient::resume(std::string_view username, std::string_view token) {
  const std::string signature = crypto::sign_resume(test_device_key(), std::string(username),
                                                    login_nonce_, channel_binding());
  return auth_result(call(resume_frame(username, token, signature)));
}

Result<std::vector<wire::InboxMessage>> RawClient::sync_all(std::uint64_t after_seq,
                                                            std::uint32_t limit) {
  std::vector<wire::InboxMessage> all;
  for (;;) {
    wire::Frame frame;
    frame.mutable_sync()->set_after_seq(after_seq);
    frame.mutable_sync()->set_limit(limit);
    auto reply = call(std::move(frame));
    if (Status s = status_of(reply, wire::Frame::kSyncPage); !s) return s;
    for (auto& m : *reply.mutable_sync_page()->mutable_messages()) {
      after_seq = m.seq();
      all.push_back(std::move(m));
    }
    if (!reply.sync_page().has_more()) return all;
    if (reply.sync_page().messages_size() == 0) {
      return Status(Code::kInternal, "an empty page with has_more set");
    }
  }
}

Status RawClient::ack(std::uint64_t up_to_seq) {
  wire::Frame frame;
  frame.mutable_ack()->set_up_to_seq(up_to_seq);
  return status_of(call(std::move(frame)), wire::Frame::kOk);
}

namespace {

std::unique_ptr<RawClient> open_session(std::uint16_t port, const TestUser& user, bool create) {
  auto client = std::make_unique<RawClient>(port);
  if (!client->connected()) {
    ADD_FAILURE() << "cannot connect to port " << port;
    return nullptr;
  }
  if (Status s = client->hello(); !s) {
    ADD_FAILURE() << "Hello failed: " << s.to_string();
    return nullptr;
  }
  auto auth = create ? client->register_user(user) : client->login(user);
  if (!auth) {
    ADD_FAILURE() << (create ? "Register" : "Login") << " of " << user.name()
                  << " failed: " << auth.status().to_string();
    return nullptr;
  }
  return client;
}

}  // namespace

std::unique_ptr<RawClient> logged_in(std::uint16_t port, const TestUser& user) {
  return open_session(port, user, false);
}

std::unique_ptr<RawClient> registered(std::uint16_t port, const TestUser& user) {
  return open_session(port, user, true);
}

}  // namespace fastchat::itest
