#include "crypto/sender_key.h"

#include <sodium.h>

#include "crypto/byte_io.h"
#include "crypto/bytes.h"
#include "crypto/kdf.h"
#include "crypto/message_cipher.h"
#include "crypto/ratchet_message.h"
#include "crypto/sodium_init.h"

namespace fastchat::crypto {

namespace {

using detail::u8;

constexpr std::string_view kContext = "fastchat/sender-key/v1";
constexpr std::string_view kMessageLabel = "fastchat/sender-key/message/v1";

// Binds a message to its group and sender device: AEAD associated data and the prefix
// of the signed statement.
std::string group_context(std::string_view group_id, const DeviceAddress& sender) {
  detail::ByteWriter w(64 + group_id.size() + sender.user.size());
  w.bytes(kContext);
  w.short_bytes(group_id);
  w.short_bytes(sender.user);
  w.u32(sender.device_id);
  return w.take_public();
}

}  // namespace

SenderKeySender SenderKeySender::generate(std::string group_id, DeviceAddress me) {
  detail::require(!group_id.empty() && group_id.size() <= kMaxGroupId, "bad group id size");
  detail::require(me.user.size() <= kMaxAddressUser, "address user too long");
  ensure_sodium();
  SenderKeySender s;
  s.group_id_ = std::move(group_id);
  s.me_ = std::move(me);
  s.key_id_ = randombytes_random();
  s.chain_key_ = SecretBytes(kChainKeyBytes);
  randombytes_buf(s.chain_key_.data(), s.chain_key_.size());
  unsigned char pk[crypto_sign_PUBLICKEYBYTES];
  s.signing_secret_key_ = SecretBytes(crypto_sign_SECRETKEYBYTES);
  crypto_sign_keypair(pk, s.signing_secret_key_.data());
  s.signing_public_key_ = detail::as_string(pk, sizeof pk);
  return s;
}

SenderKeySender SenderKeySender::rotated() const {
  SenderKeySender next = generate(group_id_, me_);
  // Receivers refuse a known key id with another signing key: never reuse ours.
  while (next.key_id_ == key_id_)
    next.key_id_ = randombytes_random();
  return next;
}

SenderKeyDistribution SenderKeySender::distribution() const {
  return {group_id_, key_id_, iteration_, SecretBytes(chain_key_.view()), signing_public_key_};
}

Result<std::string> SenderKeySender::encrypt(std::string_view plaintext) {
  if (iteration_ == UINT32_MAX) return Status(Code::kLimitReached, "sender key exhausted");
  if (plaintext.size() > kMaxSealedMessage) return Status(Code::kTooLarge, "message too large");
  const std::string context = group_context(group_id_, me_);
  ChainStep step = chain_step(chain_key_);
  SenderKeyMessage m;
  m.key_id = key_id_;
  m.iteration = iteration_;
  const std::string header = encode_sender_key_header(key_id_, iteration_);
  m.ciphertext =
      seal_with_message_key(step.message_key, kMessageLabel, plaintext, context + header);
  const std::string statement = context + header + m.ciphertext;
  unsigned char signature[crypto_sign_BYTES];
  crypto_sign_detached(signature, nullptr, u8(statement), statement.size(),
                       signing_secret_key_.data());
  m.signature = detail::as_string(signature, sizeof signature);
  chain_key_ = std::move(step.next_chain_key);
  ++iteration_;
  return encode_sender_key_message(m);
}

SenderKeyReceiver::SenderKeyReceiver(std::string group_id, DeviceAddress sender)
    : group_id_(std::move(group_id)), sender_(std::move(sender)) {}

bool SenderKeyReceiver::knows_key(std::uint32_t key_id) const {
  for (const Chain& c : chains_) {
    if (c.key_id == key_id) return true;
  }
  return false;
}

std::size_t SenderKeyReceiver::skipped_key_count() const {
  std::size_t n = 0;
  for (const Chain& c : chains_)
    n += c.skipped.size();
  return n;
}

Status SenderKeyReceiver::add(const SenderKeyDistribution& d) {
  if (d.group_id != group_id_) {
    return Status(Code::kCrypto, "sender key distribution is for another group");
  }
  if (d.chain_key.size() != kChainKeyBytes || d.signing_public_key.size() != 32) {
    return Status(Code::kCrypto, "malformed sender key distribution");
  }
  for (const Chain& c : chains_) {
    if (c.key_id != d.key_id) continue;
    if (c.signing_public_key != d.signing_public_key) {
      return Status(Code::kCrypto, "sender key id reused with another signing key");
    }
    return Status::ok();
  }
  Chain chain;
  chain.key_id = d.key_id;
  chain.iteration = d.iteration;
  chain.chain_key = SecretBytes(d.chain_key.view());
  chain.signing_public_key = d.signing_public_key;
  chains_.push_back(std::move(chain));
  while (chains_.size() > kMaxSenderKeysPerSender)
    chains_.erase(chains_.begin());
  return Status::ok();
}

Result<std::string> SenderKeyReceiver::decrypt(std::string_view bytes, std::int64_t now_ms) {
  ensure_sodium();
  Result<SenderKeyMessage> m = decode_sender_key_message(bytes);
  if (!m) return m.status();
  Chain* chain = nullptr;
  for (Chain& c : chains_) {
    if (c.key_id == m->key_id) chain = &c;
  }
  if (chain == nullptr) return Status(Code::kCrypto, "unknown sender key");

  const std::string context = group_context(group_id_, sender_);
  const std::string header = encode_sender_key_header(m->key_id, m->iteration);
  const std::string statement = context + header + m->ciphertext;
  if (crypto_sign_verify_detached(u8(m->signature), u8(statement), statement.size(),
                                  u8(chain->signing_public_key)) != 0) {
    return Status(Code::kCrypto, "sender key message signature does not verify");
  }
  while (!chain->skipped.empty() &&
         chain->skipped.front().stored_ms < now_ms - kSenderKeySkippedMaxAgeMs) {
    chain->skipped.pop_front();
  }
  const std::string ad = context + header;

  if (m->iteration < chain->iteration) {
    for (auto it = chain->skipped.begin(); it != chain->skipped.end(); ++it) {
      if (it->iteration != m->iteration) continue;
      Result<std::string> plaintext =
          open_with_message_key(it->message_key, kMessageLabel, m->ciphertext, ad);
      if (plaintext) chain->skipped.erase(it);
      return plaintext;
    }
    return Status(Code::kCrypto, "sender key message replayed or its key expired");
  }
  if (m->iteration - chain->iteration > kMaxSenderKeySkip || m->iteration == UINT32_MAX) {
    return Status(Code::kCrypto, "sender key message is too far ahead of its chain");
  }
  std::deque<SkippedKey> passed;
  SecretBytes key(chain->chain_key.view());
  for (std::uint32_t i = chain->iteration; i < m->iteration; ++i) {
    ChainStep step = chain_step(key);
    passed.push_back({i, std::move(step.message_key), now_ms});
    key = std::move(step.next_chain_key);
  }
  ChainStep step = chain_step(key);
  Result<std::string> plaintext =
      open_with_message_key(step.message_key, kMessageLabel, m->ciphertext, ad);
  if (!plaintext) return plaintext;
  chain->chain_key = std::move(step.next_chain_key);
  chain->iteration = m->iteration + 1;
  for (auto& k : passed)
    chain->skipped.push_back(std::move(k));
  while (chain->skipped.size() > kMaxSenderKeySkippedKeys)
    chain->skipped.pop_front();
  return plaintext;
}

}  // namespace fastchat::crypto
