// A one-line progress bar on stderr ("[#####.....] 42/100 ok 40 err 2 12.3s"), redrawn at most 10 times
// a second and only when stderr is a terminal (or when forced). Called from one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace mms::bench {

class ProgressBar {
 public:
  ProgressBar(std::string label, int64_t total, bool enabled);
  void update(int64_t done, int64_t errors);
  void finish();

 private:
  void draw(int64_t done, int64_t errors);
  std::string label_;
  int64_t total_;
  bool enabled_;
  std::chrono::steady_clock::time_point start_, last_;
  int64_t done_ = 0, errors_ = 0;
};

}  // namespace mms::bench
