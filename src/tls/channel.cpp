#include "tls/channel.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <asio/ip/address.hpp>
#include <cerrno>

namespace fastchat::tls {

namespace {

// OpenSSL's socket BIO writes with send(..., 0): a write to a connection the peer has
// reset raises SIGPIPE and kills the process (the server, or any program embedding
// the client core). This BIO is the socket BIO with MSG_NOSIGNAL on writes.
int write_no_sigpipe(BIO* bio, const char* data, int size) {
  int fd = -1;
  BIO_get_fd(bio, &fd);
  errno = 0;
  const int n = static_cast<int>(::send(fd, data, static_cast<std::size_t>(size), MSG_NOSIGNAL));
  BIO_clear_retry_flags(bio);
  if (n <= 0 && BIO_sock_should_retry(n)) BIO_set_retry_write(bio);
  return n;
}

const BIO_METHOD* socket_method() {
  static BIO_METHOD* const method = [] {
    const BIO_METHOD* base = BIO_s_socket();
    BIO_METHOD* m = BIO_meth_new(BIO_TYPE_SOCKET, "fastchat socket");
    BIO_meth_set_write(m, write_no_sigpipe);
    BIO_meth_set_read(m, BIO_meth_get_read(base));
    BIO_meth_set_puts(m, BIO_meth_get_puts(base));
    BIO_meth_set_ctrl(m, BIO_meth_get_ctrl(base));
    BIO_meth_set_create(m, BIO_meth_get_create(base));
    BIO_meth_set_destroy(m, BIO_meth_get_destroy(base));
    return m;
  }();
  return method;
}

// Makes the SSL object read and write `fd` (not owning it) through socket_method().
bool attach(SSL* ssl, int fd) {
  BIO* bio = BIO_new(socket_method());
  if (bio == nullptr) return false;
  BIO_set_fd(bio, fd, BIO_NOCLOSE);
  SSL_set_bio(ssl, bio, bio);
  return true;
}

}  // namespace

Result<std::unique_ptr<Channel>> Channel::accept(const ServerTls& tls, int fd) {
  SslPtr ssl(SSL_new(tls.ctx()));
  if (!ssl || !attach(ssl.get(), fd))
    return Status(Code::kInternal, "SSL_new: " + take_openssl_errors());
  SSL_set_accept_state(ssl.get());
  return std::unique_ptr<Channel>(new Channel(std::move(ssl)));
}

Result<std::unique_ptr<Channel>> Channel::connect(const ClientTls& tls, int fd,
                                                  const std::string& host) {
  SslPtr ssl(SSL_new(tls.ctx()));
  if (!ssl || !attach(ssl.get(), fd))
    return Status(Code::kInternal, "SSL_new: " + take_openssl_errors());
  asio::error_code not_ip;
  asio::ip::make_address(host, not_ip);
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl.get());
  if (not_ip) {
    SSL_set_tlsext_host_name(ssl.get(), host.c_str());
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
  } else {
    X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
  }
  SSL_set_connect_state(ssl.get());
  std::unique_ptr<Channel> channel(new Channel(std::move(ssl)));
  channel->resumption_ = std::make_unique<Resumption>();
  SSL_set_app_data(channel->ssl_.get(), channel.get());
  return channel;
}

Channel::~Channel() = default;

asio::error_code Channel::map(int result, Want& want) {
  if (result > 0) return {};
  const int error = SSL_get_error(ssl_.get(), result);
  switch (error) {
    case SSL_ERROR_WANT_READ:
      want = Want::kRead;
      return asio::error::would_block;
    case SSL_ERROR_WANT_WRITE:
      want = Want::kWrite;
      return asio::error::would_block;
    case SSL_ERROR_ZERO_RETURN:
      return asio::error::eof;
    case SSL_ERROR_SYSCALL: {
      const int saved = errno;
      error_text_ = take_openssl_errors();
      if (saved == 0) return asio::error::eof;
      if (saved == EAGAIN) {  // not expected after SSL_get_error, but harmless
        want = Want::kRead;
        return asio::error::would_block;
      }
      return asio::error_code(saved, asio::error::get_system_category());
    }
    default:
      error_text_ = take_openssl_errors();
      if (error_text_.empty()) error_text_ = "TLS error " + std::to_string(error);
      // A protocol failure: the peer sent what TLS does not allow.
      return asio::error::connection_aborted;
  }
}

