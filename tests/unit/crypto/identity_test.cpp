#include "crypto/identity.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <cctype>

namespace fastchat::crypto {
namespace {

const unsigned char* u8(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

TEST(IdentityTest, GeneratedIdentitiesHaveProperSizesAndDiffer) {
  const Identity a = Identity::generate();
  const Identity b = Identity::generate();
  EXPECT_EQ(a.sign_public_key().size(), 32u);
  EXPECT_EQ(a.box_public_key().size(), 32u);
  EXPECT_EQ(a.sign_secret_key().size(), 64u);
  EXPECT_EQ(a.box_secret_key().size(), 32u);
  EXPECT_NE(a.sign_public_key(), b.sign_public_key());
  EXPECT_NE(a.box_public_key(), b.box_public_key());
  EXPECT_NE(a.box_public_key(), a.sign_public_key());
}

TEST(IdentityTest, PublicIdentityVerifiesForItsUsernameOnly) {
  const Identity alice = Identity::generate();
  const PublicIdentity pub = alice.public_identity("alice");
  EXPECT_EQ(pub.sign_public_key, alice.sign_public_key());
  EXPECT_EQ(pub.box_public_key, alice.box_public_key());
  EXPECT_EQ(pub.signature.size(), 64u);
  EXPECT_TRUE(verify_public_identity(pub, "alice"));
  for (const char* other : {"mallory", "alic", "alice2", "Alice", "", "bob"}) {
    EXPECT_EQ(verify_public_identity(pub, other).code(), Code::kCrypto) << other;
  }
}

TEST(IdentityTest, SignatureCoversExactlyTheDocumentedStatement) {
  // signature = Ed25519("fastchat/identity/v1" || len(username) || username || box_public_key)
  const Identity alice = Identity::generate();
  const PublicIdentity pub = alice.public_identity("alice");
  std::string statement = "fastchat/identity/v1";
  statement.push_back(5);
  statement += "alice";
  statement += alice.box_public_key();
  EXPECT_EQ(crypto_sign_verify_detached(u8(pub.signature), u8(statement), statement.size(),
                                        u8(alice.sign_public_key())),
            0);
}

TEST(IdentityTest, SwappedKeysAreRejected) {
  const Identity alice = Identity::generate();
  const Identity mallory = Identity::generate();
  const PublicIdentity pub = alice.public_identity("alice");

  PublicIdentity swapped_box = pub;
  swapped_box.box_public_key = mallory.box_public_key();
  EXPECT_EQ(verify_public_identity(swapped_box, "alice").code(), Code::kCrypto);

  PublicIdentity swapped_sign = pub;
  swapped_sign.sign_public_key = mallory.sign_public_key();
  EXPECT_EQ(verify_public_identity(swapped_sign, "alice").code(), Code::kCrypto);

  // Mallory vouching for Alice's box key under Alice's signing key does not verify.
  PublicIdentity forged = pub;
  forged.signature = mallory.public_identity("alice").signature;
  EXPECT_EQ(verify_public_identity(forged, "alice").code(), Code::kCrypto);

  // The two keys of one identity are not interchangeable.
  PublicIdentity crossed = pub;
  std::swap(crossed.box_public_key, crossed.sign_public_key);
  EXPECT_EQ(verify_public_identity(crossed, "alice").code(), Code::kCrypto);
}

TEST(IdentityTest, EveryFlippedByteIsRejected) {
  const PublicIdentity pub = Identity::generate().public_identity("alice");
  for (std::string PublicIdentity::*field :
       {&PublicIdentity::sign_public_key, &PublicIdentity::box_public_key,
        &PublicIdentity::signature}) {
    for (std::size_t i = 0; i < (pub.*field).size(); ++i) {
      PublicIdentity tampered = pub;
      (tampered.*field)[i] ^= 0x01;
      EXPECT_FALSE(verify_public_identity(tampered, "alice")) << "byte " << i;
    }
  }
}

TEST(IdentityTest, WrongSizesAreRejected) {
  const PublicIdentity pub = Identity::generate().public_identity("alice");
  for (std::string PublicIdentity::*field :
       {&PublicIdentity::sign_public_key, &PublicIdentity::box_public_key,
        &PublicIdentity::signature}) {
    PublicIdentity shorter = pub;
    (shorter.*field).pop_back();
    EXPECT_EQ(verify_public_identity(shorter, "alice").code(), Code::kCrypto);
    PublicIdentity longer = pub;
    (longer.*field).push_back('\0');
    EXPECT_EQ(verify_public_identity(longer, "alice").code(), Code::kCrypto);
    PublicIdentity empty = pub;
    (empty.*field).clear();
    EXPECT_EQ(verify_public_identity(empty, "alice").code(), Code::kCrypto);
  }
  EXPECT_EQ(verify_public_identity(PublicIdentity{}, "alice").code(), Code::kCrypto);
  EXPECT_EQ(verify_public_identity(pub, std::string(256, 'a')).code(), Code::kCrypto);
}

TEST(IdentityTest, SecretRoundTripsToTheSameKeys) {
  const Identity original = Identity::generate();
  const SecretBytes secret = original.serialize_secret();
  ASSERT_EQ(secret.size(), 96u);
  EXPECT_EQ(secret.view().substr(0, 64), original.sign_secret_key().view());
  EXPECT_EQ(secret.view().substr(64), original.box_secret_key().view());

  auto restored = Identity::from_secret(secret.view());
  ASSERT_TRUE(restored) << restored.status().to_string();
  EXPECT_EQ(restored->box_public_key(), original.box_public_key());
  EXPECT_EQ(restored->sign_public_key(), original.sign_public_key());
  EXPECT_TRUE(restored->box_secret_key().equals(original.box_secret_key().view()));
  EXPECT_TRUE(restored->sign_secret_key().equals(original.sign_secret_key().view()));
  // Signatures of the restored identity verify as the original's.
  PublicIdentity pub = restored->public_identity("bob");
  EXPECT_TRUE(verify_public_identity(pub, "bob"));
  EXPECT_EQ(pub.sign_public_key, original.sign_public_key());
}

TEST(IdentityTest, MalformedSecretsAreRejected) {
  const SecretBytes secret = Identity::generate().serialize_secret();
  const std::string good(secret.view());
  EXPECT_EQ(Identity::from_secret("").code(), Code::kCrypto);
  EXPECT_EQ(Identity::from_secret("short").code(), Code::kCrypto);
  EXPECT_EQ(Identity::from_secret(good.substr(0, 95)).code(), Code::kCrypto);
  EXPECT_EQ(Identity::from_secret(good + "x").code(), Code::kCrypto);
  // The Ed25519 secret key is seed(32) || public key(32); both halves must agree.
  for (std::size_t i : {0u, 31u, 32u, 63u}) {
    std::string tampered = good;
    tampered[i] ^= 0x01;
    EXPECT_EQ(Identity::from_secret(tampered).code(), Code::kCrypto) << "byte " << i;
  }
}

TEST(IdentityTest, FingerprintIsStableReadableAndCoversBothKeys) {
  const Identity a = Identity::generate();
  const Identity b = Identity::generate();
  const std::string fp = fingerprint(a.public_identity("a"));
  EXPECT_EQ(fp, fingerprint(a.public_identity("a")));
  // It names the keys, not the signature or the username.
  EXPECT_EQ(fp, fingerprint(a.public_identity("other")));
  EXPECT_NE(fp, fingerprint(b.public_identity("a")));

  ASSERT_EQ(fp.size(), 49u);  // 10 groups of 4 hex digits, separated by single spaces
  for (std::size_t i = 0; i < fp.size(); ++i) {
    if (i % 5 == 4) {
      EXPECT_EQ(fp[i], ' ') << fp;
    } else {
      EXPECT_TRUE(std::isxdigit(static_cast<unsigned char>(fp[i])) &&
                  !std::isupper(static_cast<unsigned char>(fp[i])))
          << fp;
    }
  }

  PublicIdentity other_box = a.public_identity("a");
  other_box.box_public_key = b.box_public_key();
  EXPECT_NE(fingerprint(other_box), fp);
  PublicIdentity other_sign = a.public_identity("a");
  other_sign.sign_public_key = b.sign_public_key();
  EXPECT_NE(fingerprint(other_sign), fp);
}

TEST(IdentityDeathTest, SigningWithAnEmptyIdentityAborts) {
  EXPECT_DEATH(Identity().public_identity("alice"), "empty Identity");
}

}  // namespace
}  // namespace fastchat::crypto
