#include "pair_keys.h"

#include <optional>
#include <thread>
#include <unordered_set>

namespace fastchat::bench {

Status PairKeys::add(const std::vector<BenchAccount>& accounts,
                     const std::vector<std::pair<std::uint32_t, std::uint32_t>>& pairs,
                     std::size_t threads) {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> todo;
  std::unordered_set<std::uint64_t> seen;
  for (auto [a, b] : pairs) {
    if (a == b || keys_.contains(key(a, b)) || !seen.insert(key(a, b)).second) continue;
    todo.emplace_back(a, b);
  }
  std::vector<std::optional<Result<crypto::SharedKey>>> out(todo.size());
  threads = std::max<std::size_t>(1, std::min(threads, todo.size() / 64 + 1));
  std::vector<std::thread> workers;
  for (std::size_t t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (std::size_t i = t; i < todo.size(); i += threads) {
        const auto [a, b] = todo[i];
        out[i].emplace(crypto::SharedKey::derive(accounts[b].identity.box_public_key(),
                                                 accounts[a].identity.box_secret_key()));
      }
    });
  }
  for (auto& w : workers)
    w.join();
  keys_.reserve(keys_.size() + todo.size());
  for (std::size_t i = 0; i < todo.size(); ++i) {
    if (!*out[i]) return out[i]->status();
    keys_.emplace(key(todo[i].first, todo[i].second), std::move(**out[i]));
  }
  return Status::ok();
}

const crypto::SharedKey* PairKeys::find(std::uint32_t a, std::uint32_t b) const {
  auto it = keys_.find(key(a, b));
  return it == keys_.end() ? nullptr : &it->second;
}

}  // namespace fastchat::bench
