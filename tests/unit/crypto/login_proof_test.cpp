#include "crypto/login_proof.h"

#include <gtest/gtest.h>

#include <string>

namespace fastchat::crypto {
namespace {

LoginKey key_of(char fill) {
  return login_key_from_seed(SecretBytes(std::string(32, fill)));
}

TEST(LoginProofTest, TheSameSeedGivesTheSameKey) {
  EXPECT_EQ(key_of('a').public_key, key_of('a').public_key);
  EXPECT_NE(key_of('a').public_key, key_of('b').public_key);
  EXPECT_EQ(key_of('a').public_key.size(), kLoginPublicKeyBytes);
}

TEST(LoginProofTest, AProofVerifiesOnlyForItsUserNonceBindingAndKey) {
  const auto key = key_of('a');
  const std::string nonce = new_login_nonce();
  const std::string binding(32, 'x');
  const std::string proof = sign_login(key, "alice", nonce, binding);
  EXPECT_EQ(proof.size(), kLoginSignatureBytes);
  EXPECT_TRUE(verify_login(key.public_key, proof, "alice", nonce, binding));
  EXPECT_FALSE(verify_login(key.public_key, proof, "alicf", nonce, binding));
  EXPECT_FALSE(verify_login(key.public_key, proof, "alice", new_login_nonce(), binding));
  EXPECT_FALSE(verify_login(key.public_key, proof, "alice", nonce, std::string(32, 'y')));
  EXPECT_FALSE(verify_login(key.public_key, proof, "alice", nonce, ""));
  EXPECT_FALSE(verify_login(key_of('b').public_key, proof, "alice", nonce, binding));
  std::string damaged = proof;
  damaged[10] ^= 1;
  EXPECT_FALSE(verify_login(key.public_key, damaged, "alice", nonce, binding));
}

TEST(LoginProofTest, MalformedInputIsRefusedNotCrashedOn) {
  const auto key = key_of('a');
  const std::string nonce = new_login_nonce();
  const std::string proof = sign_login(key, "alice", nonce, "");
  EXPECT_FALSE(verify_login("", proof, "alice", nonce, ""));
  EXPECT_FALSE(verify_login(key.public_key, proof.substr(1), "alice", nonce, ""));
  EXPECT_FALSE(verify_login(key.public_key, proof, "alice", nonce.substr(1), ""));
  EXPECT_FALSE(verify_login(key.public_key, proof, std::string(300, 'a'), nonce, ""));
  EXPECT_FALSE(verify_login(key.public_key, proof, "alice", nonce, std::string(300, 'b')));
}

TEST(LoginProofTest, NoncesAreFresh) {
  EXPECT_EQ(new_login_nonce().size(), kLoginNonceBytes);
  EXPECT_NE(new_login_nonce(), new_login_nonce());
}

}  // namespace
}  // namespace fastchat::crypto