asio::error_code Channel::handshake() {
  if (handshake_done_) return {};
  ERR_clear_error();
  const auto ec = map(SSL_do_handshake(ssl_.get()), write_want_);
  read_want_ = write_want_;
  if (!ec) handshake_done_ = true;
  return ec;
}

std::size_t Channel::read(void* data, std::size_t size, asio::error_code& ec) {
  if (!handshake_done_) {
    ec = handshake();
    if (ec) return 0;
  }
  ERR_clear_error();
  std::size_t n = 0;
  const int r = SSL_read_ex(ssl_.get(), data, size, &n);
  ec = map(r, read_want_);
  return ec ? 0 : n;
}

std::size_t Channel::write(const void* data, std::size_t size, asio::error_code& ec) {
  if (!handshake_done_) {
    ec = handshake();
    if (ec) return 0;
  }
  ERR_clear_error();
  std::size_t n = 0;
  const int r = SSL_write_ex(ssl_.get(), data, size, &n);
  ec = map(r, write_want_);
  return ec ? 0 : n;
}

bool Channel::buffered() const {
  return SSL_has_pending(ssl_.get()) == 1;
}

void Channel::shutdown() {
  if (!handshake_done_) return;
  ERR_clear_error();
  SSL_shutdown(ssl_.get());  // one try: the socket is non-blocking
  ERR_clear_error();
}

Result<std::string> Channel::export_keying_material(std::string_view label,
                                                    std::string_view context,
                                                    std::size_t size) const {
  if (!handshake_done_) return Status(Code::kUnavailable, "the TLS handshake is not done");
  std::string out(size, '\0');
  const std::string label_z(label);
  if (SSL_export_keying_material(ssl_.get(), reinterpret_cast<unsigned char*>(out.data()), size,
                                 label_z.c_str(), label_z.size(),
                                 reinterpret_cast<const unsigned char*>(context.data()),
                                 context.size(), 1) != 1) {
    return Status(Code::kInternal, "TLS exporter: " + take_openssl_errors());
  }
  return out;
}

std::string Channel::protocol() const {
  return SSL_get_version(ssl_.get());
}

void Channel::offer_session(SslSessionPtr session) {
  if (session && !handshake_done_) SSL_set_session(ssl_.get(), session.get());
}

bool Channel::resumed() const {
  return SSL_session_reused(ssl_.get()) == 1;
}

void Channel::remember_sessions(std::shared_ptr<SessionCache> cache, std::string address) {
  if (!resumption_ || !cache) return;
  resumption_->cache = std::move(cache);
  resumption_->address = std::move(address);
  if (resumption_->received) {
    resumption_->cache->put(resumption_->address, std::move(resumption_->received));
  }
}

int Channel::on_new_session(SSL* ssl, SSL_SESSION* session) {
  auto* channel = static_cast<Channel*>(SSL_get_app_data(ssl));
  if (channel == nullptr || !channel->resumption_) return 0;
  Resumption& r = *channel->resumption_;
  // A copy: `session` stays this connection's, and OpenSSL marks it not resumable
  // when the connection ends without close_notify.
  SslSessionPtr copy(SSL_SESSION_dup(session));
  if (r.cache) {
    r.cache->put(r.address, std::move(copy));
  } else {
    r.received = std::move(copy);
  }
  return 0;  // OpenSSL keeps its reference
}

bool Channel::request_key_update() {
  return SSL_key_update(ssl_.get(), SSL_KEY_UPDATE_REQUESTED) == 1;
}

std::string Channel::peer_fingerprint() const {
  X509Ptr cert(SSL_get1_peer_certificate(ssl_.get()));
  return key_fingerprint(cert.get());
}

bool Channel::peer_verified() const {
  X509Ptr cert(SSL_get1_peer_certificate(ssl_.get()));
  return cert && SSL_get_verify_result(ssl_.get()) == X509_V_OK;
}

std::string Channel::peer_verify_error() const {
  return X509_verify_cert_error_string(SSL_get_verify_result(ssl_.get()));
}

}  // namespace fastchat::tls
