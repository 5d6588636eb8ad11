// Multimodal serving benchmark (not a test): text streams keep decoding while image requests arrive, on
// a Qwen2.5-VL-shaped model with dummy bf16 weights (decoder and vision tower loaded once). Each mode
// builds a fresh AsyncEngine over the same model and runs the same workload:
//   none    text streams only (its inter-token latency p50 sets the default TPOT target, 1.5x)
//   async   encoder work metered between steps by the TPOT target (EngineOptions::tpot_target_s)
//   inline  each image encoded whole inside the step that first needs it
// It reports the text streams' inter-token latency (p50/p99/max, gaps over the target), aggregate decode
// tokens/s and the image requests' time to first token, as a Markdown table, plus what a reader needs to
// judge the load: preprocessing images/s on one thread, one image's encode time alone, the decode step.
//   build/benchmarks/mm_bench --model tests/data/qwen2.5-vl-3b-instruct.config.json --layers 4 --vision-layers 4
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>
#include <unistd.h>

#include "bench/image_gen.h"
#include "common/compute_pool.h"
#include "common/openmp_env.h"
#include "engine/engine_options.h"
#include "exec/encoder_runner.h"
#include "media/image_decoder.h"
#include "media/qwen2vl_preprocess.h"
#include "model/causal_lm.h"
#include "model/model_loader.h"
#include "model/vision/vision_encoder.h"

using namespace mms;
using Clk = std::chrono::steady_clock;

namespace {

double secs(Clk::time_point a, Clk::time_point b) { return std::chrono::duration<double>(b - a).count(); }

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "mm_bench: %s\n", what.c_str());
  std::exit(1);
}

template <typename T>
T must(StatusOr<T> v, const char* what) {
  if (!v.ok()) die(std::string(what) + ": " + v.status().to_string());
  return std::move(*v);
}

struct Options {
  std::string model = "tests/data/qwen2.5-vl-3b-instruct.config.json";
  int layers = 0, vision_layers = 0;  // 0: the config's depth
  int threads = 0;
  std::string mode = "all";
  int streams = 8, prompt_len = 128, text_max_tokens = 100000;
  int baseline_tokens = 24;  // tokens per stream measured in the text-only run
  int images = 4;
  std::string image_sizes = "448x448,1280x720";
  double image_start_s = 1.0;   // first image after every stream is decoding
  double image_interval_s = 0;  // between arrivals; 0: derived from the encode time alone (see main)
  int image_max_tokens = 8, image_text_tokens = 16;
  double tpot_target_s = 0;  // 0: tpot_factor x the text-only p50 (the engine's own 1.5x when none ran); < 0: the engine's
  double tpot_factor = 1.5;  // the default target's multiple of the text-only p50
  int64_t max_num_batched_tokens = 2048, long_prefill_token_threshold = 0;
  std::string prefill_chunking = "tpot";  // tpot: prefill chunks sized by the TPOT target; tokens: the budget
  std::string kv_cache_memory = "2GiB";
  uint64_t seed = 1;
  double timeout_s = 1800;
  bool solo = true;  // standalone measurements (preprocess rate, encode alone)
  double slice_budget_s = 0;  // the sliced-encode check's budget per call (0: target - step)
  bool timeline = false;  // print image events and text stream 0's gaps over the target
};

