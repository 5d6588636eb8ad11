#include "exec/generator.h"

#include <algorithm>
#include <chrono>
#include <numeric>

#include "common/check.h"
#include "exec/batch_builder.h"

namespace mms {

namespace {
double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

Generator::Generator(CausalLm& model, const GeneratorOptions& options) : model_(model), options_(options) {}

std::vector<GenerationOutput> Generator::generate(const std::vector<GenerationRequest>& reqs, GenerationStats* stats,
                                                  const TokenCallback& on_token) {
  const ModelConfig& c = model_.config();
  const int32_t bs = options_.block_size;
  const size_t n = reqs.size();
  // Static KV layout: sequence i owns blocks [i * blocks_per_seq, (i + 1) * blocks_per_seq).
  int64_t max_len = 1;
  for (const auto& r : reqs) max_len = std::max<int64_t>(max_len, static_cast<int64_t>(r.prompt.size()) + r.max_new_tokens);
  const int32_t blocks_per_seq = static_cast<int32_t>((max_len + bs - 1) / bs);
  KvStorageOptions kvo;
  kvo.num_layers = c.num_hidden_layers;
  kvo.num_blocks = static_cast<int64_t>(blocks_per_seq) * static_cast<int64_t>(n);
  kvo.block_size = bs;
  kvo.n_kv_heads = static_cast<int32_t>(c.num_key_value_heads);
  kvo.head_dim = static_cast<int32_t>(c.head_dim);
  kvo.dtype = options_.kv_dtype;
  KvStorage kv(kvo);
  std::vector<kernels::PagedKvLayer> kv_layers;
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) kv_layers.push_back(kv.layer(l));

  std::vector<std::vector<int32_t>> tables(n);
  for (size_t i = 0; i < n; ++i) {
    tables[i].resize(static_cast<size_t>(blocks_per_seq));
    std::iota(tables[i].begin(), tables[i].end(), static_cast<int32_t>(i) * blocks_per_seq);
  }
  std::vector<Sampler> samplers;
  for (const auto& r : reqs) samplers.emplace_back(r.sampling);
  std::vector<GenerationOutput> out(n);
  std::vector<int32_t> computed(n, 0);
  std::vector<bool> done(n, false);
  std::vector<float> logits;
  BatchBuilder builder(bs);
  GenerationStats st;

  auto accept = [&](size_t i, int32_t token) {
    out[i].tokens.push_back(token);
    if (on_token) on_token(i, token);
    const auto& r = reqs[i];
    if (!r.ignore_eos && std::find(r.stop_token_ids.begin(), r.stop_token_ids.end(), token) != r.stop_token_ids.end()) {
      out[i].finish_reason = FinishReason::kStop;
      done[i] = true;
    } else if (static_cast<int32_t>(out[i].tokens.size()) >= r.max_new_tokens) {
      done[i] = true;
    }
  };

  // Prefill, chunked: each step takes as many prompt tokens (in request order) as the budget allows.
  for (size_t i = 0; i < n; ++i) {
    MMS_CHECK_MSG(!reqs[i].prompt.empty(), "empty prompt");
    if (reqs[i].max_new_tokens <= 0) done[i] = true;
  }
  auto t0 = std::chrono::steady_clock::now();
  size_t next = 0;
  while (next < n) {
    builder.clear();
    std::vector<size_t> finishing;  // sequences whose prompt completes in this step
    int32_t budget = options_.max_batched_tokens;
    for (size_t i = next; i < n && budget > 0; ++i) {
      const auto& p = reqs[i].prompt;
      const int32_t take = std::min<int32_t>(budget, static_cast<int32_t>(p.size()) - computed[i]);
      const bool last = computed[i] + take == static_cast<int32_t>(p.size());
      builder.add({std::span(p).subspan(computed[i], take), computed[i], tables[i],
                   last ? LogitsWanted::kLast : LogitsWanted::kNone});
      if (last) finishing.push_back(i);
      computed[i] += take;
      budget -= take;
    }
    ForwardBatch batch = builder.build();
    logits.resize(batch.logits_indices.size() * c.vocab_size);
    model_.forward(batch, kv_layers, logits.data());
    st.prefill_tokens += builder.num_tokens();
    for (size_t k = 0; k < finishing.size(); ++k) {
      const size_t i = finishing[k];
      if (!done[i]) accept(i, samplers[i].sample(std::span<const float>(logits).subspan(k * c.vocab_size, c.vocab_size),
                                                 {reqs[i].prompt, out[i].tokens}).token_id);
    }
    while (next < n && computed[next] == static_cast<int32_t>(reqs[next].prompt.size())) ++next;
  }
  st.prefill_seconds = seconds_since(t0);

  // Decode: one token per live sequence per step.
  t0 = std::chrono::steady_clock::now();
  std::vector<size_t> live;
  for (;;) {
    live.clear();
    builder.clear();
    for (size_t i = 0; i < n; ++i) {
      if (done[i]) continue;
      live.push_back(i);
      const int32_t pos = static_cast<int32_t>(reqs[i].prompt.size() + out[i].tokens.size()) - 1;
      builder.add({std::span(out[i].tokens).last(1), pos, tables[i], LogitsWanted::kLast});
    }
    if (live.empty()) break;
    ForwardBatch batch = builder.build();
    logits.resize(live.size() * c.vocab_size);
    model_.forward(batch, kv_layers, logits.data());
    ++st.decode_steps;
    st.decode_tokens += static_cast<int64_t>(live.size());
    for (size_t k = 0; k < live.size(); ++k) {
      const size_t i = live[k];
      accept(i, samplers[i].sample(std::span<const float>(logits).subspan(k * c.vocab_size, c.vocab_size),
                                   {reqs[i].prompt, out[i].tokens}).token_id);
    }
  }
  st.decode_seconds = seconds_since(t0);
  if (stats) *stats = st;
  return out;
}

}  // namespace mms
