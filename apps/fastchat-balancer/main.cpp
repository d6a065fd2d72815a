// fastchat-balancer: tells clients which chat server to use (docs/cluster.md).
//   fastchat-balancer --listen HOST:PORT --redis URL|--redis-file FILE [--strategy
//   least-connections|round-robin|random]
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>

#include "balancer/balancer.h"
#include "common/endpoint.h"
#include "common/logging.h"
#include "common/secret_url.h"
#include "common/shutdown_signals.h"

int main(int argc, char** argv) {
  fastchat::balancer::BalancerConfig config;
  std::string listen = "127.0.0.1:7700";
  std::string strategy = "least-connections";
  std::string log_level = "info";
  std::string log_file;

  CLI::App app{"fastchat-balancer: hands each client a live fastchat server"};
  app.add_option("--listen", listen, "HOST:PORT to listen on (port 0 picks a free one)")
      ->capture_default_str();
  fastchat::SecretUrlSources redis{.option = "--redis", .env_name = "FASTCHAT_REDIS_URL"};
  app.add_option("--redis", redis.command_line,
                 "redis://HOST:PORT[/DB] of the cluster, without a password");
  app.add_option("--redis-file", redis.file,
                 "file (mode 0600) holding the --redis URL, password included; or "
                 "FASTCHAT_REDIS_URL");
  app.add_option("--strategy", strategy, "least-connections, round-robin or random")
      ->capture_default_str();
  app.add_option("--admin-listen", config.admin_listen,
                 "HOST:PORT for /metrics and /healthz (default: none)");
  app.add_option("--ready-file", config.ready_file, "write HOST:PORT here once listening");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error, off")
      ->capture_default_str();
  app.add_option("--log-file", log_file, "also log to this file");
  app.add_option("--tls-cert", config.tls_cert_file,
                 "PEM certificate chain of the cluster (the same file as its servers')");
  app.add_option("--tls-key", config.tls_key_file, "PEM private key of --tls-cert");
  app.add_flag("--insecure-plaintext", config.insecure_plaintext,
               "no TLS: everything readable on the wire (loopback benchmarks only)");
  CLI11_PARSE(app, argc, argv);
  auto redis_url = fastchat::resolve_secret_url(redis);
  if (redis_url && redis_url->empty()) {
    redis_url = fastchat::Status(fastchat::Code::kBadRequest,
                                 "the cluster's Redis is needed: --redis, --redis-file or "
                                 "FASTCHAT_REDIS_URL");
  }
  if (!redis_url) {
    std::fprintf(stderr, "fastchat-balancer: %s\n", redis_url.status().message().c_str());
    return 2;
  }
  config.redis_url = std::move(*redis_url);

  auto endpoint =
      fastchat::parse_endpoint(listen, fastchat::kDefaultPort, /*allow_port_zero=*/true);
  if (!endpoint) {
    std::fprintf(stderr, "fastchat-balancer: --listen: %s\n", endpoint.status().message().c_str());
    return 2;
  }
  config.listen_host = endpoint->host;
  config.listen_port = endpoint->port;
  auto parsed = fastchat::balancer::parse_strategy(strategy);
  if (!parsed) {
    std::fprintf(stderr,
                 "fastchat-balancer: --strategy is least-connections, round-robin or random, "
                 "not '%s'\n",
                 strategy.c_str());
    return 2;
  }
  config.strategy = *parsed;
  fastchat::setup_logging(log_level, log_file);

  const fastchat::ShutdownSignals shutdown;  // before any thread starts

  fastchat::balancer::Balancer balancer(config);
  if (auto status = balancer.start(); !status) {
    spdlog::error("cannot start: {}", status.to_string());
    std::fprintf(stderr, "fastchat-balancer: %s\n", status.to_string().c_str());
    return 1;
  }
  spdlog::info("received signal {}", shutdown.wait());
  balancer.stop();
  return 0;
}
