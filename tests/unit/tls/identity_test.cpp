#include "tls/identity.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "test_dir.h"
#include "tls/tls_context.h"

namespace fastchat::tls {
namespace {

TEST(IdentityTest, MadeOnceWithAPrivateKeyAndReused) {
  test::TestDir dir;
  auto first = ensure_identity({}, {}, dir.path(), {"chat.example.org", "10.1.2.3", "0.0.0.0"});
  ASSERT_TRUE(first) << first.status().to_string();
  EXPECT_TRUE(first->generated);
  struct stat st {};
  ASSERT_EQ(::stat(first->key_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto fingerprint = certificate_fingerprint(first->cert_file);
  ASSERT_TRUE(fingerprint);
  EXPECT_EQ(fingerprint->rfind("SHA256:", 0), 0u);
  EXPECT_EQ(fingerprint->size(), 7u + 43u);

  auto second = ensure_identity({}, {}, dir.path(), {});
  ASSERT_TRUE(second);
  EXPECT_FALSE(second->generated);
  EXPECT_EQ(*certificate_fingerprint(second->cert_file), *fingerprint);

  auto server = ServerTls::create(second->cert_file, second->key_file);
  ASSERT_TRUE(server) << server.status().to_string();
  EXPECT_EQ((*server)->fingerprint(), *fingerprint);
  // TLS 1.3 only: renegotiation (TLS 1.2 and older) cannot happen.
  EXPECT_EQ(SSL_CTX_get_min_proto_version((*server)->ctx()), TLS1_3_VERSION);
  EXPECT_NE(SSL_CTX_get_options((*server)->ctx()) & SSL_OP_NO_RENEGOTIATION, 0u);
  EXPECT_NE(SSL_CTX_get_mode((*server)->ctx()) & SSL_MODE_RELEASE_BUFFERS, 0u);
}

TEST(IdentityTest, GivenFilesAreUsedAndBadOnesRefused) {
  test::TestDir dir;
  auto made = ensure_identity({}, {}, dir.path(), {});
  ASSERT_TRUE(made);
  auto given = ensure_identity(made->cert_file, made->key_file, dir.file("elsewhere"), {});
  ASSERT_TRUE(given);
  EXPECT_FALSE(given->generated);
  EXPECT_EQ(given->cert_file, made->cert_file);
  EXPECT_EQ(ensure_identity(made->cert_file, {}, dir.path(), {}).status().code(),
            Code::kBadRequest);
  EXPECT_EQ(ensure_identity(dir.file("nope.pem"), made->key_file, dir.path(), {}).status().code(),
            Code::kIo);
  // A key that is not the certificate's.
  test::TestDir other;
  auto other_made = ensure_identity({}, {}, other.path(), {});
  ASSERT_TRUE(other_made);
  EXPECT_EQ(ServerTls::create(made->cert_file, other_made->key_file).status().code(),
            Code::kBadRequest);
  EXPECT_EQ(ServerTls::create(made->cert_file, made->cert_file).status().code(), Code::kBadRequest);
  // Half an identity in the data dir is not silently replaced.
  std::filesystem::remove(made->key_file);
  EXPECT_EQ(ensure_identity({}, {}, dir.path(), {}).status().code(), Code::kIo);
}

}  // namespace
}  // namespace fastchat::tls
