#include "crypto/ratchet_session.h"

#include <sodium.h>

#include "crypto/bytes.h"
#include "crypto/kdf.h"
#include "crypto/message_cipher.h"
#include "crypto/sodium_init.h"

namespace fastchat::crypto {

namespace {

using detail::u8;

constexpr std::string_view kRootInfo = "fastchat/ratchet/root/v1";
constexpr std::string_view kMessageLabel = "fastchat/ratchet/message/v1";

struct RootStep {
  SecretBytes root_key;
  SecretBytes chain_key;
};

// KDF_RK(rk, DH(secret, public)); nullopt on a low-order public key.
std::optional<RootStep> root_step(const SecretBytes& root_key, const SecretBytes& secret,
                                  std::string_view public_key) {
  SecretBytes dh(crypto_scalarmult_BYTES);
  if (public_key.size() != crypto_scalarmult_BYTES ||
      crypto_scalarmult(dh.data(), secret.data(), u8(public_key)) != 0) {
    return std::nullopt;
  }
  const SecretBytes out = hkdf_sha256(root_key.view(), dh.view(), kRootInfo, 64);
  return RootStep{SecretBytes(out.view().substr(0, 32)), SecretBytes(out.view().substr(32))};
}

// Advances `chain` (at message `count`) past message `until - 1`, keeping the keys it
// passes over in `skipped`.
void skip_to(SecretBytes& chain, std::uint32_t count, std::uint32_t until,
             std::string_view ratchet_key, std::int64_t now_ms,
             std::deque<SkippedMessageKey>& skipped) {
  for (; count < until; ++count) {
    ChainStep step = chain_step(chain);
    skipped.push_back({std::string(ratchet_key), count, std::move(step.message_key), now_ms});
    chain = std::move(step.next_chain_key);
  }
}

}  // namespace

RatchetSession RatchetSession::initiate(X3dhInitiation initiation) {
  RatchetSession s;
  s.associated_data_ = std::move(initiation.output.associated_data);
  s.base_key_ = initiation.header.ephemeral_key;
  s.initiator_sign_key_ = initiation.header.initiator_sign_key;
  s.initiated_by_me_ = true;
  s.dh_self_ = generate_prekey(0);
  s.dh_remote_ = std::move(initiation.responder_signed_prekey);
  // The bundle was verified (low-order keys refused), so this step cannot fail.
  std::optional<RootStep> step =
      root_step(initiation.output.shared_secret, s.dh_self_.secret_key, s.dh_remote_);
  detail::require(step.has_value(), "verified signed prekey failed DH");
  s.root_key_ = std::move(step->root_key);
  s.send_chain_ = std::move(step->chain_key);
  s.pending_initial_ = std::move(initiation.header);
  return s;
}

Result<RatchetSession::Responded> RatchetSession::respond(X3dhOutput x3dh,
                                                          const PrekeyPair& signed_prekey,
                                                          const InitialHeader& initial,
                                                          const RatchetMessage& first,
                                                          std::int64_t now_ms) {
  RatchetSession s;
  s.associated_data_ = std::move(x3dh.associated_data);
  s.base_key_ = initial.ephemeral_key;
  s.initiator_sign_key_ = initial.initiator_sign_key;
  s.initiated_by_me_ = false;
  s.dh_self_ = clone_prekey(signed_prekey);
  s.root_key_ = std::move(x3dh.shared_secret);
  Result<std::string> plaintext = s.decrypt(first, now_ms);
  if (!plaintext) return plaintext.status();
  return Responded{std::move(s), std::move(*plaintext)};
}

Result<std::string> RatchetSession::encrypt(std::string_view plaintext) {
  if (send_chain_.empty()) return Status(Code::kInternal, "session cannot send yet");
  if (send_count_ == UINT32_MAX) return Status(Code::kLimitReached, "sending chain exhausted");
  if (plaintext.size() > kMaxSealedMessage) return Status(Code::kTooLarge, "message too large");
  ChainStep step = chain_step(send_chain_);
  RatchetMessage message;
  message.header = {dh_self_.public_key, previous_count_, send_count_};
  const std::string header = encode_ratchet_header(message.header);
  message.ciphertext =
      seal_with_message_key(step.message_key, kMessageLabel, plaintext, associated_data_ + header);
  send_chain_ = std::move(step.next_chain_key);
  ++send_count_;
  if (pending_initial_) return encode_prekey_message({*pending_initial_, std::move(message)});
  return encode_ratchet_message(message);
}

Result<std::string> RatchetSession::open(const SecretBytes& message_key,
                                         const RatchetMessage& message) const {
  return open_with_message_key(message_key, kMessageLabel, message.ciphertext,
                               associated_data_ + encode_ratchet_header(message.header));
}

void RatchetSession::expire_skipped(std::int64_t now_ms) {
  while (!skipped_.empty() && skipped_.front().stored_ms < now_ms - kSkippedKeyMaxAgeMs) {
    skipped_.pop_front();
  }
}

void RatchetSession::store_skipped(std::deque<SkippedMessageKey>& keys) {
  for (auto& key : keys)
    skipped_.push_back(std::move(key));
  while (skipped_.size() > kMaxSkippedKeys)
    skipped_.pop_front();
}

Result<std::string> RatchetSession::decrypt(const RatchetMessage& message, std::int64_t now_ms) {
  ensure_sodium();
  const RatchetHeader& h = message.header;
  if (h.ratchet_key.size() != kX25519KeyBytes || h.message_number == UINT32_MAX) {
    return Status(Code::kCrypto, "malformed ratchet message");
  }
  expire_skipped(now_ms);

  // 1. A message that arrived late: its key waits in the store, used once.
  for (auto it = skipped_.begin(); it != skipped_.end(); ++it) {
    if (it->message_number == h.message_number && it->ratchet_key == h.ratchet_key) {
      Result<std::string> plaintext = open(it->message_key, message);
      if (!plaintext) return plaintext;  // keep the key for the genuine message
      skipped_.erase(it);
      received_any_ = true;
      pending_initial_.reset();
      return plaintext;
    }
  }

  // 2. The current receiving chain: everything is computed aside and committed only
  // once the message decrypted.
  std::deque<SkippedMessageKey> passed;
  if (!receive_chain_.empty() && h.ratchet_key == dh_remote_) {
    if (h.message_number < receive_count_) {
      return Status(Code::kCrypto, "message replayed or its key expired");
    }
    if (h.message_number - receive_count_ > kMaxSkip) {
      return Status(Code::kCrypto, "message is too far ahead of its chain");
    }
    SecretBytes chain(receive_chain_.view());
    skip_to(chain, receive_count_, h.message_number, h.ratchet_key, now_ms, passed);
    ChainStep step = chain_step(chain);
    Result<std::string> plaintext = open(step.message_key, message);
    if (!plaintext) return plaintext;
    receive_chain_ = std::move(step.next_chain_key);
    receive_count_ = h.message_number + 1;
    store_skipped(passed);
    received_any_ = true;
    pending_initial_.reset();
    return plaintext;
  }

  // 3. A new ratchet key from the peer: a DH ratchet step.
  if (!receive_chain_.empty() && h.previous_chain_length > receive_count_ &&
      h.previous_chain_length - receive_count_ > kMaxSkip) {
    return Status(Code::kCrypto, "message is too far ahead of its chain");
  }
  if (h.message_number > kMaxSkip) {
    return Status(Code::kCrypto, "message is too far ahead of its chain");
  }
  if (!receive_chain_.empty()) {
    SecretBytes old_chain(receive_chain_.view());
    skip_to(old_chain, receive_count_, h.previous_chain_length, dh_remote_, now_ms, passed);
  }
  std::optional<RootStep> receiving = root_step(root_key_, dh_self_.secret_key, h.ratchet_key);
  if (!receiving) return Status(Code::kCrypto, "message has an invalid ratchet key");
  skip_to(receiving->chain_key, 0, h.message_number, h.ratchet_key, now_ms, passed);
  ChainStep step = chain_step(receiving->chain_key);
  Result<std::string> plaintext = open(step.message_key, message);
  if (!plaintext) return plaintext;

  PrekeyPair next_self = generate_prekey(0);
  std::optional<RootStep> sending =
      root_step(receiving->root_key, next_self.secret_key, h.ratchet_key);
  detail::require(sending.has_value(), "DH with a checked ratchet key failed");
  previous_count_ = send_count_;
  send_count_ = 0;
  receive_count_ = h.message_number + 1;
  dh_remote_ = h.ratchet_key;
  dh_self_ = std::move(next_self);
  root_key_ = std::move(sending->root_key);
  send_chain_ = std::move(sending->chain_key);
  receive_chain_ = std::move(step.next_chain_key);
  store_skipped(passed);
  received_any_ = true;
  pending_initial_.reset();
  return plaintext;
}

}  // namespace fastchat::crypto
