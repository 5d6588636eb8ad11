// Minimal SVG line charts drawn by hand (no plotting library): axes with ticks, one coloured polyline
// per series, a legend, optional reference lines (an SLO, the 90% attainment target). Pure; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mms::bench {

struct PlotSeries {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (x, y), drawn in the given order
  bool markers = false;
};

struct PlotSpec {
  std::string title;
  std::string subtitle;  // e.g. "left is better"
  std::string x_label;
  std::string y_label;
  std::optional<double> x_ref;  // vertical dashed line (e.g. the TTFT SLO)
  std::optional<double> y_ref;  // horizontal dashed line (e.g. 0.9 attainment)
  std::optional<double> y_max;  // fixed top of the y axis (e.g. 1 for a CDF)
};

std::string render_svg(const PlotSpec& spec, const std::vector<PlotSeries>& series);

// Empirical CDF points (sorted value, fraction <= value) of `values`.
std::vector<std::pair<double, double>> cdf_points(std::vector<double> values);

}  // namespace mms::bench
