// `mmserve generate`: load a model, tokenize a prompt (special tokens parsed, as llama.cpp does), generate
// greedily or by sampling, stream the continuation to stdout, then print prefill and decode tokens/s.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <random>

#include "common/compute_pool.h"
#include "common/cpu_features.h"
#include "common/log.h"
#include "exec/executor.h"
#include "exec/generator.h"
#include "model/causal_lm.h"
#include "model/model_loader.h"
#include "tools/commands.h"
#include "tools/model_setup.h"

namespace mms::tools {

void add_generate_options(CLI::App& app, GenerateArgs& a) {
  app.add_option("--model,-m", a.model, "GGUF file or Hugging Face checkpoint directory (or config for dummy)")
      ->required();
  app.add_option("--prompt,-p", a.prompt, "Prompt text (special tokens such as <|im_start|> are parsed)");
  app.add_option("--random-prompt-len", a.random_prompt_len,
                 "Use N random token ids as the prompt (dummy models without a tokenizer)");
  app.add_option("-n,--max-tokens", a.n, "Number of tokens to generate");
  app.add_option("--load-format", a.load_format, "auto | dummy (real architecture, random weights)")
      ->check(CLI::IsMember({"auto", "dummy"}));
  app.add_option("--temperature", a.temperature, "Sampling temperature (0 = greedy)")->check(CLI::Range(0.0, 100.0));
  app.add_option("--top-p", a.top_p, "Nucleus sampling threshold")->check(CLI::Range(0.0, 1.0));
  app.add_option("--top-k", a.top_k, "Top-k sampling (0 = off)")->check(CLI::NonNegativeNumber);
  app.add_option("--seed", a.seed, "Sampling seed");
  app.add_option("--kv-cache-dtype", a.kv_cache_dtype,
                 "KV cache element type: auto (f16 for f16/bf16 models, else f32) | f32 | f16")
      ->check(CLI::IsMember({"auto", "f32", "f16"}));
  app.add_option("--threads,-t", a.threads, "Compute threads (0 = all cores)")->check(CLI::NonNegativeNumber);
  app.add_flag("--ignore-eos", a.ignore_eos, "Keep generating past end-of-sequence tokens");
}

int run_generate(const GenerateArgs& a) {
  auto ready = load_ready_model(a.model, a.load_format, a.threads);
  if (!ready) return 1;
  LoadedModel* loaded = &ready->files;
  auto* lm = &ready->lm;
  const ModelConfig& c = loaded->config;
  const Tokenizer* tok = loaded->tokenizer.get();

  GenerationRequest req;
  if (a.random_prompt_len > 0) {
    std::mt19937 rng(static_cast<uint32_t>(a.seed));
    std::uniform_int_distribution<int32_t> id(0, static_cast<int32_t>(std::min<int64_t>(c.vocab_size, 100000) - 1));
    for (int i = 0; i < a.random_prompt_len; ++i) req.prompt.push_back(id(rng));
  } else {
    if (tok == nullptr) {
      std::fprintf(stderr, "error: this model has no tokenizer; use --random-prompt-len N\n");
      return 1;
    }
    if (a.prompt.empty()) {
      std::fprintf(stderr, "error: --prompt is empty\n");
      return 1;
    }
    req.prompt = tok->encode(a.prompt, /*parse_special=*/true);
    if (tok->add_bos() && tok->bos_id()) req.prompt.insert(req.prompt.begin(), *tok->bos_id());
  }
  if (static_cast<int64_t>(req.prompt.size()) + a.n > c.max_position_embeddings && c.max_position_embeddings > 0) {
    std::fprintf(stderr, "error: prompt (%zu tokens) + %d new tokens exceeds the context length %lld\n",
                 req.prompt.size(), a.n, static_cast<long long>(c.max_position_embeddings));
    return 1;
  }
  req.max_new_tokens = a.n;
  req.ignore_eos = a.ignore_eos;
  req.sampling.temperature = a.temperature;
  req.sampling.top_p = a.top_p;
  req.sampling.top_k = a.top_k;
  req.sampling.seed = a.seed;
  req.stop_token_ids = loaded->generation.eos_token_ids;
  if (req.stop_token_ids.empty()) req.stop_token_ids = c.eos_token_ids;
  if (tok && tok->eos_id()) req.stop_token_ids.push_back(*tok->eos_id());

  auto kv_dtype = resolve_kv_cache_dtype(a.kv_cache_dtype, c);
  if (!kv_dtype.ok()) {
    std::fprintf(stderr, "error: %s\n", kv_dtype.status().to_string().c_str());
    return 1;
  }
  GeneratorOptions go;
  go.kv_dtype = *kv_dtype;
  Generator gen(**lm, go);
  std::unique_ptr<StreamingDecoder> detok;
  if (tok) detok = std::make_unique<StreamingDecoder>(*tok, /*skip_special=*/false);
  GenerationStats st;
  auto outs = gen.generate({req}, &st, [&](size_t, int32_t token) {
    if (detok) {
      std::string piece = detok->feed(token);
      std::fwrite(piece.data(), 1, piece.size(), stdout);
    } else {
      std::printf("%d ", token);
    }
    std::fflush(stdout);
  });
  if (detok) {
    std::string rest = detok->flush();
    std::fwrite(rest.data(), 1, rest.size(), stdout);
  }
  std::printf("\n");
  std::fflush(stdout);
  std::fprintf(stderr, "prompt: %lld tokens, prefill %.2f tokens/s (%.3f s)\n", static_cast<long long>(st.prefill_tokens),
               st.prefill_seconds > 0 ? st.prefill_tokens / st.prefill_seconds : 0.0, st.prefill_seconds);
  std::fprintf(stderr, "generated: %zu tokens, decode %.2f tokens/s (%lld steps, %.3f s)\n", outs[0].tokens.size(),
               st.decode_seconds > 0 ? st.decode_tokens / st.decode_seconds : 0.0,
               static_cast<long long>(st.decode_steps), st.decode_seconds);
  return 0;
}

}  // namespace mms::tools