// A copy of the config with fewer decoder and/or vision layers, for quick runs; returns the path to load.
std::string cut_config(const Options& o) {
  if (o.layers <= 0 && o.vision_layers <= 0) return o.model;
  namespace fs = std::filesystem;
  const fs::path src = fs::is_directory(o.model) ? fs::path(o.model) / "config.json" : fs::path(o.model);
  std::ifstream in(src);
  if (!in) die("cannot read " + src.string());
  nlohmann::json j = nlohmann::json::parse(in);
  if (o.layers > 0) j["num_hidden_layers"] = o.layers;
  if (o.vision_layers > 0 && j.contains("vision_config")) {
    auto& vc = j["vision_config"];
    const int depth = vc.value("depth", 0);
    std::vector<int> full;  // keep the full-attention pattern (every 8th layer in Qwen2.5-VL), scaled down
    if (vc.contains("fullatt_block_indexes")) {
      const auto idx = vc["fullatt_block_indexes"].get<std::vector<int>>();
      const int period = idx.empty() ? 0 : idx.front() + 1;
      for (int l = period - 1; period > 0 && l < o.vision_layers; l += period) full.push_back(l);
      if (full.empty() && depth > 0) full.push_back(o.vision_layers - 1);
      vc["fullatt_block_indexes"] = full;
    }
    vc["depth"] = o.vision_layers;
  }
  const fs::path dir = fs::temp_directory_path() / ("mm_bench_config_" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "config.json") << j.dump(2);
  return (dir / "config.json").string();
}

std::vector<bench::ImageSize> parse_sizes(const std::string& text) {
  std::vector<bench::ImageSize> out;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');) out.push_back(must(bench::parse_image_size(item), "--image-sizes"));
  if (out.empty()) die("--image-sizes is empty");
  return out;
}

std::string size_name(bench::ImageSize s) { return std::to_string(s.width) + "x" + std::to_string(s.height); }

std::string encoded_image(bench::ImageSize size, uint64_t seed) {
  return must(bench::encode_test_image(size, bench::ImageFormat::kJpeg, seed), "encode_test_image");
}

// JPEG bytes -> RGB -> Qwen2-VL preprocessing (the path a request's image takes).
std::shared_ptr<const media::MediaItem> preprocess(const std::string& jpeg) {
  const auto* p = reinterpret_cast<const uint8_t*>(jpeg.data());
  auto rgb = must(media::decode_image(std::span<const uint8_t>(p, jpeg.size())), "decode_image");
  return std::make_shared<const media::MediaItem>(
      must(media::qwen2vl_preprocess_image(rgb, media::Qwen2VLImageOptions{}), "preprocess"));
}

// Decode + resize + normalize of one JPEG, repeated for about `seconds` on this thread: images/s.
double preprocess_rate(bench::ImageSize size, double seconds) {
  const std::string jpeg = encoded_image(size, 7);
  int n = 0;
  const auto t0 = Clk::now();
  while (n < 3 || secs(t0, Clk::now()) < seconds) {
    preprocess(jpeg);
    ++n;
  }
  return n / secs(t0, Clk::now());
}

struct SoloEncode {
  double seconds = 0, gflop = 0;
};

// One item encoded alone as one job, run to completion (no slicing).
SoloEncode encode_alone(const VisionEncoder& enc, const media::MediaItem& item) {
  VisionInput in;
  in.frames = item.frames;
  in.num_frames = item.num_frames;
  in.height = item.height;
  in.width = item.width;
  auto job = must(enc.start(std::span<const VisionInput>(&in, 1)), "vision start");
  const auto t0 = Clk::now();
  job->run_to_completion();
  return {secs(t0, Clk::now()), static_cast<double>(job->total_flops()) / 1e9};
}

// How the async path slices one item: EncoderRunner::run_for(budget_s) called until the item is done,
// as the model runner does after each step. Returns the wall time of each call; `rates` gets the runner's
// FLOP-rate estimate (what it converts the next budget with) before each call.
std::vector<double> encode_sliced(const VisionEncoder& enc, std::shared_ptr<const media::MediaItem> item,
                                  double budget_s, std::vector<double>* rates) {
  EncoderRunner runner(enc);
  const Status st = runner.start(std::span<const std::shared_ptr<const media::MediaItem>>(&item, 1));
  if (!st.ok()) die("encoder runner: " + st.to_string());
  std::vector<double> walls;
  while (!runner.idle()) {
    rates->push_back(runner.flops_per_second());
    const auto t0 = Clk::now();
    runner.run_for(budget_s);
    walls.push_back(secs(t0, Clk::now()));
  }
  return walls;
}

