// One Double Ratchet session with one peer device (Signal specification, rev. 1,
// 2016-11-20): a DH ratchet on X25519, HKDF root chain, HMAC sending/receiving chains,
// message keys used once, a bounded store of skipped message keys for out-of-order
// messages. decrypt() is transactional: on any error the session is unchanged (but for
// dropping skipped keys past their age), so a forged or replayed message cannot damage it.
// Move-only value; not thread-safe (one owner per session, e.g. the client's session store).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "crypto/ratchet_message.h"
#include "crypto/secret.h"
#include "crypto/x3dh.h"

namespace fastchat::crypto {

// Limits (docs/e2ee-v2.md "Limits"). A message that would need more skipped keys than
// kMaxSkip in one chain is refused; the store keeps at most kMaxSkippedKeys keys (the
// oldest go first) and drops keys older than kSkippedKeyMaxAgeMs.
inline constexpr std::uint32_t kMaxSkip = 1000;
inline constexpr std::size_t kMaxSkippedKeys = 2000;
inline constexpr std::int64_t kSkippedKeyMaxAgeMs = 30LL * 24 * 3600 * 1000;

// A message key kept for a message that has not arrived yet.
struct SkippedMessageKey {
  std::string ratchet_key;
  std::uint32_t message_number = 0;
  SecretBytes message_key;
  std::int64_t stored_ms = 0;
};

class RatchetSession {
 public:
  RatchetSession(RatchetSession&&) noexcept = default;
  RatchetSession& operator=(RatchetSession&&) noexcept = default;

  // Alice: after x3dh_initiate(). Her messages carry the initial header until Bob replies.
  static RatchetSession initiate(X3dhInitiation initiation);
  // Bob: after x3dh_respond(); decrypts the first message, which a session must do
  // before it exists (Bob cannot send before that). Fails when it does not decrypt.
  struct Responded;
  static Result<Responded> respond(X3dhOutput x3dh, const PrekeyPair& signed_prekey,
                                   const InitialHeader& initial, const RatchetMessage& first,
                                   std::int64_t now_ms);

  // A prekey message (while unanswered) or a ratchet message, encoded.
  // kLimitReached when the sending counter is exhausted (2^32 messages in one chain).
  Result<std::string> encrypt(std::string_view plaintext);
  // kCrypto when the message does not decrypt: tampered, replayed (every message key
  // is used once), expired, or more than kMaxSkip messages ahead.
  Result<std::string> decrypt(const RatchetMessage& message, std::int64_t now_ms);

  // The initiator's base (ephemeral) key: identifies the session on both sides.
  const std::string& base_key() const { return base_key_; }
  const std::string& initiator_sign_key() const { return initiator_sign_key_; }
  bool initiated_by_me() const { return initiated_by_me_; }
  // True once a message of the peer decrypted in this session.
  bool received_any() const { return received_any_; }
  std::size_t skipped_key_count() const { return skipped_.size(); }

  // Versioned, length-checked state for saving atomically with the history
  // (ratchet_state_codec.cpp). deserialize: kCrypto on malformed input.
  SecretBytes serialize() const;
  static Result<RatchetSession> deserialize(std::string_view bytes);

 private:
  friend struct RatchetStateCodec;

  RatchetSession() = default;
  void expire_skipped(std::int64_t now_ms);
  void store_skipped(std::deque<SkippedMessageKey>& keys);
  Result<std::string> open(const SecretBytes& message_key, const RatchetMessage& message) const;

  std::string associated_data_;  // X3DH AD
  std::string base_key_;
  std::string initiator_sign_key_;
  bool initiated_by_me_ = false;
  bool received_any_ = false;
  std::optional<InitialHeader> pending_initial_;

  PrekeyPair dh_self_;                     // DHs (id unused)
  std::string dh_remote_;                  // DHr, empty before the first message from the peer
  SecretBytes root_key_;                   // RK
  SecretBytes send_chain_;                 // CKs, empty until the first DH ratchet step
  SecretBytes receive_chain_;              // CKr, empty until the first message from the peer
  std::uint32_t send_count_ = 0;           // Ns
  std::uint32_t receive_count_ = 0;        // Nr
  std::uint32_t previous_count_ = 0;       // PN
  std::deque<SkippedMessageKey> skipped_;  // oldest first
};

struct RatchetSession::Responded {
  RatchetSession session;
  std::string plaintext;
};

}  // namespace fastchat::crypto
