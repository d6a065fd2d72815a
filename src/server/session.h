// Session: one client connection. It lives on one event loop: a readiness callback
// reads (synchronously, into the loop's scratch buffer), decodes frames and hands
// them to the request handlers; replies and pushes are coalesced into one socket
// write per loop turn. Bounded: at most kMaxInflight
// requests in progress (reading pauses beyond it) and kMaxOutboundBytes queued
// (a consumer that slow is disconnected; its messages wait in its inbox).
// With TLS (the default), the same reads and writes go through a tls::Channel on
// the socket (docs/decisions.md, "TLS"); the handshake runs inside the first reads.
// A timer bounds the time to log in; after login no timer: IdleSweeper closes a
// session whose last read is older than --idle-timeout.
//
// Thread safety: deliver() and close() may be called from any thread; everything
// else only on the session's own executor.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/message_id.h"
#include "common/status.h"
#include "fastchat.pb.h"
#include "protocol/frame_codec.h"
#include "server/loop_shard.h"
#include "server/sent_seqs.h"
#include "server/server_context.h"
#include "tls/channel.h"

namespace fastchat::server {

class Session : public std::enable_shared_from_this<Session> {
 public:
  static constexpr std::size_t kMaxInflight = 1024;
  static constexpr std::size_t kMaxOutboundBytes = 16 << 20;

  // `loop`: the shard of the event loop `socket` runs on.
  Session(asio::ip::tcp::socket socket, ServerContext& context, LoopShard& loop);
  ~Session();

  // Starts the reader; call once, on the socket's executor.
  void start();

  // Thread-safe: queues an already encoded frame (pushes from other sessions), in
  // the calling thread's OutboundBatch if one is open. `seq` (0: not an inbox push)
  // is the inbox seq it carries: a push of a seq the session has sent already is
  // dropped, and a replayed one (`replay`) also when the client's login Sync covers it.
  void deliver(std::shared_ptr<const std::string> frame, std::uint64_t seq = 0,
               bool replay = false);
  // Thread-safe: closes the connection.
  void close();

  // --- on the session's executor only
  void send(const wire::Frame& frame);
  void send_error(std::uint64_t request_id, const Status& status);
  // Sends the error, then closes once it is written (for protocol violations).
  void fail(std::uint64_t request_id, const Status& status);
  // Closes once everything queued is written.
  void close_after_flush();
  // For OutboundBatch: appends `bytes` and `*shared` (when not null) unless closed,
  // then ends a request if asked. Sets `needs_flush` when flush_queued() must follow
  // (after the rest of the batch). Returns whether the bytes were taken.
  // `seq` and `replay` as for deliver() (pushes only).
  bool take_queued(std::string_view bytes, const std::string* shared, bool ends_request,
                   std::uint64_t seq, bool replay, bool& needs_flush);
  void flush_queued();

  // `acked_seq` and `last_seq`: the user's record as read for this login, before the
  // session could receive pushes (see SentSeqs).
  void authenticate(UserId user, std::string username, std::string token_hash,
                    std::uint64_t acked_seq, std::uint64_t last_seq);
  bool authenticated() const { return user_id_ != 0; }
  bool closed() const { return closed_; }
  UserId user_id() const { return user_id_; }
  const std::string& username() const { return username_; }
  const std::string& token_hash() const { return token_hash_; }
  // The id its owner names this session by (ListSessions); set before authenticate(),
  // read from any thread (a revocation arriving on the bus).
  void set_session_id(std::uint32_t id) { session_id_.store(id, std::memory_order_relaxed); }
  std::uint32_t session_id() const { return session_id_.load(std::memory_order_relaxed); }
  // The id of the device key the session is bound to (crypto::device_id_of); set before
  // authenticate(), read on this session's loop.
  void set_device_id(std::uint32_t id) { device_id_ = id; }
  std::uint32_t device_id() const { return device_id_; }
  const std::string& peer_address() const { return peer_address_; }
  // When the client last sent a byte (steady_now_ms()); any thread.
  std::int64_t last_read_ms() const { return last_read_ms_.load(std::memory_order_relaxed); }
  static std::int64_t steady_now_ms();
  // The TLS exporter (RFC 8446 §7.5) of this connection, to bind a login to it;
  // kUnavailable on a plaintext connection or before the handshake is done.
  Result<std::string> tls_exporter(std::string_view label, std::string_view context,
                                   std::size_t size) const;
  bool secure() const { return tls_ != nullptr; }
  bool hello_done() const { return hello_done_; }
  void set_hello_done() { hello_done_ = true; }
  // The nonce HelloOk gave this connection for login proofs (empty before Hello and
  // after login), and what binds a proof to this connection: the TLS exporter, empty
  // on a plaintext link.
  const std::string& login_nonce() const { return login_nonce_; }
  void set_login_nonce(std::string nonce) { login_nonce_ = std::move(nonce); }
  std::string channel_binding() const;
  std::vector<UserId>& watched() { return watched_; }
  // Which inbox seqs this session sent its client (pushes, sync pages).
  SentSeqs& sent_seqs() { return sent_seqs_; }

