// Sender Keys for groups (the Signal/WhatsApp group design): each member device has,
// per group, a symmetric chain (HMAC steps as in the Double Ratchet) and an Ed25519
// signing key. It sends the chain's current state to every other member over their 1:1
// sessions (a SenderKeyDistribution), then encrypts each group message once; receivers
// check the signature, then derive the message key. Rotation = a new SenderKeySender
// (new key id, chain and signing key) distributed to the remaining members only.
// Message keys are used once; receivers keep a bounded store of skipped keys.
// Value types; not thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "crypto/device_address.h"
#include "crypto/secret.h"
#include "crypto/sender_key_message.h"

namespace fastchat::crypto {

inline constexpr std::uint32_t kMaxSenderKeySkip = 1000;
inline constexpr std::size_t kMaxSenderKeySkippedKeys = 2000;
inline constexpr std::size_t kMaxSenderKeysPerSender = 2;  // the current and the previous
inline constexpr std::int64_t kSenderKeySkippedMaxAgeMs = 30LL * 24 * 3600 * 1000;

// Our own chain in one group.
class SenderKeySender {
 public:
  // `me` is this device; group_id is 1..kMaxGroupId bytes.
  static SenderKeySender generate(std::string group_id, DeviceAddress me);
  // A new chain and signing key for the same group under another key id: what to send
  // after a member left or was removed (distribute it to the remaining members only).
  SenderKeySender rotated() const;

  // The current state, to send to each member over a 1:1 session.
  SenderKeyDistribution distribution() const;
  // kLimitReached when the chain is exhausted (rotate), kTooLarge for a huge message.
  Result<std::string> encrypt(std::string_view plaintext);

  std::uint32_t key_id() const { return key_id_; }
  std::uint32_t iteration() const { return iteration_; }

  SecretBytes serialize() const;
  static Result<SenderKeySender> deserialize(std::string_view bytes);

 private:
  friend struct SenderKeyStateCodec;
  SenderKeySender() = default;

  std::string group_id_;
  DeviceAddress me_;
  std::uint32_t key_id_ = 0;
  std::uint32_t iteration_ = 0;
  SecretBytes chain_key_;
  std::string signing_public_key_;
  SecretBytes signing_secret_key_;
};

// The chains of one sender device in one group, as one receiver holds them.
class SenderKeyReceiver {
 public:
  SenderKeyReceiver(std::string group_id, DeviceAddress sender);

  // Adds a chain received from the sender over a 1:1 session. kCrypto when it is for
  // another group or reuses a known key id with another signing key. A known key id
  // is kept as it is (a distribution never gives back keys already used or passed).
  // Beyond kMaxSenderKeysPerSender chains the oldest is dropped.
  Status add(const SenderKeyDistribution& distribution);

  // kCrypto on a bad signature, an unknown key id, a replay, a key that expired or a
  // message more than kMaxSenderKeySkip ahead. Transactional: on error nothing changes
  // but the dropping of skipped keys past their age.
  Result<std::string> decrypt(std::string_view message, std::int64_t now_ms);

  bool knows_key(std::uint32_t key_id) const;
  std::size_t skipped_key_count() const;

  SecretBytes serialize() const;
  static Result<SenderKeyReceiver> deserialize(std::string_view bytes);

 private:
  friend struct SenderKeyStateCodec;
  struct SkippedKey {
    std::uint32_t iteration = 0;
    SecretBytes message_key;
    std::int64_t stored_ms = 0;
  };
  struct Chain {
    std::uint32_t key_id = 0;
    std::uint32_t iteration = 0;  // the next message number the chain key is for
    SecretBytes chain_key;
    std::string signing_public_key;
    std::deque<SkippedKey> skipped;  // oldest first
  };

  std::string group_id_;
  DeviceAddress sender_;
  std::vector<Chain> chains_;  // oldest first
};

}  // namespace fastchat::crypto
