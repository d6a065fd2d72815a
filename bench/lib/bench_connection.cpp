#include "bench_connection.h"

#include <netinet/in.h>

#include <asio/connect.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/use_awaitable.hpp>

#include "crypto/device_key.h"
#include "crypto/login_proof.h"

namespace fastchat::bench {

namespace {
constexpr auto kAsTuple = asio::experimental::as_tuple(asio::use_awaitable);
using BindNoPort = asio::detail::socket_option::boolean<IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT>;

Result<wire::AuthOk> auth_reply(Result<wire::Frame> reply) {
  if (!reply) return reply.status();
  if (!reply->has_auth_ok()) return Status(Code::kBadRequest, "expected AuthOk");
  return std::move(*reply->mutable_auth_ok());
}
}  // namespace

namespace {
// Set once by set_transport() before the fleet connects; read-only afterwards.
std::shared_ptr<const tls::ClientTls> g_tls;
std::shared_ptr<tls::ServerTrust> g_trust;
bool g_transport_set = false;
}  // namespace

Status set_transport(bool insecure_plaintext) {
  g_transport_set = true;
  g_tls.reset();
  g_trust.reset();
  if (insecure_plaintext) return Status::ok();
  auto tls = tls::ClientTls::create();
  if (!tls) return tls.status();
  g_tls = std::move(*tls);
  g_trust = std::make_shared<tls::ServerTrust>(std::string());
  return Status::ok();
}

bool transport_is_tls() {
  if (!g_transport_set) (void)set_transport(false);
  return g_tls != nullptr;
}

std::string loopback_source(std::size_t i, std::size_t count) {
  if (count == 0) return {};
  const std::size_t k = 2 + i % count;  // 127.0.0.2 ..
  return "127.0." + std::to_string(k / 256) + "." + std::to_string(k % 256);
}

asio::awaitable<Result<std::shared_ptr<client::Connection>>> open_connection(
    asio::any_io_executor executor, const client::Endpoint& server, const std::string& source,
    bool abortive, std::shared_ptr<tls::SessionCache> sessions) {
  if (!g_transport_set) (void)set_transport(false);
  client::ConnectionOptions options;
  options.tls = g_tls;
  options.trust = g_trust;
  options.sessions = std::move(sessions);
  auto connection = client::Connection::create(executor, options);
  if (source.empty() && !abortive) {
    if (Status s = co_await connection->connect(server.host, server.port); !s) co_return s;
  } else {
    asio::error_code ec;
    const auto address = asio::ip::make_address(server.host, ec);
    if (ec) co_return Status(Code::kBadRequest, "a source address needs a numeric server address");
    asio::ip::tcp::socket socket(executor);
    socket.open(address.is_v4() ? asio::ip::tcp::v4() : asio::ip::tcp::v6(), ec);
    if (!ec && abortive) socket.set_option(asio::socket_base::linger(true, 0), ec);
    if (!ec && !source.empty()) {
      const asio::ip::tcp::endpoint local(asio::ip::make_address(source, ec), 0);
      if (!ec) socket.set_option(BindNoPort(true), ec);
      if (!ec) socket.bind(local, ec);
    }
    if (ec) co_return Status(Code::kIo, "cannot bind " + source + ": " + ec.message());
    auto [connect_ec] =
        co_await socket.async_connect(asio::ip::tcp::endpoint(address, server.port), kAsTuple);
    if (connect_ec) {
      co_return Status(Code::kUnavailable,
                       "cannot connect to " + server.to_string() + ": " + connect_ec.message());
    }
    if (Status s = co_await connection->adopt(std::move(socket), server.host, server.port); !s)
      co_return s;
  }
  auto hello = co_await client::say_hello(*connection, "fastchat-bench");
  if (!hello) {
    connection->close();
    co_return hello.status();
  }
  co_return connection;
}

// The bench's one device: every account's sessions are bound to it.
const crypto::LoginKey& bench_device_key() {
  static const crypto::LoginKey key = crypto::new_device_key();
  return key;
}

asio::awaitable<Result<wire::AuthOk>> resume(client::Connection& c, const BenchAccount& account) {
  wire::Frame frame;
  frame.mutable_resume()->set_username(account.username);
  frame.mutable_resume()->set_session_token(account.token);
  frame.mutable_resume()->set_device_signature(crypto::sign_resume(
      bench_device_key(), account.username, c.login_nonce(), c.channel_binding()));
  co_return auth_reply(co_await c.request(std::move(frame)));
}

asio::awaitable<Result<wire::AuthOk>> login(client::Connection& c, const BenchAccount& account) {
  wire::Frame frame;
  const auto key = crypto::login_key_from_seed(account.login_seed);
  auto* login = frame.mutable_login();
  login->set_username(account.username);
  login->set_login_public_key(key.public_key);
  login->set_login_signature(
      crypto::sign_login(key, account.username, c.login_nonce(), c.channel_binding()));
  login->set_device_public_key(bench_device_key().public_key);
  login->set_device_name("fastchat-bench");
  co_return auth_reply(co_await c.request(std::move(frame)));
}

asio::awaitable<Result<wire::AuthOk>> register_account(client::Connection& c,
                                                       const BenchAccount& account) {
  wire::Frame frame;
  auto* reg = frame.mutable_register_();
  reg->set_username(account.username);
  reg->set_login_public_key(crypto::login_key_from_seed(account.login_seed).public_key);
  const auto identity = account.identity.public_identity(account.username);
  reg->mutable_identity()->set_sign_public_key(identity.sign_public_key);
  reg->mutable_identity()->set_box_public_key(identity.box_public_key);
  reg->mutable_identity()->set_signature(identity.signature);
  reg->set_device_public_key(bench_device_key().public_key);
  reg->set_device_name("fastchat-bench");
  co_return auth_reply(co_await c.request(std::move(frame)));
}

asio::awaitable<Status> logout(client::Connection& c) {
  wire::Frame frame;
  frame.mutable_logout();
  auto reply = co_await c.request(std::move(frame));
  co_return reply ? Status::ok() : reply.status();
}

asio::awaitable<Result<Opened>> open_session(asio::any_io_executor executor,
                                             const client::Endpoint& server, BenchAccount& account,
                                             const std::string& source, bool try_resume) {
  auto opened = co_await open_connection(executor, server, source);
  if (!opened) co_return opened.status();
  auto connection = std::move(*opened);
  const std::string where = server.to_string();
  if (try_resume && !account.token.empty() && account.server == where) {
    auto ok = co_await resume(*connection, account);
    if (ok) co_return Opened{connection, AuthKind::kResume, ok->acked_seq()};
    // A token of an earlier server (the bench's home outlives it): log in instead.
    if (ok.code() != Code::kAuthFailed && ok.code() != Code::kSessionExpired) {
      connection->close();
      co_return ok.status();
    }
  }
  // Register before Login: a Login of an unknown user counts as a failed login, and
  // the server rate-limits those per address.
  AuthKind how = AuthKind::kRegister;
  auto ok = co_await register_account(*connection, account);
  if (!ok && ok.code() == Code::kUsernameTaken) {
    how = AuthKind::kLogin;
    ok = co_await login(*connection, account);
  }
  if (!ok) {
    connection->close();
    co_return ok.status();
  }
  account.server = where;
  account.token = ok->session_token();
  co_return Opened{connection, how, ok->acked_seq()};
}

}  // namespace fastchat::bench
