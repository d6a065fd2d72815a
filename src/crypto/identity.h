// A user's long-term identity (DESIGN §6): an Ed25519 signing key pair and an
// X25519 key pair. The private halves never leave the client. Value types.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "crypto/secret.h"

namespace fastchat::crypto {

// What the server publishes for a user. All fields are raw bytes.
struct PublicIdentity {
  std::string sign_public_key;  // 32 bytes, Ed25519
  std::string box_public_key;   // 32 bytes, X25519
  std::string signature;        // 64 bytes, see sign_identity()
};

// The private identity of the local user.
class Identity {
 public:
  static Identity generate();
  // From the bytes produced by serialize_secret(); kCrypto when malformed (wrong size,
  // or an Ed25519 public half that does not match its seed).
  static Result<Identity> from_secret(std::string_view secret);

  // Ed25519 secret key (64) || X25519 secret key (32): what the keystore encrypts.
  SecretBytes serialize_secret() const;

  // The public keys, signed for `username` (canonical form, at most 255 bytes). Calling
  // it on a default-constructed (empty) Identity is a bug and aborts.
  // signature = Ed25519("fastchat/identity/v1" || len(username) || username || box_public_key).
  PublicIdentity public_identity(std::string_view username) const;

  std::string_view box_public_key() const { return box_pk_; }
  std::string_view sign_public_key() const { return sign_pk_; }
  const SecretBytes& box_secret_key() const { return box_sk_; }
  const SecretBytes& sign_secret_key() const { return sign_sk_; }

 private:
  std::string sign_pk_, box_pk_;
  SecretBytes sign_sk_, box_sk_;
};

// Checks key sizes and the signature binding the keys to `username`.
Status verify_public_identity(const PublicIdentity& identity, std::string_view username);

// A short, human-comparable fingerprint of a public identity (hex groups), shown
// to users to verify a contact out of band.
std::string fingerprint(const PublicIdentity& identity);

}  // namespace fastchat::crypto
