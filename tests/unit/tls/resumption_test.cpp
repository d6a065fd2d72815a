// TLS 1.3 session resumption over non-blocking socketpairs: tickets sealed with keys
// derived from a shared secret resume on any context holding that secret (the servers
// of a cluster), not on one with another secret or without tickets; the keys rotate
// by time window with a grace period; a resumed connection has its own exporter and
// still reports the certificate its session recorded.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test_dir.h"
#include "tls/channel.h"
#include "tls/identity.h"
#include "tls/known_hosts.h"
#include "tls/session_cache.h"

namespace fastchat::tls {
namespace {

constexpr std::string_view kSecret = "0123456789abcdef0123456789abcdef";
constexpr std::string_view kOtherSecret = "fedcba9876543210fedcba9876543210";
constexpr std::int64_t kPeriod = 3600;
const std::string kAddress = "127.0.0.1:7600";

// One connection: both ends over a socketpair, shaking hands by taking turns.
class Link {
 public:
  Link(const ServerTls& server_tls, const ClientTls& client_tls,
       std::shared_ptr<SessionCache> sessions) {
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds_) != 0) std::abort();
    server = std::move(*Channel::accept(server_tls, fds_[0]));
    client = std::move(*Channel::connect(client_tls, fds_[1], "127.0.0.1"));
    if (sessions) client->offer_session(sessions->get(kAddress));
    for (int turn = 0; turn < 20 && !(server->handshake_done() && client->handshake_done());
         ++turn) {
      const auto c = client->handshake();
      const auto s = server->handshake();
      if ((c && c != asio::error::would_block) || (s && s != asio::error::would_block)) break;
    }
    if (sessions && client->handshake_done()) client->remember_sessions(sessions, kAddress);
  }
  ~Link() {
    client.reset();
    server.reset();
    ::close(fds_[0]);
    ::close(fds_[1]);
  }
  bool up() const { return server->handshake_done() && client->handshake_done(); }
  // One byte each way: the client reads what the server sent after the handshake
  // (its tickets) on the way.
  bool exchange() {
    asio::error_code ec;
    char byte = 'x';
    if (server->write(&byte, 1, ec) != 1) return false;
    for (int i = 0; i < 10; ++i) {
      if (client->read(&byte, 1, ec) == 1) return true;
      if (ec != asio::error::would_block) return false;
    }
    return false;
  }
  std::string exporter() const {
    return *client->export_keying_material("EXPORTER-fastchat-login", "", 32);
  }

  std::unique_ptr<Channel> server;
  std::unique_ptr<Channel> client;

 private:
  int fds_[2] = {-1, -1};
};

class ResumptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto files = ensure_identity({}, {}, dir_.path(), {});
    ASSERT_TRUE(files);
    files_ = *files;
    client_tls_ = *ClientTls::create();
  }
  std::shared_ptr<const ServerTls> server_with(std::string_view secret,
                                               std::function<std::int64_t()> now = nullptr) {
    auto made = ServerTls::create(
        files_.cert_file, files_.key_file,
        {.secret = secret, .period = std::chrono::seconds(kPeriod), .unix_now = std::move(now)});
    EXPECT_TRUE(made) << made.status().to_string();
    return made ? *made : nullptr;
  }
  // A full handshake that leaves a ticket in `sessions`.
  void get_ticket(const ServerTls& server, const std::shared_ptr<SessionCache>& sessions) {
    Link link(server, *client_tls_, sessions);
    ASSERT_TRUE(link.up());
    ASSERT_TRUE(link.exchange());
    ASSERT_NE(sessions->get(kAddress), nullptr) << "no ticket arrived";
  }

  test::TestDir dir_;
  IdentityFiles files_;
  std::shared_ptr<const ClientTls> client_tls_;
};

TEST_F(ResumptionTest, ATicketResumesWithItsOwnExporterAndTheRecordedCertificate) {
  auto server = server_with(kSecret);
  auto sessions = std::make_shared<SessionCache>();
  Link first(*server, *client_tls_, sessions);
  ASSERT_TRUE(first.up());
  EXPECT_FALSE(first.client->resumed());
  ASSERT_TRUE(first.exchange());
  ASSERT_EQ(sessions->size(), 1u);

  Link second(*server, *client_tls_, sessions);
  ASSERT_TRUE(second.up());
  EXPECT_TRUE(second.client->resumed());
  EXPECT_TRUE(second.server->resumed());
  // The exporter (what a login proof signs) is the connection's own, equal on both ends.
  EXPECT_NE(second.exporter(), first.exporter());
  EXPECT_EQ(second.exporter(),
            *second.server->export_keying_material("EXPORTER-fastchat-login", "", 32));
  // The server sent no certificate: what is judged is the one its session recorded.
  EXPECT_EQ(second.client->peer_fingerprint(), server->fingerprint());
  EXPECT_FALSE(second.client->peer_verified());  // self-signed, as on the first connection
  // So a pin is checked on a resumed connection as on a full one.
  const std::string known_hosts = dir_.file("known_hosts");
  ServerTrust trust(known_hosts);
  EXPECT_TRUE(trust.check(kAddress, *second.client));
  ASSERT_TRUE(save_pin(known_hosts, kAddress, "SHA256:someone-else"));
  EXPECT_EQ(trust.check(kAddress, *second.client).code(), Code::kCrypto);
  ASSERT_TRUE(second.exchange());  // and a fresh ticket replaces the used one

  Link third(*server, *client_tls_, sessions);
  ASSERT_TRUE(third.up());
  EXPECT_TRUE(third.client->resumed());
  EXPECT_NE(third.exporter(), second.exporter());
}

