// X3DH key agreement (Signal specification, rev. 1, 2016) for E2EE v2 over X25519.
// A device's identity is crypto::Identity (separate Ed25519 signing and X25519 DH
// keys, docs/decisions.md "E2EE v2 on libsodium"); its signed prekey is signed with the
// Ed25519 key. Bundles and initial headers are plain structs here; their wire forms are
// in x3dh_codec.h. Pure functions over keys; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/status.h"
#include "crypto/device_address.h"
#include "crypto/identity.h"
#include "crypto/secret.h"

namespace fastchat::crypto {

inline constexpr std::size_t kX25519KeyBytes = 32;
inline constexpr std::size_t kEd25519KeyBytes = 32;
inline constexpr std::size_t kSignatureBytes = 64;

// An X25519 prekey pair the device keeps (signed or one-time).
struct PrekeyPair {
  std::uint32_t id = 0;
  std::string public_key;  // 32 bytes
  SecretBytes secret_key;  // 32 bytes
};
PrekeyPair generate_prekey(std::uint32_t id);
// A copy (sessions and stores keep their own).
PrekeyPair clone_prekey(const PrekeyPair& prekey);

struct SignedPrekey {
  std::uint32_t id = 0;
  std::string public_key;  // 32 bytes X25519
  std::string signature;   // 64 bytes: Ed25519("fastchat/spk/v1" || id || public_key)
};
SignedPrekey sign_prekey(const Identity& identity, const PrekeyPair& prekey);

struct OneTimePrekey {
  std::uint32_t id = 0;
  std::string public_key;  // 32 bytes X25519
};

// What the server hands out for one device. The server is not trusted: the caller must
// check that identity_sign_key is the contact's pinned/verified identity, and
// verify_bundle() checks the rest.
struct PrekeyBundle {
  DeviceAddress address;
  std::string identity_sign_key;  // Ed25519
  std::string identity_dh_key;    // X25519
  SignedPrekey signed_prekey;
  std::optional<OneTimePrekey> one_time_prekey;
};
// kCrypto on a wrong key size, a low-order key or a signed prekey not signed by the identity.
Status verify_bundle(const PrekeyBundle& bundle);

// True for a 32-byte X25519 public key that is not a low-order point (whose DH output
// is all zeros whatever the secret). verify_bundle() checks every key with it; a server
// checks published one-time prekeys with it too.
bool usable_x25519_key(std::string_view key);

// Sent by the initiator with every message until the responder replies.
struct InitialHeader {
  std::string initiator_sign_key;  // Ed25519 identity
  std::string initiator_dh_key;    // X25519 identity
  std::string ephemeral_key;       // X25519 base key; also identifies the session
  std::uint32_t signed_prekey_id = 0;
  std::optional<std::uint32_t> one_time_prekey_id;
};

struct X3dhOutput {
  SecretBytes shared_secret;    // SK, 32 bytes
  std::string associated_data;  // AD: see x3dh_associated_data()
};

// AD = "fastchat/e2ee/v2" || initiator (sign key, DH key, address) || responder (same).
std::string x3dh_associated_data(std::string_view initiator_sign_key,
                                 std::string_view initiator_dh_key, const DeviceAddress& initiator,
                                 std::string_view responder_sign_key,
                                 std::string_view responder_dh_key, const DeviceAddress& responder);

struct X3dhInitiation {
  X3dhOutput output;
  InitialHeader header;
  std::string responder_signed_prekey;  // the first ratchet key of the responder
};
// Verifies the bundle (verify_bundle) then runs X3DH with a fresh ephemeral key.
Result<X3dhInitiation> x3dh_initiate(const Identity& me, const DeviceAddress& my_address,
                                     const PrekeyBundle& bundle);

// The responder's side. `one_time_prekey` must be the pair named by the header (or null
// when the header names none); the caller deletes it once a first message decrypted.
Result<X3dhOutput> x3dh_respond(const Identity& me, const DeviceAddress& my_address,
                                const PrekeyPair& signed_prekey, const PrekeyPair* one_time_prekey,
                                const InitialHeader& header,
                                const DeviceAddress& initiator_address);

}  // namespace fastchat::crypto
