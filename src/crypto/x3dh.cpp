#include "crypto/x3dh.h"

#include <sodium.h>

#include "crypto/byte_io.h"
#include "crypto/bytes.h"
#include "crypto/kdf.h"
#include "crypto/sodium_init.h"

namespace fastchat::crypto {

namespace {

using detail::as_string;
using detail::u8;

constexpr std::string_view kSignedPrekeyContext = "fastchat/spk/v1";
constexpr std::string_view kAdContext = "fastchat/e2ee/v2";
constexpr std::string_view kX3dhInfo = "fastchat/x3dh/v1";

std::string signed_prekey_statement(std::uint32_t id, std::string_view public_key) {
  detail::ByteWriter w(64);
  w.bytes(kSignedPrekeyContext);
  w.u32(id);
  w.bytes(public_key);
  return w.take_public();
}

// Appends DH(secret, public) to `ikm`; false on a low-order public key (all-zero output).
bool append_dh(detail::ByteWriter& ikm, const SecretBytes& secret, std::string_view public_key) {
  SecretBytes shared(crypto_scalarmult_BYTES);
  if (public_key.size() != crypto_scalarmult_BYTES ||
      crypto_scalarmult(shared.data(), secret.data(), u8(public_key)) != 0) {
    return false;
  }
  ikm.bytes(shared.view());
  return true;
}

bool is_usable_x25519(std::string_view key) {
  if (key.size() != kX25519KeyBytes) return false;
  // A low-order point gives an all-zero DH output for every secret: refuse it up front.
  unsigned char probe_secret[crypto_scalarmult_SCALARBYTES] = {1};
  unsigned char out[crypto_scalarmult_BYTES];
  return crypto_scalarmult(out, probe_secret, u8(key)) == 0;
}

SecretBytes derive_sk(const detail::ByteWriter& dh_concat) {
  detail::ByteWriter ikm(32 + dh_concat.view().size());
  ikm.bytes(std::string(32, '\xff'));  // F: 32 0xFF bytes for X25519 (X3DH §2.2)
  ikm.bytes(dh_concat.view());
  return hkdf_sha256({}, ikm.view(), kX3dhInfo, 32);
}

}  // namespace

PrekeyPair generate_prekey(std::uint32_t id) {
  ensure_sodium();
  PrekeyPair pair;
  pair.id = id;
  pair.secret_key = SecretBytes(crypto_box_SECRETKEYBYTES);
  unsigned char pk[crypto_box_PUBLICKEYBYTES];
  crypto_box_keypair(pk, pair.secret_key.data());
  pair.public_key = as_string(pk, sizeof pk);
  return pair;
}

PrekeyPair clone_prekey(const PrekeyPair& prekey) {
  return {prekey.id, prekey.public_key, SecretBytes(prekey.secret_key.view())};
}

SignedPrekey sign_prekey(const Identity& identity, const PrekeyPair& prekey) {
  detail::require(identity.sign_secret_key().size() == crypto_sign_SECRETKEYBYTES,
                  "sign_prekey() with an empty Identity");
  const std::string statement = signed_prekey_statement(prekey.id, prekey.public_key);
  unsigned char signature[crypto_sign_BYTES];
  crypto_sign_detached(signature, nullptr, u8(statement), statement.size(),
                       identity.sign_secret_key().data());
  return {prekey.id, prekey.public_key, as_string(signature, sizeof signature)};
}

bool usable_x25519_key(std::string_view key) {
  ensure_sodium();
  return is_usable_x25519(key);
}

Status verify_bundle(const PrekeyBundle& bundle) {
  ensure_sodium();
  if (bundle.identity_sign_key.size() != kEd25519KeyBytes ||
      !is_usable_x25519(bundle.identity_dh_key) ||
      !is_usable_x25519(bundle.signed_prekey.public_key) ||
      bundle.signed_prekey.signature.size() != kSignatureBytes ||
      (bundle.one_time_prekey && !is_usable_x25519(bundle.one_time_prekey->public_key))) {
    return Status(Code::kCrypto, "prekey bundle has an invalid key");
  }
  if (bundle.address.user.empty() || bundle.address.user.size() > kMaxAddressUser) {
    return Status(Code::kCrypto, "prekey bundle has an invalid address");
  }
  const std::string statement =
      signed_prekey_statement(bundle.signed_prekey.id, bundle.signed_prekey.public_key);
  if (crypto_sign_verify_detached(u8(bundle.signed_prekey.signature), u8(statement),
                                  statement.size(), u8(bundle.identity_sign_key)) != 0) {
    return Status(Code::kCrypto, "signed prekey is not signed by the identity key");
  }
  return Status::ok();
}

std::string x3dh_associated_data(std::string_view initiator_sign_key,
                                 std::string_view initiator_dh_key, const DeviceAddress& initiator,
                                 std::string_view responder_sign_key,
                                 std::string_view responder_dh_key,
                                 const DeviceAddress& responder) {
  detail::require(
      initiator.user.size() <= kMaxAddressUser && responder.user.size() <= kMaxAddressUser,
      "address user too long");
  detail::ByteWriter w(256);
  w.bytes(kAdContext);
  w.short_bytes(initiator_sign_key);
  w.short_bytes(initiator_dh_key);
  w.short_bytes(initiator.user);
  w.u32(initiator.device_id);
  w.short_bytes(responder_sign_key);
  w.short_bytes(responder_dh_key);
  w.short_bytes(responder.user);
  w.u32(responder.device_id);
  return w.take_public();
}

Result<X3dhInitiation> x3dh_initiate(const Identity& me, const DeviceAddress& my_address,
                                     const PrekeyBundle& bundle) {
  if (Status s = verify_bundle(bundle); !s) return s;
  if (my_address.user.empty() || my_address.user.size() > kMaxAddressUser) {
    return Status(Code::kCrypto, "own address is invalid");
  }
  const PrekeyPair ephemeral = generate_prekey(0);
  detail::ByteWriter dh(128);
  bool ok = append_dh(dh, me.box_secret_key(), bundle.signed_prekey.public_key) &&  // DH1
            append_dh(dh, ephemeral.secret_key, bundle.identity_dh_key) &&          // DH2
            append_dh(dh, ephemeral.secret_key, bundle.signed_prekey.public_key);   // DH3
  if (ok && bundle.one_time_prekey) {
    ok = append_dh(dh, ephemeral.secret_key, bundle.one_time_prekey->public_key);  // DH4
  }
  if (!ok) return Status(Code::kCrypto, "prekey bundle has an invalid key");

  X3dhInitiation out;
  out.output.shared_secret = derive_sk(dh);
  out.output.associated_data =
      x3dh_associated_data(me.sign_public_key(), me.box_public_key(), my_address,
                           bundle.identity_sign_key, bundle.identity_dh_key, bundle.address);
  out.header.initiator_sign_key = std::string(me.sign_public_key());
  out.header.initiator_dh_key = std::string(me.box_public_key());
  out.header.ephemeral_key = ephemeral.public_key;
  out.header.signed_prekey_id = bundle.signed_prekey.id;
  if (bundle.one_time_prekey) out.header.one_time_prekey_id = bundle.one_time_prekey->id;
  out.responder_signed_prekey = bundle.signed_prekey.public_key;
  return out;
}

Result<X3dhOutput> x3dh_respond(const Identity& me, const DeviceAddress& my_address,
                                const PrekeyPair& signed_prekey, const PrekeyPair* one_time_prekey,
                                const InitialHeader& header,
                                const DeviceAddress& initiator_address) {
  ensure_sodium();
  if (header.initiator_sign_key.size() != kEd25519KeyBytes ||
      !is_usable_x25519(header.initiator_dh_key) || !is_usable_x25519(header.ephemeral_key)) {
    return Status(Code::kCrypto, "initial message has an invalid key");
  }
  if (header.signed_prekey_id != signed_prekey.id ||
      header.one_time_prekey_id.has_value() != (one_time_prekey != nullptr) ||
      (one_time_prekey && *header.one_time_prekey_id != one_time_prekey->id)) {
    return Status(Code::kCrypto, "initial message names other prekeys");
  }
  if (initiator_address.user.empty() || initiator_address.user.size() > kMaxAddressUser) {
    return Status(Code::kCrypto, "initiator address is invalid");
  }
  detail::ByteWriter dh(128);
  bool ok = append_dh(dh, signed_prekey.secret_key, header.initiator_dh_key) &&  // DH1
            append_dh(dh, me.box_secret_key(), header.ephemeral_key) &&          // DH2
            append_dh(dh, signed_prekey.secret_key, header.ephemeral_key);       // DH3
  if (ok && one_time_prekey) {
    ok = append_dh(dh, one_time_prekey->secret_key, header.ephemeral_key);  // DH4
  }
  if (!ok) return Status(Code::kCrypto, "initial message has an invalid key");
  X3dhOutput out;
  out.shared_secret = derive_sk(dh);
  out.associated_data =
      x3dh_associated_data(header.initiator_sign_key, header.initiator_dh_key, initiator_address,
                           me.sign_public_key(), me.box_public_key(), my_address);
  return out;
}

}  // namespace fastchat::crypto
