// Envelope micro-benchmarks (DESIGN §7): sealing and opening a direct message with a
// cached shared key, the X25519 that the cache saves, and group sealing for 10, 100
// and 1000 members (one body, one key wrap per member), through the client core's
// content layer (protobuf Content inside the envelope), as the bench and clients do.
#include <benchmark/benchmark.h>

#include <vector>

#include "client/content.h"
#include "crypto/identity.h"
#include "crypto/sodium_init.h"

namespace fastchat::client {
namespace {

struct Pair {
  Pair() {
    crypto::ensure_sodium();
    a = crypto::Identity::generate();
    b = crypto::Identity::generate();
    key.emplace(std::move(*crypto::SharedKey::derive(b.box_public_key(), a.box_secret_key())));
  }
  crypto::Identity a, b;
  std::optional<crypto::SharedKey> key;
};

Pair& pair() {
  static Pair p;
  return p;
}

wire::Content content(std::size_t text, GroupId group = 0) {
  auto c = make_content(MessageId::random(), "bench000001", group ? "" : "bench000002", group,
                        1'700'000'000'000);
  c.set_text(std::string(text, 'x'));
  return c;
}

void BM_DeriveSharedKey(benchmark::State& state) {
  auto& p = pair();
  for (auto _ : state) {
    auto k = crypto::SharedKey::derive(p.b.box_public_key(), p.a.box_secret_key());
    benchmark::DoNotOptimize(k.is_ok());
  }
}
BENCHMARK(BM_DeriveSharedKey);

void BM_SealDirect(benchmark::State& state) {
  auto& p = pair();
  const auto c = content(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    auto sealed = seal_direct_content(*p.key, c);
    benchmark::DoNotOptimize(sealed.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SealDirect)->Arg(100)->Arg(1000)->Arg(16 * 1024);

void BM_OpenDirect(benchmark::State& state) {
  auto& p = pair();
  const auto c = content(static_cast<std::size_t>(state.range(0)));
  wire::InboxMessage item;
  item.set_seq(1);
  item.set_message_id(c.message_id());
  item.set_sender(c.sender());
  item.set_body(seal_direct_content(*p.key, c));
  for (auto _ : state) {
    auto opened = open_content(*p.key, item, "bench000002");
    if (!opened) state.SkipWithError("open failed");
    benchmark::DoNotOptimize(opened.is_ok());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_OpenDirect)->Arg(100)->Arg(1000)->Arg(16 * 1024);

void BM_SealGroup(benchmark::State& state) {
  auto& p = pair();
  const auto members = static_cast<std::size_t>(state.range(0));
  std::vector<const crypto::SharedKey*> keys(members, &*p.key);
  const auto c = content(100, 7);
  for (auto _ : state) {
    auto sealed = seal_group_content(keys, c);
    benchmark::DoNotOptimize(sealed.body.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["wraps/s"] = benchmark::Counter(static_cast<double>(state.iterations() * members),
                                                 benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SealGroup)->Arg(10)->Arg(100)->Arg(1000);

void BM_OpenGroup(benchmark::State& state) {
  auto& p = pair();
  std::vector<const crypto::SharedKey*> keys(1, &*p.key);
  const auto c = content(100, 7);
  auto sealed = seal_group_content(keys, c);
  wire::InboxMessage item;
  item.set_seq(1);
  item.set_message_id(c.message_id());
  item.set_sender(c.sender());
  item.set_group_id(7);
  item.set_body(sealed.body);
  item.set_sealed_key(sealed.wraps[0]);
  for (auto _ : state) {
    auto opened = open_content(*p.key, item, "bench000002");
    if (!opened) state.SkipWithError("open failed");
    benchmark::DoNotOptimize(opened.is_ok());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_OpenGroup);

}  // namespace
}  // namespace fastchat::client
