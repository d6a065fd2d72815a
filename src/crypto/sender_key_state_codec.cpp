// Saved forms of SenderKeySender and SenderKeyReceiver.
//   sender:   0x24 | group id (u8 len) | user (u8 len) | device u32 | key id u32 |
//             iteration u32 | chain key 32 | signing public 32 | signing secret 64
//   receiver: 0x25 | group id (u8 len) | user (u8 len) | device u32 | n chains u8 |
//             per chain: key id u32 | iteration u32 | chain key 32 | signing public 32 |
//             n skipped u32 | per key: iteration u32 | message key 32 | stored_ms u64
#include <sodium.h>

#include "crypto/byte_io.h"
#include "crypto/bytes.h"
#include "crypto/sender_key.h"
#include "crypto/sodium_init.h"

namespace fastchat::crypto {

namespace {

constexpr unsigned char kSenderStateV1 = 0x24;
constexpr unsigned char kReceiverStateV1 = 0x25;
constexpr std::uint64_t kMaxStoredMs = std::uint64_t{1} << 62;

void write_address(detail::ByteWriter& w, std::string_view group, const DeviceAddress& a) {
  w.short_bytes(group);
  w.short_bytes(a.user);
  w.u32(a.device_id);
}

bool read_address(detail::ByteReader& r, std::string& group, DeviceAddress& a) {
  std::string_view g, user;
  if (!r.short_bytes(g) || g.empty() || !r.short_bytes(user) || user.empty() ||
      !r.u32(a.device_id)) {
    return false;
  }
  group = std::string(g);
  a.user = std::string(user);
  return true;
}

}  // namespace

struct SenderKeyStateCodec {
  static SecretBytes write(const SenderKeySender& s) {
    detail::ByteWriter w(256 + s.group_id_.size() + s.me_.user.size());
    w.u8(kSenderStateV1);
    write_address(w, s.group_id_, s.me_);
    w.u32(s.key_id_);
    w.u32(s.iteration_);
    w.bytes(s.chain_key_.view());
    w.bytes(s.signing_public_key_);
    w.bytes(s.signing_secret_key_.view());
    return w.take_secret();
  }

  static Result<SenderKeySender> read_sender(std::string_view bytes) {
    ensure_sodium();
    const Status malformed(Code::kCrypto, "malformed sender key state");
    detail::ByteReader r(bytes);
    SenderKeySender s;
    std::uint8_t version = 0;
    std::string_view chain, pub, sec;
    if (!r.u8(version) || version != kSenderStateV1 || !read_address(r, s.group_id_, s.me_) ||
        !r.u32(s.key_id_) || !r.u32(s.iteration_) || !r.bytes(32, chain) || !r.bytes(32, pub) ||
        !r.bytes(crypto_sign_SECRETKEYBYTES, sec) || !r.at_end()) {
      return malformed;
    }
    // An Ed25519 secret key is seed || public key: the halves must agree.
    if (sodium_memcmp(sec.data() + 32, pub.data(), 32) != 0) return malformed;
    s.chain_key_ = SecretBytes(chain);
    s.signing_public_key_ = std::string(pub);
    s.signing_secret_key_ = SecretBytes(sec);
    return s;
  }

  static SecretBytes write(const SenderKeyReceiver& s) {
    detail::ByteWriter w(256 + s.skipped_key_count() * 48);
    w.u8(kReceiverStateV1);
    write_address(w, s.group_id_, s.sender_);
    w.u8(static_cast<std::uint8_t>(s.chains_.size()));
    for (const SenderKeyReceiver::Chain& c : s.chains_) {
      w.u32(c.key_id);
      w.u32(c.iteration);
      w.bytes(c.chain_key.view());
      w.bytes(c.signing_public_key);
      w.u32(static_cast<std::uint32_t>(c.skipped.size()));
      for (const auto& k : c.skipped) {
        w.u32(k.iteration);
        w.bytes(k.message_key.view());
        w.u64(static_cast<std::uint64_t>(k.stored_ms));
      }
    }
    return w.take_secret();
  }

  static Result<SenderKeyReceiver> read_receiver(std::string_view bytes) {
    const Status malformed(Code::kCrypto, "malformed sender key receiver state");
    detail::ByteReader r(bytes);
    std::uint8_t version = 0, n_chains = 0;
    std::string group;
    DeviceAddress sender;
    if (!r.u8(version) || version != kReceiverStateV1 || !read_address(r, group, sender) ||
        !r.u8(n_chains) || n_chains > kMaxSenderKeysPerSender) {
      return malformed;
    }
    SenderKeyReceiver out(std::move(group), std::move(sender));
    for (unsigned i = 0; i < n_chains; ++i) {
      SenderKeyReceiver::Chain c;
      std::string_view chain, pub;
      std::uint32_t n_skipped = 0;
      if (!r.u32(c.key_id) || !r.u32(c.iteration) || !r.bytes(32, chain) || !r.bytes(32, pub) ||
          !r.u32(n_skipped) || n_skipped > kMaxSenderKeySkippedKeys || out.knows_key(c.key_id)) {
        return malformed;
      }
      c.chain_key = SecretBytes(chain);
      c.signing_public_key = std::string(pub);
      for (std::uint32_t k = 0; k < n_skipped; ++k) {
        SenderKeyReceiver::SkippedKey key;
        std::string_view mk;
        std::uint64_t stored = 0;
        if (!r.u32(key.iteration) || !r.bytes(32, mk) || !r.u64(stored) || stored > kMaxStoredMs) {
          return malformed;
        }
        key.message_key = SecretBytes(mk);
        key.stored_ms = static_cast<std::int64_t>(stored);
        c.skipped.push_back(std::move(key));
      }
      out.chains_.push_back(std::move(c));
    }
    if (!r.at_end()) return malformed;
    return out;
  }
};

SecretBytes SenderKeySender::serialize() const {
  return SenderKeyStateCodec::write(*this);
}

Result<SenderKeySender> SenderKeySender::deserialize(std::string_view bytes) {
  return SenderKeyStateCodec::read_sender(bytes);
}

SecretBytes SenderKeyReceiver::serialize() const {
  return SenderKeyStateCodec::write(*this);
}

Result<SenderKeyReceiver> SenderKeyReceiver::deserialize(std::string_view bytes) {
  return SenderKeyStateCodec::read_receiver(bytes);
}

}  // namespace fastchat::crypto
