#include "crypto/identity.h"

#include <gtest/gtest.h>

namespace fastchat::crypto {
namespace {

TEST(IdentityTest, PublicIdentityVerifiesForItsUsernameOnly) {
  const Identity alice = Identity::generate();
  const PublicIdentity pub = alice.public_identity("alice");
  EXPECT_EQ(pub.sign_public_key.size(), 32u);
  EXPECT_EQ(pub.box_public_key.size(), 32u);
  EXPECT_EQ(pub.signature.size(), 64u);
  EXPECT_TRUE(verify_public_identity(pub, "alice"));
  EXPECT_EQ(verify_public_identity(pub, "mallory").code(), Code::kCrypto);
}

TEST(IdentityTest, SwappedBoxKeyOrBadSizesAreRejected) {
  const PublicIdentity alice = Identity::generate().public_identity("alice");
  PublicIdentity swapped = alice;
  swapped.box_public_key = Identity::generate().box_public_key();
  EXPECT_FALSE(verify_public_identity(swapped, "alice"));
  PublicIdentity truncated = alice;
  truncated.signature.pop_back();
  EXPECT_FALSE(verify_public_identity(truncated, "alice"));
  PublicIdentity flipped = alice;
  flipped.signature[10] ^= 1;
  EXPECT_FALSE(verify_public_identity(flipped, "alice"));
}

TEST(IdentityTest, SecretRoundTripsToTheSameKeys) {
  const Identity original = Identity::generate();
  const SecretBytes secret = original.serialize_secret();
  auto restored = Identity::from_secret(secret.view());
  ASSERT_TRUE(restored);
  EXPECT_EQ(restored->box_public_key(), original.box_public_key());
  EXPECT_EQ(restored->sign_public_key(), original.sign_public_key());
  EXPECT_TRUE(verify_public_identity(restored->public_identity("bob"), "bob"));
  EXPECT_FALSE(Identity::from_secret("short"));
}

TEST(IdentityTest, FingerprintIsStableAndDistinct) {
  const Identity a = Identity::generate();
  const Identity b = Identity::generate();
  EXPECT_EQ(fingerprint(a.public_identity("a")), fingerprint(a.public_identity("a")));
  EXPECT_NE(fingerprint(a.public_identity("a")), fingerprint(b.public_identity("a")));
  EXPECT_EQ(fingerprint(a.public_identity("a")).size(), 49u);  // 10 groups of 4 hex + spaces
}

}  // namespace
}  // namespace fastchat::crypto
