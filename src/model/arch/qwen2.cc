// Qwen2 / Qwen2.5 decoder (HF Qwen2ForCausalLM, GGUF qwen2) and the Llama family (LlamaForCausalLM,
// GGUF llama), which is the same graph without Q/K/V biases:
//   x = embed(ids)
//   per layer:  h = rmsnorm(x); q,k,v = h Wq+bq, h Wk+bk, h Wv+bv (one matmul over the three stacked);
//               rope(q, k); kv <- (k, v)
//               x += attention(q, kv) Wo
//               h = rmsnorm(x); x += (silu(h Wg) * (h Wu)) Wd
//   logits = rmsnorm(x) Wlm   (Wlm = embed when tied)
// Qwen2-VL's and Qwen2.5-VL's language models (Qwen2VLForConditionalGeneration,
// Qwen2_5_VLForConditionalGeneration, GGUF qwen2vl) are this graph with two changes, both driven by the
// batch: rows listed in embedding_overrides take their input embedding from the vision encoder instead
// of embed(ids), and M-RoPE (config.mrope_section) rotates each rotary pair by the temporal, height or
// width position of its section (ForwardBatch::mrope_positions; model/mrope_positions.h computes them).
#include <algorithm>
#include <array>
#include <cmath>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "kernels/activation.h"
#include "kernels/embedding.h"
#include "kernels/matmul.h"
#include "kernels/rms_norm.h"
#include "kernels/rope.h"
#include "model/arch/registry.h"
#include "model/layers/f32_params.h"
#include "model/layers/matmul_weights.h"
#include "model/layers/rope_freqs.h"

namespace mms {
namespace {

struct LayerWeights {
  const float* attn_norm;  // [H]
  Tensor wqkv;             // [(nH + 2 nKV) * D, H]: q_proj, k_proj and v_proj stacked (one matmul)
  const float* bqkv = nullptr;  // [(nH + 2 nKV) * D] their biases (Qwen2 only)
  Tensor wo;                  // [H, nH*D]
  const float* ffn_norm;      // [H]
  Tensor w_gate, w_up;        // [F, H]
  Tensor w_down;              // [H, F]
};

class Qwen2Model final : public CausalLm {
 public:
  explicit Qwen2Model(const ModelConfig& config) : config_(config) {}

