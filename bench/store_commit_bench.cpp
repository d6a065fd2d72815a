// Group commit of the embedded SQLite store (DESIGN §4, §7): messages per second when
// batches of 1, 100 and 1000 messages are committed durably (WAL, synchronous=FULL, one
// fsync per batch). Direct messages write one message row and one inbox row each; group
// messages one message row and an inbox row per member but the sender. The counters:
// messages/s, deliveries/s (inbox rows) and commits/s (transactions, so fsyncs).
//
// The database lives in $FASTCHAT_BENCH_DIR, else $TMPDIR, else /tmp: put it on the disk
// you want to measure (a tmpfs makes fsync free). Wall-clock time, since fsync waits.
//
// With $FASTCHAT_TEST_POSTGRES_URL set (scripts/test-services.sh start), the same cases
// run against the PostgreSQL store too (BM_Pg*), each in a schema of its own that is
// dropped afterwards; synchronous_commit=on, so one WAL flush per batch.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "common/message_id.h"
#include "store/open_store.h"
#include "store/postgres/pg_connection.h"

namespace fastchat::store {
namespace {

constexpr int kUsers = 1000;
constexpr std::size_t kBodySize = 256;  // a short text message after encryption
constexpr int kGroupSize = 8;

enum class Backend { kSqlite, kPostgres };

const char* postgres_url() {
  const char* url = std::getenv("FASTCHAT_TEST_POSTGRES_URL");
  return url != nullptr && *url != '\0' ? url : nullptr;
}

// Runs one SQL statement on `url`, or aborts.
void postgres_exec(const std::string& url, const std::string& sql) {
  postgres::PgConnectOptions options;
  options.url = url;
  auto db = postgres::PgConnection::connect(options);
  if (!db) {
    std::fprintf(stderr, "%s\n", db.status().to_string().c_str());
    std::abort();
  }
  (*db)->send_sql(sql.c_str());
  if (Status s = (*db)->sync(); !s) {
    std::fprintf(stderr, "%s: %s\n", sql.c_str(), s.to_string().c_str());
    std::abort();
  }
}

class BenchStore {
 public:
  explicit BenchStore(Backend backend = Backend::kSqlite) {
    std::string location;
    if (backend == Backend::kPostgres) {
      schema_ = "bench_" + MessageId::random().to_hex().substr(0, 16);
      postgres_exec(postgres_url(), "CREATE SCHEMA " + schema_);
      location =
          std::string(postgres_url()) +
          (std::string_view(postgres_url()).find('?') == std::string_view::npos ? "?" : "&") +
          "options=-csearch_path%3D" + schema_;
    } else {
      const char* base = std::getenv("FASTCHAT_BENCH_DIR");
      if (base == nullptr || *base == '\0') base = std::getenv("TMPDIR");
      std::string pattern = std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
                            "/fastchat-store-bench-XXXXXX";
      if (::mkdtemp(pattern.data()) == nullptr) std::abort();
      dir_ = pattern;
    }
    auto store = backend == Backend::kPostgres ? open_store(location, "") : open_store("", dir_);
    if (!store) {
      std::fprintf(stderr, "open_store: %s\n", store.status().to_string().c_str());
      std::abort();
    }
    store_ = std::move(store).value();
    for (int i = 0; i < kUsers; ++i) {
      NewUser user;
      user.username = "user" + std::to_string(i);
      user.auth_verifier = std::string(32, 'v');
      user.identity = {std::string(32, 's'), std::string(32, 'b'), std::string(64, 'g')};
      auto id = store_->create_user(user);
      if (!id) std::abort();
      users_.push_back(*id);
    }
  }
  ~BenchStore() {
    store_.reset();
    if (!schema_.empty()) postgres_exec(postgres_url(), "DROP SCHEMA " + schema_ + " CASCADE");
    if (dir_.empty()) return;
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  Store& store() { return *store_; }
  const std::vector<UserId>& users() const { return users_; }

  // A fresh id per message, cheaply (the client's random ids cost nothing here).
  MessageId next_id() { return MessageId::time_ordered(++counter_); }

 private:
  std::string dir_;     // SQLite
  std::string schema_;  // PostgreSQL
  std::unique_ptr<Store> store_;
  std::vector<UserId> users_;
  std::uint64_t counter_ = 0;
};

void report(benchmark::State& state, std::int64_t messages, std::int64_t deliveries) {
  state.counters["messages/s"] =
      benchmark::Counter(static_cast<double>(messages), benchmark::Counter::kIsRate);
  state.counters["deliveries/s"] =
      benchmark::Counter(static_cast<double>(deliveries), benchmark::Counter::kIsRate);
  state.counters["commits/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.SetItemsProcessed(messages);
}

// Direct messages between random users. With `acks`, every batch is followed by the
// recipients' acks (online users): inboxes and message rows stay small, the steady state
// of a server. Without, everything accumulates (users offline): the harder case.
void commit_direct(benchmark::State& state, bool acks, Backend backend = Backend::kSqlite) {
  BenchStore bench(backend);
  const auto batch_size = static_cast<std::size_t>(state.range(0));
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<std::size_t> pick(0, kUsers - 1);
  std::vector<OutgoingMessage> batch(batch_size);
  for (auto& message : batch) {
    message.body.assign(kBodySize, 'c');
    message.server_time_ms = 1'700'000'000'000;
  }
  std::vector<AckRecord> ack_batch;
  std::int64_t messages = 0;
  for (auto _ : state) {
    for (auto& message : batch) {
      message.sender = bench.users()[pick(rng)];
      message.to_user = bench.users()[pick(rng)];
      message.message_id = bench.next_id();
    }
    auto outcomes = bench.store().commit_messages(batch);
    if (!outcomes) {
      state.SkipWithError(outcomes.status().to_string().c_str());
      break;
    }
    messages += static_cast<std::int64_t>(batch_size);
    if (acks) {
      ack_batch.clear();
      for (const auto& outcome : *outcomes) {
        for (const auto& delivery : outcome.deliveries) {
          ack_batch.push_back({delivery.recipient, delivery.seq});
        }
      }
      if (Status s = bench.store().ack_inbox(ack_batch); !s) {
        state.SkipWithError(s.to_string().c_str());
        break;
      }
    }
  }
  report(state, messages, messages);
}

void BM_CommitDirect(benchmark::State& state) {
  commit_direct(state, false);
}
void BM_CommitDirectWithAcks(benchmark::State& state) {
  commit_direct(state, true);
}
BENCHMARK(BM_CommitDirect)
    ->Arg(1)
    ->Arg(100)
    ->Arg(1000)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CommitDirectWithAcks)
    ->Arg(1)
    ->Arg(100)
    ->Arg(1000)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

void commit_group(benchmark::State& state, Backend backend) {
  BenchStore bench(backend);
  const auto batch_size = static_cast<std::size_t>(state.range(0));
  // kUsers / kGroupSize disjoint groups of kGroupSize members.
  std::vector<GroupId> groups;
  std::vector<std::vector<UserId>> members;
  for (int g = 0; g < kUsers / kGroupSize; ++g) {
    std::vector<UserId> group_members(bench.users().begin() + g * kGroupSize,
                                      bench.users().begin() + (g + 1) * kGroupSize);
    auto group = bench.store().create_group(
        "group", group_members[0],
        std::vector<UserId>(group_members.begin() + 1, group_members.end()));
    if (!group) std::abort();
    groups.push_back(group->id);
    members.push_back(std::move(group_members));
  }
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<std::size_t> pick_group(0, groups.size() - 1);
  std::uniform_int_distribution<std::size_t> pick_member(0, kGroupSize - 1);
  std::vector<OutgoingMessage> batch(batch_size);
  for (auto& message : batch) {
    message.body.assign(kBodySize, 'c');
    message.server_time_ms = 1'700'000'000'000;
    message.key_wraps.resize(kGroupSize);
    for (auto& wrap : message.key_wraps)
      wrap.sealed_key.assign(104, 'k');  // a group v2 key wrap
  }
  std::int64_t messages = 0, deliveries = 0;
  for (auto _ : state) {
    for (auto& message : batch) {
      const std::size_t g = pick_group(rng);
      message.group_id = groups[g];
      message.sender = members[g][pick_member(rng)];
      message.message_id = bench.next_id();
      for (int m = 0; m < kGroupSize; ++m)
        message.key_wraps[m].recipient = members[g][m];
    }
    auto outcomes = bench.store().commit_messages(batch);
    if (!outcomes) {
      state.SkipWithError(outcomes.status().to_string().c_str());
      break;
    }
    messages += static_cast<std::int64_t>(batch_size);
    for (const auto& outcome : *outcomes) {
      deliveries += static_cast<std::int64_t>(outcome.deliveries.size());
    }
  }
  report(state, messages, deliveries);
}

void BM_CommitGroup(benchmark::State& state) {
  commit_group(state, Backend::kSqlite);
}
BENCHMARK(BM_CommitGroup)
    ->Arg(1)
    ->Arg(100)
    ->Arg(1000)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

// The PostgreSQL cases exist only when there is a server to run them against.
const bool kPostgresRegistered = [] {
  if (postgres_url() == nullptr) return false;
  const std::pair<const char*, void (*)(benchmark::State&)> cases[] = {
      {"BM_PgCommitDirect",
       [](benchmark::State& state) { commit_direct(state, false, Backend::kPostgres); }},
      {"BM_PgCommitDirectWithAcks",
       [](benchmark::State& state) { commit_direct(state, true, Backend::kPostgres); }},
      {"BM_PgCommitGroup",
       [](benchmark::State& state) { commit_group(state, Backend::kPostgres); }},
  };
  for (const auto& [name, function] : cases) {
    benchmark::RegisterBenchmark(name, function)
        ->Arg(1)
        ->Arg(100)
        ->Arg(1000)
        ->UseRealTime()
        ->Unit(benchmark::kMicrosecond);
  }
  return true;
}();

}  // namespace
}  // namespace fastchat::store
