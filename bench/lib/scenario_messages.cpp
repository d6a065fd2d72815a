// dm, group and balance: the open-loop message scenarios (TrafficEngine).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <cmath>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "bench_connection.h"
#include "ceiling.h"
#include "client/content.h"
#include "crypto/membership.h"
#include "fleet.h"
#include "loop_pool.h"
#include "scenarios.h"
#include "traffic.h"

namespace fastchat::bench {

namespace {

struct GroupPlan {
  GroupId id = 0;
  std::vector<std::uint32_t> members;
  std::vector<std::uint32_t> senders;
  std::uint64_t membership_seq = 0;  // the length of its signed membership chain
};

// The creator's signed first record of the group's membership chain (as the client's
// create_group does): the members as the server listed them, the creator admin.
Result<std::string> signed_create_record(const GroupPlan& group, const Fleet& fleet) {
  crypto::MemberList initial;
  for (std::uint32_t m : group.members)
    initial.push_back({fleet.accounts[m].username, m == group.members[0]});
  const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  const std::string creator = initial[0].username;
  auto record = crypto::MembershipChain(group.id, 0, {}, {})
                    .next(creator, crypto::MembershipAction::kCreate, {}, std::move(initial), now);
  if (!record) return record.status();
  crypto::sign_record(*record, fleet.accounts[group.members[0]].identity);
  return crypto::encode_record(*record);
}

// Creates groups of `size` consecutive users; the first member creates each (and, for
// `signed_membership`, signs its membership chain, which v2 group messages need).
Result<std::vector<GroupPlan>> create_groups(LoopPool& pool, Fleet& fleet, std::size_t users,
                                             std::size_t size, std::size_t senders,
                                             bool signed_membership) {
  std::vector<GroupPlan> groups(std::max<std::size_t>(1, users / size));
  for (std::size_t g = 0; g < groups.size(); ++g) {
    for (std::size_t k = 0; k < size; ++k)
      groups[g].members.push_back(static_cast<std::uint32_t>((g * size + k) % users));
    for (std::size_t k = 0; k < std::min(senders, size); ++k)
      groups[g].senders.push_back(groups[g].members[k]);
  }
  Status first_error;
  std::mutex mutex;
  pool.run_on_all([&](std::size_t loop) -> asio::awaitable<void> {
    for (auto& group : groups) {
      const std::uint32_t creator = group.members[0];
      if (creator % pool.size() != loop) continue;
      wire::Frame frame;
      auto* create = frame.mutable_create_group();
      create->set_name(fmt::format("bench-{}", creator));
      for (std::size_t k = 1; k < group.members.size(); ++k)
        create->add_members(fleet.accounts[group.members[k]].username);
      auto reply = co_await fleet.sessions[creator]->request(std::move(frame));
      if (reply && reply->has_group_info() && signed_membership) {
        group.id = reply->group_info().group_id();
        auto record = signed_create_record(group, fleet);
        if (!record) {
          reply = record.status();
        } else {
          wire::Frame sign;
          sign.mutable_change_membership()->set_record(std::move(*record));
          reply = co_await fleet.sessions[creator]->request(std::move(sign));
          group.membership_seq = 1;
        }
      }
      std::lock_guard lock(mutex);
      if (!reply || !reply->has_group_info()) {
        if (first_error.is_ok())
          first_error = reply ? Status(Code::kBadRequest, "expected GroupInfo") : reply.status();
        continue;
      }
      group.id = reply->group_info().group_id();
    }
  });
  if (!first_error.is_ok()) return first_error;
  return groups;
}

// Asks the balancer where each user should go (Locate) and counts the answers.
Result<std::vector<client::Endpoint>> locate_all(LoopPool& pool, const client::Endpoint& balancer,
                                                 std::size_t users,
                                                 std::map<std::string, std::size_t>& per_server) {
  std::vector<client::Endpoint> endpoints(users);
  std::vector<std::string> ids(users);
  Status first_error;
  std::mutex mutex;
  pool.run_on_all([&](std::size_t loop) -> asio::awaitable<void> {
    for (std::size_t i = loop; i < users; i += pool.size()) {
      auto c = co_await open_connection(pool.executor(loop), balancer, {});
      Result<wire::Frame> reply = Status(Code::kUnavailable, "no connection");
      if (c) {
        wire::Frame frame;
        frame.mutable_locate();
        reply = co_await (*c)->request(std::move(frame));
        (*c)->close();
      } else {
        reply = c.status();
      }
      if (!reply || !reply->has_server_address()) {
        std::lock_guard lock(mutex);
        if (first_error.is_ok())
          first_error =
              reply ? Status(Code::kBadRequest, "expected ServerAddress") : reply.status();
        continue;
      }
      const auto& a = reply->server_address();
      endpoints[i] = {a.host(), static_cast<std::uint16_t>(a.port())};
      ids[i] = a.server_id().empty() ? endpoints[i].to_string() : a.server_id();
    }
  });
  if (!first_error.is_ok()) return first_error;
  for (const auto& id : ids)
    ++per_server[id];
  return endpoints;
}

void add_balance_figures(StepResult& step, const std::map<std::string, std::size_t>& per_server) {
  double sum = 0, sq = 0, lo = 1e18, hi = 0;
  for (const auto& [id, n] : per_server) {
    step.figures.emplace_back("clients@" + id, static_cast<double>(n));
    sum += static_cast<double>(n);
    sq += static_cast<double>(n) * static_cast<double>(n);
    lo = std::min(lo, static_cast<double>(n));
    hi = std::max(hi, static_cast<double>(n));
  }
  const double k = static_cast<double>(per_server.size());
  const double mean = sum / k;
  step.figures.emplace_back("servers", k);
  step.figures.emplace_back("clients_stddev", std::sqrt(std::max(0.0, sq / k - mean * mean)));
  step.figures.emplace_back("clients_max_over_mean", mean > 0 ? hi / mean : 0);
  step.figures.emplace_back("clients_min_over_mean", mean > 0 ? lo / mean : 0);
}

}  // namespace

Result<RunReport> run_messages(const BenchOptions& o) {
  RunReport report = new_report(o);
  const bool group = o.scenario == "group";
  auto e2ee = parse_e2ee(o.e2ee);
  if (!e2ee) return e2ee.status();
  report.settings.emplace_back("e2ee", o.e2ee);
  const std::size_t users = std::max<std::size_t>(2, o.users);
  const std::size_t threads = std::max(1u, std::thread::hardware_concurrency());
  LoopPool pool(loop_count(o));
  Fleet fleet(o, pool);
  if (Status s = fleet.prepare(users); !s) return s;

  std::map<std::string, std::size_t> per_server;
  std::vector<client::Endpoint> endpoints;
  if (o.scenario == "balance") {
    if (o.balancer.empty()) return Status(Code::kBadRequest, "balance needs --balancer HOST:PORT");
    auto balancer = client::parse_endpoint(o.balancer);
    if (!balancer) return balancer.status();
    auto located = locate_all(pool, *balancer, users, per_server);
    if (!located) return located.status();
    endpoints = std::move(*located);
    report.settings.emplace_back("balancer", o.balancer);
    report.settings.emplace_back("policy", o.policy.empty() ? "(balancer's)" : o.policy);
  }
  Status connected = fleet.connect(
      users, endpoints.empty() ? std::function<client::Endpoint(std::size_t)>()
                               : [&](std::size_t i) { return endpoints[i]; });
  if (Status s = fleet.save(); !s) spdlog::warn("cannot save bench accounts: {}", s.to_string());
  if (!connected) return connected;
  report.notes.push_back(fmt::format(
      "{} sessions connected in {:.1f}s ({} resumed a cached token, {} logged in, {} registered; "
      "{} accounts created)",
      users, fleet.connect_seconds, fleet.resumed, fleet.logged_in, fleet.registered,
      fleet.created));

  std::vector<std::vector<std::uint32_t>> contacts(users);
  std::vector<std::pair<std::uint32_t, std::uint32_t>> pairs;
  std::vector<GroupPlan> groups;
  std::mt19937_64 rng(42);
  if (!group) {
    const std::size_t c = std::min(o.contacts, users - 1);
    for (std::uint32_t u = 0; u < users; ++u) {
      std::set<std::uint32_t> chosen;
      while (chosen.size() < c) {
        const auto v = static_cast<std::uint32_t>(rng() % users);
        if (v != u) chosen.insert(v);
      }
      contacts[u].assign(chosen.begin(), chosen.end());
      for (auto v : chosen)
        pairs.emplace_back(u, v);
    }
    report.settings.emplace_back("contacts", std::to_string(c));
  } else {
    const std::size_t size = std::clamp<std::size_t>(o.group_size, 2, users);
    auto created = create_groups(pool, fleet, users, size, o.group_senders, *e2ee == E2ee::kV2);
    if (!created) return created.status();
    groups = std::move(*created);
    // v1 wraps each message key for every member with their pair key; v2 needs no pairs
    // (the sender keys are handed to the members in memory: MessageCrypto::add_group).
    if (*e2ee == E2ee::kV1) {
      for (const auto& g : groups)
        for (auto s : g.senders)
          for (auto m : g.members)
            pairs.emplace_back(s, m);
    }
    report.settings.emplace_back("group_size", std::to_string(size));
    report.settings.emplace_back("groups", std::to_string(groups.size()));
    report.settings.emplace_back("senders_per_group", std::to_string(groups[0].senders.size()));
  }
  MessageCrypto crypto(*e2ee, fleet.accounts);
  const auto keys_start = std::chrono::steady_clock::now();
  if (Status s = crypto.add_pairs(pairs, threads); !s) return s;
  for (const auto& g : groups) {
    if (Status s = crypto.add_group(g.id, g.members, g.senders, g.membership_seq); !s) return s;
  }
  const double setup_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - keys_start).count();
  if (*e2ee == E2ee::kV1) {
    report.notes.push_back(fmt::format(
        "E2EE v1: shared keys of {} pairs computed in {:.1f}s before the load (not timed)",
        crypto.sessions(), setup_s));
  } else if (!group) {
    report.notes.push_back(fmt::format(
        "E2EE v2: {} Double Ratchet session pairs opened in memory (X3DH with each user's signed "
        "prekey, one round trip) in {:.1f}s before the load (not timed)",
        crypto.sessions(), setup_s));
  } else {
    report.notes.push_back(fmt::format(
        "E2EE v2: {} groups with a signed membership chain; each sender's chain handed to the "
        "members in memory in {:.1f}s before the load (not timed)",
        groups.size(), setup_s));
  }

