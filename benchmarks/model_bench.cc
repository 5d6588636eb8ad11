// Model benchmark (not a test): prefill and decode tokens/s of a decoder at batch 1 and 8, next to the
// memory-bandwidth roofline for decode measured in the same run.
//   build/benchmarks/model_bench --model tests/data/qwen2.5-0.5b-instruct.config.json --load-format dummy
// Roofline: a decode step must read every weight matrix once (embedding rows aside), so
//   roofline tokens/s (batch 1) = read bandwidth / bytes of weight matrices.
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <random>

#include "benchmarks/membw.h"
#include "common/compute_pool.h"
#include "common/cpu_features.h"
#include "common/openmp_env.h"
#include "exec/generator.h"
#include "model/causal_lm.h"
#include "model/model_loader.h"

using namespace mms;

namespace {

int64_t matrix_bytes(const LoadedModel& m) {
  int64_t bytes = 0;
  for (const auto& name : m.weights->names()) {
    auto t = m.weights->get(name);
    if (!t.ok() || t->ndim() != 2) continue;
    if (name == "model.embed_tokens.weight" && !m.config.tie_word_embeddings) continue;  // only rows are gathered
    bytes += static_cast<int64_t>(t->nbytes());
  }
  return bytes;
}

std::vector<int32_t> random_prompt(std::mt19937& rng, int64_t vocab, int n) {
  std::uniform_int_distribution<int32_t> id(0, static_cast<int32_t>(std::min<int64_t>(vocab, 100000) - 1));
  std::vector<int32_t> p(static_cast<size_t>(n));
  for (auto& t : p) t = id(rng);
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  ensure_openmp_wait_policy(argv);
  CLI::App app{"mmserve model benchmark"};
  std::string model = "tests/data/qwen2.5-0.5b-instruct.config.json";
  std::string load_format = "dummy";
  int threads = 0, prefill_len = 512, prompt_len = 128, gen_len = 64, reps = 3;
  app.add_option("--model", model);
  app.add_option("--load-format", load_format)->check(CLI::IsMember({"auto", "dummy"}));
  app.add_option("--threads", threads);
  app.add_option("--prefill-len", prefill_len, "Prompt length of the prefill measurement");
  app.add_option("--prompt-len", prompt_len, "Prompt length before the decode measurement");
  app.add_option("--gen-len", gen_len, "Tokens decoded per sequence");
  app.add_option("--reps", reps, "Repetitions (best is reported)");
  CLI11_PARSE(app, argc, argv);
  if (threads > 0) set_compute_threads(threads);

  LoadOptions lo;
  lo.load_format = load_format == "dummy" ? LoadFormat::kDummy : LoadFormat::kAuto;
  auto t0 = std::chrono::steady_clock::now();
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
  const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const ModelConfig& c = loaded->config;
  const int64_t wbytes = matrix_bytes(*loaded);
  std::printf("model %s (%s), weights read per decode step %.1f MB, load %.1f s\n", loaded->name.c_str(),
              c.architecture.c_str(), wbytes / 1e6, load_s);
  std::printf("cpu: %s, compute threads %d\n", cpu_features().to_string().c_str(), compute_threads());

  const double bw1 = bench::read_bandwidth_gbs(1, reps);
  const double bwn = bench::read_bandwidth_gbs(compute_threads(), reps);
  std::printf("memory read bandwidth: %.1f GB/s (1 thread), %.1f GB/s (%d threads)\n", bw1, bwn, compute_threads());
  const double roofline = bwn * 1e9 / static_cast<double>(wbytes);

  std::mt19937 rng(1);
  Generator gen(**lm);
  // Prefill: one prompt of prefill_len tokens, one token out.
  double best_prefill = 0;
  for (int r = 0; r < reps; ++r) {
    GenerationRequest req;
    req.prompt = random_prompt(rng, c.vocab_size, prefill_len);
    req.max_new_tokens = 1;
    req.ignore_eos = true;
    GenerationStats st;
    gen.generate({req}, &st);
    best_prefill = std::max(best_prefill, st.prefill_tokens / st.prefill_seconds);
  }
  std::printf("prefill %d tokens, batch 1: %.1f tokens/s\n", prefill_len, best_prefill);

  for (int batch : {1, 8}) {
    double best = 0;
    for (int r = 0; r < reps; ++r) {
      std::vector<GenerationRequest> reqs(static_cast<size_t>(batch));
      for (auto& q : reqs) {
        q.prompt = random_prompt(rng, c.vocab_size, prompt_len);
        q.max_new_tokens = gen_len + 1;
        q.ignore_eos = true;
      }
      GenerationStats st;
      gen.generate(reqs, &st);
      best = std::max(best, st.decode_tokens / st.decode_seconds);
    }
    if (batch == 1) {
      std::printf("decode batch 1: %.1f tokens/s = %.0f%% of the %.1f tokens/s roofline\n", best, 100 * best / roofline,
                  roofline);
    } else {
      std::printf("decode batch %d: %.1f tokens/s aggregate (%.1f per sequence, %.2fx batch-1 roofline)\n", batch, best,
                  best / batch, best / roofline);
    }
  }
  return 0;
}
