#include "crypto/sender_key_message.h"

#include "crypto/byte_io.h"
#include "crypto/bytes.h"
#include "crypto/message_cipher.h"
#include "crypto/ratchet_message.h"

namespace fastchat::crypto {

SecretBytes encode_sender_key_distribution(const SenderKeyDistribution& d) {
  detail::require(!d.group_id.empty() && d.group_id.size() <= kMaxGroupId, "bad group id size");
  detail::require(d.chain_key.size() == 32 && d.signing_public_key.size() == 32,
                  "bad sender key sizes");
  detail::ByteWriter w(128 + d.group_id.size());
  w.u8(kSenderKeyDistributionV1);
  w.short_bytes(d.group_id);
  w.u32(d.key_id);
  w.u32(d.iteration);
  w.bytes(d.chain_key.view());
  w.bytes(d.signing_public_key);
  return w.take_secret();
}

Result<SenderKeyDistribution> decode_sender_key_distribution(std::string_view bytes) {
  detail::ByteReader r(bytes);
  SenderKeyDistribution d;
  std::uint8_t version = 0;
  std::string_view group, chain, signing;
  if (!r.u8(version) || version != kSenderKeyDistributionV1 || !r.short_bytes(group) ||
      group.empty() || !r.u32(d.key_id) || !r.u32(d.iteration) || !r.bytes(32, chain) ||
      !r.bytes(32, signing) || !r.at_end()) {
    return Status(Code::kCrypto, "malformed sender key distribution");
  }
  d.group_id = std::string(group);
  d.chain_key = SecretBytes(chain);
  d.signing_public_key = std::string(signing);
  return d;
}

std::string encode_sender_key_header(std::uint32_t key_id, std::uint32_t iteration) {
  detail::ByteWriter w(kSenderKeyHeaderBytes);
  w.u8(kSenderKeyMessageV1);
  w.u32(key_id);
  w.u32(iteration);
  return w.take_public();
}

std::string encode_sender_key_message(const SenderKeyMessage& m) {
  detail::require(m.signature.size() == 64, "sender key signature has the wrong size");
  detail::ByteWriter w(kSenderKeyHeaderBytes + m.ciphertext.size() + 64);
  w.bytes(encode_sender_key_header(m.key_id, m.iteration));
  w.bytes(m.ciphertext);
  w.bytes(m.signature);
  return w.take_public();
}

Result<SenderKeyMessage> decode_sender_key_message(std::string_view bytes) {
  detail::ByteReader r(bytes);
  SenderKeyMessage m;
  std::uint8_t version = 0;
  if (!r.u8(version) || version != kSenderKeyMessageV1 || !r.u32(m.key_id) || !r.u32(m.iteration) ||
      r.remaining() < kMessageCipherOverhead + 64 ||
      r.remaining() > kMaxSealedMessage + kMessageCipherOverhead + 64) {
    return Status(Code::kCrypto, "malformed sender key message");
  }
  const std::string_view rest = r.rest();
  m.ciphertext = std::string(rest.substr(0, rest.size() - 64));
  m.signature = std::string(rest.substr(rest.size() - 64));
  return m;
}

}  // namespace fastchat::crypto