  ServerContext& context() { return context_; }
  LoopShard& loop() { return loop_; }
  asio::any_io_executor executor() { return socket_.get_executor(); }

  // Bookkeeping for handlers that run asynchronously; reading pauses while too many
  // are in flight.
  void begin_request() { ++inflight_; }
  void end_request();
  // begin_request() now, end_request() when the slot is destroyed.
  class RequestSlot {
   public:
    explicit RequestSlot(std::shared_ptr<Session> session) : session_(std::move(session)) {
      session_->begin_request();
    }
    RequestSlot(RequestSlot&&) noexcept = default;
    RequestSlot& operator=(RequestSlot&&) = delete;
    ~RequestSlot() {
      if (session_) session_->end_request();
    }

   private:
    std::shared_ptr<Session> session_;
  };
  RequestSlot request_slot() { return RequestSlot(shared_from_this()); }

  // Sends go through one queue per session so a sender's messages are committed
  // in the order it sent them, even when a recipient must first be looked up.
  void enqueue_send(std::uint64_t request_id, wire::Send send);

 private:
  void wait_readable();
  void on_readable(asio::error_code ec);
  void count_handshake();
  bool decode_frames();
  asio::awaitable<void> send_pump();
  void schedule_flush();
  void flush();
  void on_closed();
  void arm_handshake_timer();
  void read_proxy_header();
  void start_transport();

  asio::ip::tcp::socket socket_;
  std::unique_ptr<tls::Channel> tls_;  // null: plaintext (--insecure-plaintext)
  ServerContext& context_;
  LoopShard& loop_;
  protocol::FrameDecoder decoder_;
  std::unique_ptr<asio::steady_timer> handshake_timer_;  // until login
  std::unique_ptr<std::string> proxy_header_;            // while it is read (--proxy-protocol)
  std::string outbound_;                                 // frames waiting for the next write
  std::string writing_;                                  // frames being written
  bool flush_scheduled_ = false;
  bool write_in_flight_ = false;
  bool close_after_flush_ = false;
  bool closed_ = false;
  bool hello_done_ = false;
  bool reading_paused_ = false;     // kMaxInflight requests in progress
  bool peer_closed_ = false;        // the client half-closed: answer, then close
  bool handshake_counted_ = false;  // in fastchat_tls_handshakes_total
  std::atomic<std::uint32_t> session_id_{0};
  std::uint32_t device_id_ = 0;
  std::atomic<std::int64_t> last_read_ms_{0};
  std::size_t inflight_ = 0;
  UserId user_id_ = 0;
  std::string username_;
  std::string token_hash_;
  std::string login_nonce_;
  std::string peer_address_;
  std::vector<UserId> watched_;
  SentSeqs sent_seqs_;
  // Created on the first Send: libstdc++'s deque allocates ~600 bytes even when
  // empty, which an idle connection should not pay (docs/performance.md, idle).
  std::unique_ptr<std::deque<std::pair<std::uint64_t, wire::Send>>> send_queue_;
  bool send_pump_running_ = false;
};

}  // namespace fastchat::server