  TrafficConfig config;
  config.group = group;
  config.payload = o.payload;
  config.ack_interval = std::chrono::milliseconds(o.ack_interval_ms);
  config.max_inflight_per_loop = o.max_inflight;
  config.drain_timeout = std::chrono::milliseconds(static_cast<long>(o.drain_s * 1000));
  config.slo_ms = o.slo_ms;
  config.server_pid = o.server_pid;
  config.progress = o.progress;
  TrafficEngine engine(pool, fleet.accounts, crypto, config);
  for (std::uint32_t u = 0; u < users; ++u)
    engine.add_user(u, fleet.sessions[u], u % pool.size(), contacts[u]);
  for (const auto& g : groups)
    engine.add_group(g.id, g.members, g.senders);
  engine.start();

  if (o.ceiling) {
    CeilingConfig cc;
    cc.connections = users;
    // The relayed frame is as large as a delivery of this scenario.
    cc.frame_bytes = o.payload + (group ? 260 : 190);
    cc.seconds = o.ceiling_s;
    cc.relay_threads = loop_count(o);
    cc.sources = o.sources;
    cc.progress = o.progress;
    report.ceiling = measure_ceiling(pool, cc);
  }

  const auto duration = std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::duration<double>(o.duration_s));
  auto run = [&](double rate, const std::string& label) {
    StepResult r = engine.run_step(rate, duration, label);
    if (!per_server.empty()) add_balance_figures(r, per_server);
    if (o.progress) {
      std::fprintf(
          stderr, "%s: offered %.0f/s delivered %.0f/s p99 %s lost %llu dup %llu%s\n",
          label.c_str(), rate, r.delivered_per_s, format_micros(r.latency.percentile(99)).c_str(),
          static_cast<unsigned long long>(r.lost), static_cast<unsigned long long>(r.duplicated),
          r.sustained ? "" : "  (not sustained)");
    }
    report.steps.push_back(r);
    // An overloaded server is still working off its queues (and SQLite its WAL) when
    // the step ends; let it settle so the next step starts from a steady state.
    if (!r.sustained) std::this_thread::sleep_for(std::chrono::seconds(3));
    return r.sustained;
  };
  if (o.max) {
    double rate = o.rate, best = 0, failed = 0;
    while (rate <= o.max_rate) {
      if (run(rate, fmt::format("{:.0f}/s", rate))) {
        best = rate;
        rate *= o.max_factor;
      } else {
        failed = rate;
        break;
      }
    }
    for (int k = 0; k < o.refine_steps && best > 0 && failed > 0; ++k) {
      const double mid = std::round((best + failed) / 2);
      if (run(mid, fmt::format("{:.0f}/s", mid))) {
        best = mid;
      } else {
        failed = mid;
      }
    }
    if (best > 0) {
      report.max_sustained_rate = best;
      run(std::round(best / 2), fmt::format("half-max {:.0f}/s", std::round(best / 2)));
    } else {
      report.notes.push_back("no rate was sustained: lower --rate");
    }
  } else {
    run(o.rate, fmt::format("{:.0f}/s", o.rate));
  }
  for (const auto& s : report.steps) {
    if (s.generator_limited) {
      report.notes.push_back(fmt::format(
          "step {}: the load generator fell behind (send lag p99 {}, bench CPU {:.0f}%): figures "
          "at this load are a lower bound of the server's",
          s.label, format_micros(s.send_lag.percentile(99)), s.bench_cpu_percent));
    }
  }
  engine.stop();
  return report;
}

}  // namespace fastchat::bench
