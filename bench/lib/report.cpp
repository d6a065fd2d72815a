#include "report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace fastchat::bench {

namespace {

constexpr double kPercentiles[] = {50, 90, 99, 99.9};
constexpr const char* kPercentileNames[] = {"p50", "p90", "p99", "p99_9"};

std::string json_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size() + 2);
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string json_histogram(const LatencyHistogram& h) {
  std::string out = fmt::format("{{\"count\": {}, \"min_us\": {}, \"mean_us\": {:.1f}", h.count(),
                                h.min(), h.mean());
  for (std::size_t i = 0; i < std::size(kPercentiles); ++i)
    out += fmt::format(", \"{}_us\": {}", kPercentileNames[i], h.percentile(kPercentiles[i]));
  out += fmt::format(", \"max_us\": {}}}", h.max());
  return out;
}

std::string json_step(const StepResult& s) {
  std::string out = "{";
  out += fmt::format("\"label\": \"{}\", \"offered_rate\": {:.1f}, \"seconds\": {:.3f}, ",
                     json_escape(s.label), s.offered_rate, s.seconds);
  out += fmt::format(
      "\"offered\": {}, \"sent\": {}, \"acknowledged\": {}, \"expected\": {}, \"delivered\": {}, "
      "\"lost\": {}, \"duplicated\": {}, \"stale\": {}, \"unexpected\": {}, "
      "\"delivered_per_s\": {:.1f}, ",
      s.offered, s.sent, s.acknowledged, s.expected, s.delivered, s.lost, s.duplicated, s.stale,
      s.unexpected, s.delivered_per_s);
  out += "\"latency\": " + json_histogram(s.latency) + ", ";
  out += "\"ack_latency\": " + json_histogram(s.ack_latency) + ", ";
  out += "\"send_lag\": " + json_histogram(s.send_lag) + ", ";
  out += "\"errors\": {";
  bool first = true;
  for (const auto& [kind, n] : s.errors) {
    out += fmt::format("{}\"{}\": {}", first ? "" : ", ", json_escape(kind), n);
    first = false;
  }
  out += "}, ";
  out += s.server_cpu_percent
             ? fmt::format("\"server_cpu_percent\": {:.1f}, ", *s.server_cpu_percent)
             : "\"server_cpu_percent\": null, ";
  out += s.server_rss_bytes ? fmt::format("\"server_rss_bytes\": {}, ", *s.server_rss_bytes)
                            : "\"server_rss_bytes\": null, ";
  out += s.server_runqueue_ratio
             ? fmt::format("\"server_runqueue_ratio\": {:.2f}, ", *s.server_runqueue_ratio)
             : "\"server_runqueue_ratio\": null, ";
  out += fmt::format(
      "\"bench_runqueue_ratio\": {:.2f}, \"bench_cpu_percent\": {:.1f}, \"generator_limited\": "
      "{}, \"sustained\": {}",
      s.bench_runqueue_ratio, s.bench_cpu_percent, s.generator_limited, s.sustained);
  out += ", \"figures\": {";
  first = true;
  for (const auto& [name, value] : s.figures) {
    out += fmt::format("{}\"{}\": {:.6g}", first ? "" : ", ", json_escape(name), value);
    first = false;
  }
  out += "}}";
  return out;
}

std::vector<const StepResult*> open_loop_steps(const RunReport& report) {
  std::vector<const StepResult*> steps;
  for (const auto& s : report.steps)
    if (s.offered_rate > 0) steps.push_back(&s);
  std::stable_sort(steps.begin(), steps.end(), [](const StepResult* a, const StepResult* b) {
    return a->offered_rate < b->offered_rate;
  });
  return steps;
}

}  // namespace

std::uint64_t StepResult::error_count() const {
  std::uint64_t n = 0;
  for (const auto& [kind, count] : errors)
    n += count;
  return n;
}

std::uint64_t RunReport::total_lost() const {
  std::uint64_t n = 0;
  for (const auto& s : steps)
    n += s.lost;
  return n;
}

std::uint64_t RunReport::total_duplicated() const {
  std::uint64_t n = 0;
  for (const auto& s : steps)
    n += s.duplicated;
  return n;
}

