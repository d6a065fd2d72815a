// Opening a bench user's connection: TCP (optionally from a chosen 127.0.0.x source
// address, to pass the ephemeral-port limit of one address), Hello, then the
// cheapest login that works: Resume with the cached token, else Login with the
// cached identity and auth key (Register, or Login when the name is taken).
// Coroutines on the executor given; each account is used by one coroutine at a time.
#pragma once

#include <asio/awaitable.hpp>
#include <memory>
#include <string>

#include "accounts.h"
#include "client/client.h"
#include "client/connection.h"
#include "common/status.h"
#include "fastchat.pb.h"

namespace fastchat::bench {

enum class AuthKind { kResume, kLogin, kRegister };

// TLS 1.3 for every connection opened from now on (the default; server keys pinned
// in memory on first use), or plaintext. Call before any connection is opened.
Status set_transport(bool insecure_plaintext);

struct Opened {
  std::shared_ptr<client::Connection> connection;
  AuthKind how = AuthKind::kResume;
  std::uint64_t acked_seq = 0;  // AuthOk.acked_seq: where this user's unread inbox starts
};

// A connected, Hello'd connection. `source` empty: the kernel's choice. `abortive`:
// closing sends a reset and leaves no TIME_WAIT behind (login churn). `sessions`: TLS
// session resumption with the session kept there for the server (null: full handshakes).
asio::awaitable<Result<std::shared_ptr<client::Connection>>> open_connection(
    asio::any_io_executor executor, const client::Endpoint& server, const std::string& source,
    bool abortive = false, std::shared_ptr<tls::SessionCache> sessions = nullptr);
// Whether connections are TLS (set_transport).
bool transport_is_tls();

// Opens and authenticates `account`; updates its token and server on a new login.
// `try_resume` false skips a token known to be stale (the server was reset): a failed
// Resume counts against the server's per-address login limit.
asio::awaitable<Result<Opened>> open_session(asio::any_io_executor executor,
                                             const client::Endpoint& server, BenchAccount& account,
                                             const std::string& source = {},
                                             bool try_resume = true);

// The requests themselves, on an open connection.
asio::awaitable<Result<wire::AuthOk>> resume(client::Connection& c, const BenchAccount& account);
asio::awaitable<Result<wire::AuthOk>> login(client::Connection& c, const BenchAccount& account);
asio::awaitable<Result<wire::AuthOk>> register_account(client::Connection& c,
                                                       const BenchAccount& account);
asio::awaitable<Status> logout(client::Connection& c);

// The i-th of `count` loopback source addresses 127.0.0.2 .. (empty when count == 0).
std::string loopback_source(std::size_t i, std::size_t count);

}  // namespace fastchat::bench
