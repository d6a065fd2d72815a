// TicketKeys: the keys that seal a server's TLS 1.3 session tickets, derived from the
// cluster's shared secret by HKDF and a time window, so that every server of a cluster
// accepts the tickets of every other without talking to it (docs/decisions.md, "TLS
// session resumption"). Tickets are sealed with the current window's key; the
// previous window's (a grace period) and the next one's (clock skew between servers)
// still open them. A ticket sealed with another secret is not recognised: the server
// falls back to a full handshake.
//
// Thread safety: install() once; the callback it installs runs on any thread (a tiny
// lock guards the cache of derived keys).
#pragma once

#include <openssl/ssl.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

namespace fastchat::tls {

struct TicketOptions {
  // The secret every server of the cluster shares (at least 32 bytes); empty: the
  // server issues no tickets and never resumes.
  std::string_view secret;
  // How long a ticket key seals new tickets; a ticket stays valid for one period (the
  // lifetime clients are told) and is accepted for up to two.
  std::chrono::seconds period{3600};
  // Seconds since the epoch; null: the system clock (tests inject their own).
  std::function<std::int64_t()> unix_now;
};

class TicketKeys {
 public:
  explicit TicketKeys(const TicketOptions& options);
  ~TicketKeys();
  TicketKeys(const TicketKeys&) = delete;
  TicketKeys& operator=(const TicketKeys&) = delete;

  // Makes `ctx` seal and open tickets with these keys; `this` must outlive `ctx`.
  // False when OpenSSL refuses.
  bool install(SSL_CTX* ctx);

 private:
  static constexpr std::size_t kNameBytes = 16;
  static constexpr std::size_t kKeyBytes = 32;
  struct WindowKeys {
    std::int64_t window = -1;  // -1: empty slot
    unsigned char name[kNameBytes];
    unsigned char cipher_key[kKeyBytes];
    unsigned char mac_key[kKeyBytes];
  };

  static int on_ticket(SSL* ssl, unsigned char key_name[16], unsigned char* iv,
                       EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac, int encrypt);
  int seal(unsigned char key_name[16], unsigned char* iv, EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac);
  int open(const unsigned char key_name[16], unsigned char* iv, EVP_CIPHER_CTX* cipher,
           EVP_MAC_CTX* mac);
  std::int64_t current_window() const;
  // The keys of `window` (derived on first use, then cached); false when HKDF fails.
  bool keys_for(std::int64_t window, WindowKeys& out);

  std::string secret_;
  const std::int64_t period_;
  const std::function<std::int64_t()> unix_now_;
  std::mutex mutex_;
  std::array<WindowKeys, 4> cache_{};
  std::size_t next_slot_ = 0;
};

}  // namespace fastchat::tls
