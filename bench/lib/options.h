// BenchOptions: everything fastchat-bench can be told on its command line (see
// apps/fastchat-bench/main.cpp and docs/performance.md). A value type.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>

#include "client/client.h"

namespace fastchat::bench {

struct BenchOptions {
  std::string scenario;             // dm, group, login, offline, idle, balance
  client::Endpoint server;          // where the users connect
  bool in_process_server = false;   // start a fastchat server in this process (temp data dir)
  bool insecure_plaintext = false;  // no TLS (the server must run --insecure-plaintext too)
  std::string balancer;             // balance: HOST:PORT of fastchat-balancer
  std::string policy;               // balance: the balancer's policy, as a label
  std::size_t users = 100;
  double duration_s = 10;
  double rate = 1000;           // offered operations per second (open loop)
  bool max = false;             // search the highest sustained rate
  double max_factor = 1.5;      // rate step of the search
  double max_rate = 2'000'000;  // the search stops here
  int refine_steps = 2;         // bisection steps after the first failure
  double slo_ms = 500;          // p99 above this is "not sustained"
  std::size_t payload = 100;    // bytes of message text
  std::string e2ee = "v2";      // dm, group, offline, balance: "v1" or "v2" (message_crypto.h)
  std::size_t group_size = 10;
  std::size_t group_senders = 4;  // members of each group that send
  std::size_t contacts = 8;       // dm: each user writes to this many others
  std::size_t backlog = 1000;     // offline: pending messages per offline user
  std::size_t sources = 0;        // loopback source addresses (0: the kernel's choice)
  std::string out_dir;
  std::string home_dir = "./bench-home";
  pid_t server_pid = 0;   // for CPU and RSS; 0: this process if in-process
  std::size_t loops = 0;  // bench event loops; 0: one per core
  double drain_s = 10;    // wait this long for deliveries after a step
  bool ceiling = true;    // measure the minimal relay too
  double ceiling_s = 3;
  bool progress = true;
  std::size_t max_inflight = 200'000;  // per loop; beyond it a due send is dropped and counted
  int ack_interval_ms = 100;
  std::size_t connect_concurrency = 256;  // logins in flight while connecting the fleet
  std::string command_line;
};

}  // namespace fastchat::bench
