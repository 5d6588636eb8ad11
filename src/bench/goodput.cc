// Bounded goodput search.
#include "bench/goodput.h"

#include <algorithm>
#include <cmath>

namespace mms::bench {

GoodputResult find_goodput(const std::function<double(double rate)>& measure, const GoodputSearch& o) {
  GoodputResult res;
  auto probe = [&](double rate) {
    double a = measure(rate);
    res.points.push_back({rate, a});
    return a >= o.target;
  };
  int steps = 0;
  if (o.max_steps <= 0 || o.min_rate <= 0 || o.max_rate < o.min_rate) return res;
  ++steps;
  if (probe(o.max_rate)) {
    res.goodput = o.max_rate;
    res.at_max = true;
  } else if (steps++ < o.max_steps && probe(o.min_rate)) {
    double good = o.min_rate, bad = o.max_rate;
    while (steps < o.max_steps && (bad - good) / good > o.rel_tolerance) {
      ++steps;
      const double mid = std::sqrt(good * bad);
      (probe(mid) ? good : bad) = mid;
    }
    res.goodput = good;
  }
  std::sort(res.points.begin(), res.points.end(), [](const RatePoint& a, const RatePoint& b) { return a.rate < b.rate; });
  return res;
}

}  // namespace mms::bench
