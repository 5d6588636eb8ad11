// The bench's top-level flow.
#include "bench/bench_runner.h"

#include <fmt/core.h>

#include <fstream>
#include <sstream>

#include "api/chat.h"
#include "bench/arrivals.h"
#include "bench/endpoint.h"
#include "bench/http_driver.h"
#include "bench/progress.h"
#include "bench/prompt_builder.h"
#include "bench/servegen.h"
#include "bench/workload.h"
#include "common/log.h"

namespace mms::bench {
namespace {

StatusOr<Trace> load_trace(const BenchOptions& o) {
  Trace t;
  if (o.trace == "synthetic") {
    MMS_ASSIGN_OR_RETURN(ArrivalProcess p, parse_arrival_process(o.arrival));
    MMS_ASSIGN_OR_RETURN(ImageSize img, parse_image_size(o.image_size));
    if (o.rate <= 0) return invalid_argument("--rate must be positive");
    t = synthetic_trace(arrival_times(p, o.rate, o.cv, o.num_requests, o.seed), o.input_tokens, o.output_tokens,
                        o.images_per_request, img);
    t.source = fmt::format("synthetic {} arrivals at {} req/s (CV {}), {} in / {} out tokens, {} image(s) of {}",
                           o.arrival, o.rate, p == ArrivalProcess::kPoisson ? 1.0 : o.cv, o.input_tokens,
                           o.output_tokens, o.images_per_request, o.image_size);
    return t;
  }
  if (o.trace_path.empty()) return invalid_argument("--trace " + o.trace + " needs --trace-path");
  if (o.trace == "azure") {
    MMS_ASSIGN_OR_RETURN(t, read_azure_csv(o.trace_path));
  } else if (o.trace == "mooncake") {
    MMS_ASSIGN_OR_RETURN(t, read_mooncake_jsonl(o.trace_path));
  } else if (o.trace == "burstgpt") {
    MMS_ASSIGN_OR_RETURN(t, read_burstgpt_csv(o.trace_path));
  } else if (o.trace == "servegen") {
    ServeGenOptions so{o.servegen_clients, o.window_start_s, o.window_duration_s > 0 ? o.window_duration_s : 600, o.seed};
    MMS_ASSIGN_OR_RETURN(t, servegen_trace(o.trace_path, so));
  } else {
    return invalid_argument("unknown --trace '" + o.trace + "' (synthetic | azure | mooncake | burstgpt | servegen)");
  }
  if (o.trace != "servegen") t = window_trace(t, o.window_start_s, o.window_duration_s);
  std::string source = t.source;
  t.source = fmt::format("{} (window {} s + {} s, rate scale {})", source, o.window_start_s,
                         o.window_duration_s > 0 ? fmt::format("{}", o.window_duration_s) : std::string("all"),
                         o.rate_scale);
  scale_trace_time(t, o.rate_scale);
  truncate_trace(t, static_cast<size_t>(o.num_requests));
  return t;
}

// Measures chars per token with the target's /tokenize; returns the description for the report.
std::string calibrate(const BenchOptions& o, const Endpoint& ep, PromptBuilder& prompts) {
  if (o.tokenize) {
    const std::string sample = prompts.text(2000, 12345);
    auto a = http_call(ep, "/tokenize", api::tokenize_request_json(o.model, sample), 10.0, o.api_key);
    if (a.ok() && a->status == 200) {
      auto n = api::parse_tokenize_count(a->body);
      if (n.ok() && *n > 0) {
        prompts.set_chars_per_token(static_cast<double>(sample.size()) / static_cast<double>(*n));
        return fmt::format("measured with {}/tokenize: {:.2f} chars/token", ep.url, prompts.chars_per_token());
      }
    }
  }
  return fmt::format("estimated at {:.1f} chars/token (no /tokenize on the target)", prompts.chars_per_token());
}

std::vector<RequestRecord> run_one(const BenchOptions& o, const Endpoint& ep, const std::vector<PlannedRequest>& plan,
                                   const std::string& label) {
  ProgressBar bar(label, static_cast<int64_t>(plan.size()), o.progress);
  int64_t done = 0, errors = 0;
  DriverOptions d;
  d.concurrency = o.concurrency;
  d.max_duration_s = o.max_duration_s;
  d.request_timeout_s = o.request_timeout_s;
  d.api_key = o.api_key;
  d.stop = o.stop;
  d.on_finished = [&](const RequestRecord& r) {
    ++done;
    errors += r.ok ? 0 : 1;
    bar.update(done, errors);
  };
  auto recs = run_requests(ep, plan, d);
  bar.finish();
  return recs;
}

// Interleaved comparison: trace slices of slice_s seconds alternate between the systems (A B, B A, ...)
// so that drift in the machine's state hits both alike. Records keep trace-relative times.
void run_interleaved(const BenchOptions& o, const std::vector<Endpoint>& eps, const std::vector<PlannedRequest>& plan,
                     std::vector<std::vector<RequestRecord>>& out) {
  size_t i = 0;
  for (int slice = 0; i < plan.size(); ++slice) {
    const double lo = plan[i].send_at_s, hi = o.concurrency > 0 ? 1e300 : lo + o.slice_s;
    std::vector<PlannedRequest> part;
    size_t j = i;
    for (; j < plan.size() && plan[j].send_at_s < hi && (o.concurrency == 0 || part.size() < 4u * o.concurrency); ++j) {
      part.push_back(plan[j]);
      part.back().send_at_s -= lo;
    }
    i = j;
    for (size_t k = 0; k < eps.size(); ++k) {
      const size_t sys = (slice % 2 == 0) ? k : eps.size() - 1 - k;
      double offset = 0;
      for (const RequestRecord& r : out[sys]) offset = std::max(offset, r.end_s);
      for (RequestRecord r : run_one(o, eps[sys], part, fmt::format("slice {} {}", slice, sys ? "compare" : "target"))) {
        for (double* t : {&r.scheduled_s, &r.start_s, &r.first_token_s, &r.end_s}) if (*t >= 0) *t += offset;
        for (double& t : r.chunk_times_s) t += offset;
        out[sys].push_back(std::move(r));
      }
      if (o.stop && o.stop->load()) return;
    }
  }
}

}  // namespace

StatusOr<BenchReport> run_bench(const BenchOptions& o) {
  std::vector<Endpoint> eps;
  for (const std::string& url : {o.target, o.compare}) {
    if (url.empty()) continue;
    MMS_ASSIGN_OR_RETURN(Endpoint ep, parse_endpoint(url));
    if (!ep.loopback && !o.allow_remote)
      return invalid_argument(url + " is not a loopback address; pass --allow-remote to load a remote server");
    eps.push_back(std::move(ep));
  }
  if (eps.empty()) return invalid_argument("--target is required");
  if (o.num_requests <= 0 || o.num_requests > o.max_requests)
    return invalid_argument(fmt::format("--num-requests must be in [1, {}] (--max-requests)", o.max_requests));
  if (o.compare_mode != "sequential" && o.compare_mode != "interleaved")
    return invalid_argument("--compare-mode must be sequential or interleaved");
  BenchReport rep;
  rep.slo_text = o.slo;
  MMS_ASSIGN_OR_RETURN(rep.slo, parse_slo(o.slo));
  MMS_ASSIGN_OR_RETURN(Trace trace, load_trace(o));
  if (trace.requests.empty()) return invalid_argument("the workload has no requests (check the window)");

  std::string corpus;
  if (!o.corpus_path.empty()) {
    std::ifstream in(o.corpus_path);
    if (!in) return io_error("cannot open corpus " + o.corpus_path);
    std::stringstream ss;
    ss << in.rdbuf();
    corpus = ss.str();
  }
  PromptBuilder prompts(corpus);
  rep.token_counting = calibrate(o, eps[0], prompts);
  WorkloadOptions wo;
  wo.api = o.api;
  wo.model = o.model;
  wo.ignore_eos = o.ignore_eos;
  wo.seed = o.seed;
  MMS_ASSIGN_OR_RETURN(wo.image_format, parse_image_format(o.image_format));
  MMS_ASSIGN_OR_RETURN(std::vector<PlannedRequest> plan, build_plan(trace, prompts, wo));
  rep.workload = fmt::format("{}; {} requests, API {}", trace.source, plan.size(), o.api);
  rep.mode = o.concurrency > 0 ? fmt::format("closed loop, concurrency {}", o.concurrency) : "open loop";
  rep.planned_requests = static_cast<int64_t>(plan.size());
  if (eps.size() == 2)
    rep.compare_mode = o.compare_mode == "interleaved" ? fmt::format("interleaved in slices of {} s", o.slice_s)
                                                       : "sequential (target first, then compare)";

  std::vector<std::vector<RequestRecord>> recs(eps.size());
  if (eps.size() == 2 && o.compare_mode == "interleaved") {
    run_interleaved(o, eps, plan, recs);
  } else {
    for (size_t k = 0; k < eps.size() && !(o.stop && o.stop->load()); ++k)
      recs[k] = run_one(o, eps[k], plan, k == 0 ? "target" : "compare");
  }
  for (size_t k = 0; k < eps.size(); ++k) {
    SystemResult s;
    s.name = k == 0 ? "target" : "compare";
    s.url = eps[k].url;
    s.records = std::move(recs[k]);
    s.summary = summarize_run(s.records, rep.slo);
    rep.systems.push_back(std::move(s));
  }

  if (o.goodput && o.concurrency == 0 && !(o.stop && o.stop->load())) {
    // Probe rates by rescaling the workload's arrival times to each rate (a Poisson trace stays Poisson).
    std::vector<PlannedRequest> base(plan.begin(), plan.begin() + std::min<size_t>(plan.size(), o.goodput_requests));
    const double base_rate = base.size() > 1 && base.back().send_at_s > 0
                                 ? static_cast<double>(base.size() - 1) / base.back().send_at_s : 1.0;
    GoodputSearch gs{o.goodput_min_rate, o.goodput_max_rate, o.goodput_steps, 0.9, 0.05};
    for (size_t k = 0; k < eps.size(); ++k) {
      rep.systems[k].goodput = find_goodput([&](double rate) {
        if (o.stop && o.stop->load()) return 0.0;
        std::vector<PlannedRequest> p = base;
        for (PlannedRequest& r : p) r.send_at_s *= base_rate / rate;
        auto rr = run_one(o, eps[k], p, fmt::format("{} @ {:.2f} req/s", rep.systems[k].name, rate));
        return summarize_run(rr, rep.slo).attainment;
      }, gs);
    }
  }
  rep.interrupted = o.stop && o.stop->load();
  for (const SystemResult& s : rep.systems) rep.interrupted |= s.summary.num_requests < rep.planned_requests;
  MMS_RETURN_IF_ERROR(write_report(rep, o.out_dir));
  return rep;
}

}  // namespace mms::bench
