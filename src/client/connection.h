// Connection: one framed TCP connection to a fastchat server or balancer. A reader
// coroutine decodes frames, matches responses to pending requests by request_id and
// hands pushes (request_id 0) to a handler; a writer coroutine coalesces every frame
// queued meanwhile into one socket write. When the connection drops, every pending
// request fails with kUnavailable. Shared by the client core and the load tester.
// With TLS (options.tls), connect() also runs the handshake and asks options.trust
// about the server's certificate before anything is sent.
//
// Thread safety: a Connection lives on one executor, which must not run handlers
// concurrently (a single-threaded io_context or a strand); call everything from it.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/status.h"
#include "fastchat.pb.h"
#include "protocol/frame_codec.h"
#include "tls/channel.h"
#include "tls/known_hosts.h"
#include "tls/session_cache.h"
#include "tls/tls_context.h"

namespace fastchat::client {

// Asynchronous work of the client core that threw (each logged), in this process.
std::atomic<std::uint64_t>& client_task_failures();

struct ConnectionOptions {
  std::chrono::milliseconds connect_timeout{5000};
  // A request without a response for this long fails with kUnavailable (the
  // connection stays open; a late response is dropped).
  std::chrono::milliseconds request_timeout{30000};
  // request() waits while this much is queued and not yet written (backpressure).
  std::size_t max_outbound_bytes = 8 << 20;
  // TLS 1.3 when set (the client core always sets it unless told --insecure-plaintext);
  // null: plaintext TCP.
  std::shared_ptr<const tls::ClientTls> tls;
  // Judges the server's certificate (CA or pinned key); null: any certificate (tests).
  std::shared_ptr<tls::ServerTrust> trust;
  // Non-empty: the server must present exactly this key (a balancer's redirect target
  // must be of the balancer's cluster).
  std::string expect_fingerprint;
  // With TLS: offers the session kept for the address (resumption instead of a full
  // handshake) and keeps the tickets of a trusted server there. Null: full handshakes.
  std::shared_ptr<tls::SessionCache> sessions;
  // A server closes a logged-in connection that sends nothing for its --idle-timeout
  // (5 minutes by default): when set, a Ping goes out after each interval of this
  // length in which nothing else was written, so the link is never silent for twice
  // as long. 0: never.
  std::chrono::milliseconds keepalive{0};
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // Called by the reader for each push. It must not block or await a request on
  // this connection (the reader would wait for itself): queue work elsewhere.
  // The frame may be moved from.
  using PushHandler = std::function<void(wire::Frame& frame)>;
  // Called once when the connection closes, with the reason.
  using CloseHandler = std::function<void(const Status& reason)>;

  static std::shared_ptr<Connection> create(asio::any_io_executor executor,
                                            ConnectionOptions options = {});
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void set_push_handler(PushHandler handler) { push_handler_ = std::move(handler); }
  void set_close_handler(CloseHandler handler) { close_handler_ = std::move(handler); }

  // Resolves and connects (TCP_NODELAY), with TLS shakes hands and checks the server
  // (kCrypto when it is not trusted), then starts the reader and writer.
  // kUnavailable when the server cannot be reached in time.
  asio::awaitable<Status> connect(const std::string& host, std::uint16_t port);
  // Adopts an already connected socket (tests, accepted sockets) and starts; plaintext.
  void start(asio::ip::tcp::socket socket);
  // Adopts a socket connected to host:port (the load tester binds its own source
  // addresses), shakes hands as connect() does (within connect_timeout), and starts.
  asio::awaitable<Status> adopt(asio::ip::tcp::socket socket, const std::string& host,
                                std::uint16_t port);

  // Sends `frame` with a fresh request_id and waits for its response. An Error
  // response becomes its Status; a dropped connection or a timeout kUnavailable.
  asio::awaitable<Result<wire::Frame>> request(wire::Frame frame);

  // Closes the socket and fails every pending request. Idempotent.
  void close();
  bool is_open() const { return open_; }
  std::size_t pending_requests() const { return pending_.size(); }
  // HelloOk's nonce for login proofs on this connection (set by say_hello), and what
  // binds a proof to this connection: the TLS exporter, empty on a plaintext link.
  const std::string& login_nonce() const { return login_nonce_; }
  void set_login_nonce(std::string nonce) { login_nonce_ = std::move(nonce); }
  std::string channel_binding() const;
  asio::any_io_executor executor() const { return executor_; }
  bool secure() const { return tls_ != nullptr; }
  // The server's key fingerprint ("" on plaintext).
  std::string peer_fingerprint() const { return tls_ ? tls_->peer_fingerprint() : std::string(); }
  bool peer_verified() const { return tls_ && tls_->peer_verified(); }
  std::string peer_verify_error() const { return tls_ ? tls_->peer_verify_error() : std::string(); }
  // The TLS handshake resumed an earlier session (options.sessions).
  bool resumed() const { return tls_ && tls_->resumed(); }
  // The TLS exporter (RFC 8446 §7.5), equal to the server's Session::tls_exporter();
  // kUnavailable on plaintext.
  Result<std::string> tls_exporter(std::string_view label, std::string_view context,
                                   std::size_t size) const;

 private:
  struct Pending;

  Connection(asio::any_io_executor executor, ConnectionOptions options);
  void start_io();
  asio::awaitable<Status> handshake(const std::string& host, const std::string& where);
  asio::awaitable<void> read_loop();
  asio::awaitable<void> write_loop();
  asio::awaitable<void> keepalive_loop();
  void dispatch(wire::Frame& frame);
  void close_with(const Status& reason);

  asio::any_io_executor executor_;
  ConnectionOptions options_;
  asio::ip::tcp::socket socket_;
  std::unique_ptr<tls::Channel> tls_;  // null: plaintext
  protocol::FrameDecoder decoder_;
  asio::steady_timer writer_wake_;
  asio::steady_timer drained_;  // cancelled after each write: wakes backpressured requests
  asio::steady_timer keepalive_timer_;
  bool wrote_since_keepalive_ = false;
  std::string outbound_;  // frames waiting for the next write
  std::string writing_;   // frames being written
  std::unordered_map<std::uint64_t, Pending*> pending_;
  std::uint64_t next_request_id_ = 1;
  bool open_ = false;
  bool closed_ = false;
  std::string login_nonce_;
  bool yield_ = false;  // the reader lets others run before reading on
  PushHandler push_handler_;
  CloseHandler close_handler_;
};

// Shakes hands with host:port over TLS, trusting any certificate, and returns the
// key fingerprint it presents (for `fastchat trust-server`, which the user runs after
// comparing it). kUnavailable when it cannot be reached.
asio::awaitable<Result<std::string>> server_key_fingerprint(asio::any_io_executor executor,
                                                            const std::string& host,
                                                            std::uint16_t port);

// What a server presents, not yet judged: its key fingerprint and whether its
// certificate verifies against the trusted CAs (`ca_file`'s, or the system's) and
// names the host. For a client that asks its user before pinning a key on first use.
struct ServerKey {
  std::string fingerprint;
  bool ca_verified = false;
  std::string verify_error;  // why not, when !ca_verified
};
asio::awaitable<Result<ServerKey>> probe_server_key(asio::any_io_executor executor,
                                                    const std::string& host, std::uint16_t port,
                                                    const std::string& ca_file = {});

// Sends Hello{kProtocolVersion, client_name} and checks the HelloOk.
asio::awaitable<Result<wire::HelloOk>> say_hello(Connection& connection,
                                                 std::string_view client_name);

}  // namespace fastchat::client
