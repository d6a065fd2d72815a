// Time as a dependency: code that needs "now" takes a Clock so tests can control it.
// SystemClock is thread-safe; ManualClock is for single-threaded tests.
#pragma once

#include <atomic>
#include <cstdint>

namespace fastchat {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch.
  virtual std::int64_t now_ms() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::int64_t now_ms() const override;
  // A process-wide instance for production wiring.
  static const SystemClock& instance();
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::int64_t start_ms = 1'700'000'000'000) : now_(start_ms) {}
  std::int64_t now_ms() const override { return now_.load(); }
  void advance_ms(std::int64_t ms) { now_ += ms; }

 private:
  std::atomic<std::int64_t> now_;
};

}  // namespace fastchat
