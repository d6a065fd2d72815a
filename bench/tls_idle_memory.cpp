// tls_idle_memory: heap bytes of an idle server-side TLS connection, our tls::Channel
// (OpenSSL on the socket, buffers released) against asio::ssl::stream with the same
// settings: N connection pairs over socketpairs, a handshake and one request each, the
// client ends freed, the server ends kept idle (docs/decisions.md, "TLS").
// Usage: tls_idle_memory [N] [--sites] (a self-signed identity is made in a temp dir).
// --sites: also where OpenSSL allocated what an idle server end holds (bytes per
// connection by allocation site, from CRYPTO_set_mem_functions).
#include <malloc.h>
#include <openssl/crypto.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <asio/io_context.hpp>
#include <asio/local/connect_pair.hpp>
#include <asio/local/stream_protocol.hpp>
#include <asio/ssl.hpp>
#include <asio/write.hpp>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "tls/channel.h"
#include "tls/identity.h"

using namespace fastchat;

static size_t heap() {
  return mallinfo2().uordblks;
}

// OpenSSL's live allocations by site while `g_tracking` (single-threaded program).
struct Site {
  std::size_t size;
  const char* file;
  int line;
};
static std::unordered_map<void*, Site>* g_live = nullptr;
static bool g_tracking = false;
static void* tracked_malloc(std::size_t n, const char* file, int line) {
  void* p = std::malloc(n);
  if (g_tracking && p != nullptr) (*g_live)[p] = {n, file, line};
  return p;
}
static void* tracked_realloc(void* old, std::size_t n, const char* file, int line) {
  if (g_tracking && old != nullptr) g_live->erase(old);
  void* p = std::realloc(old, n);
  if (g_tracking && p != nullptr) (*g_live)[p] = {n, file, line};
  return p;
}
static void tracked_free(void* p, const char*, int) {
  if (g_live != nullptr && p != nullptr) g_live->erase(p);
  std::free(p);
}
static void print_sites(int n) {
  std::map<std::string, std::size_t> by_site;
  for (const auto& [p, site] : *g_live)
    by_site[std::string(site.file ? site.file : "?") + ":" + std::to_string(site.line)] +=
        site.size;
  std::vector<std::pair<std::size_t, std::string>> sorted;
  for (const auto& [where, bytes] : by_site)
    sorted.emplace_back(bytes, where);
  std::sort(sorted.rbegin(), sorted.rend());
  std::printf("OpenSSL's allocations held by an idle server end, bytes each (requested sizes):\n");
  for (std::size_t i = 0; i < sorted.size() && i < 15; ++i)
    std::printf("%8zu  %s\n", sorted[i].first / static_cast<std::size_t>(n),
                sorted[i].second.c_str());
}

int main(int argc, char** argv) {
  const bool sites = argc > 2 && std::strcmp(argv[2], "--sites") == 0;
  if (sites) {
    g_live = new std::unordered_map<void*, Site>();
    CRYPTO_set_mem_functions(tracked_malloc, tracked_realloc, tracked_free);
  }
  const int n = argc > 1 ? atoi(argv[1]) : 300;
  char dir[] = "/tmp/fastchat-tls-memory-XXXXXX";
  if (::mkdtemp(dir) == nullptr) return 1;
  auto files = *tls::ensure_identity({}, {}, dir, {});
  // As fastchat-server: session tickets on (the secret is a stand-in for its key's).
  auto server_tls = *tls::ServerTls::create(files.cert_file, files.key_file,
                                            {.secret = "tls_idle_memory ticket secret 32b"});
  auto client_tls = *tls::ClientTls::create();
  // Warm up OpenSSL's lazily built tables.
  {
    int fds[2];
    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds);
    auto s = std::move(*tls::Channel::accept(*server_tls, fds[0]));
    auto c = std::move(*tls::Channel::connect(*client_tls, fds[1], "127.0.0.1"));
    for (int i = 0; i < 10; ++i) {
      c->handshake();
      s->handshake();
    }
    close(fds[0]);
    close(fds[1]);
  }
  std::vector<std::unique_ptr<tls::Channel>> servers;
  std::vector<int> fds_all;
  const size_t before = heap();
  g_tracking = sites;  // the client ends are freed below: what stays is the servers'
  for (int k = 0; k < n; ++k) {
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds) != 0) {
      perror("socketpair");
      return 1;
    }
    auto s = std::move(*tls::Channel::accept(*server_tls, fds[0]));
    auto c = std::move(*tls::Channel::connect(*client_tls, fds[1], "127.0.0.1"));
    for (int i = 0; i < 10 && !(s->handshake_done() && c->handshake_done()); ++i) {
      c->handshake();
      s->handshake();
    }
    // One request and answer each way, then idle.
    asio::error_code ec;
    char buf[256];
    c->write("hello", 5, ec);
    s->read(buf, sizeof buf, ec);
    s->write("ok", 2, ec);
    c->read(buf, sizeof buf, ec);
    s->read(buf, sizeof buf, ec);  // would_block: the idle state
    c.reset();
    close(fds[1]);
    fds_all.push_back(fds[0]);
    servers.push_back(std::move(s));
  }
  const size_t ours = (heap() - before) / n;
  if (sites) {
    g_tracking = false;
    print_sites(n);
  }
  servers.clear();
  for (int fd : fds_all)
    close(fd);
  fds_all.clear();

  // asio::ssl::stream, server side, same exchange.
  asio::io_context io;
  asio::ssl::context sctx(asio::ssl::context::tls_server);
  sctx.use_certificate_chain_file(files.cert_file);
  sctx.use_private_key_file(files.key_file, asio::ssl::context::pem);
  SSL_CTX_set_min_proto_version(sctx.native_handle(), TLS1_3_VERSION);
  SSL_CTX_set_mode(sctx.native_handle(), SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_num_tickets(sctx.native_handle(), 0);
  asio::ssl::context cctx(asio::ssl::context::tls_client);
  using Stream = asio::ssl::stream<asio::local::stream_protocol::socket>;
  std::vector<std::unique_ptr<Stream>> streams;
  const size_t before2 = heap();
  for (int k = 0; k < n; ++k) {
    asio::local::stream_protocol::socket a(io), b(io);
    asio::local::connect_pair(a, b);
    auto s = std::make_unique<Stream>(std::move(a), sctx);
    auto c = std::make_unique<Stream>(std::move(b), cctx);
    s->async_handshake(asio::ssl::stream_base::server, [](asio::error_code) {});
    c->async_handshake(asio::ssl::stream_base::client, [](asio::error_code) {});
    io.restart();
    io.run();
    char buf[256];
    asio::async_write(*c, asio::buffer("hello", 5), [](asio::error_code, size_t) {});
    s->async_read_some(asio::buffer(buf), [](asio::error_code, size_t) {});
    io.restart();
    io.run();
    c.reset();
    streams.push_back(std::move(s));
  }
  io.restart();
  io.poll();
  const size_t theirs = (heap() - before2) / n;
  std::printf(
      "idle TLS server connection, heap bytes each (n=%d): tls::Channel %zu, asio::ssl::stream "
      "%zu\n",
      n, ours, theirs);
  return 0;
}
