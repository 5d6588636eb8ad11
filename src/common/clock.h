// Clock: every component that reads time takes a Clock&, so schedulers and routers run on FakeClock in
// tests. SystemClock is thread-safe; FakeClock is thread-safe (atomic).
#pragma once

#include <atomic>
#include <cstdint>

namespace mms {

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time in nanoseconds since an arbitrary epoch.
  virtual int64_t now_ns() const = 0;
  double now_s() const { return static_cast<double>(now_ns()) * 1e-9; }
};

class SystemClock final : public Clock {
 public:
  int64_t now_ns() const override;
  static SystemClock& instance();
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t start_ns = 0) : t_(start_ns) {}
  int64_t now_ns() const override { return t_.load(); }
  void advance_ns(int64_t d) { t_.fetch_add(d); }
  void advance_s(double s) { advance_ns(static_cast<int64_t>(s * 1e9)); }
  void set_ns(int64_t t) { t_.store(t); }

 private:
  std::atomic<int64_t> t_;
};

}  // namespace mms
