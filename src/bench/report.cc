// Report writers: JSON, Markdown, SVG.
#include "bench/report.h"

#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "bench/svg_plot.h"

namespace mms::bench {
namespace {

using nlohmann::json;

json dist_json(const Dist& d) {
  return {{"n", d.n}, {"mean", d.mean}, {"p50", d.p50}, {"p90", d.p90}, {"p99", d.p99}, {"max", d.max}};
}

json summary_json(const RunSummary& s) {
  return {{"num_requests", s.num_requests},   {"num_ok", s.num_ok},
          {"num_errors", s.num_errors},       {"duration_s", s.duration_s},
          {"request_throughput", s.request_throughput}, {"output_throughput", s.output_throughput},
          {"total_output_tokens", s.total_output_tokens}, {"total_prompt_tokens", s.total_prompt_tokens},
          {"attainment", s.attainment},       {"ttft_s", dist_json(s.ttft)},
          {"tpot_s", dist_json(s.tpot)},      {"itl_s", dist_json(s.itl)},
          {"e2e_s", dist_json(s.e2e)}};
}

json record_json(const RequestRecord& r) {
  json j = {{"index", r.index}, {"scheduled_s", r.scheduled_s}, {"start_s", r.start_s},
            {"first_token_s", r.first_token_s}, {"end_s", r.end_s}, {"ttft_s", r.ttft()},
            {"tpot_s", r.tpot()}, {"e2e_s", r.e2e()}, {"chunks", r.chunks},
            {"output_tokens", r.output_tokens}, {"usage_reported", r.usage_reported},
            {"prompt_tokens_reported", r.prompt_tokens_reported},
            {"expected_prompt_tokens", r.expected_prompt_tokens},
            {"expected_output_tokens", r.expected_output_tokens}, {"num_images", r.num_images},
            {"http_status", r.http_status}, {"ok", r.ok}, {"error", r.error},
            {"finish_reason", r.finish_reason}, {"chunk_times_s", r.chunk_times_s}};
  return j;
}

std::string ms(double s) { return std::isfinite(s) ? fmt::format("{:.1f}", s * 1000) : "-"; }

// ratio b / a with a note of which is better.
std::string ratio(double a, double b, bool lower_better) {
  if (!(a > 0) || !std::isfinite(a) || !std::isfinite(b)) return "-";
  const double r = b / a;
  const char* winner = (lower_better ? r > 1 : r < 1) ? "target" : (r == 1 ? "tie" : "compare");
  return fmt::format("{:.2f}x ({} better)", r, winner);
}

std::vector<std::pair<double, double>> throughput_series(const std::vector<RequestRecord>& recs) {
  double end = 0;
  for (const RequestRecord& r : recs) end = std::max(end, r.end_s);
  if (end <= 0) return {};
  const int buckets = 40;
  const double w = end / buckets;
  std::vector<double> count(buckets, 0);
  for (const RequestRecord& r : recs)
    for (double t : r.chunk_times_s) count[std::min(buckets - 1, static_cast<int>(t / w))] += 1;
  std::vector<std::pair<double, double>> pts;
  for (int i = 0; i < buckets; ++i) pts.emplace_back((i + 0.5) * w, count[i] / w);
  return pts;
}

Status write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) return io_error("cannot write " + path);
  return ok_status();
}

}  // namespace

std::string report_json(const BenchReport& r) {
  json j = {{"workload", r.workload}, {"token_counting", r.token_counting}, {"mode", r.mode},
            {"compare_mode", r.compare_mode}, {"slo", r.slo_text},
            {"slo_s", {{"ttft", r.slo.ttft_s}, {"tpot", r.slo.tpot_s}, {"e2e", r.slo.e2e_s}}},
            {"planned_requests", r.planned_requests}, {"interrupted", r.interrupted}};
  json systems = json::array();
  for (const SystemResult& s : r.systems) {
    json sj = {{"name", s.name}, {"url", s.url}, {"summary", summary_json(s.summary)}};
    if (s.goodput) {
      json pts = json::array();
      for (const RatePoint& p : s.goodput->points) pts.push_back({{"rate", p.rate}, {"attainment", p.attainment}});
      sj["goodput"] = {{"rate", s.goodput->goodput}, {"at_max", s.goodput->at_max}, {"points", pts}};
    }
    json recs = json::array();
    for (const RequestRecord& rec : s.records) recs.push_back(record_json(rec));
    sj["requests"] = std::move(recs);
    systems.push_back(std::move(sj));
  }
  j["systems"] = std::move(systems);
  return j.dump(1);
}

