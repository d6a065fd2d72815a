// Channel over a non-blocking socketpair: handshake, exporter, buffered plaintext,
// end of stream, garbage; ServerTrust's decisions on the real peer certificate.
#include "tls/channel.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test_dir.h"
#include "tls/identity.h"
#include "tls/known_hosts.h"

namespace fastchat::tls {
namespace {

class ChannelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds_), 0);
    auto files = ensure_identity({}, {}, dir_.path(), {});
    ASSERT_TRUE(files);
    files_ = *files;
    server_tls_ = *ServerTls::create(files_.cert_file, files_.key_file);
  }
  void TearDown() override {
    ::close(fds_[0]);
    ::close(fds_[1]);
  }

  // Both ends shake hands, taking turns; false when either fails.
  bool shake(Channel& server, Channel& client) {
    for (int turn = 0; turn < 20; ++turn) {
      const auto c = client.handshake();
      const auto s = server.handshake();
      if (!c && !s) return true;
      if ((c && c != asio::error::would_block) || (s && s != asio::error::would_block))
        return false;
    }
    return false;
  }
  std::unique_ptr<Channel> server_end() {
    return std::move(*Channel::accept(*server_tls_, fds_[0]));
  }
  std::unique_ptr<Channel> client_end(const std::string& ca_file = {},
                                      const std::string& host = "127.0.0.1") {
    auto client_tls = *ClientTls::create(ca_file);
    return std::move(*Channel::connect(*client_tls, fds_[1], host));
  }

  test::TestDir dir_;
  IdentityFiles files_;
  std::shared_ptr<const ServerTls> server_tls_;
  int fds_[2] = {-1, -1};
};

TEST_F(ChannelTest, HandshakeGivesTls13AndTheSameExporterOnBothEnds) {
  auto server = server_end();
  auto client = client_end();
  EXPECT_EQ(server->export_keying_material("x", "", 32).status().code(), Code::kUnavailable);
  ASSERT_TRUE(shake(*server, *client));
  EXPECT_EQ(client->protocol(), "TLSv1.3");
  auto a = server->export_keying_material("EXPORTER-fastchat-login", "ctx", 32);
  auto b = client->export_keying_material("EXPORTER-fastchat-login", "ctx", 32);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->size(), 32u);
  EXPECT_EQ(*a, *b);
  EXPECT_NE(*a, *client->export_keying_material("EXPORTER-other", "ctx", 32));
  EXPECT_EQ(client->peer_fingerprint(), server_tls_->fingerprint());
  EXPECT_FALSE(client->peer_verified());  // self-signed, no CA given
}

TEST_F(ChannelTest, ACaFileVerifiesTheCertificateAndTheHostName) {
  {
    auto server = server_end();
    auto client = client_end(files_.cert_file, "127.0.0.1");
    ASSERT_TRUE(shake(*server, *client));
    EXPECT_TRUE(client->peer_verified()) << client->peer_verify_error();
  }
  TearDown();
  SetUp();
  auto server = server_end();
  auto client = client_end(files_.cert_file, "chat.example.org");  // not in the certificate
  ASSERT_TRUE(shake(*server, *client));
  EXPECT_FALSE(client->peer_verified());
}

TEST_F(ChannelTest, PlaintextBufferedInsideIsReportedAndEndOfStreamIsEof) {
  auto server = server_end();
  auto client = client_end();
  ASSERT_TRUE(shake(*server, *client));
  asio::error_code ec;
  const std::string one(100, 'a');
  const std::string two(100, 'b');
  EXPECT_EQ(server->write(one.data(), one.size(), ec), one.size());
  EXPECT_EQ(server->write(two.data(), two.size(), ec), two.size());
  char buf[10];
  ASSERT_EQ(client->read(buf, sizeof buf, ec), sizeof buf);
  // 90 bytes of the first record wait inside the channel, not in the socket.
  EXPECT_TRUE(client->buffered());
  std::string got(buf, sizeof buf);
  char big[512];
  for (int i = 0; i < 10 && got.size() < 200; ++i) {
    const std::size_t n = client->read(big, sizeof big, ec);
    if (ec) break;
    got.append(big, n);
  }
  EXPECT_EQ(got, one + two);
  EXPECT_FALSE(client->buffered());
  client->read(big, sizeof big, ec);
  EXPECT_EQ(ec, asio::error::would_block);
  EXPECT_EQ(client->read_want(), Channel::Want::kRead);
  server->shutdown();
  client->read(big, sizeof big, ec);
  EXPECT_EQ(ec, asio::error::eof);
}

TEST_F(ChannelTest, GarbageInsteadOfAClientHelloFailsTheHandshake) {
  auto server = server_end();
  const std::string garbage = "GET / HTTP/1.1\r\n\r\n";
  ASSERT_EQ(::write(fds_[1], garbage.data(), garbage.size()), static_cast<ssize_t>(garbage.size()));
  const auto ec = server->handshake();
  EXPECT_EQ(ec, asio::error::connection_aborted);
  EXPECT_FALSE(server->error_text().empty());
}

TEST_F(ChannelTest, ServerTrustPinsOnFirstUseAndRefusesAnotherKey) {
  auto server = server_end();
  auto client = client_end();
  ASSERT_TRUE(shake(*server, *client));
  const std::string known_hosts = dir_.file("known_hosts");
  ServerTrust trust(known_hosts);
  EXPECT_TRUE(trust.check("h:1", *client));
  EXPECT_EQ(find_pin(known_hosts, "h:1"), server_tls_->fingerprint());
  EXPECT_TRUE(trust.check("h:1", *client));
  ASSERT_TRUE(save_pin(known_hosts, "h:1", "SHA256:someone-else"));
  Status changed = trust.check("h:1", *client);
  EXPECT_EQ(changed.code(), Code::kCrypto);
  EXPECT_NE(changed.message().find("fastchat trust-server h:1 " + server_tls_->fingerprint()),
            std::string::npos);
  // A redirect target must be of the balancer's cluster, whatever the pins say.
  EXPECT_TRUE(trust.check("h:2", *client, server_tls_->fingerprint()));
  EXPECT_EQ(trust.check("h:2", *client, "SHA256:the-cluster").code(), Code::kCrypto);
  EXPECT_FALSE(find_pin(known_hosts, "h:2"));
  // With a CA file only CA-verified certificates count.
  ServerTrust ca_only(dir_.file("unused"), true);
  EXPECT_EQ(ca_only.check("h:1", *client).code(), Code::kCrypto);
  // In memory (no file): pinned for the process.
  ServerTrust memory({});
  EXPECT_TRUE(memory.check("h:3", *client));
  EXPECT_TRUE(memory.check("h:3", *client));
}

}  // namespace
}  // namespace fastchat::tls
