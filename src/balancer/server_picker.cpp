#include "balancer/server_picker.h"

#include <algorithm>
#include <limits>

namespace fastchat::balancer {

std::optional<Strategy> parse_strategy(std::string_view name) {
  if (name == "least-connections") return Strategy::kLeastConnections;
  if (name == "round-robin") return Strategy::kRoundRobin;
  if (name == "random") return Strategy::kRandom;
  return std::nullopt;
}

std::string_view strategy_name(Strategy strategy) {
  switch (strategy) {
    case Strategy::kLeastConnections:
      return "least-connections";
    case Strategy::kRoundRobin:
      return "round-robin";
    case Strategy::kRandom:
      return "random";
  }
  return "?";
}

ServerPicker::ServerPicker(Strategy strategy, std::uint64_t seed)
    : strategy_(strategy), random_(seed) {}

std::uint64_t ServerPicker::Candidate::load() const {
  std::uint64_t total = entry.connections + untagged;
  for (const auto& [beat, count] : recent)
    total += count;
  return total;
}

void ServerPicker::update(const std::vector<cluster::ServerEntry>& live, std::int64_t now_ms) {
  std::vector<Candidate> next;
  next.reserve(live.size());
  for (const auto& entry : live) {
    Candidate c;
    c.entry = entry;
    c.expires_ms = now_ms + std::max<std::int64_t>(0, entry.ttl_ms);
    auto old = std::find_if(servers_.begin(), servers_.end(),
                            [&](const Candidate& o) { return o.entry.id == entry.id; });
    if (old != servers_.end() && entry.beat >= old->entry.beat) {
      c.recent = std::move(old->recent);
      if (old->untagged > 0) c.recent[entry.beat] += old->untagged;
      std::erase_if(c.recent, [&](const auto& r) { return r.first + 2 <= entry.beat; });
    }  // a lower beat: the entry was re-created, its old assignments mean nothing now
    next.push_back(std::move(c));
  }
  // Servers missing from the list keep nothing: the list is the registry's truth.
  std::sort(next.begin(), next.end(),
            [](const Candidate& a, const Candidate& b) { return a.entry.id < b.entry.id; });
  servers_ = std::move(next);
}

std::optional<cluster::ServerEntry> ServerPicker::pick(std::int64_t now_ms) {
  std::vector<Candidate*> live;
  live.reserve(servers_.size());
  for (auto& c : servers_) {
    if (c.expires_ms > now_ms) live.push_back(&c);
  }
  if (live.empty()) return std::nullopt;
  Candidate* chosen = nullptr;
  switch (strategy_) {
    case Strategy::kLeastConnections: {
      std::uint64_t best = std::numeric_limits<std::uint64_t>::max();
      std::vector<Candidate*> ties;
      for (auto* c : live) {
        const std::uint64_t load = c->load();
        if (load < best) {
          best = load;
          ties.clear();
        }
        if (load == best) ties.push_back(c);
      }
      chosen = ties[std::uniform_int_distribution<std::size_t>(0, ties.size() - 1)(random_)];
      break;
    }
    case Strategy::kRoundRobin:
      chosen = live[next_++ % live.size()];
      break;
    case Strategy::kRandom:
      chosen = live[std::uniform_int_distribution<std::size_t>(0, live.size() - 1)(random_)];
      break;
  }
  ++chosen->untagged;
  return chosen->entry;
}

std::size_t ServerPicker::live_count(std::int64_t now_ms) const {
  return static_cast<std::size_t>(std::count_if(
      servers_.begin(), servers_.end(), [&](const Candidate& c) { return c.expires_ms > now_ms; }));
}

std::uint64_t ServerPicker::effective_load(std::string_view server_id) const {
  for (const auto& c : servers_) {
    if (c.entry.id == server_id) return c.load();
  }
  return 0;
}

}  // namespace fastchat::balancer
