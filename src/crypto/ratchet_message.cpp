#include "crypto/ratchet_message.h"

#include "crypto/byte_io.h"
#include "crypto/bytes.h"
#include "crypto/message_cipher.h"

namespace fastchat::crypto {

namespace {

void write_header(detail::ByteWriter& w, const RatchetHeader& header) {
  detail::require(header.ratchet_key.size() == kX25519KeyBytes, "ratchet key has the wrong size");
  w.u8(kRatchetMessageV1);
  w.bytes(header.ratchet_key);
  w.u32(header.previous_chain_length);
  w.u32(header.message_number);
}

}  // namespace

std::string encode_ratchet_header(const RatchetHeader& header) {
  detail::ByteWriter w(kRatchetHeaderBytes);
  write_header(w, header);
  return w.take_public();
}

std::string encode_ratchet_message(const RatchetMessage& message) {
  detail::ByteWriter w(kRatchetHeaderBytes + message.ciphertext.size());
  write_header(w, message.header);
  w.bytes(message.ciphertext);
  return w.take_public();
}

std::string encode_prekey_message(const PrekeyMessage& message) {
  const InitialHeader& h = message.initial;
  detail::ByteWriter w(160 + message.message.ciphertext.size());
  w.u8(kPrekeyMessageV1);
  w.bytes(h.initiator_sign_key);
  w.bytes(h.initiator_dh_key);
  w.bytes(h.ephemeral_key);
  w.u32(h.signed_prekey_id);
  w.u8(h.one_time_prekey_id ? 1 : 0);
  if (h.one_time_prekey_id) w.u32(*h.one_time_prekey_id);
  w.bytes(encode_ratchet_message(message.message));
  return w.take_public();
}

Result<RatchetMessage> decode_ratchet_message(std::string_view bytes) {
  detail::ByteReader r(bytes);
  RatchetMessage m;
  std::uint8_t version = 0;
  std::string_view key;
  if (!r.u8(version) || version != kRatchetMessageV1 || !r.bytes(kX25519KeyBytes, key) ||
      !r.u32(m.header.previous_chain_length) || !r.u32(m.header.message_number) ||
      r.remaining() < kMessageCipherOverhead ||
      r.remaining() > kMaxSealedMessage + kMessageCipherOverhead) {
    return Status(Code::kCrypto, "malformed ratchet message");
  }
  m.header.ratchet_key = std::string(key);
  m.ciphertext = std::string(r.rest());
  return m;
}

Result<PrekeyMessage> decode_prekey_message(std::string_view bytes) {
  detail::ByteReader r(bytes);
  PrekeyMessage m;
  std::uint8_t version = 0, has_one_time = 0;
  std::string_view sign, dh, base;
  bool ok = r.u8(version) && version == kPrekeyMessageV1 && r.bytes(kEd25519KeyBytes, sign) &&
            r.bytes(kX25519KeyBytes, dh) && r.bytes(kX25519KeyBytes, base) &&
            r.u32(m.initial.signed_prekey_id) && r.u8(has_one_time) && has_one_time <= 1;
  if (ok && has_one_time == 1) {
    std::uint32_t id = 0;
    ok = r.u32(id);
    m.initial.one_time_prekey_id = id;
  }
  if (!ok) return Status(Code::kCrypto, "malformed prekey message");
  Result<RatchetMessage> inner = decode_ratchet_message(r.rest());
  if (!inner) return Status(Code::kCrypto, "malformed prekey message");
  m.initial.initiator_sign_key = std::string(sign);
  m.initial.initiator_dh_key = std::string(dh);
  m.initial.ephemeral_key = std::string(base);
  m.message = std::move(*inner);
  return m;
}

}  // namespace fastchat::crypto
