// fastchat-server: one chat server. Single node by default (SQLite in --data-dir);
// see docs/cluster.md for the cluster flags.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <filesystem>

#include "common/endpoint.h"
#include "common/logging.h"
#include "common/secret_url.h"
#include "common/shutdown_signals.h"
#include "server/server.h"
#include "tls/identity.h"

int main(int argc, char** argv) {
  fastchat::server::ServerConfig config;
  std::string listen = "127.0.0.1:7600";
  std::string log_level = "info";
  std::string log_file;
  bool print_fingerprint = false;

  CLI::App app{"fastchat-server: end-to-end-encrypted chat server"};
  app.add_option("--listen", listen, "HOST:PORT to listen on (port 0 picks a free one)")
      ->capture_default_str();
  app.add_option("--data-dir", config.data_dir, "directory for the SQLite store and server key")
      ->capture_default_str();
  fastchat::SecretUrlSources db{.option = "--db", .env_name = "FASTCHAT_DB_URL"};
  app.add_option("--db", db.command_line,
                 "postgresql://... URL without a password (default: SQLite in --data-dir)");
  app.add_option("--db-file", db.file,
                 "file (mode 0600) holding the --db URL, password included; or FASTCHAT_DB_URL");
  app.add_option("--secret-file", config.secret_file,
                 "server key file (default: DATA_DIR/server.key; share it across a cluster)");
  app.add_option("--public-host", config.public_host,
                 "address clients are told to use (default: the listen host)");
  app.add_option("--dedupe-window", config.dedupe_window_s,
                 "seconds a delivered message's id still makes a retry a duplicate")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--session-idle-timeout", config.session_idle_timeout_s,
                 "seconds a session token may go unused before it must log in again")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  double idle_timeout_s = static_cast<double>(config.idle_timeout_ms) / 1000.0;
  app.add_option("--idle-timeout", idle_timeout_s,
                 "seconds a logged-in connection may send nothing (not even a ping) before it "
                 "is closed; 0: never")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e7));
  app.add_option("--send-per-second", config.send_limits.messages_per_second,
                 "messages one user may send per second to this server, sustained; 0: no limit")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e9));
  app.add_option("--send-burst", config.send_limits.message_burst,
                 "messages one user may send at once")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 1e9));
  app.add_option("--send-bytes-per-second", config.send_limits.bytes_per_second,
                 "bytes one user may send per second to this server, sustained; 0: no limit")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e12));
  app.add_option("--send-bytes-burst", config.send_limits.byte_burst,
                 "bytes one user may send at once")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 1e12));
  app.add_option("--name", config.server_name, "server name in logs and Hello")
      ->capture_default_str();
  app.add_option("--threads", config.threads, "event loops (default: one per core)");
  app.add_option("--max-groups-per-user", config.max_groups_per_user, "groups one user can be in")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--max-group-members", config.max_group_members, "members of one group")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--max-registrations-per-address", config.login_limits.registrations_per_address,
                 "accounts one client address may register per 15 minutes (loopback exempt)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--max-one-time-prekeys", config.max_one_time_prekeys,
                 "E2EE one-time prekeys kept per device")
      ->capture_default_str()
      ->check(CLI::Range(1, 10'000));
  app.add_option("--max-prekey-devices", config.max_prekey_devices,
                 "devices with E2EE prekeys per account")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  app.add_option("--bundle-fetch-burst", config.bundle_fetch_limits.burst,
                 "prekey bundle fetches one user may make at once")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 1e6));
  app.add_option("--bundle-fetch-per-minute", config.bundle_fetch_limits.per_minute,
                 "prekey bundle fetches one user may make per minute, sustained")
      ->capture_default_str()
      ->check(CLI::Range(0.01, 1e6));
  app.add_option("--ready-file", config.ready_file, "write HOST:PORT here once listening");
  fastchat::SecretUrlSources redis{.option = "--redis", .env_name = "FASTCHAT_REDIS_URL"};
  app.add_option("--redis", redis.command_line,
                 "redis://HOST:PORT[/DB] without a password: join a cluster (routing, "
                 "presence, registry)");
  app.add_option("--redis-file", redis.file,
                 "file (mode 0600) holding the --redis URL, password included; or "
                 "FASTCHAT_REDIS_URL");
  app.add_option("--server-id", config.server_id,
                 "unique id in the cluster (default: PUBLIC_HOST:PORT)");
  app.add_option("--admin-listen", config.admin_listen,
                 "HOST:PORT for /metrics and /healthz (default: none)");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error, off")
      ->capture_default_str();
  app.add_option("--log-file", log_file, "also log to this file");
  app.add_option("--tls-cert", config.tls_cert_file,
                 "PEM certificate chain (leaf first) to present; default: a self-signed one "
                 "made in --data-dir on first start");
  app.add_option("--tls-key", config.tls_key_file, "PEM private key of --tls-cert");
  app.add_flag("--insecure-plaintext", config.insecure_plaintext,
               "no TLS: everything readable on the wire (loopback benchmarks only)");
  app.add_flag("--proxy-protocol", config.proxy_protocol,
               "behind a TCP proxy/load balancer: every connection starts with a PROXY "
               "protocol v2 header naming the client's address (others are closed)");
  app.add_flag("--print-fingerprint", print_fingerprint,
               "print the TLS key fingerprint clients pin (making the self-signed identity "
               "if there is none yet) and exit");
  CLI11_PARSE(app, argc, argv);
  config.idle_timeout_ms = static_cast<std::int64_t>(idle_timeout_s * 1000.0);
  for (auto [sources, url] :
       {std::pair{&db, &config.db_url}, std::pair{&redis, &config.redis_url}}) {
    auto resolved = fastchat::resolve_secret_url(*sources);
    if (!resolved) {
      std::fprintf(stderr, "fastchat-server: %s\n", resolved.status().message().c_str());
      return 2;
    }
    *url = std::move(*resolved);
  }

  auto endpoint =
      fastchat::parse_endpoint(listen, fastchat::kDefaultPort, /*allow_port_zero=*/true);
  if (!endpoint) {
    std::fprintf(stderr, "fastchat-server: --listen: %s\n", endpoint.status().message().c_str());
    return 2;
  }
  config.listen_host = endpoint->host;
  config.listen_port = endpoint->port;
  if (print_fingerprint) {
    std::error_code ignored;  // ensure_identity reports a data dir it cannot write
    std::filesystem::create_directories(config.data_dir, ignored);
    auto files =
        fastchat::tls::ensure_identity(config.tls_cert_file, config.tls_key_file, config.data_dir,
                                       {config.public_host, config.listen_host});
    auto fingerprint = files ? fastchat::tls::certificate_fingerprint(files->cert_file)
                             : fastchat::Result<std::string>(files.status());
    if (!fingerprint) {
      std::fprintf(stderr, "fastchat-server: %s\n", fingerprint.status().to_string().c_str());
      return 1;
    }
    std::printf("%s\n", fingerprint->c_str());
    return 0;
  }
  fastchat::setup_logging(log_level, log_file);

  const fastchat::ShutdownSignals shutdown;  // before any thread starts

  fastchat::server::Server server(config);
  if (auto status = server.start(); !status) {
    spdlog::error("cannot start: {}", status.to_string());
    std::fprintf(stderr, "fastchat-server: %s\n", status.to_string().c_str());
    return 1;
  }
  spdlog::info("received signal {}", shutdown.wait());
  server.stop();
  return 0;
}
