// RawClient: a small blocking client for integration tests that speaks the framed
// wire protocol byte by byte. It sends arbitrary bytes or frames and reads responses
// and pushes with deadlines (poll() on the socket; no fixed sleeps). Frames read
// while waiting for something else are kept, in order, for later calls.
// Not thread-safe: one test thread per RawClient.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "fastchat.pb.h"
#include "protocol/frame_codec.h"
#include "test_user.h"
#include "tls/channel.h"

namespace fastchat::itest {

using Deadline = std::chrono::steady_clock::time_point;
inline constexpr std::chrono::milliseconds kDefaultWait{10'000};

// The error code of `frame`, or ERROR_CODE_UNSPECIFIED when it is not an error.
wire::ErrorCode error_of(const wire::Frame& frame);

enum class Transport { kTls, kPlaintext };

class RawClient {
 public:
  // Connects to 127.0.0.1:`port`, sends `first_bytes` (a PROXY header, say) and shakes
  // hands; connected() tells whether it worked.
  explicit RawClient(std::uint16_t port, Transport transport = Transport::kTls,
                     std::string_view first_bytes = {});
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return socket_.is_open(); }
  // The TLS channel (null on plaintext): its exporter, the server's key.
  tls::Channel* channel() { return tls_.get(); }

  // --- sending. False when the write failed (e.g. the server closed the connection).
  bool write(std::string_view bytes);
  // Sends `frame` as it is (its request_id included).
  bool send(const wire::Frame& frame);
  // Gives `frame` the next request id, sends it and returns the id (0 if the write failed).
  std::uint64_t request(wire::Frame frame);
  // Frames for many requests in one write (a pipelined burst); their ids in order.
  std::vector<std::uint64_t> request_all(std::vector<wire::Frame> frames);

  // --- receiving. Each waits up to `wait`; nullopt on timeout or when the
  // connection closed first.
  // The oldest frame not yet taken.
  std::optional<wire::Frame> next(std::chrono::milliseconds wait = kDefaultWait);
  // The response to `request_id`; other frames stay queued.
  std::optional<wire::Frame> response(std::uint64_t request_id,
                                      std::chrono::milliseconds wait = kDefaultWait);
  // The oldest InboxMessage push; other frames stay queued.
  std::optional<wire::InboxMessage> push(std::chrono::milliseconds wait = kDefaultWait);
  // request() then response(); a frame holding Error{INTERNAL, "..."} on timeout.
  wire::Frame call(wire::Frame frame, std::chrono::milliseconds wait = kDefaultWait);
  // True once the server has closed the connection (frames before the end stay queued).
  bool wait_closed(std::chrono::milliseconds wait = kDefaultWait);
  bool peer_closed() const { return peer_closed_; }
  // Frames read but not yet taken.
  std::size_t queued() const { return pending_.size(); }
  // The login nonce of this connection's HelloOk (after hello()), and the channel
  // binding a login proof on this connection signs (the TLS exporter; "" on plaintext).
  const std::string& login_nonce() const { return login_nonce_; }
  std::string channel_binding() const;

  // Closes the socket at once (with SO_LINGER 0: a reset, as a crashing client would).
  void abort();
  // Half-closes the sending side (the server reads end of stream; with TLS after a
  // close_notify).
  void shutdown_send();

  // --- conversation helpers; failures are reported as a Status.
  Status hello(std::uint32_t version = protocol::kProtocolVersion);
  Result<wire::AuthOk> register_user(const TestUser& user);
  Result<wire::AuthOk> login(const TestUser& user);
  Result<wire::AuthOk> resume(std::string_view username, std::string_view token);
  // Sync pages until has_more is false; all items, oldest first.
  Result<std::vector<wire::InboxMessage>> sync_all(std::uint64_t after_seq = 0,
                                                   std::uint32_t limit = 0);
  Status ack(std::uint64_t up_to_seq);

 private:
  // Moves one more decoded frame into pending_; false on deadline or end of stream.
  bool read_one(Deadline deadline);
  // Waits (poll) until the socket is ready for `want`; false on deadline.
  bool wait_for(tls::Channel::Want want, Deadline deadline);
  std::optional<wire::Frame> take_if(const std::function<bool(const wire::Frame&)>& match,
                                     Deadline deadline);

  asio::io_context io_;
  asio::ip::tcp::socket socket_;
  std::unique_ptr<tls::Channel> tls_;
  protocol::FrameDecoder decoder_;
  std::deque<wire::Frame> pending_;
  std::uint64_t next_request_id_ = 1;
  bool peer_closed_ = false;
  bool stream_broken_ = false;
  std::string login_nonce_;
};

// Hello + Login on a fresh connection: the logged-in client (ASSERTs in the caller
// should check connected()). Used by most tests.
std::unique_ptr<RawClient> logged_in(std::uint16_t port, const TestUser& user);
// Hello + Register on a fresh connection.
std::unique_ptr<RawClient> registered(std::uint16_t port, const TestUser& user);

}  // namespace fastchat::itest
