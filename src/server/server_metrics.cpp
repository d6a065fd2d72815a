#include "server/server_metrics.h"

#include <prometheus/histogram.h>

#include "ops/scrape_collector.h"

namespace fastchat::server {

namespace {

prometheus::Histogram* histogram(prometheus::Registry& registry, const std::string& name,
                                 const std::string& help,
                                 const prometheus::Histogram::BucketBoundaries& buckets) {
  return &prometheus::BuildHistogram().Name(name).Help(help).Register(registry).Add({}, buckets);
}

}  // namespace

ServerMetrics::ServerMetrics(ServerMetricsSources sources)
    : sources_(std::move(sources)),
      registry_(std::make_shared<prometheus::Registry>()),
      commit_batch_size_(histogram(*registry_, "fastchat_commit_batch_messages",
                                   "messages per group commit",
                                   {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096})),
      commit_seconds_(histogram(
          *registry_, "fastchat_commit_seconds", "time to commit one batch (transaction and fsync)",
          {0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2})),
      publish_seconds_(
          histogram(*registry_, "fastchat_bus_publish_seconds",
                    "from commit to Redis accepting the delivery for another server",
                    {0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5})),
      admin_(sources_.health) {
  auto scraped = std::make_shared<ops::ScrapeCollector>();
  const ServerCounters& c = sources_.counters;
  auto read = [](const std::atomic<std::uint64_t>& a) {
    return [&a] { return static_cast<double>(a.load(std::memory_order_relaxed)); };
  };
  scraped->add_gauge("fastchat_connections", "open client connections", read(c.connections_open));
  scraped->add_counter("fastchat_connections_total", "client connections accepted",
                       read(c.connections_total));
  scraped->add_gauge("fastchat_sessions", "logged-in sessions",
                     [this] { return static_cast<double>(sources_.online_sessions()); });
  auto summed = [this](std::uint64_t LoopTotals::*field) {
    return [this, field] { return static_cast<double>(sources_.loop_totals().*field); };
  };
  scraped->add_counter("fastchat_frames_in_total", "frames received from clients",
                       summed(&LoopTotals::frames_in));
  scraped->add_counter("fastchat_messages_in_total", "messages accepted for commit",
                       summed(&LoopTotals::messages_in));
  scraped->add_counter("fastchat_deliveries_out_total", "pushes queued to sessions",
                       summed(&LoopTotals::deliveries_out));
  // One family, by kind: protocol (a client broke the protocol), task (asynchronous
  // work threw: logged, its session closed), bus_publish (a delivery to another server
  // was lost; the inbox still has it).
  scraped->add_counter("fastchat_errors_total", "errors, by kind", read(c.protocol_errors),
                       {{"kind", "protocol"}});
  scraped->add_counter("fastchat_errors_total", "errors, by kind", read(c.task_failures),
                       {{"kind", "task"}});
  scraped->add_counter("fastchat_sends_rate_limited_total",
                       "sends refused by the per-user send limits", read(c.sends_rate_limited));
  scraped->add_counter("fastchat_idle_closed_total",
                       "logged-in connections closed for sending nothing in --idle-timeout",
                       read(c.idle_closed));
  scraped->add_counter("fastchat_tls_handshakes_total", "TLS handshakes completed, by kind",
                       read(c.tls_handshakes_full), {{"kind", "full"}});
  scraped->add_counter("fastchat_tls_handshakes_total", "TLS handshakes completed, by kind",
                       read(c.tls_handshakes_resumed), {{"kind", "resumed"}});
  scraped->add_counter("fastchat_commit_batches_total", "group commits",
                       [this] { return static_cast<double>(sources_.commit_stats().batches); });
  scraped->add_counter("fastchat_commit_messages_total", "messages committed",
                       [this] { return static_cast<double>(sources_.commit_stats().messages); });
  scraped->add_counter("fastchat_commit_acks_total", "acks committed",
                       [this] { return static_cast<double>(sources_.commit_stats().acks); });
  if (sources_.bus_stats) {
    auto bus = [this](auto field) {
      return [this, field] { return static_cast<double>(field(sources_.bus_stats())); };
    };
    scraped->add_counter("fastchat_bus_published_total", "deliveries published to other servers",
                         bus([](const cluster::RedisBusStats& s) { return s.published; }));
    scraped->add_counter("fastchat_bus_received_total", "deliveries received from other servers",
                         bus([](const cluster::RedisBusStats& s) { return s.received; }));
    scraped->add_counter("fastchat_errors_total", "errors, by kind",
                         bus([](const cluster::RedisBusStats& s) { return s.publish_dropped; }),
                         {{"kind", "bus_publish"}});
    scraped->add_counter("fastchat_bus_route_lookups_total", "presence lookups for routing",
                         bus([](const cluster::RedisBusStats& s) { return s.route_lookups; }));
    scraped->add_counter("fastchat_bus_reconnects_total",
                         "times the bus recovered and sessions re-read their inboxes",
                         bus([](const cluster::RedisBusStats& s) { return s.reconnects; }));
    scraped->add_counter("fastchat_bus_catch_ups_total",
                         "catch-up requests after a login raced a delivery, by direction",
                         bus([](const cluster::RedisBusStats& s) { return s.catch_ups_sent; }),
                         {{"dir", "sent"}});
    scraped->add_counter("fastchat_bus_catch_ups_total",
                         "catch-up requests after a login raced a delivery, by direction",
                         bus([](const cluster::RedisBusStats& s) { return s.catch_ups_received; }),
                         {{"dir", "received"}});
    scraped->add_gauge("fastchat_bus_connected", "1 when connected and subscribed to Redis",
                       bus([](const cluster::RedisBusStats& s) { return s.connected ? 1 : 0; }));
  }
  admin_.add(scraped);
  admin_.add(registry_);
}

ServerMetrics::~ServerMetrics() {
  stop();
}

Status ServerMetrics::start(const std::string& listen) {
  return admin_.start(listen);
}

void ServerMetrics::stop() {
  admin_.stop();
}

void ServerMetrics::observe_commit(std::size_t messages, double seconds) {
  commit_batch_size_->Observe(static_cast<double>(messages));
  commit_seconds_->Observe(seconds);
}

void ServerMetrics::observe_publish(double seconds) {
  publish_seconds_->Observe(seconds);
}

}  // namespace fastchat::server
