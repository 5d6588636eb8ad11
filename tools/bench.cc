// `mmserve bench`: load generator for any OpenAI-compatible server. Parses options into
// bench::BenchOptions, installs a Ctrl-C handler (first SIGINT: stop and write what was measured;
// second: default action), runs, prints the Markdown summary.
#include <CLI/CLI.hpp>

#include <atomic>
#include <csignal>
#include <cstdio>

#include "bench/bench_runner.h"
#include "bench/report.h"
#include "common/log.h"
#include "tools/commands.h"

namespace mms::tools {
namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_sigint(int) {
  g_stop.store(true);
  std::signal(SIGINT, SIG_DFL);
}

}  // namespace

void add_bench_options(CLI::App& app, bench::BenchOptions& o) {
  app.add_option("--target", o.target, "Base URL of the server under test (http://127.0.0.1:8000)")->required();
  app.add_option("--compare", o.compare, "Base URL of a second server that gets the same requests");
  app.add_option("--compare-mode", o.compare_mode, "sequential | interleaved")
      ->check(CLI::IsMember({"sequential", "interleaved"}));
  app.add_option("--slice", o.slice_s, "Interleaved comparison: trace seconds per slice");
  app.add_flag("--allow-remote", o.allow_remote, "Allow non-loopback targets");
  app.add_option("--api", o.api, "chat | completions")->check(CLI::IsMember({"chat", "completions"}));
  app.add_option("--model", o.model, "Model name sent in requests");
  app.add_option("--api-key", o.api_key, "Bearer token");
  app.add_option("--trace", o.trace, "synthetic | azure | mooncake | burstgpt | servegen")
      ->check(CLI::IsMember({"synthetic", "azure", "mooncake", "burstgpt", "servegen"}));
  app.add_option("--trace-path", o.trace_path, "Trace file (servegen: the directory of chunk-* files)");
  app.add_option("--servegen-clients", o.servegen_clients, "ServeGen client ids (default: all)")->delimiter(',');
  app.add_option("--window-start", o.window_start_s, "Trace window start (s)");
  app.add_option("--window", o.window_duration_s, "Trace window length (s, 0 = to the end)");
  app.add_option("--rate-scale", o.rate_scale, "Multiply the trace's request rate")->check(CLI::PositiveNumber);
  app.add_option("--arrival", o.arrival, "Synthetic arrivals: poisson | gamma")->check(CLI::IsMember({"poisson", "gamma"}));
  app.add_option("--rate", o.rate, "Synthetic request rate (req/s)")->check(CLI::PositiveNumber);
  app.add_option("--cv", o.cv, "Synthetic gamma coefficient of variation")->check(CLI::PositiveNumber);
  app.add_option("--concurrency", o.concurrency, "Closed loop with N requests in flight (0 = open loop)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("-n,--num-requests", o.num_requests, "Requests to send");
  app.add_option("--input-tokens", o.input_tokens, "Synthetic prompt length (tokens)");
  app.add_option("--output-tokens", o.output_tokens, "Synthetic output length (tokens)");
  app.add_option("--images", o.images_per_request, "Synthetic images per request");
  app.add_option("--image-size", o.image_size, "Synthetic image size WxH");
  app.add_option("--image-format", o.image_format, "jpeg | png")->check(CLI::IsMember({"jpeg", "png"}));
  app.add_option("--corpus", o.corpus_path, "Text file to draw prompt words from");
  app.add_flag("!--no-tokenize", o.tokenize, "Do not calibrate prompt lengths with the target's /tokenize");
  app.add_flag("!--no-ignore-eos", o.ignore_eos, "Do not send ignore_eos (for servers that reject it)");
  app.add_option("--seed", o.seed, "Seed for arrivals, prompts and images");
  app.add_option("--slo", o.slo, "SLO, e.g. ttft=2s,tpot=100ms[,e2e=30s]");
  app.add_flag("--goodput", o.goodput, "Search the highest rate with >= 90% SLO attainment (open loop)");
  app.add_option("--goodput-min-rate", o.goodput_min_rate, "Lowest rate probed")->check(CLI::PositiveNumber);
  app.add_option("--goodput-max-rate", o.goodput_max_rate, "Highest rate probed")->check(CLI::PositiveNumber);
  app.add_option("--goodput-steps", o.goodput_steps, "Runs in the search")->check(CLI::Range(1, 30));
  app.add_option("--goodput-requests", o.goodput_requests, "Requests per probed rate");
  app.add_option("--max-requests", o.max_requests, "Hard cap on --num-requests");
  app.add_option("--max-duration", o.max_duration_s, "Hard cap on one run's seconds")->check(CLI::PositiveNumber);
  app.add_option("--request-timeout", o.request_timeout_s, "Per-request timeout (s)")->check(CLI::PositiveNumber);
  app.add_option("-o,--out", o.out_dir, "Report directory");
  app.add_flag("!--no-progress", o.progress, "No progress bar");
}

int run_bench_command(bench::BenchOptions o) {
  o.stop = &g_stop;
  std::signal(SIGINT, on_sigint);
  auto rep = bench::run_bench(o);
  std::signal(SIGINT, SIG_DFL);
  if (!rep.ok()) {
    log_error("bench: {}", rep.status().to_string());
    return 2;
  }
  std::fputs(bench::markdown_summary(*rep).c_str(), stdout);
  std::printf("\nreport: %s/{report.json,summary.md,*.svg}\n", o.out_dir.c_str());
  return rep->interrupted ? 130 : 0;
}

}  // namespace mms::tools
