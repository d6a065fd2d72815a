// RatchetSession::serialize()/deserialize(): the saved form of a session.
//   0x21 | AD (u32 len, <= 4096) | base key 32 | initiator sign key 32 | flags u8 |
//   [pending initial header] | DHs public 32 | DHs secret 32 | [DHr 32] | RK 32 |
//   [CKs 32] | [CKr 32] | Ns u32 | Nr u32 | PN u32 |
//   skipped count u32 (<= kMaxSkippedKeys) | per key: ratchet key 32 | N u32 | MK 32 | stored_ms
//   u64
// flags: 1 initiated by me, 2 received any, 4 pending initial header, 8 DHr, 16 CKs, 32 CKr.
#include <sodium.h>

#include "crypto/byte_io.h"
#include "crypto/bytes.h"
#include "crypto/ratchet_session.h"
#include "crypto/sodium_init.h"

namespace fastchat::crypto {

namespace {

constexpr unsigned char kRatchetStateV1 = 0x21;
constexpr std::size_t kMaxAssociatedData = 4096;
constexpr std::uint64_t kMaxStoredMs = std::uint64_t{1} << 62;  // keeps age arithmetic in range
constexpr std::uint8_t kInitiatedByMe = 1, kReceivedAny = 2, kPendingInitial = 4, kHasRemote = 8,
                       kHasSendChain = 16, kHasReceiveChain = 32;

bool read_key(detail::ByteReader& r, std::string& out) {
  std::string_view v;
  if (!r.bytes(32, v)) return false;
  out = std::string(v);
  return true;
}

bool read_secret(detail::ByteReader& r, SecretBytes& out) {
  std::string_view v;
  if (!r.bytes(32, v)) return false;
  out = SecretBytes(v);
  return true;
}

}  // namespace

struct RatchetStateCodec {
  static SecretBytes write(const RatchetSession& s) {
    detail::ByteWriter w(512 + s.skipped_.size() * 80);
    std::uint8_t flags = 0;
    if (s.initiated_by_me_) flags |= kInitiatedByMe;
    if (s.received_any_) flags |= kReceivedAny;
    if (s.pending_initial_) flags |= kPendingInitial;
    if (!s.dh_remote_.empty()) flags |= kHasRemote;
    if (!s.send_chain_.empty()) flags |= kHasSendChain;
    if (!s.receive_chain_.empty()) flags |= kHasReceiveChain;
    w.u8(kRatchetStateV1);
    w.long_bytes(s.associated_data_);
    w.bytes(s.base_key_);
    w.bytes(s.initiator_sign_key_);
    w.u8(flags);
    if (s.pending_initial_) {
      const InitialHeader& h = *s.pending_initial_;
      w.bytes(h.initiator_sign_key);
      w.bytes(h.initiator_dh_key);
      w.bytes(h.ephemeral_key);
      w.u32(h.signed_prekey_id);
      w.u8(h.one_time_prekey_id ? 1 : 0);
      if (h.one_time_prekey_id) w.u32(*h.one_time_prekey_id);
    }
    w.bytes(s.dh_self_.public_key);
    w.bytes(s.dh_self_.secret_key.view());
    if (!s.dh_remote_.empty()) w.bytes(s.dh_remote_);
    w.bytes(s.root_key_.view());
    if (!s.send_chain_.empty()) w.bytes(s.send_chain_.view());
    if (!s.receive_chain_.empty()) w.bytes(s.receive_chain_.view());
    w.u32(s.send_count_);
    w.u32(s.receive_count_);
    w.u32(s.previous_count_);
    w.u32(static_cast<std::uint32_t>(s.skipped_.size()));
    for (const SkippedMessageKey& k : s.skipped_) {
      w.bytes(k.ratchet_key);
      w.u32(k.message_number);
      w.bytes(k.message_key.view());
      w.u64(static_cast<std::uint64_t>(k.stored_ms));
    }
    return w.take_secret();
  }

  static Result<RatchetSession> read(std::string_view bytes) {
    ensure_sodium();
    const Status malformed(Code::kCrypto, "malformed ratchet session state");
    detail::ByteReader r(bytes);
    RatchetSession s;
    std::uint8_t version = 0, flags = 0;
    std::string_view ad;
    if (!r.u8(version) || version != kRatchetStateV1 || !r.long_bytes(ad, kMaxAssociatedData) ||
        !read_key(r, s.base_key_) || !read_key(r, s.initiator_sign_key_) || !r.u8(flags) ||
        flags > 63) {
      return malformed;
    }
    s.associated_data_ = std::string(ad);
    s.initiated_by_me_ = flags & kInitiatedByMe;
    s.received_any_ = flags & kReceivedAny;
    if (flags & kPendingInitial) {
      InitialHeader h;
      std::uint8_t has_one_time = 0;
      if (!(flags & kInitiatedByMe) || !read_key(r, h.initiator_sign_key) ||
          !read_key(r, h.initiator_dh_key) || !read_key(r, h.ephemeral_key) ||
          !r.u32(h.signed_prekey_id) || !r.u8(has_one_time) || has_one_time > 1) {
        return malformed;
      }
      if (has_one_time) {
        std::uint32_t id = 0;
        if (!r.u32(id)) return malformed;
        h.one_time_prekey_id = id;
      }
      s.pending_initial_ = std::move(h);
    }
    if (!read_key(r, s.dh_self_.public_key) || !read_secret(r, s.dh_self_.secret_key) ||
        ((flags & kHasRemote) && !read_key(r, s.dh_remote_)) || !read_secret(r, s.root_key_) ||
        ((flags & kHasSendChain) && !read_secret(r, s.send_chain_)) ||
        ((flags & kHasReceiveChain) && !read_secret(r, s.receive_chain_)) ||
        !r.u32(s.send_count_) || !r.u32(s.receive_count_) || !r.u32(s.previous_count_)) {
      return malformed;
    }
    // The public half must be the secret's, or the peer could never answer.
    unsigned char derived[crypto_scalarmult_BYTES];
    if (crypto_scalarmult_base(derived, s.dh_self_.secret_key.data()) != 0 ||
        sodium_memcmp(derived, detail::u8(s.dh_self_.public_key), sizeof derived) != 0) {
      return malformed;
    }
    std::uint32_t skipped = 0;
    if (!r.u32(skipped) || skipped > kMaxSkippedKeys) return malformed;
    for (std::uint32_t i = 0; i < skipped; ++i) {
      SkippedMessageKey k;
      std::uint64_t stored = 0;
      if (!read_key(r, k.ratchet_key) || !r.u32(k.message_number) ||
          !read_secret(r, k.message_key) || !r.u64(stored) || stored > kMaxStoredMs) {
        return malformed;
      }
      k.stored_ms = static_cast<std::int64_t>(stored);
      s.skipped_.push_back(std::move(k));
    }
    if (!r.at_end()) return malformed;
    return s;
  }
};

SecretBytes RatchetSession::serialize() const {
  return RatchetStateCodec::write(*this);
}

Result<RatchetSession> RatchetSession::deserialize(std::string_view bytes) {
  return RatchetStateCodec::read(bytes);
}

}  // namespace fastchat::crypto
