#include "crypto/identity.h"

#include <sodium.h>

#include <algorithm>

#include "common/hex.h"
#include "crypto/bytes.h"
#include "crypto/sodium_init.h"

namespace fastchat::crypto {

namespace {

using detail::as_string;
using detail::u8;

constexpr std::string_view kIdentityContext = "fastchat/identity/v1";
constexpr std::size_t kMaxSignedUsername = 255;  // its length is one byte of the statement
constexpr std::size_t kFingerprintBytes = 20;

// "fastchat/identity/v1" || len(username) || username || box_public_key
std::string identity_statement(std::string_view username, std::string_view box_public_key) {
  std::string statement(kIdentityContext);
  statement.push_back(static_cast<char>(username.size()));
  statement.append(username);
  statement.append(box_public_key);
  return statement;
}

}  // namespace

Identity Identity::generate() {
  ensure_sodium();
  Identity id;
  unsigned char sign_pk[crypto_sign_PUBLICKEYBYTES];
  unsigned char box_pk[crypto_box_PUBLICKEYBYTES];
  id.sign_sk_ = SecretBytes(crypto_sign_SECRETKEYBYTES);
  id.box_sk_ = SecretBytes(crypto_box_SECRETKEYBYTES);
  crypto_sign_keypair(sign_pk, id.sign_sk_.data());
  crypto_box_keypair(box_pk, id.box_sk_.data());
  id.sign_pk_ = as_string(sign_pk, sizeof sign_pk);
  id.box_pk_ = as_string(box_pk, sizeof box_pk);
  return id;
}

Result<Identity> Identity::from_secret(std::string_view secret) {
  ensure_sodium();
  if (secret.size() != crypto_sign_SECRETKEYBYTES + crypto_box_SECRETKEYBYTES) {
    return Status(Code::kCrypto, "identity secret has the wrong size");
  }
  Identity id;
  id.sign_sk_ = SecretBytes(secret.substr(0, crypto_sign_SECRETKEYBYTES));
  id.box_sk_ = SecretBytes(secret.substr(crypto_sign_SECRETKEYBYTES));

  // An Ed25519 secret key is seed || public key. Re-derive both from the seed: a
  // mismatching public half would make every signature of this identity fail.
  SecretBytes seed(crypto_sign_SEEDBYTES);
  SecretBytes rederived(crypto_sign_SECRETKEYBYTES);
  unsigned char sign_pk[crypto_sign_PUBLICKEYBYTES];
  crypto_sign_ed25519_sk_to_seed(seed.data(), id.sign_sk_.data());
  crypto_sign_seed_keypair(sign_pk, rederived.data(), seed.data());
  if (sodium_memcmp(rederived.data(), id.sign_sk_.data(), rederived.size()) != 0) {
    return Status(Code::kCrypto, "identity secret is inconsistent");
  }

  unsigned char box_pk[crypto_box_PUBLICKEYBYTES];
  if (crypto_scalarmult_base(box_pk, id.box_sk_.data()) != 0) {
    return Status(Code::kCrypto, "identity box key is invalid");
  }
  id.sign_pk_ = as_string(sign_pk, sizeof sign_pk);
  id.box_pk_ = as_string(box_pk, sizeof box_pk);
  return id;
}

SecretBytes Identity::serialize_secret() const {
  SecretBytes out(sign_sk_.size() + box_sk_.size());
  std::copy_n(sign_sk_.data(), sign_sk_.size(), out.data());
  std::copy_n(box_sk_.data(), box_sk_.size(), out.data() + sign_sk_.size());
  return out;
}

PublicIdentity Identity::public_identity(std::string_view username) const {
  detail::require(sign_sk_.size() == crypto_sign_SECRETKEYBYTES,
                  "public_identity() of an empty Identity");
  detail::require(username.size() <= kMaxSignedUsername, "username too long to sign");
  const std::string statement = identity_statement(username, box_pk_);
  unsigned char signature[crypto_sign_BYTES];
  crypto_sign_detached(signature, nullptr, u8(statement), statement.size(), sign_sk_.data());
  return {sign_pk_, box_pk_, as_string(signature, sizeof signature)};
}

Status verify_public_identity(const PublicIdentity& identity, std::string_view username) {
  ensure_sodium();
  if (identity.sign_public_key.size() != crypto_sign_PUBLICKEYBYTES ||
      identity.box_public_key.size() != crypto_box_PUBLICKEYBYTES ||
      identity.signature.size() != crypto_sign_BYTES) {
    return Status(Code::kCrypto, "identity keys have the wrong size");
  }
  if (username.size() > kMaxSignedUsername) {
    return Status(Code::kCrypto, "username is too long for an identity");
  }
  const std::string statement = identity_statement(username, identity.box_public_key);
  if (crypto_sign_verify_detached(u8(identity.signature), u8(statement), statement.size(),
                                  u8(identity.sign_public_key)) != 0) {
    return Status(Code::kCrypto, "identity signature does not verify");
  }
  return Status::ok();
}

std::string fingerprint(const PublicIdentity& identity) {
  ensure_sodium();
  unsigned char digest[kFingerprintBytes];
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, sizeof digest);
  crypto_generichash_update(&state, u8(identity.sign_public_key), identity.sign_public_key.size());
  crypto_generichash_update(&state, u8(identity.box_public_key), identity.box_public_key.size());
  crypto_generichash_final(&state, digest, sizeof digest);
  const std::string hex = to_hex(digest);
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 4) {
    if (!out.empty()) out.push_back(' ');
    out.append(hex, i, 4);
  }
  return out;
}

}  // namespace fastchat::crypto