std::string markdown_summary(const BenchReport& r) {
  std::string o = "# mmserve bench\n\n";
  o += fmt::format("- workload: {}\n- mode: {}\n- prompt lengths: {}\n", r.workload, r.mode, r.token_counting);
  if (!r.slo_text.empty()) o += fmt::format("- SLO: {} (a request attains when all hold)\n", r.slo_text);
  if (!r.compare_mode.empty()) o += fmt::format("- comparison: {}\n", r.compare_mode);
  if (r.interrupted) o += "- **interrupted**: the run was cut short; figures cover what was measured\n";
  o += "\n| system | ok/sent | err | req/s | out tok/s | TTFT p50/p90/p99 ms | TPOT p50/p90/p99 ms | ITL p50/p99 ms | E2E p50/p99 ms | attain | goodput req/s |\n";
  o += "|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const SystemResult& s : r.systems) {
    const RunSummary& m = s.summary;
    std::string gp = "-";
    if (s.goodput) gp = fmt::format("{}{:.2f}", s.goodput->at_max ? ">=" : "", s.goodput->goodput);
    o += fmt::format("| {} ({}) | {}/{} | {} | {:.2f} | {:.1f} | {}/{}/{} | {}/{}/{} | {}/{} | {}/{} | {:.1f}% | {} |\n",
                     s.name, s.url, m.num_ok, m.num_requests, m.num_errors, m.request_throughput,
                     m.output_throughput, ms(m.ttft.p50), ms(m.ttft.p90), ms(m.ttft.p99), ms(m.tpot.p50),
                     ms(m.tpot.p90), ms(m.tpot.p99), ms(m.itl.p50), ms(m.itl.p99), ms(m.e2e.p50), ms(m.e2e.p99),
                     100 * m.attainment, gp);
  }
  if (r.systems.size() == 2) {
    const RunSummary &a = r.systems[0].summary, &b = r.systems[1].summary;
    o += "\n## Ratios (compare / target)\n\n| metric | ratio |\n|---|---|\n";
    o += fmt::format("| TTFT p50 | {} |\n| TTFT p99 | {} |\n", ratio(a.ttft.p50, b.ttft.p50, true), ratio(a.ttft.p99, b.ttft.p99, true));
    o += fmt::format("| TPOT p50 | {} |\n| TPOT p99 | {} |\n", ratio(a.tpot.p50, b.tpot.p50, true), ratio(a.tpot.p99, b.tpot.p99, true));
    o += fmt::format("| E2E p50 | {} |\n| E2E p99 | {} |\n", ratio(a.e2e.p50, b.e2e.p50, true), ratio(a.e2e.p99, b.e2e.p99, true));
    o += fmt::format("| output tok/s | {} |\n", ratio(a.output_throughput, b.output_throughput, false));
    o += fmt::format("| SLO attainment | {} |\n", ratio(a.attainment, b.attainment, false));
    if (r.systems[0].goodput && r.systems[1].goodput)
      o += fmt::format("| goodput | {} |\n", ratio(r.systems[0].goodput->goodput, r.systems[1].goodput->goodput, false));
  }
  bool any_usage_missing = false;
  for (const SystemResult& s : r.systems)
    for (const RequestRecord& rec : s.records) any_usage_missing |= rec.ok && !rec.usage_reported;
  if (any_usage_missing)
    o += "\nSome responses carried no usage; their output tokens were counted as content chunks.\n";
  return o;
}

Status write_report(const BenchReport& r, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return io_error("cannot create " + dir + ": " + ec.message());
  MMS_RETURN_IF_ERROR(write_file(dir + "/report.json", report_json(r)));
  MMS_RETURN_IF_ERROR(write_file(dir + "/summary.md", markdown_summary(r)));
  struct Cdf {
    const char* file;
    const char* title;
    double (RequestRecord::*metric)() const;
    double slo;
  };
  for (const Cdf& c : {Cdf{"ttft_cdf.svg", "Time to first token", &RequestRecord::ttft, r.slo.ttft_s},
                       Cdf{"tpot_cdf.svg", "Time per output token", &RequestRecord::tpot, r.slo.tpot_s},
                       Cdf{"e2e_cdf.svg", "End-to-end latency", &RequestRecord::e2e, r.slo.e2e_s}}) {
    std::vector<PlotSeries> series;
    for (const SystemResult& s : r.systems) {
      std::vector<double> v;
      for (const RequestRecord& rec : s.records)
        if (rec.ok) v.push_back((rec.*c.metric)() * 1000);
      series.push_back({fmt::format("{} p50 {} ms", s.name, ms(percentile(v, 50) / 1000)), cdf_points(v)});
    }
    PlotSpec spec{c.title, "CDF over requests: the curve further left is faster", "ms", "fraction of requests",
                  c.slo > 0 ? std::optional<double>(c.slo * 1000) : std::nullopt, std::nullopt, 1.0};
    MMS_RETURN_IF_ERROR(write_file(dir + "/" + c.file, render_svg(spec, series)));
  }
  std::vector<PlotSeries> tp;
  for (const SystemResult& s : r.systems)
    tp.push_back({fmt::format("{} {:.1f} tok/s", s.name, s.summary.output_throughput), throughput_series(s.records)});
  MMS_RETURN_IF_ERROR(write_file(dir + "/throughput.svg",
                                 render_svg({"Output throughput over time", "higher is better", "s since start",
                                             "output chunks/s"}, tp)));
  std::vector<PlotSeries> att;
  for (const SystemResult& s : r.systems) {
    if (!s.goodput) continue;
    PlotSeries ps{fmt::format("{} goodput {:.2f}", s.name, s.goodput->goodput), {}, true};
    for (const RatePoint& p : s.goodput->points) ps.points.emplace_back(p.rate, p.attainment);
    att.push_back(std::move(ps));
  }
  if (!att.empty()) {
    PlotSpec spec{"SLO attainment vs request rate", "the curve that stays above the dashed 90% line longer wins",
                  "requests/s", "attainment", std::nullopt, 0.9, 1.0};
    MMS_RETURN_IF_ERROR(write_file(dir + "/attainment.svg", render_svg(spec, att)));
  }
  return ok_status();
}

}  // namespace mms::bench