std::string format_micros(std::uint64_t micros) {
  if (micros < 10'000) return fmt::format("{:.2f}ms", static_cast<double>(micros) / 1000.0);
  if (micros < 1'000'000) return fmt::format("{:.1f}ms", static_cast<double>(micros) / 1000.0);
  return fmt::format("{:.2f}s", static_cast<double>(micros) / 1e6);
}

std::string format_bytes(double bytes) {
  if (bytes < 10 * 1024) return fmt::format("{:.0f}B", bytes);
  if (bytes < 10 * 1024 * 1024) return fmt::format("{:.1f}KiB", bytes / 1024);
  return fmt::format("{:.1f}MiB", bytes / (1024 * 1024));
}

void print_table(std::FILE* out, const RunReport& report) {
  fmt::print(out, "\nfastchat-bench {}  ({})\n", report.scenario, report.machine);
  std::string settings;
  for (const auto& [k, v] : report.settings)
    settings += fmt::format("{}={} ", k, v);
  fmt::print(out, "  {}\n\n", settings);
  fmt::print(out,
             "{:<16} {:>9} {:>8} {:>8} {:>8} {:>9} {:>5} {:>4} {:>10} {:>8} {:>8} {:>8} {:>8} "
             "{:>8} {:>6} {:>8} {:>6} {:>5}\n",
             "step", "offered/s", "offered", "sent", "acked", "delivered", "lost", "dup", "deliv/s",
             "p50", "p90", "p99", "p99.9", "max", "srvCPU", "srvRSS", "bench%", "errs");
  auto row = [&](const StepResult& s) {
    const auto& h = s.latency;
    fmt::print(
        out,
        "{:<16} {:>9.0f} {:>8} {:>8} {:>8} {:>9} {:>5} {:>4} {:>10.0f} {:>8} {:>8} {:>8} "
        "{:>8} {:>8} {:>6} {:>8} {:>6.0f} {:>5}{}\n",
        s.label, s.offered_rate, s.offered, s.sent, s.acknowledged, s.delivered, s.lost,
        s.duplicated, s.delivered_per_s, format_micros(h.percentile(50)),
        format_micros(h.percentile(90)), format_micros(h.percentile(99)),
        format_micros(h.percentile(99.9)), format_micros(h.max()),
        s.server_cpu_percent ? fmt::format("{:.0f}%", *s.server_cpu_percent) : "-",
        s.server_rss_bytes ? format_bytes(static_cast<double>(*s.server_rss_bytes)) : "-",
        s.bench_cpu_percent, s.error_count(),
        s.generator_limited ? "  [generator-limited]" : (s.sustained ? "" : "  [not sustained]"));
  };
  for (const auto& s : report.steps)
    row(s);
  for (const auto& s : report.steps) {
    if (!s.figures.empty()) {
      fmt::print(out, "  {}:", s.label);
      for (const auto& [name, value] : s.figures)
        fmt::print(out, " {}={:.6g}", name, value);
      fmt::print(out, "\n");
    }
    for (const auto& [kind, n] : s.errors)
      fmt::print(out, "  {} error {}: {}\n", s.label, kind, n);
    if (s.server_runqueue_ratio || s.bench_runqueue_ratio > 0) {
      fmt::print(out, "  {} run-queue wait per CPU second: server {}, bench {:.2f}{}\n", s.label,
                 s.server_runqueue_ratio ? fmt::format("{:.2f}", *s.server_runqueue_ratio) : "-",
                 s.bench_runqueue_ratio,
                 std::max(s.server_runqueue_ratio.value_or(0), s.bench_runqueue_ratio) > 0.3
                     ? "  (other load on this machine held them off: a share, not the capacity)"
                     : "");
    }
    if (s.ack_latency.count() > 0) {
      fmt::print(out, "  {} ack latency p50 {} p99 {} max {}; generator lag p99 {} max {}\n",
                 s.label, format_micros(s.ack_latency.percentile(50)),
                 format_micros(s.ack_latency.percentile(99)), format_micros(s.ack_latency.max()),
                 format_micros(s.send_lag.percentile(99)), format_micros(s.send_lag.max()));
    }
  }
  if (report.ceiling) {
    const auto& c = *report.ceiling;
    fmt::print(out,
               "\nceiling (minimal relay, same connections and payload, no store, no crypto):\n");
    row(c);
    if (c.delivered_per_s > 0) {
      for (const auto& s : report.steps) {
        if (s.delivered_per_s > 0) {
          fmt::print(out, "  {}: {:.0f} delivered/s = {:.1f}% of the ceiling\n", s.label,
                     s.delivered_per_s, 100.0 * s.delivered_per_s / c.delivered_per_s);
        }
      }
    }
  }
  if (report.max_sustained_rate) {
    fmt::print(out, "\nmax sustained offered rate: {:.0f}/s\n", *report.max_sustained_rate);
  }
  for (const auto& note : report.notes)
    fmt::print(out, "note: {}\n", note);
  fmt::print(out, "\nlost: {}  duplicated: {}  -> {}\n", report.total_lost(),
             report.total_duplicated(), report.ok() ? "OK" : "FAILED");
}

std::string to_json(const RunReport& report) {
  std::string out = "{\n";
  out += fmt::format(
      "  \"scenario\": \"{}\",\n  \"command_line\": \"{}\",\n  \"machine\": \"{}\",\n",
      json_escape(report.scenario), json_escape(report.command_line), json_escape(report.machine));
  out += "  \"settings\": {";
  bool first = true;
  for (const auto& [k, v] : report.settings) {
    out += fmt::format("{}\"{}\": \"{}\"", first ? "" : ", ", json_escape(k), json_escape(v));
    first = false;
  }
  out += "},\n  \"steps\": [\n";
  for (std::size_t i = 0; i < report.steps.size(); ++i)
    out += "    " + json_step(report.steps[i]) + (i + 1 < report.steps.size() ? ",\n" : "\n");
  out += "  ],\n";
  out += "  \"ceiling\": " + (report.ceiling ? json_step(*report.ceiling) : std::string("null")) +
         ",\n";
  out += report.max_sustained_rate
             ? fmt::format("  \"max_sustained_rate\": {:.1f},\n", *report.max_sustained_rate)
             : "  \"max_sustained_rate\": null,\n";
  out += "  \"notes\": [";
  for (std::size_t i = 0; i < report.notes.size(); ++i)
    out += fmt::format("{}\"{}\"", i ? ", " : "", json_escape(report.notes[i]));
  out += fmt::format("],\n  \"lost\": {},\n  \"duplicated\": {},\n  \"ok\": {}\n}}\n",
                     report.total_lost(), report.total_duplicated(), report.ok());
  return out;
}

std::string to_csv(const RunReport& report) {
  std::string out =
      "scenario,step,offered_rate,seconds,offered,sent,acknowledged,expected,delivered,lost,"
      "duplicated,stale,unexpected,delivered_per_s,p50_us,p90_us,p99_us,p99_9_us,max_us,"
      "ack_p99_us,send_lag_p99_us,errors,server_cpu_percent,server_rss_bytes,bench_cpu_percent,"
      "generator_limited,sustained\n";
  auto line = [&](const std::string& scenario, const StepResult& s) {
    const auto& h = s.latency;
    out += fmt::format(
        "{},{},{:.1f},{:.3f},{},{},{},{},{},{},{},{},{},{:.1f},{},{},{},{},{},{},{},{},{},{},{:.1f}"
        ","
        "{},{}\n",
        scenario, s.label, s.offered_rate, s.seconds, s.offered, s.sent, s.acknowledged, s.expected,
        s.delivered, s.lost, s.duplicated, s.stale, s.unexpected, s.delivered_per_s,
        h.percentile(50), h.percentile(90), h.percentile(99), h.percentile(99.9), h.max(),
        s.ack_latency.percentile(99), s.send_lag.percentile(99), s.error_count(),
        s.server_cpu_percent ? fmt::format("{:.1f}", *s.server_cpu_percent) : "",
        s.server_rss_bytes ? std::to_string(*s.server_rss_bytes) : "", s.bench_cpu_percent,
        s.generator_limited, s.sustained);
  };
  for (const auto& s : report.steps)
    line(report.scenario, s);
  if (report.ceiling) line("relay", *report.ceiling);
  return out;
}

std::string gnuplot_script(const RunReport& report, const std::string& data_file,
                           const std::string& png_file) {
  if (open_loop_steps(report).empty()) return {};
  std::string s;
  s += "set terminal pngcairo size 900,560 noenhanced\n";
  s += fmt::format("set output '{}'\n", png_file);
  s += fmt::format("set title 'fastchat-bench {}: delivery latency against offered load'\n",
                   report.scenario);
  s += "set xlabel 'offered load (messages/s)'\nset ylabel 'latency (ms)'\n";
  s += "set logscale y\nset grid\nset key top left\n";
  s += fmt::format(
      "plot '{0}' using 1:2 with linespoints title 'p50', '{0}' using 1:3 with linespoints title "
      "'p90', '{0}' using 1:4 with linespoints title 'p99', '{0}' using 1:5 with linespoints "
      "title 'p99.9'\n",
      data_file);
  return s;
}

Status write_outputs(const RunReport& report, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status(Code::kIo, "cannot create " + dir + ": " + ec.message());
  auto write = [&](const std::string& name, const std::string& text) -> Status {
    std::ofstream f(dir + "/" + name, std::ios::trunc);
    f << text;
    if (!f) return Status(Code::kIo, "cannot write " + dir + "/" + name);
    return Status::ok();
  };
  if (Status s = write("report.json", to_json(report)); !s) return s;
  if (Status s = write("steps.csv", to_csv(report)); !s) return s;
  const std::string script = gnuplot_script(report, dir + "/latency.dat", dir + "/latency.png");
  if (script.empty()) return Status::ok();
  std::string data = "# offered_rate p50_ms p90_ms p99_ms p99_9_ms max_ms delivered_per_s\n";
  for (const StepResult* st : open_loop_steps(report)) {
    const auto& h = st->latency;
    auto ms = [](std::uint64_t us) { return static_cast<double>(us) / 1000.0; };
    data += fmt::format("{:.1f} {:.3f} {:.3f} {:.3f} {:.3f} {:.3f} {:.1f}\n", st->offered_rate,
                        ms(h.percentile(50)), ms(h.percentile(90)), ms(h.percentile(99)),
                        ms(h.percentile(99.9)), ms(h.max()), st->delivered_per_s);
  }
  if (Status s = write("latency.dat", data); !s) return s;
  if (Status s = write("latency.gp", script); !s) return s;
  if (std::system("command -v gnuplot >/dev/null 2>&1") == 0) {
    const std::string cmd = "gnuplot '" + dir + "/latency.gp' 2>/dev/null";
    if (std::system(cmd.c_str()) != 0) return Status(Code::kIo, "gnuplot failed on latency.gp");
  }
  return Status::ok();
}

}  // namespace fastchat::bench