TEST_F(ResumptionTest, ACaVerifiedSessionStaysVerifiedWhenResumed) {
  auto server = server_with(kSecret);
  auto with_ca = *ClientTls::create(files_.cert_file);
  auto sessions = std::make_shared<SessionCache>();
  {
    Link first(*server, *with_ca, sessions);
    ASSERT_TRUE(first.up());
    EXPECT_TRUE(first.client->peer_verified());
    ASSERT_TRUE(first.exchange());
  }
  Link second(*server, *with_ca, sessions);
  ASSERT_TRUE(second.up());
  EXPECT_TRUE(second.client->resumed());
  EXPECT_TRUE(second.client->peer_verified()) << second.client->peer_verify_error();
  EXPECT_EQ(second.client->peer_fingerprint(), server->fingerprint());
}

TEST_F(ResumptionTest, AnotherServerWithTheSameSecretResumesOneWithAnotherSecretDoesNot) {
  auto sessions = std::make_shared<SessionCache>();
  get_ticket(*server_with(kSecret), sessions);
  {
    Link same_cluster(*server_with(kSecret), *client_tls_, sessions);  // another context
    ASSERT_TRUE(same_cluster.up());
    EXPECT_TRUE(same_cluster.client->resumed());
  }
  get_ticket(*server_with(kSecret), sessions);
  Link other(*server_with(kOtherSecret), *client_tls_, sessions);
  ASSERT_TRUE(other.up()) << "an unknown ticket must fall back to a full handshake";
  EXPECT_FALSE(other.client->resumed());
  EXPECT_FALSE(other.server->resumed());
  ASSERT_TRUE(other.exchange());
}

TEST_F(ResumptionTest, AServerWithoutTicketsNeverResumes) {
  auto sessions = std::make_shared<SessionCache>();
  get_ticket(*server_with(kSecret), sessions);
  auto no_tickets = *ServerTls::create(files_.cert_file, files_.key_file);
  EXPECT_FALSE(no_tickets->issues_tickets());
  Link link(*no_tickets, *client_tls_, sessions);
  ASSERT_TRUE(link.up());
  EXPECT_FALSE(link.client->resumed());
  ASSERT_TRUE(link.exchange());
  EXPECT_EQ(
      ServerTls::create(files_.cert_file, files_.key_file, {.secret = "short"}).status().code(),
      Code::kBadRequest);
}

TEST_F(ResumptionTest, TicketKeysRotateWithAGracePeriod) {
  std::int64_t now = 100 * kPeriod + 10;
  auto server = server_with(kSecret, [&now] { return now; });
  auto sessions = std::make_shared<SessionCache>();
  const auto ticket_at = [&](std::int64_t when) {
    now = when;
    get_ticket(*server, sessions);
  };
  const auto resumes_at = [&](std::int64_t when) {
    now = when;
    Link offered(*server, *client_tls_, sessions);
    return offered.up() && offered.client->resumed();
  };
  ticket_at(100 * kPeriod + 10);
  auto ticket = sessions->get(kAddress);
  EXPECT_TRUE(resumes_at(100 * kPeriod + 20));
  sessions->put(kAddress, std::move(ticket));
  ticket = sessions->get(kAddress);
  EXPECT_TRUE(resumes_at(101 * kPeriod + 5));  // the previous window's key: grace
  sessions->put(kAddress, std::move(ticket));
  EXPECT_FALSE(resumes_at(102 * kPeriod + 5));  // two windows on: a full handshake
  // A server whose clock is a window behind still opens a ticket from the next one.
  ticket_at(103 * kPeriod + 1);
  EXPECT_TRUE(resumes_at(102 * kPeriod + 3500));
}

TEST_F(ResumptionTest, NoTicketIsKeptBeforeTheServerIsTrusted) {
  auto server = server_with(kSecret);
  auto sessions = std::make_shared<SessionCache>();
  Link link(*server, *client_tls_, nullptr);  // remember_sessions() not called
  ASSERT_TRUE(link.up());
  ASSERT_TRUE(link.exchange());
  EXPECT_EQ(sessions->size(), 0u);
  link.client->remember_sessions(sessions, kAddress);  // trusted now: the ticket read before
  EXPECT_EQ(sessions->size(), 1u);
  sessions->forget(kAddress);
  EXPECT_EQ(sessions->get(kAddress), nullptr);
}

}  // namespace
}  // namespace fastchat::tls
