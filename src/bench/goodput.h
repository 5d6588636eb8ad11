// Goodput (DistServe): the highest request rate at which SLO attainment stays >= a target (90%), found
// by a bounded search over rates. The measurement is a callback, so the search is testable on a made-up
// attainment curve and the bench plugs in real runs. Not thread-safe (calls `measure` sequentially).
#pragma once

#include <functional>
#include <vector>

namespace mms::bench {

struct RatePoint {
  double rate = 0;
  double attainment = 0;
};

struct GoodputSearch {
  double min_rate = 0.5;
  double max_rate = 64;
  int max_steps = 8;          // measurements in all
  double target = 0.9;
  double rel_tolerance = 0.05;  // stop when (bad - good) / good is below this
};

struct GoodputResult {
  double goodput = 0;             // 0 when even min_rate misses the target
  bool at_max = false;            // max_rate attained: goodput is at least max_rate
  std::vector<RatePoint> points;  // every measurement, sorted by rate
};

// Measures max_rate, then min_rate, then bisects (geometric mean) between the highest attaining and
// the lowest missing rate.
GoodputResult find_goodput(const std::function<double(double rate)>& measure, const GoodputSearch& opts);

}  // namespace mms::bench
