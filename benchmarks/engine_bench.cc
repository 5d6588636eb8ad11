// Engine benchmark (not a test): aggregate decode tokens/s through AsyncEngine (continuous batching) at
// 1, 4, 8 and 16 concurrent streams, with mean TTFT and the longest pause of any running stream.
//   build/benchmarks/engine_bench --model tests/data/qwen2.5-0.5b-instruct.config.json --load-format dummy
// --stagger S submits stream i at i x S seconds, so newcomers are prefilled while earlier streams decode
// (the pause column then shows what admitting a prompt costs a running stream); --prefill-chunking tpot|tokens
// and --tpot-target choose how those prefills are chunked.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include "common/compute_pool.h"
#include "common/openmp_env.h"
#include "engine/engine_options.h"
#include "model/causal_lm.h"
#include "model/model_loader.h"

using namespace mms;
using Clk = std::chrono::steady_clock;

namespace {

double secs(Clk::time_point a, Clk::time_point b) { return std::chrono::duration<double>(b - a).count(); }

struct StreamTimes {
  Clk::time_point first, last;
  double max_gap_s = 0;
  int64_t tokens = 0;
  std::vector<Clk::time_point> token_times;  // one per token
};

void run_level(AsyncEngine& engine, int streams, int prompt_len, int gen_len, int64_t vocab, int level_id,
               double stagger_s) {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<StreamTimes> times(static_cast<size_t>(streams));
  int done = 0;
  std::mt19937 rng(static_cast<uint32_t>(level_id));
  std::uniform_int_distribution<int32_t> id(0, static_cast<int32_t>(std::min<int64_t>(vocab, 100000) - 1));
  const auto start = Clk::now();
  for (int s = 0; s < streams; ++s) {
    if (stagger_s > 0 && s > 0) {
      std::this_thread::sleep_until(start + std::chrono::duration_cast<Clk::duration>(std::chrono::duration<double>(s * stagger_s)));
    }
    EngineRequest r;
    r.req_id = "L" + std::to_string(level_id) + "-" + std::to_string(s);
    for (int i = 0; i < prompt_len; ++i) r.prompt_token_ids.push_back(id(rng));
    r.stop.max_tokens = gen_len;
    r.stop.ignore_eos = true;
    Status st = engine.add_request(std::move(r), [&, s](RequestOutput o) {
      const auto now = Clk::now();
      std::lock_guard<std::mutex> lock(mu);
      StreamTimes& t = times[static_cast<size_t>(s)];
      if (!o.new_token_ids.empty()) {
        if (t.tokens == 0) t.first = now;
        else t.max_gap_s = std::max(t.max_gap_s, secs(t.last, now));
        t.last = now;
        t.tokens += static_cast<int64_t>(o.new_token_ids.size());
        for (size_t k = 0; k < o.new_token_ids.size(); ++k) t.token_times.push_back(now);
      }
      if (o.finished()) {
        ++done;
        cv.notify_all();
      }
    });
    if (!st.ok()) std::fprintf(stderr, "add_request: %s\n", st.to_string().c_str());
  }
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return done == streams; });
  const auto end = Clk::now();
  int64_t decode_tokens = 0;
  double ttft = 0, max_gap = 0;
  auto first_first = end;
  for (const auto& t : times) {
    decode_tokens += t.tokens - 1;
    ttft += secs(start, t.first);
    max_gap = std::max(max_gap, t.max_gap_s);
    first_first = std::min(first_first, t.first);
  }
  const double total_s = secs(start, end);
  // Steady state: tokens emitted while every stream was decoding (after the last first token, before the
  // first stream finished), over that window.
  auto last_first = times[0].first, first_end = times[0].last;
  for (const auto& t : times) {
    last_first = std::max(last_first, t.first);
    first_end = std::min(first_end, t.last);
  }
  int64_t steady_tokens = 0;
  for (const auto& t : times) {
    for (const auto& tp : t.token_times) steady_tokens += (tp > last_first && tp <= first_end) ? 1 : 0;
  }
  const double steady_s = secs(last_first, first_end);
  // Decode rate: tokens after each stream's first, over the span from the first first-token to the end.
  const EngineStats st = engine.stats();
  // Every gap between a stream's consecutive token callbacks (one step apart when nothing else runs).
  std::vector<double> gaps;
  for (const auto& t : times) {
    for (size_t k = 1; k < t.token_times.size(); ++k) {
      if (t.token_times[k] != t.token_times[k - 1]) gaps.push_back(secs(t.token_times[k - 1], t.token_times[k]));
    }
  }
  std::sort(gaps.begin(), gaps.end());
  auto pct = [&](double q) { return gaps.empty() ? 0.0 : gaps[std::min(gaps.size() - 1, static_cast<size_t>(q * gaps.size()))]; };
  const auto over = std::count_if(gaps.begin(), gaps.end(), [&](double g) { return g > st.tpot_target_s; });
  // No steady state when streams arrive staggered and never all decode together for two steps: "-".
  char steady[32] = "       -";
  if (steady_s > 0 && steady_tokens >= 2 * static_cast<int64_t>(streams)) {
    std::snprintf(steady, sizeof steady, "%8.1f", static_cast<double>(steady_tokens) / steady_s);
  }
  std::printf("| %2d | %s | %8.1f | %8.1f | %7.3f | %7.3f / %.3f / %.3f | %lld / %zu | %6.2f | %.3f / %.3f / %.2f ms |\n", streams,
              steady,
              static_cast<double>(decode_tokens) / std::max(1e-9, secs(first_first, end)),
              static_cast<double>(decode_tokens + streams) / total_s, ttft / streams, pct(0.5), pct(0.99), max_gap,
              static_cast<long long>(over), gaps.size(), total_s,
              st.tpot_target_s, st.decode_step_s, st.prefill_token_s * 1e3);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  mms::ensure_openmp_wait_policy(argv);
  CLI::App app{"mmserve engine benchmark"};
  std::string model = "tests/data/qwen2.5-0.5b-instruct.config.json";
  std::string load_format = "dummy";
  std::string kv_cache_memory = "2GiB";
  std::string kv_cache_dtype = "auto";
  std::string levels = "1,4,8,16";
  double stagger_s = 0, tpot_target_s = 0;
  std::string prefill_chunking = "auto";
  int threads = 0, prompt_len = 128, gen_len = 128, max_num_batched_tokens = 2048;
  app.add_option("--model", model);
  app.add_option("--load-format", load_format)->check(CLI::IsMember({"auto", "dummy"}));
  app.add_option("--threads", threads);
  app.add_option("--prompt-len", prompt_len);
  app.add_option("--gen-len", gen_len);
  app.add_option("--levels", levels, "Comma-separated concurrent stream counts");
  app.add_option("--kv-cache-memory", kv_cache_memory);
  app.add_option("--kv-cache-dtype", kv_cache_dtype, "auto | f32 | f16")->check(CLI::IsMember({"auto", "f32", "f16"}));
  app.add_option("--max-num-batched-tokens", max_num_batched_tokens);
  app.add_option("--stagger", stagger_s, "Seconds between stream arrivals (0: all at once)");
  app.add_option("--prefill-chunking", prefill_chunking, "tpot | tokens | auto (tpot with --tpot-target)")
      ->check(CLI::IsMember({"auto", "tpot", "tokens"}));
  app.add_option("--tpot-target", tpot_target_s, "Seconds (0: 1.5x the measured decode step)");
  CLI11_PARSE(app, argc, argv);
  if (threads > 0) set_compute_threads(threads);

  LoadOptions lo;
  lo.load_format = load_format == "dummy" ? LoadFormat::kDummy : LoadFormat::kAuto;
  auto loaded = load_model(model, lo);
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s\n", loaded.status().to_string().c_str());
    return 1;
  }
  auto lm = create_causal_lm(loaded->config, *loaded->weights);
  if (!lm.ok()) {
    std::fprintf(stderr, "%s\n", lm.status().to_string().c_str());
    return 1;
  }
  EngineOptions eo;
  eo.kv_cache_memory = kv_cache_memory;
  eo.kv_cache_dtype = kv_cache_dtype;
  eo.max_num_batched_tokens = max_num_batched_tokens;
  eo.enable_prefix_caching = false;  // random prompts anyway; keep runs independent
  eo.meter_prefill = prefill_chunking == "tpot" || (prefill_chunking == "auto" && tpot_target_s > 0);
  eo.tpot_target_s = tpot_target_s;
  auto engine = create_async_engine(eo, **lm);
  if (!engine.ok()) {
    std::fprintf(stderr, "%s\n", engine.status().to_string().c_str());
    return 1;
  }
  std::printf("prompt %d tokens, %d output tokens per stream\n", prompt_len, gen_len);
  std::printf("| streams | steady decode tok/s (all streams decoding) | decode tok/s (from first token) | "
              "output tok/s (whole run) | mean TTFT s | gap p50 / p99 / max (longest pause) s | gaps > TPOT target | "
              "run s | TPOT target / decode step s / prompt token |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|\n");
  std::stringstream ss(levels);
  std::string item;
  int level_id = 0;
  while (std::getline(ss, item, ',')) run_level(**engine, std::stoi(item), prompt_len, gen_len, loaded->config.vocab_size, level_id++, stagger_s);
  (*engine)->shutdown(0);
  return 0;
}
