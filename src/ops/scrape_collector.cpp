#include "ops/scrape_collector.h"

#include <cassert>

namespace fastchat::ops {

void ScrapeCollector::add_counter(const std::string& name, const std::string& help, Read read,
                                  Labels labels) {
  add(name, help, prometheus::MetricType::Counter, std::move(read), std::move(labels));
}

void ScrapeCollector::add_gauge(const std::string& name, const std::string& help, Read read,
                                Labels labels) {
  add(name, help, prometheus::MetricType::Gauge, std::move(read), std::move(labels));
}

void ScrapeCollector::add(const std::string& name, const std::string& help,
                          prometheus::MetricType type, Read read, Labels labels) {
  for (auto& family : families_) {
    if (family.name == name) {
      assert(family.type == type);
      family.series.push_back({std::move(labels), std::move(read)});
      return;
    }
  }
  families_.push_back({name, help, type, {{std::move(labels), std::move(read)}}});
}

std::vector<prometheus::MetricFamily> ScrapeCollector::Collect() const {
  std::vector<prometheus::MetricFamily> out;
  out.reserve(families_.size());
  for (const auto& family : families_) {
    prometheus::MetricFamily f;
    f.name = family.name;
    f.help = family.help;
    f.type = family.type;
    for (const auto& series : family.series) {
      prometheus::ClientMetric metric;
      for (const auto& [key, value] : series.labels)
        metric.label.push_back({key, value});
      const double value = series.read();
      if (family.type == prometheus::MetricType::Counter) {
        metric.counter.value = value;
      } else {
        metric.gauge.value = value;
      }
      f.metric.push_back(std::move(metric));
    }
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace fastchat::ops
