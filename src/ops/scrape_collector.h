// ScrapeCollector: counters and gauges whose values are read when Prometheus scrapes
// (from atomics the code keeps anyway), so the hot path pays nothing for them.
//
// Thread safety: add_*() before the collector is exposed; Collect() from any thread
// (the read functions must be thread-safe).
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace fastchat::ops {

class ScrapeCollector : public prometheus::Collectable {
 public:
  using Read = std::function<double()>;
  using Labels = std::map<std::string, std::string>;

  // Metrics of one name may be added several times with different labels.
  void add_counter(const std::string& name, const std::string& help, Read read, Labels labels = {});
  void add_gauge(const std::string& name, const std::string& help, Read read, Labels labels = {});

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  struct Series {
    Labels labels;
    Read read;
  };
  struct Family {
    std::string name;
    std::string help;
    prometheus::MetricType type;
    std::vector<Series> series;
  };
  void add(const std::string& name, const std::string& help, prometheus::MetricType type, Read read,
           Labels labels);

  std::vector<Family> families_;
};

}  // namespace fastchat::ops
