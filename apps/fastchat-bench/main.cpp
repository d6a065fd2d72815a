// fastchat-bench: drives many real clients (real protocol, real E2EE) against a
// fastchat server or cluster and reports what users feel. See docs/performance.md.
//   fastchat-bench SCENARIO [--server HOST:PORT | --in-process] [--users N] ...
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>

#include "common/logging.h"
#include "protocol/frame_codec.h"
#include "report.h"
#include "scenarios.h"

int main(int argc, char** argv) {
  fastchat::bench::BenchOptions o;
  std::string server = "127.0.0.1:7600";
  std::string log_level = "warn";
  bool no_ceiling = false, quiet = false;

  CLI::App app{"fastchat-bench: load tester for fastchat (real clients, open-loop load)"};
  app.add_option("scenario", o.scenario, "dm, group, login, offline, idle or balance")->required();
  app.add_option("--server", server, "HOST:PORT of the server")->capture_default_str();
  app.add_flag("--in-process", o.in_process_server,
               "start a fastchat server inside the bench (temporary data dir)");
  app.add_option("--balancer", o.balancer, "balance: HOST:PORT of fastchat-balancer");
  app.add_option("--policy", o.policy, "balance: the balancer's policy, as a label in the report");
  app.add_option("--users", o.users, "users (login: concurrent users; idle: connections)")
      ->capture_default_str();
  app.add_option("--duration", o.duration_s, "seconds per measurement step")->capture_default_str();
  app.add_option("--rate", o.rate, "offered messages/s (with --max: the first rate tried)")
      ->capture_default_str();
  app.add_flag("--max", o.max, "find the highest sustained rate, then measure at half of it");
  app.add_option("--max-factor", o.max_factor, "rate step of --max")->capture_default_str();
  app.add_option("--max-rate", o.max_rate, "--max never offers more than this")
      ->capture_default_str();
  app.add_option("--slo-ms", o.slo_ms, "a step whose p99 exceeds this is not sustained")
      ->capture_default_str();
  app.add_option("--payload", o.payload, "message text bytes")->capture_default_str();
  app.add_option("--e2ee", o.e2ee,
                 "dm, group, offline, balance: v2 (Double Ratchet, Sender Keys) or v1 "
                 "(crypto_box, key wraps)")
      ->check(CLI::IsMember({"v1", "v2"}))
      ->capture_default_str();
  app.add_option("--group-size", o.group_size, "group: members per group")->capture_default_str();
  app.add_option("--group-senders", o.group_senders, "group: members of each group that send")
      ->capture_default_str();
  app.add_option("--contacts", o.contacts, "dm: how many others each user writes to")
      ->capture_default_str();
  app.add_option("--backlog", o.backlog, "offline: pending messages per offline user")
      ->capture_default_str();
  app.add_option("--sources", o.sources, "spread connections over 127.0.0.2.. (this many)")
      ->capture_default_str();
  app.add_option("--out", o.out_dir, "write report.json, steps.csv and latency.png here");
  app.add_option("--home", o.home_dir, "cache of bench accounts and tokens")->capture_default_str();
  app.add_option("--server-pid", o.server_pid, "server process, for CPU and RSS from /proc");
  app.add_option("--loops", o.loops, "bench event loops (default: one per core)");
  app.add_option("--drain", o.drain_s, "seconds to wait for deliveries after a step")
      ->capture_default_str();
  app.add_flag("--no-ceiling", no_ceiling, "skip the minimal-relay ceiling measurement");
  app.add_option("--ceiling-duration", o.ceiling_s, "seconds of the ceiling measurement")
      ->capture_default_str();
  app.add_option("--max-inflight", o.max_inflight, "sends in flight per loop before dropping")
      ->capture_default_str();
  app.add_option("--ack-interval-ms", o.ack_interval_ms, "how often receivers ack their inbox")
      ->capture_default_str();
  app.add_option("--connect-concurrency", o.connect_concurrency, "logins in flight when connecting")
      ->capture_default_str();
  app.add_flag("--insecure-plaintext", o.insecure_plaintext,
               "no TLS (the server must run with --insecure-plaintext; loopback only)");
  app.add_flag("--quiet", quiet, "no progress line");
  app.add_option("--log-level", log_level, "trace .. off")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  o.ceiling = !no_ceiling;
  o.progress = !quiet;
  for (int i = 0; i < argc; ++i)
    o.command_line += (i ? " " : "") + std::string(argv[i]);
  auto endpoint = fastchat::client::parse_endpoint(server);
  if (!endpoint) {
    std::fprintf(stderr, "fastchat-bench: %s\n", endpoint.status().to_string().c_str());
    return 2;
  }
  o.server = *endpoint;
  fastchat::setup_logging(log_level);
  fastchat::protocol::silence_protobuf_logging();
  std::signal(SIGPIPE, SIG_IGN);

  auto report = fastchat::bench::run_scenario(o);
  if (!report) {
    std::fprintf(stderr, "fastchat-bench: %s\n", report.status().to_string().c_str());
    return 1;
  }
  fastchat::bench::print_table(stdout, *report);
  if (!o.out_dir.empty()) {
    if (auto s = fastchat::bench::write_outputs(*report, o.out_dir); !s) {
      std::fprintf(stderr, "fastchat-bench: %s\n", s.to_string().c_str());
      return 1;
    }
    std::printf("wrote %s/report.json, steps.csv%s\n", o.out_dir.c_str(),
                report->steps.empty() ? "" : ", latency.dat/.gp/.png (when plotted)");
  }
  return report->ok() ? 0 : 3;
}
