#include "crypto/kdf.h"

#include <gtest/gtest.h>

#include "crypto/message_cipher.h"
#include "e2ee_test_util.h"

namespace fastchat::crypto {
namespace {

using testing::from_hex;
using testing::to_hex;

struct HkdfVector {
  const char* ikm;
  const char* salt;
  const char* info;
  std::size_t length;
  const char* okm;
};

// RFC 5869 Appendix A, test cases 1-3 (SHA-256).
TEST(HkdfTest, Rfc5869Vectors) {
  const HkdfVector vectors[] = {
      {"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "000102030405060708090a0b0c",
       "f0f1f2f3f4f5f6f7f8f9", 42,
       "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"},
      {"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2"
       "c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f",
       "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8"
       "c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
       "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbd"
       "cdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
       82,
       "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e5"
       "90e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87"},
      {"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "", "", 42,
       "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"},
  };
  for (const HkdfVector& v : vectors) {
    const SecretBytes okm =
        hkdf_sha256(from_hex(v.salt), from_hex(v.ikm), from_hex(v.info), v.length);
    EXPECT_EQ(to_hex(okm.view()), v.okm);
  }
}

// RFC 4231 test case 2 (HMAC-SHA256 with a short key).
TEST(HkdfTest, HmacSha256Rfc4231Vector) {
  EXPECT_EQ(to_hex(hmac_sha256("Jefe", "what do ya want for nothing?").view()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(ChainStepTest, MessageAndNextChainKeysDifferAndAreDeterministic) {
  const SecretBytes chain(std::string(32, '\x42'));
  const ChainStep a = chain_step(chain);
  const ChainStep b = chain_step(chain);
  EXPECT_TRUE(a.message_key.equals(b.message_key.view()));
  EXPECT_TRUE(a.next_chain_key.equals(b.next_chain_key.view()));
  EXPECT_FALSE(a.message_key.equals(a.next_chain_key.view()));
  EXPECT_FALSE(a.message_key.equals(chain.view()));
  EXPECT_EQ(a.message_key.view(), hmac_sha256(chain.view(), std::string_view("\x01", 1)).view());
}

TEST(MessageCipherTest, OpensOnlyWithTheSameKeyLabelAndAssociatedData) {
  const SecretBytes key(std::string(32, '\x07'));
  const SecretBytes other(std::string(32, '\x08'));
  const std::string sealed = seal_with_message_key(key, "label", "hello", "ad");
  EXPECT_EQ(sealed.size(), 5 + kMessageCipherOverhead);
  EXPECT_EQ(*open_with_message_key(key, "label", sealed, "ad"), "hello");
  EXPECT_EQ(open_with_message_key(other, "label", sealed, "ad").code(), Code::kCrypto);
  EXPECT_EQ(open_with_message_key(key, "other", sealed, "ad").code(), Code::kCrypto);
  EXPECT_EQ(open_with_message_key(key, "label", sealed, "ae").code(), Code::kCrypto);
  std::string tampered = sealed;
  tampered[0] ^= 1;
  EXPECT_EQ(open_with_message_key(key, "label", tampered, "ad").code(), Code::kCrypto);
  EXPECT_EQ(open_with_message_key(key, "label", sealed.substr(0, kMessageCipherOverhead - 1), "ad")
                .code(),
            Code::kCrypto);
}

TEST(MessageCipherTest, ARepeatedMessageKeyNeverRepeatsTheKeystream) {
  // What a rolled-back state does: the same message key seals two different messages.
  const SecretBytes key(std::string(32, '\x07'));
  const std::string p1(64, 'a'), p2(64, 'b');
  const std::string c1 = seal_with_message_key(key, "label", p1, "ad");
  const std::string c2 = seal_with_message_key(key, "label", p2, "ad");
  EXPECT_NE(c1.substr(0, 24), c2.substr(0, 24));  // fresh nonces
  std::size_t same_xor = 0;
  for (std::size_t i = 0; i < p1.size(); ++i) {
    if ((c1[24 + i] ^ c2[24 + i]) == (p1[i] ^ p2[i])) ++same_xor;
  }
  EXPECT_LT(same_xor, 8u);  // a repeated keystream would give 64
  EXPECT_EQ(*open_with_message_key(key, "label", c2, "ad"), p2);
}

}  // namespace
}  // namespace fastchat::crypto
