// E2EE v2 micro-benchmarks (docs/e2ee-v2.md): X3DH session set-up, Double Ratchet
// messages in one direction (symmetric steps only) and in turns (a DH ratchet step per
// message), and Sender Keys encrypt and decrypt (one Ed25519 signature each way).
#include <benchmark/benchmark.h>

#include <string>

#include "crypto/local_prekeys.h"
#include "crypto/peer_sessions.h"
#include "crypto/sender_key.h"
#include "crypto/sodium_init.h"
#include "crypto/x3dh.h"

namespace fastchat::crypto {
namespace {

constexpr std::int64_t kNow = 1'800'000'000'000;

struct Conversation {
  Conversation()
      : alice_id(Identity::generate()),
        bob_id(Identity::generate()),
        a(DeviceAddress{"bob", 1}, std::string(bob_id.sign_public_key()),
          std::string(bob_id.box_public_key())),
        b(DeviceAddress{"alice", 1}, std::string(alice_id.sign_public_key()),
          std::string(alice_id.box_public_key())) {
    bob_prekeys.add_signed(generate_prekey(1));
    (void)a.start({alice_id, {"alice", 1}}, bundle());
    (void)b.decrypt({bob_id, {"bob", 1}}, bob_prekeys, *a.encrypt("hello"), kNow);
    (void)a.decrypt({alice_id, {"alice", 1}}, alice_prekeys, *b.encrypt("hi"), kNow);
  }
  PrekeyBundle bundle() const {
    PrekeyBundle bundle;
    bundle.address = {"bob", 1};
    bundle.identity_sign_key = std::string(bob_id.sign_public_key());
    bundle.identity_dh_key = std::string(bob_id.box_public_key());
    bundle.signed_prekey = sign_prekey(bob_id, *bob_prekeys.current_signed());
    return bundle;
  }
  Identity alice_id, bob_id;
  LocalPrekeys alice_prekeys, bob_prekeys;
  PeerSessions a, b;
};

void BM_X3dhSessionSetup(benchmark::State& state) {
  ensure_sodium();
  Conversation c;
  const PrekeyBundle bundle = c.bundle();
  for (auto _ : state) {
    PeerSessions s(bundle.address, bundle.identity_sign_key, bundle.identity_dh_key);
    benchmark::DoNotOptimize(s.start({c.alice_id, {"alice", 1}}, bundle).is_ok());
  }
}
BENCHMARK(BM_X3dhSessionSetup);

// Alice sends a run of messages: one HMAC chain step each way, no DH.
void BM_RatchetSameDirection(benchmark::State& state) {
  ensure_sodium();
  Conversation c;
  const std::string text(static_cast<std::size_t>(state.range(0)), 'x');
  for (auto _ : state) {
    auto m = c.a.encrypt(text);
    auto p = c.b.decrypt({c.bob_id, {"bob", 1}}, c.bob_prekeys, *m, kNow);
    benchmark::DoNotOptimize(p.is_ok());
  }
  state.SetLabel("encrypt + decrypt");
}
BENCHMARK(BM_RatchetSameDirection)->Arg(100)->Arg(4096);

// Turns: every message carries a new ratchet key (3 X25519 per message in total).
void BM_RatchetTurns(benchmark::State& state) {
  ensure_sodium();
  Conversation c;
  const std::string text(100, 'x');
  bool alice = true;
  for (auto _ : state) {
    if (alice) {
      auto p = c.b.decrypt({c.bob_id, {"bob", 1}}, c.bob_prekeys, *c.a.encrypt(text), kNow);
      benchmark::DoNotOptimize(p.is_ok());
    } else {
      auto p = c.a.decrypt({c.alice_id, {"alice", 1}}, c.alice_prekeys, *c.b.encrypt(text), kNow);
      benchmark::DoNotOptimize(p.is_ok());
    }
    alice = !alice;
  }
  state.SetLabel("encrypt + decrypt");
}
BENCHMARK(BM_RatchetTurns);

void BM_SenderKeyEncrypt(benchmark::State& state) {
  ensure_sodium();
  SenderKeySender sender = SenderKeySender::generate("group", {"alice", 1});
  const std::string text(100, 'x');
  for (auto _ : state)
    benchmark::DoNotOptimize(sender.encrypt(text).is_ok());
}
BENCHMARK(BM_SenderKeyEncrypt);

void BM_SenderKeyEncryptDecrypt(benchmark::State& state) {
  ensure_sodium();
  SenderKeySender sender = SenderKeySender::generate("group", {"alice", 1});
  SenderKeyReceiver receiver("group", {"alice", 1});
  (void)receiver.add(sender.distribution());
  const std::string text(100, 'x');
  for (auto _ : state)
    benchmark::DoNotOptimize(receiver.decrypt(*sender.encrypt(text), kNow));
}
BENCHMARK(BM_SenderKeyEncryptDecrypt);

}  // namespace
}  // namespace fastchat::crypto
