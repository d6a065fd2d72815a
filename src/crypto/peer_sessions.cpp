#include "crypto/peer_sessions.h"

#include <algorithm>

#include "crypto/byte_io.h"
#include "crypto/bytes.h"

namespace fastchat::crypto {

namespace {

// 0x23 | peer user (u8 len) | device u32 | sign key 32 | DH key 32 | n u8 |
// (session state: u32 len | bytes)*
constexpr unsigned char kPeerSessionsV1 = 0x23;
constexpr std::size_t kMaxSessionState = 1024 * 1024;

}  // namespace

PeerSessions::PeerSessions(DeviceAddress peer, std::string peer_sign_key, std::string peer_dh_key)
    : peer_(std::move(peer)),
      peer_sign_key_(std::move(peer_sign_key)),
      peer_dh_key_(std::move(peer_dh_key)) {}

std::string PeerSessions::active_base_key() const {
  return sessions_.empty() ? std::string() : sessions_.front().base_key();
}

Status PeerSessions::start(const LocalDevice& me, const PrekeyBundle& bundle) {
  if (bundle.address != peer_ || bundle.identity_sign_key != peer_sign_key_ ||
      bundle.identity_dh_key != peer_dh_key_) {
    return Status(Code::kCrypto, "prekey bundle is not for this contact's device and identity");
  }
  Result<X3dhInitiation> x3dh = x3dh_initiate(me.identity, me.address, bundle);
  if (!x3dh) return x3dh.status();
  sessions_.insert(sessions_.begin(), RatchetSession::initiate(std::move(*x3dh)));
  trim();
  return Status::ok();
}

Result<std::string> PeerSessions::encrypt(std::string_view plaintext) {
  if (sessions_.empty()) return Status(Code::kNotFound, "no session with this device");
  return sessions_.front().encrypt(plaintext);
}

Result<std::string> PeerSessions::decrypt(const LocalDevice& me, LocalPrekeys& prekeys,
                                          std::string_view message, std::int64_t now_ms) {
  if (message.empty()) return Status(Code::kCrypto, "empty message");
  if (static_cast<unsigned char>(message[0]) == kPrekeyMessageV1) {
    return decrypt_prekey(me, prekeys, message, now_ms);
  }
  return decrypt_ratchet(message, now_ms);
}

Result<std::string> PeerSessions::decrypt_ratchet(std::string_view bytes, std::int64_t now_ms) {
  Result<RatchetMessage> message = decode_ratchet_message(bytes);
  if (!message) return message.status();
  if (sessions_.empty()) return Status(Code::kCrypto, "no session with this device");
  Status last;
  for (std::size_t i = 0; i < sessions_.size(); ++i) {
    Result<std::string> plaintext = sessions_[i].decrypt(*message, now_ms);
    if (plaintext) {
      promote(i);
      return plaintext;
    }
    last = plaintext.status();
  }
  return last;
}

void PeerSessions::promote(std::size_t index) {
  // The session the peer last sent on is one it has: send on it too (Signal's rule).
  std::rotate(sessions_.begin(), sessions_.begin() + static_cast<std::ptrdiff_t>(index),
              sessions_.begin() + static_cast<std::ptrdiff_t>(index) + 1);
}

Result<std::string> PeerSessions::decrypt_prekey(const LocalDevice& me, LocalPrekeys& prekeys,
                                                 std::string_view bytes, std::int64_t now_ms) {
  Result<PrekeyMessage> message = decode_prekey_message(bytes);
  if (!message) return message.status();
  const InitialHeader& initial = message->initial;
  if (initial.initiator_sign_key != peer_sign_key_ || initial.initiator_dh_key != peer_dh_key_) {
    return Status(Code::kCrypto, "initial message is under another identity key");
  }
  // Every message of the initiator carries the header until we answer: a session we
  // already have decrypts it (and rejects a replay).
  for (std::size_t i = 0; i < sessions_.size(); ++i) {
    RatchetSession& session = sessions_[i];
    if (session.base_key() == initial.ephemeral_key && !session.initiated_by_me()) {
      Result<std::string> plaintext = session.decrypt(message->message, now_ms);
      if (plaintext) promote(i);
      return plaintext;
    }
  }
  if (prekeys.base_key_seen(initial.ephemeral_key)) {
    return Status(Code::kCrypto, "initial message replayed");
  }
  const PrekeyPair* signed_prekey = prekeys.signed_prekey(initial.signed_prekey_id);
  if (signed_prekey == nullptr) return Status(Code::kCrypto, "unknown signed prekey");
  const PrekeyPair* one_time = nullptr;
  if (initial.one_time_prekey_id) {
    one_time = prekeys.one_time(*initial.one_time_prekey_id);
    if (one_time == nullptr) return Status(Code::kCrypto, "one-time prekey unknown or used");
  }
  Result<X3dhOutput> x3dh =
      x3dh_respond(me.identity, me.address, *signed_prekey, one_time, initial, peer_);
  if (!x3dh) return x3dh.status();
  Result<RatchetSession::Responded> responded =
      RatchetSession::respond(std::move(*x3dh), *signed_prekey, initial, message->message, now_ms);
  if (!responded) return responded.status();
  if (initial.one_time_prekey_id) prekeys.consume_one_time(*initial.one_time_prekey_id);
  prekeys.remember_base_key(initial.ephemeral_key);
  add_opened_by_peer(std::move(responded->session));
  return std::move(responded->plaintext);
}

void PeerSessions::add_opened_by_peer(RatchetSession session) {
  sessions_.insert(sessions_.begin(), std::move(session));
  trim();
}

void PeerSessions::trim() {
  while (sessions_.size() > kMaxSessions)
    sessions_.pop_back();
}

SecretBytes PeerSessions::serialize() const {
  detail::ByteWriter w(1024);
  w.u8(kPeerSessionsV1);
  w.short_bytes(peer_.user);
  w.u32(peer_.device_id);
  w.bytes(peer_sign_key_);
  w.bytes(peer_dh_key_);
  w.u8(static_cast<std::uint8_t>(sessions_.size()));
  for (const RatchetSession& s : sessions_) {
    const SecretBytes state = s.serialize();
    w.long_bytes(state.view());
  }
  return w.take_secret();
}

Result<PeerSessions> PeerSessions::deserialize(std::string_view bytes) {
  const Status malformed(Code::kCrypto, "malformed peer sessions state");
  detail::ByteReader r(bytes);
  std::uint8_t version = 0, count = 0;
  std::string_view user, sign, dh;
  std::uint32_t device = 0;
  if (!r.u8(version) || version != kPeerSessionsV1 || !r.short_bytes(user) || user.empty() ||
      !r.u32(device) || !r.bytes(kEd25519KeyBytes, sign) || !r.bytes(kX25519KeyBytes, dh) ||
      !r.u8(count) || count > kMaxSessions) {
    return malformed;
  }
  PeerSessions out(DeviceAddress{std::string(user), device}, std::string(sign), std::string(dh));
  for (unsigned i = 0; i < count; ++i) {
    std::string_view state;
    if (!r.long_bytes(state, kMaxSessionState)) return malformed;
    Result<RatchetSession> session = RatchetSession::deserialize(state);
    if (!session) return malformed;
    out.sessions_.push_back(std::move(*session));
  }
  if (!r.at_end()) return malformed;
  return out;
}

}  // namespace fastchat::crypto
