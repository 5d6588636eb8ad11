// Vision encoder benchmark (not a test): encode time of a vision tower (default: Qwen2.5-VL-3B's, dummy bf16
// weights) at given image sizes, run one work unit per run() call as a scheduler interleaving decode steps would,
// reporting the total, the FLOP rate, and the slowest units (the longest a decode step could wait). A small
// untimed encode first warms oneDNN's JIT kernels.
//   build/benchmarks/vision_bench --model tests/data/qwen2.5-vl-3b-instruct.config.json --load-format dummy
//     --sizes 448x448,1288x728
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <sstream>

#include "common/compute_pool.h"
#include "common/cpu_features.h"
#include "common/openmp_env.h"
#include "model/vision/vision_encoder.h"

using namespace mms;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

struct Timed {
  double ms;
  int64_t unit;
};

// One encode, one unit per run() call; returns every unit's time.
std::vector<Timed> encode_timed(const VisionEncoder& enc, const VisionInput& in, VisionEncodeJob** keep,
                                std::unique_ptr<VisionEncodeJob>* job_out) {
  auto job = enc.start(std::span<const VisionInput>(&in, 1));
  if (!job.ok()) {
    std::fprintf(stderr, "%s\n", job.status().to_string().c_str());
    std::exit(1);
  }
  std::vector<Timed> times;
  VisionEncodeJob& j = **job;
  while (!j.done()) {
    const int64_t unit = j.num_units() - j.remaining_units();
    const auto t0 = std::chrono::steady_clock::now();
    j.run(1);
    times.push_back({seconds_since(t0) * 1e3, unit});
  }
  *keep = job->get();
  *job_out = std::move(*job);
  return times;
}

}  // namespace

int main(int argc, char** argv) {
  ensure_openmp_wait_policy(argv);
  CLI::App app{"mmserve vision encoder benchmark"};
  std::string model = "tests/data/qwen2.5-vl-3b-instruct.config.json";
  std::string load_format = "dummy";
  std::string sizes = "448x448,1288x728";
  int threads = 0, reps = 1, show = 5;
  VisionEncoderOptions opts;
  app.add_option("--model", model, "config.json / HF directory / mmproj .gguf");
  app.add_option("--load-format", load_format)->check(CLI::IsMember({"auto", "dummy"}));
  app.add_option("--sizes", sizes, "WxH list (multiples of 28)");
  app.add_option("--threads", threads);
  app.add_option("--reps", reps, "Encodes per size (the best total is reported)");
  app.add_option("--show", show, "Slowest units to list");
  app.add_option("--unit-flops", opts.unit_flops, "Work per row-chunked matmul unit");
  app.add_option("--attention-unit-flops", opts.attention_unit_flops, "Work per attention unit");
  CLI11_PARSE(app, argc, argv);
  if (threads > 0) set_compute_threads(threads);

  LoadOptions lo;
  lo.load_format = load_format == "dummy" ? LoadFormat::kDummy : LoadFormat::kAuto;
  lo.dummy_dtype = DType::kBF16;
  const auto t0 = std::chrono::steady_clock::now();
  auto enc = load_vision_encoder(model, lo, opts);
  if (!enc.ok()) {
    std::fprintf(stderr, "%s\n", enc.status().to_string().c_str());
    return 1;
  }
  const VisionConfig& c = (*enc)->config();
  std::printf("vision tower %s: width %lld, depth %lld, heads %lld, mlp %lld, out %lld; load %.1f s\n",
              c.projector.c_str(), static_cast<long long>(c.hidden_size), static_cast<long long>(c.num_layers),
              static_cast<long long>(c.num_heads), static_cast<long long>(c.intermediate_size),
              static_cast<long long>(c.out_hidden_size), seconds_since(t0));
  std::printf("cpu: %s, compute threads %d; unit_flops %.2g, attention_unit_flops %.2g\n",
              cpu_features().to_string().c_str(), compute_threads(), static_cast<double>(opts.unit_flops),
              static_cast<double>(opts.attention_unit_flops));

  // One small encode first: oneDNN generates its GEMM kernels on first use (~0.1 s, once per process).
  {
    std::vector<float> px(3 * 56 * 84, 0.1f);
    VisionEncodeJob* job = nullptr;
    std::unique_ptr<VisionEncodeJob> holder;
    encode_timed(**enc, VisionInput{px, 1, 56, 84}, &job, &holder);
  }

  std::mt19937 rng(1);
  std::normal_distribution<float> pixel(0.f, 1.f);
  std::stringstream ss(sizes);
  for (std::string size; std::getline(ss, size, ',');) {
    int64_t w = 0, h = 0;
    if (std::sscanf(size.c_str(), "%ldx%ld", &w, &h) != 2) {
      std::fprintf(stderr, "bad size '%s'\n", size.c_str());
      return 1;
    }
    std::vector<float> frames(static_cast<size_t>(3 * w * h));
    for (float& v : frames) v = pixel(rng);
    const VisionInput in{frames, 1, h, w};
    auto grid = (*enc)->grid_of(1, h, w);
    if (!grid.ok()) {
      std::fprintf(stderr, "%s\n", grid.status().to_string().c_str());
      return 1;
    }
    double best_total = 1e30;
    std::vector<Timed> best;
    VisionEncodeJob* job = nullptr;
    std::unique_ptr<VisionEncodeJob> holder;
    int64_t flops = 0;
    for (int r = 0; r < reps; ++r) {
      auto times = encode_timed(**enc, in, &job, &holder);
      double total = 0;
      for (const Timed& t : times) total += t.ms;
      flops = job->total_flops();

      if (total < best_total) best_total = total, best = times;
    }
    std::vector<Timed> sorted = best;
    std::sort(sorted.begin(), sorted.end(), [](const Timed& a, const Timed& b) { return a.ms > b.ms; });
    std::printf("\n%lldx%lld: %lld patches -> %lld tokens, %.2f TFLOP, %zu units\n", static_cast<long long>(w),
                static_cast<long long>(h), static_cast<long long>(grid->num_patches()),
                static_cast<long long>((*enc)->num_output_tokens(*grid)), flops / 1e12, best.size());
    std::printf("  encode %.2f s (%.0f GFLOP/s); largest unit %.1f ms, p99 unit %.1f ms, median %.1f ms\n",
                best_total / 1e3, flops / best_total / 1e6, sorted.front().ms,
                sorted[std::min(sorted.size() - 1, sorted.size() / 100)].ms, sorted[sorted.size() / 2].ms);
    for (int i = 0; i < show && i < static_cast<int>(sorted.size()); ++i)
      std::printf("    %7.1f ms  %s\n", sorted[i].ms, job->describe_unit(sorted[i].unit).c_str());
  }
  return 0;
}
