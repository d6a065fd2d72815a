// TLS contexts: the settings shared by every connection of a server or a client.
// TLS 1.3 only (so no renegotiation exists), OpenSSL's buffers released while a
// connection is idle, unexpected EOF read as an ordinary end of stream (frames carry
// their own lengths, so a truncation cannot go unnoticed).
//
// Thread safety: immutable after create(); share them between threads and loops.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "tls/openssl_util.h"
#include "tls/ticket_keys.h"

namespace fastchat::tls {

// The server side: presents one certificate chain and key. With a ticket secret it
// issues one session ticket per handshake and resumes sessions whose tickets any
// server with the same secret sealed (no early data: it could be replayed).
class ServerTls {
 public:
  static Result<std::shared_ptr<const ServerTls>> create(const std::string& cert_file,
                                                         const std::string& key_file,
                                                         const TicketOptions& tickets = {});
  SSL_CTX* ctx() const { return ctx_.get(); }
  // The leaf certificate's key fingerprint (key_fingerprint()).
  const std::string& fingerprint() const { return fingerprint_; }
  bool issues_tickets() const { return tickets_ != nullptr; }

 private:
  std::unique_ptr<TicketKeys> tickets_;  // outlives ctx_, whose callback uses it
  SslCtxPtr ctx_;
  std::string fingerprint_;
};

// The client side. Certificates are judged after the handshake (ServerTrust), so the
// context itself never aborts one: it only loads the trusted CAs. Session tickets the
// servers send reach the Channel that received them (Channel::remember_sessions).
class ClientTls {
 public:
  // `ca_file`: trust these CAs (PEM) instead of the system store.
  static Result<std::shared_ptr<const ClientTls>> create(const std::string& ca_file = {});
  SSL_CTX* ctx() const { return ctx_.get(); }

 private:
  SslCtxPtr ctx_;
};

}  // namespace fastchat::tls
