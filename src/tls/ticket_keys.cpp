#include "tls/ticket_keys.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstring>
#include <ctime>

namespace fastchat::tls {

namespace {

constexpr std::string_view kInfo = "fastchat tls ticket keys v1";

int ex_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// HKDF-SHA256 (RFC 5869): `out` from `secret` with `info`.
bool hkdf(std::string_view secret, const std::string& info, unsigned char* out, std::size_t size) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  if (kdf == nullptr) return false;
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
  EVP_KDF_free(kdf);
  if (ctx == nullptr) return false;
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<char*>(secret.data()),
                                        secret.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<char*>(info.data()),
                                        info.size()),
      OSSL_PARAM_construct_end(),
  };
  const bool ok = EVP_KDF_derive(ctx, out, size, params) == 1;
  EVP_KDF_CTX_free(ctx);
  return ok;
}

}  // namespace

TicketKeys::TicketKeys(const TicketOptions& options)
    : secret_(options.secret),
      period_(std::max<std::int64_t>(1, options.period.count())),
      unix_now_(options.unix_now) {}

TicketKeys::~TicketKeys() {
  OPENSSL_cleanse(secret_.data(), secret_.size());
  OPENSSL_cleanse(cache_.data(), sizeof cache_);
}

bool TicketKeys::install(SSL_CTX* ctx) {
  if (SSL_CTX_set_ex_data(ctx, ex_index(), this) != 1) return false;
  // A client is told to drop a ticket after one period (the key that sealed it is
  // accepted for one more).
  SSL_CTX_set_timeout(ctx, static_cast<long>(period_));
  return SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, &TicketKeys::on_ticket) == 1;
}

int TicketKeys::on_ticket(SSL* ssl, unsigned char key_name[16], unsigned char* iv,
                          EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac, int encrypt) {
  auto* self = static_cast<TicketKeys*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ex_index()));
  if (self == nullptr) return encrypt ? -1 : 0;
  return encrypt ? self->seal(key_name, iv, cipher, mac) : self->open(key_name, iv, cipher, mac);
}

std::int64_t TicketKeys::current_window() const {
  const std::int64_t now = unix_now_ ? unix_now_() : static_cast<std::int64_t>(std::time(nullptr));
  return now / period_;
}

bool TicketKeys::keys_for(std::int64_t window, WindowKeys& out) {
  std::lock_guard lock(mutex_);
  for (const auto& slot : cache_) {
    if (slot.window == window) {
      out = slot;
      return true;
    }
  }
  std::string info(kInfo);
  for (int shift = 56; shift >= 0; shift -= 8)
    info.push_back(static_cast<char>((static_cast<std::uint64_t>(window) >> shift) & 0xff));
  unsigned char derived[kNameBytes + 2 * kKeyBytes];
  if (!hkdf(secret_, info, derived, sizeof derived)) return false;
  WindowKeys& slot = cache_[next_slot_];
  next_slot_ = (next_slot_ + 1) % cache_.size();
  slot.window = window;
  std::memcpy(slot.name, derived, kNameBytes);
  std::memcpy(slot.cipher_key, derived + kNameBytes, kKeyBytes);
  std::memcpy(slot.mac_key, derived + kNameBytes + kKeyBytes, kKeyBytes);
  OPENSSL_cleanse(derived, sizeof derived);
  out = slot;
  return true;
}

namespace {
bool set_mac_key(EVP_MAC_CTX* mac, unsigned char* key, std::size_t size) {
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, key, size),
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end(),
  };
  return EVP_MAC_CTX_set_params(mac, params) == 1;
}
}  // namespace

int TicketKeys::seal(unsigned char key_name[16], unsigned char* iv, EVP_CIPHER_CTX* cipher,
                     EVP_MAC_CTX* mac) {
  WindowKeys keys;
  if (!keys_for(current_window(), keys)) return -1;
  const int iv_size = EVP_CIPHER_get_iv_length(EVP_aes_256_cbc());
  int result = -1;
  if (RAND_bytes(iv, iv_size) == 1 &&
      EVP_EncryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, keys.cipher_key, iv) == 1 &&
      set_mac_key(mac, keys.mac_key, kKeyBytes)) {
    std::memcpy(key_name, keys.name, kNameBytes);
    result = 1;
  }
  OPENSSL_cleanse(&keys, sizeof keys);
  return result;
}

int TicketKeys::open(const unsigned char key_name[16], unsigned char* iv, EVP_CIPHER_CTX* cipher,
                     EVP_MAC_CTX* mac) {
  const std::int64_t now = current_window();
  // The current window first (the common case), then the grace and skew windows.
  for (const std::int64_t window : {now, now - 1, now + 1}) {
    WindowKeys keys;
    if (!keys_for(window, keys)) return -1;
    if (CRYPTO_memcmp(keys.name, key_name, kNameBytes) != 0) {
      OPENSSL_cleanse(&keys, sizeof keys);
      continue;
    }
    int result = -1;
    if (EVP_DecryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, keys.cipher_key, iv) == 1 &&
        set_mac_key(mac, keys.mac_key, kKeyBytes)) {
      result = window == now ? 1 : 2;  // 2: valid, but issue a ticket under the current key
    }
    OPENSSL_cleanse(&keys, sizeof keys);
    return result;
  }
  return 0;  // not one of ours: a full handshake
}

}  // namespace fastchat::tls
