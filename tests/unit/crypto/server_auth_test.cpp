#include "crypto/server_auth.h"

#include <gtest/gtest.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>
#include <thread>

#include "crypto_test_util.h"
#include "support/test_files.h"

namespace fastchat::crypto {
namespace {

using test_support::read_file;
using test_support::write_file;
using testing::file_mode;
using testing::ScratchDir;

ServerAuth make_auth(char fill) {
  return ServerAuth(SecretBytes(std::string(32, fill)));
}

TEST(ServerAuthTest, VerifierChecksOnlyTheRightUsernameAndKey) {
  const ServerAuth auth = make_auth('k');
  const std::string key(32, 'a');
  const std::string verifier = auth.auth_verifier("alice", key);
  EXPECT_EQ(verifier.size(), 32u);
  EXPECT_EQ(verifier, auth.auth_verifier("alice", key));
  EXPECT_EQ(verifier.find(key.substr(0, 8)), std::string::npos);
  EXPECT_TRUE(auth.check_auth_key("alice", key, verifier));

  std::string other_key = key;
  other_key[31] = 'b';
  EXPECT_FALSE(auth.check_auth_key("alice", other_key, verifier));
  EXPECT_FALSE(auth.check_auth_key("alice", key.substr(1), verifier));
  EXPECT_FALSE(auth.check_auth_key("alice", "", verifier));
  EXPECT_FALSE(auth.check_auth_key("alicf", key, verifier));
  EXPECT_FALSE(auth.check_auth_key("bob", key, verifier));
  EXPECT_FALSE(auth.check_auth_key(std::string(300, 'a'), key, verifier));
}

TEST(ServerAuthTest, DamagedVerifiersNeverMatch) {
  const ServerAuth auth = make_auth('k');
  const std::string key(32, 'a');
  const std::string verifier = auth.auth_verifier("alice", key);
  EXPECT_FALSE(auth.check_auth_key("alice", key, ""));
  EXPECT_FALSE(auth.check_auth_key("alice", key, verifier.substr(1)));
  EXPECT_FALSE(auth.check_auth_key("alice", key, verifier + '\0'));
  for (std::size_t i = 0; i < verifier.size(); ++i) {
    std::string damaged = verifier;
    damaged[i] ^= 0x01;
    EXPECT_FALSE(auth.check_auth_key("alice", key, damaged)) << "byte " << i;
  }
}

TEST(ServerAuthTest, VerifierDependsOnTheServerSecretAndIsKeyedBlake2b) {
  const std::string key(32, 'a');
  const ServerAuth auth = make_auth('k');
  const std::string verifier = auth.auth_verifier("alice", key);
  EXPECT_NE(make_auth('j').auth_verifier("alice", key), verifier);
  EXPECT_FALSE(make_auth('j').check_auth_key("alice", key, verifier));

  // BLAKE2b-256(key = secret, len(username) || username || auth_key), as documented.
  const std::string secret(32, 'k');
  const std::string input = std::string(1, 5) + "alice" + key;
  unsigned char expected[32];
  crypto_generichash(expected, sizeof expected,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size(),
                     reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
  EXPECT_EQ(verifier, std::string(reinterpret_cast<const char*>(expected), sizeof expected));
}

TEST(ServerAuthTest, UsernameAndKeyBoundaryIsUnambiguous) {
  const ServerAuth auth = make_auth('k');
  // "ab" + "c..." and "a" + "bc..." are the same bytes when simply concatenated.
  EXPECT_NE(auth.auth_verifier("ab", "c" + std::string(31, 'x')),
            auth.auth_verifier("a", "bc" + std::string(31, 'x')));
}

TEST(ServerAuthTest, TokensAreRandomAndStoredUnderAKeyedHash) {
  const ServerAuth auth = make_auth('k');
  std::set<std::string> tokens;
  for (int i = 0; i < 100; ++i) {
    const std::string token = ServerAuth::new_session_token();
    EXPECT_EQ(token.size(), 32u);
    tokens.insert(token);
  }
  EXPECT_EQ(tokens.size(), 100u);

  const std::string t1 = *tokens.begin();
  const std::string t2 = *tokens.rbegin();
  const std::string h1 = auth.token_hash(t1);
  EXPECT_EQ(h1.size(), 32u);
  EXPECT_EQ(h1, auth.token_hash(t1));
  EXPECT_NE(h1, auth.token_hash(t2));
  EXPECT_NE(h1, t1);
  // Keyed: another server secret gives another hash, and a plain hash is not it.
  EXPECT_NE(h1, make_auth('j').token_hash(t1));
  unsigned char plain[32];
  crypto_generichash(plain, sizeof plain, reinterpret_cast<const unsigned char*>(t1.data()),
                     t1.size(), nullptr, 0);
  EXPECT_NE(h1, std::string(reinterpret_cast<const char*>(plain), sizeof plain));
  // A token hash is never a verifier of the same bytes.
  EXPECT_NE(auth.token_hash(t1), auth.auth_verifier("", t1));
}

TEST(ServerAuthSecretTest, CreatedPrivatelyOnceAndReloaded) {
  ScratchDir dir;
  const std::string path = dir.file("server.key");
  const mode_t old_umask = ::umask(0);
  auto first = ServerAuth::load_or_create_secret(path);
  ::umask(old_umask);
  ASSERT_TRUE(first) << first.status().to_string();
  EXPECT_EQ(first->size(), 32u);
  EXPECT_EQ(file_mode(path), 0600u);
  EXPECT_EQ(read_file(path), first->view());
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"server.key"});

