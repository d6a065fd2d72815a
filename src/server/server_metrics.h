// ServerMetrics: the chat server's admin endpoint (ops::AdminServer): /metrics with
// connection, message, commit and bus figures, and /healthz. Counters are read from
// the atomics the server keeps anyway, at scrape time; the two histograms (commit
// batches, bus publish latency) are observed once per batch / per publish, off the
// event loops.
//
// Thread safety: construct and start() from the controlling thread; observe_*() from
// any thread.
#pragma once

#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <functional>
#include <memory>
#include <string>

#include "cluster/redis_bus.h"
#include "ops/admin_server.h"
#include "server/group_committer.h"
#include "server/loop_shard.h"
#include "server/server_context.h"

namespace fastchat::server {

struct ServerMetricsSources {
  const ServerCounters& counters;
  std::function<CommitStats()> commit_stats;
  std::function<std::size_t()> online_sessions;
  std::function<LoopTotals()> loop_totals;            // summed over the loops at scrape time
  std::function<cluster::RedisBusStats()> bus_stats;  // null for the single-node bus
  std::function<Status()> health;
};

class ServerMetrics {
 public:
  explicit ServerMetrics(ServerMetricsSources sources);
  ~ServerMetrics();

  Status start(const std::string& listen);
  void stop();
  std::uint16_t port() const { return admin_.port(); }

  void observe_commit(std::size_t messages, double seconds);
  void observe_publish(double seconds);

 private:
  ServerMetricsSources sources_;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Histogram* commit_batch_size_;
  prometheus::Histogram* commit_seconds_;
  prometheus::Histogram* publish_seconds_;
  ops::AdminServer admin_;
};

}  // namespace fastchat::server
