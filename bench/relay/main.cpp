// fastchat-relay: the ceiling relay of fastchat-bench as its own process (the bench
// normally starts it in-process). Forwards frames by index until SIGINT/SIGTERM.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "relay/relay_server.h"

int main(int argc, char** argv) {
  if (argc < 2 || argc > 4) {
    std::fprintf(stderr, "usage: fastchat-relay PORT [THREADS] [HOST]\n");
    return 2;
  }
  const auto port = static_cast<std::uint16_t>(std::atoi(argv[1]));
  const std::size_t threads = argc > 2 ? static_cast<std::size_t>(std::atoi(argv[2])) : 2;
  const std::string host = argc > 3 ? argv[3] : "127.0.0.1";
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  fastchat::relay::RelayServer relay(host, port, threads);
  if (auto s = relay.start(); !s) {
    std::fprintf(stderr, "fastchat-relay: %s\n", s.to_string().c_str());
    return 1;
  }
  std::printf("fastchat-relay listening on %s:%u\n", host.c_str(), relay.port());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&signals, &sig);
  relay.stop();
  return 0;
}