struct ImageSpec {
  std::string size_name;
  std::shared_ptr<const media::MediaItem> item;
  double arrival_s = 0;  // after every text stream is decoding
};

struct RunResult {
  std::string mode;
  double target_s = 0;  // TPOT target in force (0: none)
  std::vector<double> gaps;
  double decode_tok_s = 0, window_s = 0;
  std::vector<double> ttft;  // per image, -1 when it never got a token
  std::vector<double> image_submit_s, image_first_s;        // after t_dec (first: -1 when none)
  // Text stream 0's steps: each gap with the work of the step it waited for (engine stats deltas).
  struct Step {
    double t = 0, gap = 0, encoder_s = 0;  // token time after t_dec, gap before it, encoder time in the step
    int64_t prompt_tokens = 0, steps = 0;  // prompt tokens computed in it; engine steps it spans (1 normally)
  };
  std::vector<Step> stream0;
  double max_step_encoder_s = 0;  // longest encoder time inside one step (async: vs target - step)
  double encoder_s = 0;
  int64_t steps = 0, preemptions = 0;
  bool timed_out = false;
};

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

// Callback-side record of one run: token times per text stream, TTFT per image request.
struct Recorder {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::vector<Clk::time_point>> token_times;  // per text stream
  // At each callback of text stream 0: the engine's stats, which then cover every step before this one.
  std::vector<EngineStats> stats0;
  int text_finished = 0;
  std::vector<Clk::time_point> image_submit, image_first;
  std::vector<bool> image_got_first, image_done;
  int images_done = 0;
};

std::vector<int32_t> random_ids(std::mt19937& rng, int n) {
  std::uniform_int_distribution<int32_t> id(0, 99999);  // ordinary text ids, below the special tokens
  std::vector<int32_t> v;
  for (int i = 0; i < n; ++i) v.push_back(id(rng));
  return v;
}

