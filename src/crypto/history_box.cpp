#include "crypto/history_box.h"

#include <sodium.h>

#include <algorithm>

#include "crypto/bytes.h"
#include "crypto/kdf.h"
#include "crypto/sodium_init.h"

namespace fastchat::crypto {

namespace {

using detail::u8;

constexpr char kVersion = '\x01';
constexpr std::string_view kKeyInfo = "fastchat/history-box/keys/v1";
constexpr std::size_t kKey = crypto_aead_xchacha20poly1305_ietf_KEYBYTES;
constexpr std::size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t kTag = crypto_aead_xchacha20poly1305_ietf_ABYTES;
constexpr std::size_t kLookupTag = 32;

// version | u8 length | column | row: unambiguous (columns are short literals).
std::string associated_data(std::string_view column, std::string_view row) {
  std::string ad(1, kVersion);
  ad.push_back(static_cast<char>(std::min<std::size_t>(column.size(), 255)));
  ad.append(column.substr(0, 255));
  ad.append(row);
  return ad;
}

}  // namespace

HistoryBox::HistoryBox(const Identity& identity) {
  const SecretBytes secret = identity.serialize_secret();
  const SecretBytes keys = hkdf_sha256({}, secret.view(), kKeyInfo, kKey + kLookupTag);
  seal_key_ = SecretBytes(keys.view().substr(0, kKey));
  tag_key_ = SecretBytes(keys.view().substr(kKey));
}

std::string HistoryBox::seal(std::string_view column, std::string_view row,
                             std::string_view plain) const {
  ensure_sodium();
  const std::string ad = associated_data(column, row);
  std::string out(1 + kNonce + plain.size() + kTag, '\0');
  out[0] = kVersion;
  randombytes_buf(u8(out, 1), kNonce);
  unsigned long long sealed_len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(u8(out, 1 + kNonce), &sealed_len, u8(plain),
                                             plain.size(), u8(ad), ad.size(), nullptr, u8(out, 1),
                                             seal_key_.data());
  out.resize(1 + kNonce + sealed_len);
  return out;
}

Result<std::string> HistoryBox::open(std::string_view column, std::string_view row,
                                     std::string_view sealed) const {
  ensure_sodium();
  if (sealed.size() < 1 + kNonce + kTag || sealed[0] != kVersion) {
    return Status(Code::kCrypto, "not a sealed history value");
  }
  const std::string ad = associated_data(column, row);
  const std::string_view nonce = sealed.substr(1, kNonce);
  const std::string_view body = sealed.substr(1 + kNonce);
  std::string out(body.size() - kTag, '\0');
  unsigned long long out_len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(u8(out), &out_len, nullptr, u8(body), body.size(),
                                                 u8(ad), ad.size(), u8(nonce),
                                                 seal_key_.data()) != 0) {
    return Status(Code::kCrypto, "a sealed history value does not open with this identity here");
  }
  out.resize(out_len);
  return out;
}

std::string HistoryBox::tag(std::string_view column, std::string_view value) const {
  ensure_sodium();
  const std::string ad = associated_data(column, {});
  crypto_generichash_state state;
  crypto_generichash_init(&state, tag_key_.data(), tag_key_.size(), kLookupTag);
  crypto_generichash_update(&state, u8(ad), ad.size());
  crypto_generichash_update(&state, u8(value), value.size());
  std::string out(kLookupTag, '\0');
  crypto_generichash_final(&state, u8(out), out.size());
  sodium_memzero(&state, sizeof state);
  return out;
}

}  // namespace fastchat::crypto
