#include "crypto/x3dh_codec.h"

#include "crypto/byte_io.h"
#include "crypto/bytes.h"

namespace fastchat::crypto {

// 0x15 | user (u8 len) | device u32 | sign key 32 | DH key 32 | spk id u32 | spk 32 |
// spk signature 64 | has one-time prekey u8 (0/1) | [otpk id u32 | otpk 32]
std::string encode_bundle(const PrekeyBundle& bundle) {
  detail::require(bundle.address.user.size() <= kMaxAddressUser, "bundle user too long");
  detail::ByteWriter w(256);
  w.u8(kPrekeyBundleV1);
  w.short_bytes(bundle.address.user);
  w.u32(bundle.address.device_id);
  w.bytes(bundle.identity_sign_key);
  w.bytes(bundle.identity_dh_key);
  w.u32(bundle.signed_prekey.id);
  w.bytes(bundle.signed_prekey.public_key);
  w.bytes(bundle.signed_prekey.signature);
  w.u8(bundle.one_time_prekey ? 1 : 0);
  if (bundle.one_time_prekey) {
    w.u32(bundle.one_time_prekey->id);
    w.bytes(bundle.one_time_prekey->public_key);
  }
  return w.take_public();
}

Result<PrekeyBundle> decode_bundle(std::string_view bytes) {
  detail::ByteReader r(bytes);
  PrekeyBundle b;
  std::uint8_t version = 0, has_one_time = 0;
  std::string_view user, sign, dh, spk, sig;
  bool ok = r.u8(version) && version == kPrekeyBundleV1 && r.short_bytes(user) &&
            r.u32(b.address.device_id) && r.bytes(kEd25519KeyBytes, sign) &&
            r.bytes(kX25519KeyBytes, dh) && r.u32(b.signed_prekey.id) &&
            r.bytes(kX25519KeyBytes, spk) && r.bytes(kSignatureBytes, sig) && r.u8(has_one_time) &&
            has_one_time <= 1;
  if (ok && has_one_time == 1) {
    std::string_view otpk;
    OneTimePrekey one_time;
    ok = r.u32(one_time.id) && r.bytes(kX25519KeyBytes, otpk);
    one_time.public_key = std::string(otpk);
    b.one_time_prekey = std::move(one_time);
  }
  if (!ok || !r.at_end() || user.empty()) {
    return Status(Code::kCrypto, "malformed prekey bundle");
  }
  b.address.user = std::string(user);
  b.identity_sign_key = std::string(sign);
  b.identity_dh_key = std::string(dh);
  b.signed_prekey.public_key = std::string(spk);
  b.signed_prekey.signature = std::string(sig);
  return b;
}

}  // namespace fastchat::crypto
