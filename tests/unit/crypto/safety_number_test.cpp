#include "crypto/safety_number.h"

#include <gtest/gtest.h>

#include <cctype>

namespace fastchat::crypto {
namespace {

std::string bytes_from(int first, int count) {
  std::string out;
  for (int i = 0; i < count; ++i)
    out.push_back(static_cast<char>(first + i));
  return out;
}

// Computed independently with Python's hashlib (docs/security.md, "Safety numbers"):
//   h = b'\0\0' + key + id; 5200 times h = sha512(h + key).digest();
//   ''.join('%05d' % (int.from_bytes(h[i:i+5], 'big') % 100000) for i in range(0, 30, 5))
// with key = bytes(range(64)), id = b'alice' and key = bytes(range(64, 128)), id = b'bob'.
TEST(SafetyNumberTest, MatchesAnIndependentComputation) {
  const std::string alice_key = bytes_from(0, 64);
  const std::string bob_key = bytes_from(64, 64);
  EXPECT_EQ(safety_number_half(alice_key, "alice"), "055017744545510573133314189203");
  EXPECT_EQ(safety_number_half(bob_key, "bob"), "664649691545290176124314338609");
  EXPECT_EQ(safety_number(alice_key, "alice", bob_key, "bob"),
            "055017744545510573133314189203664649691545290176124314338609");
}

TEST(SafetyNumberTest, BothUsersSeeTheSameNumber) {
  const Identity alice = Identity::generate();
  const Identity bob = Identity::generate();
  const std::string a = safety_number_key(alice.public_identity("alice"));
  const std::string b = safety_number_key(bob.public_identity("bob"));
  const std::string seen_by_alice = safety_number(a, "alice", b, "bob");
  const std::string seen_by_bob = safety_number(b, "bob", a, "alice");
  EXPECT_EQ(seen_by_alice, seen_by_bob);
  ASSERT_EQ(seen_by_alice.size(), kSafetyNumberDigits);
  for (char c : seen_by_alice)
    EXPECT_TRUE(std::isdigit(static_cast<unsigned char>(c))) << seen_by_alice;
}

TEST(SafetyNumberTest, ASwappedKeyGivesAnotherNumber) {
  const Identity alice = Identity::generate();
  const Identity bob = Identity::generate();
  const Identity mallory = Identity::generate();  // what a lying server hands out as bob
  const std::string a = safety_number_key(alice.public_identity("alice"));
  const std::string b = safety_number_key(bob.public_identity("bob"));
  const std::string fake_b = safety_number_key(mallory.public_identity("bob"));
  EXPECT_NE(safety_number(a, "alice", b, "bob"), safety_number(a, "alice", fake_b, "bob"));
  // Either half of the identity counts.
  PublicIdentity box_only = bob.public_identity("bob");
  box_only.box_public_key = std::string(mallory.box_public_key());
  EXPECT_NE(safety_number(a, "alice", b, "bob"),
            safety_number(a, "alice", safety_number_key(box_only), "bob"));
  // And so does the name the key is bound to.
  EXPECT_NE(safety_number_half(b, "bob"), safety_number_half(b, "bob2"));
}

TEST(SafetyNumberTest, FormatsTwelveGroupsOfFive) {
  const std::string digits = "055017744545510573133314189203664649691545290176124314338609";
  EXPECT_EQ(format_safety_number(digits),
            "05501 77445 45510 57313 33141 89203 66464 96915 45290 17612 43143 38609");
  EXPECT_EQ(format_safety_number(""), "");
}

}  // namespace
}  // namespace fastchat::crypto