// One mode: fresh engine, text streams, then the images at their arrival times.
RunResult run_mode(const Options& o, const std::string& mode, double target_s, CausalLm& lm, const ModelConfig& cfg,
                   const VisionEncoder& vision, const std::vector<ImageSpec>& images) {
  RunResult res;
  res.mode = mode;
  EngineOptions eo;
  eo.kv_cache_memory = o.kv_cache_memory;
  eo.max_num_batched_tokens = o.max_num_batched_tokens;
  eo.long_prefill_token_threshold = o.long_prefill_token_threshold;
  eo.enable_prefix_caching = false;
  eo.vision = &vision;
  eo.encoder_mode = mode == "inline" ? EncoderMode::kInline : EncoderMode::kAsync;
  // Every mode keeps the same target for prefill chunks; only async meters the encoder by it.
  eo.tpot_target_s = std::max(0.0, target_s);
  eo.meter_prefill = o.prefill_chunking == "tpot";
  auto engine = must(create_async_engine(eo, lm), "create_async_engine");
  const bool with_images = mode != "none";
  const size_t n_img = with_images ? images.size() : 0;

  Recorder rec;
  rec.token_times.resize(static_cast<size_t>(o.streams));
  rec.image_submit.resize(n_img);
  rec.image_first.resize(n_img);
  rec.image_got_first.assign(n_img, false);
  rec.image_done.assign(n_img, false);
  std::mt19937 rng(static_cast<uint32_t>(o.seed));
  const int64_t max_len = engine->max_model_len();
  for (int s = 0; s < o.streams; ++s) {
    EngineRequest r;
    r.req_id = "text-" + std::to_string(s);
    r.prompt_token_ids = random_ids(rng, o.prompt_len);
    r.stop.max_tokens = static_cast<int32_t>(std::min<int64_t>(o.text_max_tokens, max_len - o.prompt_len));
    r.stop.ignore_eos = true;
    AsyncEngine* eng = engine.get();
    Status st = engine->add_request(std::move(r), [&rec, s, eng](RequestOutput out) {
      const auto now = Clk::now();
      const EngineStats stats = s == 0 && !out.new_token_ids.empty() ? eng->stats() : EngineStats{};
      std::lock_guard<std::mutex> lock(rec.mu);
      if (s == 0 && !out.new_token_ids.empty()) rec.stats0.push_back(stats);
      auto& t = rec.token_times[static_cast<size_t>(s)];
      t.insert(t.end(), out.new_token_ids.size(), now);
      if (out.finished()) ++rec.text_finished;
      rec.cv.notify_all();
    });
    if (!st.ok()) die("add_request: " + st.to_string());
  }
  const auto deadline = Clk::now() + std::chrono::duration_cast<Clk::duration>(std::chrono::duration<double>(o.timeout_s));
  auto min_tokens = [&] {
    size_t m = SIZE_MAX;
    for (const auto& t : rec.token_times) m = std::min(m, t.size());
    return m;
  };
  std::unique_lock<std::mutex> lock(rec.mu);
  // Steady state: every stream has its first decode token (the prefill gap is not an inter-token gap).
  res.timed_out = !rec.cv.wait_until(lock, deadline, [&] { return min_tokens() >= 2; });
  const auto t_dec = Clk::now();
  const size_t base_tokens = min_tokens();
  lock.unlock();

  for (size_t i = 0; i < n_img && !res.timed_out; ++i) {
    const ImageSpec& im = images[i];
    std::this_thread::sleep_until(t_dec + std::chrono::duration_cast<Clk::duration>(std::chrono::duration<double>(im.arrival_s)));
    EngineRequest r;
    r.req_id = "image-" + std::to_string(i);
    const auto text = random_ids(rng, o.image_text_tokens);
    const int n_pre = o.image_text_tokens / 2;
    r.prompt_token_ids.assign(text.begin(), text.begin() + n_pre);
    r.prompt_token_ids.push_back(*cfg.vision_start_token_id);
    const int64_t offset = static_cast<int64_t>(r.prompt_token_ids.size());
    r.prompt_token_ids.insert(r.prompt_token_ids.end(), static_cast<size_t>(im.item->num_tokens), *cfg.image_token_id);
    r.prompt_token_ids.push_back(*cfg.vision_end_token_id);
    r.prompt_token_ids.insert(r.prompt_token_ids.end(), text.begin() + n_pre, text.end());
    r.mm_inputs.push_back(MmInputRef{im.item->hash, offset, im.item->num_tokens,
                                     im.item->grid_t * im.item->grid_h * im.item->grid_w});
    r.mm_items.push_back(im.item);
    r.stop.max_tokens = o.image_max_tokens;
    r.stop.ignore_eos = true;
    {
      std::lock_guard<std::mutex> g(rec.mu);
      rec.image_submit[i] = Clk::now();
    }
    Status st = engine->add_request(std::move(r), [&rec, i](RequestOutput out) {
      const auto now = Clk::now();
      std::lock_guard<std::mutex> g(rec.mu);
      if (!out.new_token_ids.empty() && !rec.image_got_first[i]) {
        rec.image_got_first[i] = true;
        rec.image_first[i] = now;
      }
      if (out.finished()) {
        rec.image_done[i] = true;
        ++rec.images_done;
      }
      rec.cv.notify_all();
    });
    if (!st.ok()) die("add_request (image " + std::to_string(i) + "): " + st.to_string());
  }

  lock.lock();
  if (with_images) {
    res.timed_out = res.timed_out || !rec.cv.wait_until(lock, deadline, [&] { return rec.images_done == static_cast<int>(n_img); });
  } else {
    res.timed_out = res.timed_out || !rec.cv.wait_until(lock, deadline, [&] {
      return min_tokens() >= base_tokens + static_cast<size_t>(o.baseline_tokens);
    });
  }
  const auto t_end = Clk::now();
  lock.unlock();
  const EngineStats stats = engine->stats();
  for (int s = 0; s < o.streams; ++s) engine->abort_request("text-" + std::to_string(s));
  for (size_t i = 0; i < n_img; ++i) engine->abort_request("image-" + std::to_string(i));
  engine->shutdown(5);

  std::lock_guard<std::mutex> g(rec.mu);
  int64_t tokens_in_window = 0;
  for (const auto& t : rec.token_times) {
    for (size_t k = 1; k < t.size(); ++k) {
      if (t[k] <= t_dec || t[k] > t_end) continue;
      res.gaps.push_back(secs(t[k - 1], t[k]));
      ++tokens_in_window;
      // Token k of stream 0 came from the step whose work the stats at callback k+1 add.
      if (&t == &rec.token_times[0] && k + 1 < rec.stats0.size() && rec.stats0.size() == t.size()) {
        const EngineStats &a = rec.stats0[k], &b = rec.stats0[k + 1];
        RunResult::Step st{secs(t_dec, t[k]), secs(t[k - 1], t[k]), b.encoder_seconds_total - a.encoder_seconds_total,
                           b.prompt_tokens_total - a.prompt_tokens_total, b.num_steps - a.num_steps};
        res.stream0.push_back(st);
        if (st.steps == 1) res.max_step_encoder_s = std::max(res.max_step_encoder_s, st.encoder_s);
      }
    }
  }
  res.window_s = secs(t_dec, t_end);
  res.decode_tok_s = static_cast<double>(tokens_in_window) / std::max(1e-9, res.window_s);
  for (size_t i = 0; i < n_img; ++i) {
    res.ttft.push_back(rec.image_got_first[i] ? secs(rec.image_submit[i], rec.image_first[i]) : -1);
    res.image_submit_s.push_back(secs(t_dec, rec.image_submit[i]));
    res.image_first_s.push_back(rec.image_got_first[i] ? secs(t_dec, rec.image_first[i]) : -1);
  }
  res.target_s = mode == "async" ? stats.tpot_target_s : target_s;
  res.encoder_s = stats.encoder_seconds_total;
  res.steps = stats.num_steps;
  res.preemptions = stats.num_preemptions;
  return res;
}

