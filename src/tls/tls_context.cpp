#include "tls/tls_context.h"

#include <openssl/pem.h>

#include "tls/channel.h"

namespace fastchat::tls {

namespace {

SslCtxPtr make_ctx(const SSL_METHOD* method) {
  SslCtxPtr ctx(SSL_CTX_new(method));
  if (!ctx) return ctx;
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_3_VERSION);
  SSL_CTX_set_max_proto_version(ctx.get(), TLS1_3_VERSION);
  SSL_CTX_set_options(
      ctx.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_COMPRESSION);
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                                  SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  return ctx;
}

}  // namespace

Result<std::shared_ptr<const ServerTls>> ServerTls::create(const std::string& cert_file,
                                                           const std::string& key_file,
                                                           const TicketOptions& tickets) {
  auto tls = std::make_shared<ServerTls>();
  tls->ctx_ = make_ctx(TLS_server_method());
  if (!tls->ctx_) return Status(Code::kInternal, "SSL_CTX_new: " + take_openssl_errors());
  SSL_CTX* ctx = tls->ctx_.get();
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
    return Status(Code::kBadRequest,
                  "cannot load the certificate chain " + cert_file + ": " + take_openssl_errors());
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return Status(Code::kBadRequest,
                  "cannot load the private key " + key_file + ": " + take_openssl_errors());
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return Status(Code::kBadRequest,
                  "the key " + key_file + " does not match the certificate " + cert_file);
  }
  // Stateless tickets only: nothing is kept per session on the server.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_max_early_data(ctx, 0);
  if (tickets.secret.empty()) {
    SSL_CTX_set_num_tickets(ctx, 0);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  } else {
    if (tickets.secret.size() < 32) {
      return Status(Code::kBadRequest, "the TLS ticket secret must have at least 32 bytes");
    }
    // One ticket: a client keeps only the last one per server.
    SSL_CTX_set_num_tickets(ctx, 1);
    tls->tickets_ = std::make_unique<TicketKeys>(tickets);
    if (!tls->tickets_->install(ctx)) {
      return Status(Code::kInternal, "cannot install the ticket keys: " + take_openssl_errors());
    }
  }
  tls->fingerprint_ = key_fingerprint(SSL_CTX_get0_certificate(ctx));
  return std::shared_ptr<const ServerTls>(std::move(tls));
}

Result<std::shared_ptr<const ClientTls>> ClientTls::create(const std::string& ca_file) {
  auto tls = std::make_shared<ClientTls>();
  tls->ctx_ = make_ctx(TLS_client_method());
  if (!tls->ctx_) return Status(Code::kInternal, "SSL_CTX_new: " + take_openssl_errors());
  SSL_CTX* ctx = tls->ctx_.get();
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);  // judged after the handshake
  // Tickets go to the Channel that got them, never into OpenSSL's own cache.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx, &Channel::on_new_session);
  if (!ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr) != 1) {
      return Status(Code::kBadRequest,
                    "cannot load the CA file " + ca_file + ": " + take_openssl_errors());
    }
  } else {
    SSL_CTX_set_default_verify_paths(ctx);  // a missing system store only means no CA
    take_openssl_errors();
  }
  return std::shared_ptr<const ClientTls>(std::move(tls));
}

}  // namespace fastchat::tls