  Status load(const WeightStore& w) {
    const ModelConfig& c = config_;
    const int64_t H = c.hidden_size, D = c.head_dim, F = c.intermediate_size;
    const int64_t q_dim = c.num_attention_heads * D, kv_dim = c.num_key_value_heads * D;
    MMS_ASSIGN_OR_RETURN(embed_, get_weight(w, "model.embed_tokens.weight", Shape{c.vocab_size, H}));
    if (c.tie_word_embeddings && !w.has("lm_head.weight")) {
      embed_ = lm_head_ = matmuls_.prepare(embed_);  // kernels::embedding reads the prepared layout too
    } else {
      MMS_ASSIGN_OR_RETURN(lm_head_, matmuls_.get(w, "lm_head.weight", Shape{c.vocab_size, H}));
    }
    MMS_ASSIGN_OR_RETURN(final_norm_, params_.get(w, "model.norm.weight", H));
    for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
      const std::string p = "model.layers." + std::to_string(l) + ".";
      LayerWeights L;
      MMS_ASSIGN_OR_RETURN(L.attn_norm, params_.get(w, p + "input_layernorm.weight", H));
      MMS_ASSIGN_OR_RETURN(L.ffn_norm, params_.get(w, p + "post_attention_layernorm.weight", H));
      const std::string qkv[] = {p + "self_attn.q_proj.", p + "self_attn.k_proj.", p + "self_attn.v_proj."};
      const int64_t qkv_rows[] = {q_dim, kv_dim, kv_dim};
      MMS_ASSIGN_OR_RETURN(L.wqkv, matmuls_.get_stacked(w, std::array{qkv[0] + "weight", qkv[1] + "weight", qkv[2] + "weight"},
                                                        std::array{Shape{q_dim, H}, Shape{kv_dim, H}, Shape{kv_dim, H}}));
      if (c.attention_bias) {
        std::vector<float>& b = stacked_biases_.emplace_back();
        for (int i = 0; i < 3; ++i) {
          MMS_ASSIGN_OR_RETURN(const float* part, params_.get(w, qkv[i] + "bias", qkv_rows[i]));
          b.insert(b.end(), part, part + qkv_rows[i]);
        }
        L.bqkv = b.data();
      }
      MMS_ASSIGN_OR_RETURN(L.wo, matmuls_.get(w, p + "self_attn.o_proj.weight", Shape{H, q_dim}));
      MMS_ASSIGN_OR_RETURN(L.w_gate, matmuls_.get(w, p + "mlp.gate_proj.weight", Shape{F, H}));
      MMS_ASSIGN_OR_RETURN(L.w_up, matmuls_.get(w, p + "mlp.up_proj.weight", Shape{F, H}));
      MMS_ASSIGN_OR_RETURN(L.w_down, matmuls_.get(w, p + "mlp.down_proj.weight", Shape{H, F}));
      layers_.push_back(L);
    }
    inv_freq_ = rope_inv_freq(c);
    if (!c.mrope_section.empty()) mrope_sections_ = mrope_sections(c);
    // llama.cpp stores Llama 3's RoPE scaling as per-pair frequency divisors instead of metadata.
    if (w.has("rope_freqs.weight")) {
      MMS_ASSIGN_OR_RETURN(const float* factors, params_.get(w, "rope_freqs.weight", D / 2));
      for (int64_t j = 0; j < D / 2; ++j) inv_freq_[j] /= factors[j];
    }
    return ok_status();
  }

  const ModelConfig& config() const override { return config_; }

  void forward(const ForwardBatch& b, std::span<const kernels::PagedKvLayer> kv, float* logits) override {
    const ModelConfig& c = config_;
    const int64_t T = static_cast<int64_t>(b.token_ids.size());
    const int64_t H = c.hidden_size, D = c.head_dim, F = c.intermediate_size;
    const int64_t nH = c.num_attention_heads, nKV = c.num_key_value_heads;
    const float eps = static_cast<float>(c.rms_norm_eps);
    const float scale = 1.0f / std::sqrt(static_cast<float>(D));
    MMS_CHECK(static_cast<int64_t>(kv.size()) == c.num_hidden_layers);
    x_.resize(T * H);
    h_.resize(T * H);
    qkv_.resize(T * (nH + 2 * nKV) * D);
    q_.resize(T * nH * D);
    k_.resize(T * nKV * D);
    v_.resize(T * nKV * D);
    attn_.resize(T * nH * D);
    gate_.resize(T * F);
    up_.resize(T * F);

    kernels::embedding(embed_, b.token_ids.data(), T, x_.data());
    for (const EmbeddingOverride& o : b.embedding_overrides) {
      MMS_CHECK(o.row >= 0 && o.num_rows >= 0 && o.row + o.num_rows <= T && o.data != nullptr);
      std::copy(o.data, o.data + o.num_rows * H, x_.begin() + o.row * H);
    }
    // M-RoPE models given per-section positions rotate by them. Without, every section's position is the
    // plain one, which is exactly plain RoPE: right while no sequence in the batch holds media.
    const bool multi = mrope_sections_.has_value() && !b.mrope_positions.empty();
    MMS_CHECK(!multi || static_cast<int64_t>(b.mrope_positions.size()) == 3 * T);
    auto rotate = [&](float* x, int64_t n_heads) {
      if (multi) {
        kernels::rope_multi(x, T, n_heads, D, b.mrope_positions.data(), *mrope_sections_, inv_freq_.data(),
                            c.rope_pairing);
      } else {
        kernels::rope(x, T, n_heads, D, b.positions.data(), inv_freq_.data(), c.rope_pairing);
      }
    };
    for (size_t l = 0; l < layers_.size(); ++l) {
      const LayerWeights& L = layers_[l];
      kernels::rms_norm(x_.data(), L.attn_norm, T, H, eps, h_.data());
      kernels::matmul(h_.data(), T, L.wqkv, L.bqkv, qkv_.data());
      split_qkv(T, nH * D, nKV * D);
      rotate(q_.data(), nH);
      rotate(k_.data(), nKV);
      kernels::write_kv(k_.data(), v_.data(), b.slot_mapping.data(), T, kv[l]);
      kernels::paged_attention(q_.data(), kv[l], b.attn, static_cast<int32_t>(nH), scale, attn_.data());
      kernels::matmul(attn_.data(), T, L.wo, nullptr, h_.data());
      kernels::add(x_.data(), h_.data(), T * H, x_.data());

      kernels::rms_norm(x_.data(), L.ffn_norm, T, H, eps, h_.data());
      kernels::matmul(h_.data(), T, L.w_gate, nullptr, gate_.data());
      kernels::matmul(h_.data(), T, L.w_up, nullptr, up_.data());
      kernels::silu_mul(gate_.data(), up_.data(), T * F, gate_.data());
      kernels::matmul(gate_.data(), T, L.w_down, nullptr, h_.data());
      kernels::add(x_.data(), h_.data(), T * H, x_.data());
    }
    // Only the requested rows go through the final norm and the (large) vocabulary projection.
    const int64_t R = static_cast<int64_t>(b.logits_indices.size());
    h_.resize(std::max(T, R) * H);
    for (int64_t r = 0; r < R; ++r) {
      const int64_t src = b.logits_indices[r];
      MMS_CHECK(src >= 0 && src < T);
      std::copy(x_.begin() + src * H, x_.begin() + (src + 1) * H, h_.begin() + r * H);
    }
    kernels::rms_norm(h_.data(), final_norm_, R, H, eps, h_.data());
    kernels::matmul(h_.data(), R, lm_head_, nullptr, logits);
  }