  auto second = ServerAuth::load_or_create_secret(path);
  ASSERT_TRUE(second);
  EXPECT_TRUE(first->equals(second->view()));

  ScratchDir other_dir;
  auto other = ServerAuth::load_or_create_secret(other_dir.file("server.key"));
  ASSERT_TRUE(other);
  EXPECT_FALSE(first->equals(other->view()));
}

TEST(ServerAuthSecretTest, BadFilesAreErrorsAndAreNeverReplaced) {
  ScratchDir dir;
  const std::string path = dir.file("server.key");
  for (const std::string& content : {std::string(), std::string(31, 'x'), std::string(33, 'x')}) {
    write_file(path, content);
    EXPECT_EQ(ServerAuth::load_or_create_secret(path).code(), Code::kIo) << content.size();
    EXPECT_EQ(read_file(path), content);
  }
  EXPECT_EQ(ServerAuth::load_or_create_secret(dir.path()).code(), Code::kIo);
  EXPECT_EQ(ServerAuth::load_or_create_secret(dir.file("missing/server.key")).code(), Code::kIo);
  if (::geteuid() != 0) {  // root reads everything
    write_file(path, std::string(32, 's'));
    ASSERT_EQ(::chmod(path.c_str(), 0), 0);
    EXPECT_EQ(ServerAuth::load_or_create_secret(path).code(), Code::kIo);
    ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
    EXPECT_EQ(read_file(path), std::string(32, 's'));
  }
}

TEST(ServerAuthSecretTest, ConcurrentStartsAgreeOnOneSecret) {
  ScratchDir dir;
  const std::string path = dir.file("server.key");
  constexpr int kStarters = 8;
  std::vector<std::string> seen(kStarters);
  std::vector<std::thread> starters;
  for (int i = 0; i < kStarters; ++i) {
    starters.emplace_back([&path, &seen, i] {
      auto secret = ServerAuth::load_or_create_secret(path);
      EXPECT_TRUE(secret) << secret.status().to_string();
      if (secret) seen[static_cast<std::size_t>(i)] = std::string(secret->view());
    });
  }
  for (auto& t : starters)
    t.join();
  for (const std::string& s : seen) {
    EXPECT_EQ(s.size(), 32u);
    EXPECT_EQ(s, seen[0]);
  }
  EXPECT_EQ(read_file(path), seen[0]);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"server.key"});
}

TEST(ServerAuthDeathTest, SecretOfTheWrongSizeAborts) {
  EXPECT_DEATH(ServerAuth{SecretBytes()}, "32-byte secret");
  EXPECT_DEATH(ServerAuth{SecretBytes(std::string(64, 'k'))}, "32-byte secret");
}

}  // namespace
}  // namespace fastchat::crypto
