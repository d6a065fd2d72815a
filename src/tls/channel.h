// Channel: one TLS connection driven over a non-blocking socket the caller owns
// (OpenSSL reads and writes the descriptor itself; no buffers of our own, so an idle
// connection costs only OpenSSL's state, its I/O buffers being released when empty).
// Every call returns at once: asio::error::would_block means "wait until the socket is
// ready for want(), then call again"; asio::error::eof the peer's orderly end.
//
// Plaintext can sit inside the channel while the socket is not readable: a reader
// must check buffered() before it waits for readiness (channel_io.h does).
//
// Thread safety: none; one Channel is used by one thread (its connection's loop).
#pragma once

#include <asio/error.hpp>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "tls/openssl_util.h"
#include "tls/session_cache.h"
#include "tls/tls_context.h"

namespace fastchat::tls {

class Channel {
 public:
  enum class Want { kRead, kWrite };

  // kInternal when OpenSSL cannot make the connection object.
  static Result<std::unique_ptr<Channel>> accept(const ServerTls& tls, int fd);
  // `host`: what the client connects to; sent as SNI when it is a name, and the
  // name (or IP address) the certificate must match for CA verification.
  static Result<std::unique_ptr<Channel>> connect(const ClientTls& tls, int fd,
                                                  const std::string& host);
  ~Channel();
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  // ok once the handshake is done; would_block (see want()); another error when it
  // failed (error_text() says why).
  asio::error_code handshake();
  bool handshake_done() const { return handshake_done_; }

  std::size_t read(void* data, std::size_t size, asio::error_code& ec);
  std::size_t write(const void* data, std::size_t size, asio::error_code& ec);
  // What the last would_block of read() (of handshake() or write()) waits for: kept
  // apart, as a reader and a writer may both wait at once.
  Want read_want() const { return read_want_; }
  Want write_want() const { return write_want_; }
  // Decrypted bytes (or a whole record) wait inside; read() without waiting.
  bool buffered() const;
  // Sends close_notify when the socket takes it at once (best effort, never waits).
  void shutdown();

  // The TLS 1.3 exporter (RFC 8446 §7.5): `size` bytes bound to this connection's
  // secrets, equal on both ends. kUnavailable before the handshake is done.
  Result<std::string> export_keying_material(std::string_view label, std::string_view context,
                                             std::size_t size) const;
  // After the handshake (client side): the peer's key fingerprint (key_fingerprint()),
  // and whether its chain verified against the trusted CAs and matched the host.
  std::string peer_fingerprint() const;
  bool peer_verified() const;
  std::string peer_verify_error() const;
  // The negotiated protocol ("TLSv1.3"), for tests and logs.
  std::string protocol() const;
  // Session resumption, client side (docs/security.md, "TLS session resumption").
  // Offers `session` (a SessionCache's, for the same address) to the server; call
  // before the handshake. The server may resume it or shake hands in full.
  void offer_session(SslSessionPtr session);
  // This connection resumed an earlier session: the server sent no certificate, and
  // peer_fingerprint()/peer_verified() are those the session recorded when it was
  // first established (judge them as always).
  bool resumed() const;
  // Sessions (tickets) the server sends on this connection, the latest received
  // before the call too, go to `cache` under `address`. Call once the server passed
  // the client's trust check, never before.
  void remember_sessions(std::shared_ptr<SessionCache> cache, std::string address);
  // OpenSSL's new-session callback of ClientTls (not for other callers).
  static int on_new_session(SSL* ssl, SSL_SESSION* session);

  // Asks the peer for a TLS 1.3 KeyUpdate (sent with the next write); false when
  // the connection cannot (tests: TLS 1.3's only post-handshake renewal).
  bool request_key_update();
  // Why the last call failed (OpenSSL's error queue), for logs.
  const std::string& error_text() const { return error_text_; }

 private:
  struct Resumption {
    SslSessionPtr received;  // the latest ticket, before remember_sessions()
    std::shared_ptr<SessionCache> cache;
    std::string address;
  };

  explicit Channel(SslPtr ssl) : ssl_(std::move(ssl)) {}
  // Maps an SSL_* result to an error code (ok for > 0); sets `want` on would_block.
  asio::error_code map(int result, Want& want);

  SslPtr ssl_;
  Want read_want_ = Want::kRead;
  Want write_want_ = Want::kWrite;
  bool handshake_done_ = false;
  std::string error_text_;
  std::unique_ptr<Resumption> resumption_;  // client side only
};

}  // namespace fastchat::tls