std::string fmt_s(double v) {
  if (std::isnan(v)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, v < 10 ? "%.3f" : "%.1f", v);
  return buf;
}

void print_row(const RunResult& r, const std::vector<ImageSpec>& images, const std::vector<bench::ImageSize>& sizes,
               double ref_target) {
  const double target = r.target_s > 0 ? r.target_s : ref_target;
  int64_t over = 0;
  for (double g : r.gaps) over += target > 0 && g > target ? 1 : 0;
  std::string ttft_by_size;
  for (const auto& sz : sizes) {
    std::vector<double> v;
    for (size_t i = 0; i < r.ttft.size(); ++i) {
      if (images[i].size_name == size_name(sz) && r.ttft[i] >= 0) v.push_back(r.ttft[i]);
    }
    if (v.empty()) continue;
    double mean = 0;
    for (double x : v) mean += x;
    mean /= static_cast<double>(v.size());
    ttft_by_size += (ttft_by_size.empty() ? "" : ", ") + size_name(sz) + ": " + fmt_s(mean) + " (max " +
                    fmt_s(*std::max_element(v.begin(), v.end())) + ")";
  }
  const int missing = static_cast<int>(std::count(r.ttft.begin(), r.ttft.end(), -1.0));
  if (missing > 0) ttft_by_size += " [" + std::to_string(missing) + " without a token]";
  std::printf("| %s%s | %s | %s | %s | %s | %lld / %zu | %.2f | %s | %s | %.1f (%.3f) |\n", r.mode.c_str(),
              r.timed_out ? " (timed out)" : "", r.mode == "async" ? fmt_s(r.target_s).c_str() : "-",
              fmt_s(percentile(r.gaps, 0.5)).c_str(), fmt_s(percentile(r.gaps, 0.99)).c_str(),
              fmt_s(r.gaps.empty() ? NAN : *std::max_element(r.gaps.begin(), r.gaps.end())).c_str(),
              static_cast<long long>(over), r.gaps.size(), r.decode_tok_s, ttft_by_size.empty() ? "-" : ttft_by_size.c_str(),
              fmt_s(r.window_s).c_str(), r.encoder_s, r.max_step_encoder_s);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  ensure_openmp_wait_policy(argv);
  CLI::App app{"mmserve multimodal benchmark: text streams' inter-token latency while images arrive"};
  Options o;
  app.add_option("--model,--config", o.model, "config.json (or a directory holding one); weights are dummy bf16");
  app.add_option("--layers", o.layers, "Decoder layers (0: the config's); fewer for quick runs");
  app.add_option("--vision-layers", o.vision_layers, "Vision tower depth (0: the config's)");
  app.add_option("--threads", o.threads, "Compute threads (0: all cores)");
  app.add_option("--mode", o.mode)->check(CLI::IsMember({"all", "none", "async", "inline"}));
  app.add_option("--streams", o.streams, "Text streams decoding throughout");
  app.add_option("--prompt-len", o.prompt_len, "Prompt tokens of each text stream");
  app.add_option("--baseline-tokens", o.baseline_tokens, "Tokens per stream measured in the text-only run");
  app.add_option("--images", o.images, "Image requests per run");
  app.add_option("--image-sizes", o.image_sizes, "WxH list, cycled over the image requests");
  app.add_option("--image-start", o.image_start_s, "Seconds from steady decoding to the first image");
  app.add_option("--image-interval", o.image_interval_s,
                 "Seconds between image arrivals (0: 1.5x the time the TPOT target leaves the encoder for the previous image)");
  app.add_option("--image-max-tokens", o.image_max_tokens, "Output tokens of an image request");
  app.add_option("--tpot-target", o.tpot_target_s, "TPOT target of the async run (0: --tpot-factor x the text-only ITL p50; -1: the engine's own, 1.5x its measured step)");
  app.add_option("--tpot-factor", o.tpot_factor, "The default TPOT target's multiple of the text-only ITL p50 (needs the none run)")
      ->check(CLI::Range(1.0, 100.0));
  app.add_option("--max-num-batched-tokens", o.max_num_batched_tokens);
  app.add_option("--long-prefill-token-threshold", o.long_prefill_token_threshold);
  app.add_option("--prefill-chunking", o.prefill_chunking, "tpot (prefill chunks sized by the TPOT target) | tokens")
      ->check(CLI::IsMember({"tpot", "tokens"}));
  app.add_option("--kv-cache-memory", o.kv_cache_memory);
  app.add_option("--seed", o.seed);
  app.add_option("--timeout", o.timeout_s, "Seconds per run at most");
  app.add_flag("!--no-solo", o.solo, "Skip the standalone preprocess/encode measurements");
  app.add_option("--slice-budget", o.slice_budget_s, "Budget per call of the sliced-encode check (0: target - step)");
  app.add_flag("--timeline", o.timeline, "Print image events and text stream 0's gaps over the target per run");
  CLI11_PARSE(app, argc, argv);
  if (o.threads > 0) set_compute_threads(o.threads);
  std::string command = "build/benchmarks/mm_bench";
  for (int i = 1; i < argc; ++i) command += std::string(" ") + argv[i];

  const std::string config_path = cut_config(o);
  LoadOptions lo;
  lo.load_format = LoadFormat::kDummy;
  lo.dummy_seed = o.seed;
  const auto t_load = Clk::now();
  LoadedModel loaded = must(load_model(config_path, lo), "load_model");
  auto lm = must(create_causal_lm(loaded.config, *loaded.weights), "create_causal_lm");
  auto vision = must(load_vision_encoder(config_path, lo), "load_vision_encoder");
  const ModelConfig& cfg = loaded.config;
  if (!cfg.image_token_id || !cfg.vision_start_token_id || !cfg.vision_end_token_id) die("the config has no image tokens");
  std::printf("model %s: %d decoder layers, vision depth %lld, dummy bf16 weights (loaded in %.1f s); %d compute threads\n",
              o.model.c_str(), static_cast<int>(cfg.num_hidden_layers), static_cast<long long>(vision->config().num_layers),
              secs(t_load, Clk::now()), compute_threads());

  // The images: distinct pixels per request (no encoder-cache hits), the same set in every mode.
  const auto sizes = parse_sizes(o.image_sizes);
  std::vector<ImageSpec> images;
  for (int i = 0; i < o.images; ++i) {
    const bench::ImageSize s = sizes[static_cast<size_t>(i) % sizes.size()];
    images.push_back(ImageSpec{size_name(s), preprocess(encoded_image(s, o.seed * 1000 + static_cast<uint64_t>(i)))});
  }

  const bool all = o.mode == "all";
  std::vector<RunResult> results;
  double step_s = NAN;  // text-only ITL p50: the decode step at `streams` streams
  double target = o.tpot_target_s;
  if (all || o.mode == "none") {
    results.push_back(run_mode(o, "none", 0, *lm, cfg, *vision, images));
    step_s = percentile(results.back().gaps, 0.5);
    if (target == 0) target = o.tpot_factor * step_s;
  }
  // What the async run's encoder gets per step: target - step (the engine's EMA of the step).
  const double slice_s = o.slice_budget_s > 0 ? o.slice_budget_s : target > 0 && !std::isnan(step_s) ? std::max(0.002, target - step_s) : 0.1;

  // Alone: preprocessing rate, one encode per size (the whole job, no slicing), and how the first size
  // is sliced at the async run's per-step budget.
  std::map<std::string, SoloEncode> solo;
  std::printf("\n| measured alone (one process; other tenants may share the cores) | |\n|---|---|\n");
  if (!std::isnan(step_s)) {
    std::printf("| decode step at %d streams (text-only ITL p50) | %.3f s (%.1f tok/s) |\n", o.streams, step_s,
                results.back().decode_tok_s);
  }
  for (const auto& s : sizes) {
    if (!o.solo) break;
    std::printf("| %s JPEG decode + resize + normalize, one thread | %.1f images/s |\n", size_name(s).c_str(),
                preprocess_rate(s, 2.0));
    std::fflush(stdout);
  }
  for (const auto& s : sizes) {
    if (!o.solo) break;
    const auto item = preprocess(encoded_image(s, 99));
    if (&s == &sizes.front()) {  // sliced first: it also warms the kernels up for the timed encodes
      std::vector<double> rates;
      std::vector<double> walls = encode_sliced(*vision, item, slice_s, &rates);
      double total = 0;
      for (double w : walls) total += w;
      std::printf("| encode %s sliced at %.3f s per call (EncoderRunner::run_for, as the async run) | %zu slices, p50 %.3f s, "
                  "p99 %.3f s, max %.3f s, total %.2f s; its rate estimate %.0f-%.0f GFLOP/s |\n",
                  size_name(s).c_str(), slice_s, walls.size(), percentile(walls, 0.5), percentile(walls, 0.99),
                  *std::max_element(walls.begin(), walls.end()), total,
                  *std::min_element(rates.begin(), rates.end()) / 1e9, *std::max_element(rates.begin(), rates.end()) / 1e9);
    }
    const SoloEncode e = encode_alone(*vision, *item);
    solo[size_name(s)] = e;
    std::printf("| encode %s alone -> %lldx%lld, %lld patches, %lld tokens, %.0f GFLOP | %.2f s (%.1f GFLOP/s) |\n",
                size_name(s).c_str(), static_cast<long long>(item->width), static_cast<long long>(item->height),
                static_cast<long long>(item->grid_t * item->grid_h * item->grid_w),
                static_cast<long long>(item->num_tokens), e.gflop, e.seconds, e.gflop / e.seconds);
    std::fflush(stdout);
  }

  // Arrivals: fixed, the same in every mode. Auto spacing: the encoder gets (target - step) of every
  // `target` seconds, so one image needs about solo_s * target / (target - step) of wall time.
  const double share = target > 0 && !std::isnan(step_s) && target > step_s ? (target - step_s) / target : 1.0 / 3.0;
  double at = o.image_start_s;
  for (ImageSpec& im : images) {
    im.arrival_s = at;
    double gap = o.image_interval_s;
    if (gap <= 0) {
      if (solo.empty()) die("--image-interval 0 needs the standalone encode times (drop --no-solo)");
      gap = 1.5 * solo[im.size_name].seconds / share;
    }
    at += gap;
  }
  if (!images.empty() && o.mode != "none") {
    std::printf("\nimage arrivals (s after all streams decode):");
    for (const ImageSpec& im : images) std::printf(" %s@%.1f", im.size_name.c_str(), im.arrival_s);
    std::printf("  (tokens:");
    for (const auto& s : sizes) {
      for (const ImageSpec& im : images) {
        if (im.size_name == size_name(s)) {
          std::printf(" %s=%lld", im.size_name.c_str(), static_cast<long long>(im.item->num_tokens));
          break;
        }
      }
    }
    std::printf(")\n");
    std::fflush(stdout);
  }
  for (const char* m : {"async", "inline"}) {
    if (all || o.mode == m) results.push_back(run_mode(o, m, target, *lm, cfg, *vision, images));
  }
  for (const RunResult& r : results) {  // an engine-chosen target: count every run's gaps against it
    if (target <= 0 && r.mode == "async") target = r.target_s;
  }
  if (all) {  // the text-only run again: how far the machine drifted during the image runs
    results.push_back(run_mode(o, "none", 0, *lm, cfg, *vision, images));
    results.back().mode = "none (again, last)";
  }

  char factor[32];
  std::snprintf(factor, sizeof factor, "%gx the text-only p50", o.tpot_factor);
  const std::string against = o.tpot_target_s > 0   ? "--tpot-target"
                              : o.tpot_target_s < 0 ? "the engine's final target"
                                                    : factor;
  std::printf("\n```\n%s\n```\n\n", command.c_str());
  std::printf("%d text streams (%d-token prompts, decoding throughout), %zu image requests (%d output tokens each); "
              "ITL over every text token in the window (steady decoding until the last image request finished; "
              "text-only: %d tokens per stream). Gaps over target counted against %s.\n\n",
              o.streams, o.prompt_len, images.size(), o.image_max_tokens, o.baseline_tokens,
              against.c_str());
  std::printf("| mode | TPOT target s | text ITL p50 s | p99 s | max s | gaps > target | decode tok/s | image TTFT s, mean (max) | window s | encoder s (longest in one step) |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|\n");
  for (const RunResult& r : results) print_row(r, images, sizes, target);
  for (const RunResult& r : results) {
    if (r.ttft.empty()) continue;
    std::printf("%s: steps %lld, preemptions %lld, TTFT per image:", r.mode.c_str(), static_cast<long long>(r.steps),
                static_cast<long long>(r.preemptions));
    for (size_t i = 0; i < r.ttft.size(); ++i) std::printf(" %s=%s", images[i].size_name.c_str(), fmt_s(r.ttft[i]).c_str());
    std::printf("\n");
    if (!o.timeline) continue;
    for (size_t i = 0; i < r.ttft.size(); ++i) {
      std::printf("  image %zu (%s): submitted %.2f s, first token %.2f s\n", i, images[i].size_name.c_str(),
                  r.image_submit_s[i], r.image_first_s[i]);
    }
    for (const RunResult::Step& st : r.stream0) {
      if (st.gap <= (r.target_s > 0 ? r.target_s : target)) continue;
      std::printf("  stream 0: token at %.2f s after a %.3f s gap; that step: encoder %.3f s, %lld prompt tokens, %lld step(s)\n",
                  st.t, st.gap, st.encoder_s, static_cast<long long>(st.prompt_tokens), static_cast<long long>(st.steps));
    }
  }
  if (config_path != o.model) std::filesystem::remove_all(std::filesystem::path(config_path).parent_path());
  return 0;
}
