// ServerPicker: which live chat server the next client should use. Strategies:
// least-connections (lowest reported load, ties broken at random), round-robin and
// random. Reported loads are a heartbeat old, so each pick is also counted locally
// until the server's own count surely includes it: a burst of clients spreads evenly
// instead of all landing on the server that was idlest a second ago. An assignment
// is tagged with the heartbeat number of the first list read after it, b; the
// heartbeat b + 2 is written at least a period after that read, by when the client
// has connected and is in the server's own count. Servers whose heartbeat expired
// are never handed out.
//
// Thread safety: none (one balancer thread owns it). Pure: no I/O; time and
// randomness come from the caller.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/server_registry.h"

namespace fastchat::balancer {

enum class Strategy { kLeastConnections, kRoundRobin, kRandom };

std::optional<Strategy> parse_strategy(std::string_view name);  // "least-connections", ...
std::string_view strategy_name(Strategy strategy);

class ServerPicker {
 public:
  ServerPicker(Strategy strategy, std::uint64_t seed);

  // A fresh list of live servers, read at `now_ms` (local clock): each stays
  // eligible until now_ms + its ttl_ms, unless a later update refreshes it.
  void update(const std::vector<cluster::ServerEntry>& live, std::int64_t now_ms);

  // The server for the next client, counted as assigned; nullopt when none is live.
  std::optional<cluster::ServerEntry> pick(std::int64_t now_ms);

  std::size_t live_count(std::int64_t now_ms) const;
  Strategy strategy() const { return strategy_; }
  // Reported connections plus recent local assignments (for tests and metrics).
  std::uint64_t effective_load(std::string_view server_id) const;

 private:
  struct Candidate {
    cluster::ServerEntry entry;
    std::int64_t expires_ms = 0;
    std::uint64_t untagged = 0;  // assignments since the last list read
    // Assignments tagged with the heartbeat number of the list read after them.
    std::map<std::uint64_t, std::uint64_t> recent;
    std::uint64_t load() const;
  };

  Strategy strategy_;
  std::mt19937_64 random_;
  std::vector<Candidate> servers_;  // by id
  std::uint64_t next_ = 0;          // round-robin position
};

}  // namespace fastchat::balancer