 private:
  // qkv_ [T, q_dim + 2 kv_dim] -> q_ [T, q_dim], k_ and v_ [T, kv_dim] (rope, write_kv and attention read
  // them contiguous).
  void split_qkv(int64_t T, int64_t q_dim, int64_t kv_dim) {
    const int64_t row = q_dim + 2 * kv_dim;
    for (int64_t t = 0; t < T; ++t) {
      const float* src = qkv_.data() + t * row;
      std::copy(src, src + q_dim, q_.begin() + t * q_dim);
      std::copy(src + q_dim, src + q_dim + kv_dim, k_.begin() + t * kv_dim);
      std::copy(src + q_dim + kv_dim, src + row, v_.begin() + t * kv_dim);
    }
  }

  ModelConfig config_;
  F32Params params_;
  MatmulWeights matmuls_;  // the Linear weights as kernels::matmul wants them (Tensors below point into it)
  Tensor embed_;    // [V, H]
  Tensor lm_head_;  // [V, H]
  const float* final_norm_ = nullptr;
  std::vector<LayerWeights> layers_;
  std::vector<float> inv_freq_;  // [D/2]
  std::optional<kernels::MropeSections> mrope_sections_;  // M-RoPE models only
  std::deque<std::vector<float>> stacked_biases_;  // the layers' q/k/v biases, stacked like wqkv
  // Per-forward scratch, grown to the largest batch seen (no allocation in steady state).
  std::vector<float> x_, h_, qkv_, q_, k_, v_, attn_, gate_, up_;
};

}  // namespace

StatusOr<std::unique_ptr<CausalLm>> create_qwen2(const ModelConfig& config, const WeightStore& weights) {
  auto model = std::make_unique<Qwen2Model>(config);
  MMS_RETURN_IF_ERROR(model->load(weights));
  return std::unique_ptr<CausalLm>(std::move(model));
}

}  // namespace mms
