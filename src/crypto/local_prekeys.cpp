#include "crypto/local_prekeys.h"

#include <sodium.h>

#include <algorithm>

#include "crypto/byte_io.h"
#include "crypto/bytes.h"
#include "crypto/sodium_init.h"

namespace fastchat::crypto {

namespace {

// 0x22 | next signed id u32 | next one-time id u32 | n signed u8 |
// (id u32 | public 32 | secret 32)* | n one-time u32 | (same)* | n base keys u32 | (32)*
constexpr unsigned char kLocalPrekeysV1 = 0x22;

void write_pair(detail::ByteWriter& w, const PrekeyPair& p) {
  w.u32(p.id);
  w.bytes(p.public_key);
  w.bytes(p.secret_key.view());
}

bool read_pair(detail::ByteReader& r, PrekeyPair& p) {
  std::string_view pub, sec;
  if (!r.u32(p.id) || !r.bytes(32, pub) || !r.bytes(32, sec)) return false;
  p.public_key = std::string(pub);
  p.secret_key = SecretBytes(sec);
  unsigned char derived[crypto_scalarmult_BYTES];
  return crypto_scalarmult_base(derived, p.secret_key.data()) == 0 &&
         sodium_memcmp(derived, detail::u8(p.public_key), sizeof derived) == 0;
}

}  // namespace

SignedPrekey LocalPrekeys::rotate_signed(const Identity& identity) {
  PrekeyPair prekey = generate_prekey(next_signed_id_++);
  const SignedPrekey published = sign_prekey(identity, prekey);
  add_signed(std::move(prekey));
  return published;
}

Result<std::vector<OneTimePrekey>> LocalPrekeys::generate_one_time(std::size_t count) {
  if (count > kMaxOneTimePrekeys - one_time_.size()) {
    return Status(Code::kLimitReached, "too many one-time prekeys");
  }
  std::vector<OneTimePrekey> published;
  published.reserve(count);
  while (published.size() < count) {
    const std::uint32_t id = next_one_time_id_++;
    if (one_time_.contains(id)) continue;  // the counter wrapped onto a key still held
    PrekeyPair prekey = generate_prekey(id);
    published.push_back({id, prekey.public_key});
    one_time_.emplace(id, std::move(prekey));
  }
  return published;
}

void LocalPrekeys::add_signed(PrekeyPair prekey) {
  std::erase_if(signed_, [&](const PrekeyPair& p) { return p.id == prekey.id; });
  signed_.push_back(std::move(prekey));
  while (signed_.size() > kMaxSignedPrekeys)
    signed_.pop_front();
}

Status LocalPrekeys::add_one_time(PrekeyPair prekey) {
  if (one_time_.size() >= kMaxOneTimePrekeys) {
    return Status(Code::kLimitReached, "too many one-time prekeys");
  }
  if (one_time_.contains(prekey.id)) return Status(Code::kBadRequest, "one-time prekey id taken");
  const std::uint32_t id = prekey.id;
  one_time_.emplace(id, std::move(prekey));
  return Status::ok();
}

const PrekeyPair* LocalPrekeys::current_signed() const {
  return signed_.empty() ? nullptr : &signed_.back();
}

const PrekeyPair* LocalPrekeys::signed_prekey(std::uint32_t id) const {
  for (const PrekeyPair& p : signed_) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

const PrekeyPair* LocalPrekeys::one_time(std::uint32_t id) const {
  auto it = one_time_.find(id);
  return it == one_time_.end() ? nullptr : &it->second;
}

void LocalPrekeys::consume_one_time(std::uint32_t id) {
  one_time_.erase(id);
}

bool LocalPrekeys::base_key_seen(std::string_view base_key) const {
  return std::find(base_keys_.begin(), base_keys_.end(), base_key) != base_keys_.end();
}

void LocalPrekeys::remember_base_key(std::string_view base_key) {
  base_keys_.emplace_back(base_key);
  while (base_keys_.size() > kMaxRememberedBaseKeys)
    base_keys_.pop_front();
}

SecretBytes LocalPrekeys::serialize() const {
  detail::ByteWriter w(64 + (signed_.size() + one_time_.size()) * 68 + base_keys_.size() * 32);
  w.u8(kLocalPrekeysV1);
  w.u32(next_signed_id_);
  w.u32(next_one_time_id_);
  w.u8(static_cast<std::uint8_t>(signed_.size()));
  for (const PrekeyPair& p : signed_)
    write_pair(w, p);
  w.u32(static_cast<std::uint32_t>(one_time_.size()));
  for (const auto& [id, p] : one_time_)
    write_pair(w, p);
  w.u32(static_cast<std::uint32_t>(base_keys_.size()));
  for (const std::string& k : base_keys_)
    w.bytes(k);
  return w.take_secret();
}

Result<LocalPrekeys> LocalPrekeys::deserialize(std::string_view bytes) {
  ensure_sodium();
  const Status malformed(Code::kCrypto, "malformed prekey store");
  detail::ByteReader r(bytes);
  LocalPrekeys out;
  std::uint8_t version = 0, n_signed = 0;
  if (!r.u8(version) || version != kLocalPrekeysV1 || !r.u32(out.next_signed_id_) ||
      !r.u32(out.next_one_time_id_) || !r.u8(n_signed) || n_signed > kMaxSignedPrekeys) {
    return malformed;
  }
  for (unsigned i = 0; i < n_signed; ++i) {
    PrekeyPair p;
    if (!read_pair(r, p) || out.signed_prekey(p.id) != nullptr) return malformed;
    out.signed_.push_back(std::move(p));
  }
  std::uint32_t n_one_time = 0;
  if (!r.u32(n_one_time) || n_one_time > kMaxOneTimePrekeys) return malformed;
  for (std::uint32_t i = 0; i < n_one_time; ++i) {
    PrekeyPair p;
    if (!read_pair(r, p) || !out.add_one_time(std::move(p))) return malformed;
  }
  std::uint32_t n_base = 0;
  if (!r.u32(n_base) || n_base > kMaxRememberedBaseKeys) return malformed;
  for (std::uint32_t i = 0; i < n_base; ++i) {
    std::string_view k;
    if (!r.bytes(32, k)) return malformed;
    out.base_keys_.emplace_back(k);
  }
  if (!r.at_end()) return malformed;
  return out;
}

}  // namespace fastchat::crypto
