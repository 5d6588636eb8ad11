// SVG rendering.
#include "bench/svg_plot.h"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace mms::bench {
namespace {

constexpr double kW = 720, kH = 440, kL = 80, kR = 180, kT = 60, kB = 60;
constexpr const char* kColours[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};

std::string escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<') o += "&lt;";
    else if (c == '>') o += "&gt;";
    else if (c == '&') o += "&amp;";
    else o += c;
  }
  return o;
}

double nice_step(double range) {
  if (range <= 0) return 1;
  double raw = range / 5, mag = std::pow(10, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (raw <= m * mag) return m * mag;
  return 10 * mag;
}

std::string fmt_num(double v) {
  if (v == 0) return "0";
  if (std::abs(v) >= 1000 || std::abs(v) < 0.01) return fmt::format("{:.3g}", v);
  return fmt::format("{:.4g}", v);
}

}  // namespace

std::vector<std::pair<double, double>> cdf_points(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  std::vector<std::pair<double, double>> p;
  for (size_t i = 0; i < v.size(); ++i) p.emplace_back(v[i], static_cast<double>(i + 1) / static_cast<double>(v.size()));
  return p;
}

std::string render_svg(const PlotSpec& spec, const std::vector<PlotSeries>& series) {
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = 0, y1 = -x0;
  for (const PlotSeries& s : series)
    for (auto [x, y] : s.points) {
      if (!std::isfinite(x) || !std::isfinite(y)) continue;
      x0 = std::min(x0, x), x1 = std::max(x1, x), y1 = std::max(y1, y), y0 = std::min(y0, y);
    }
  if (spec.x_ref) x0 = std::min(x0, *spec.x_ref), x1 = std::max(x1, *spec.x_ref);
  if (!std::isfinite(x0)) x0 = 0, x1 = 1, y1 = 1;
  x0 = std::min(x0, 0.0);
  if (spec.y_max) y1 = *spec.y_max;
  if (x1 <= x0) x1 = x0 + 1;
  if (y1 <= y0) y1 = y0 + 1;
  const double xs = nice_step(x1 - x0), ys = nice_step(y1 - y0);
  x1 = std::ceil(x1 / xs) * xs;
  if (!spec.y_max) y1 = std::ceil(y1 / ys) * ys;
  const double pw = kW - kL - kR, ph = kH - kT - kB;
  auto px = [&](double x) { return kL + (x - x0) / (x1 - x0) * pw; };
  auto py = [&](double y) { return kT + ph - (y - y0) / (y1 - y0) * ph; };

  std::string o = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" font-family=\"sans-serif\" "
      "font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
      kW, kH);
  o += fmt::format("<text x=\"{}\" y=\"22\" font-size=\"16\" font-weight=\"bold\">{}</text>\n", kL, escape(spec.title));
  if (!spec.subtitle.empty())
    o += fmt::format("<text x=\"{}\" y=\"40\" fill=\"#555\">{}</text>\n", kL, escape(spec.subtitle));
  for (double x = x0; x <= x1 + xs * 1e-9; x += xs) {
    o += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#eee\"/>"
                     "<text x=\"{0:.1f}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>\n",
                     px(x), kT, kT + ph, kT + ph + 16, fmt_num(x));
  }
  for (double y = y0; y <= y1 + ys * 1e-9; y += ys) {
    o += fmt::format("<line x1=\"{0}\" y1=\"{1:.1f}\" x2=\"{2}\" y2=\"{1:.1f}\" stroke=\"#eee\"/>"
                     "<text x=\"{3}\" y=\"{4:.1f}\" text-anchor=\"end\">{5}</text>\n",
                     kL, py(y), kL + pw, kL - 6, py(y) + 4, fmt_num(y));
  }
  o += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#333\"/>\n", kL, kT, pw, ph);
  o += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", kL + pw / 2, kH - 14, escape(spec.x_label));
  o += fmt::format("<text x=\"16\" y=\"{0}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {0})\">{1}</text>\n",
                   kT + ph / 2, escape(spec.y_label));
  if (spec.x_ref)
    o += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#000\" stroke-dasharray=\"5,4\"/>"
                     "<text x=\"{3:.1f}\" y=\"{4}\">SLO</text>\n", px(*spec.x_ref), kT, kT + ph, px(*spec.x_ref) + 4, kT + 12);
  if (spec.y_ref)
    o += fmt::format("<line x1=\"{0}\" y1=\"{1:.1f}\" x2=\"{2}\" y2=\"{1:.1f}\" stroke=\"#000\" stroke-dasharray=\"5,4\"/>\n",
                     kL, py(*spec.y_ref), kL + pw);
  for (size_t i = 0; i < series.size(); ++i) {
    const char* colour = kColours[i % std::size(kColours)];
    std::string pts;
    for (auto [x, y] : series[i].points)
      if (std::isfinite(x) && std::isfinite(y)) pts += fmt::format("{:.1f},{:.1f} ", px(x), py(y));
    o += fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2.5\" points=\"{}\"/>\n", colour, pts);
    if (series[i].markers)
      for (auto [x, y] : series[i].points)
        o += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"4\" fill=\"{}\"/>\n", px(x), py(y), colour);
    const double ly = kT + 10 + 22 * static_cast<double>(i);
    o += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"14\" height=\"14\" fill=\"{}\"/>"
                     "<text x=\"{}\" y=\"{}\">{}</text>\n", kL + pw + 12, ly, colour, kL + pw + 32, ly + 12,
                     escape(series[i].name));
  }
  o += "</svg>\n";
  return o;
}

}  // namespace mms::bench
