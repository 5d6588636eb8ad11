#include "model/vision/vision_weights.h"

#include <cstring>

namespace mms {
namespace {

// Shape-checked matrix in a dtype kernels::matmul takes.
StatusOr<Tensor> matrix(const WeightStore& s, const std::string& name, const Shape& shape) {
  MMS_ASSIGN_OR_RETURN(Tensor t, get_weight(s, name, shape));
  if (t.dtype != DType::kF32 && t.dtype != DType::kF16 && t.dtype != DType::kBF16) {
    return invalid_argument(s.source() + ": tensor '" + name + "' is " + std::string(dtype_name(t.dtype)) +
                            " (f32, f16 or bf16 expected)");
  }
  return t;
}

class Loader {
 public:
  Loader(const WeightStore& s, const VisionConfig& c, VisionWeights* w) : s_(s), c_(c), w_(w) {}

  StatusOr<const float*> vec(const std::string& name, int64_t n) { return w_->params.get(s_, name, n); }

  Status load_hf(const std::string& p) {
    const int64_t E = c_.hidden_size, F = c_.intermediate_size, P = c_.patch_size;
    MMS_ASSIGN_OR_RETURN(Tensor pe, matrix(s_, p + "patch_embed.proj.weight",
                                           Shape{E, c_.in_channels, c_.temporal_patch_size, P, P}));
    w_->patch_embed = Tensor(pe.data, pe.dtype, {E, pe.numel() / E});
    for (int64_t l = 0; l < c_.num_layers; ++l) {
      const std::string b = p + "blocks." + std::to_string(l) + ".";
      VisionLayerWeights& L = w_->layers.emplace_back();
      MMS_ASSIGN_OR_RETURN(L.norm1_w, vec(b + "norm1.weight", E));
      MMS_ASSIGN_OR_RETURN(L.norm2_w, vec(b + "norm2.weight", E));
      if (!c_.is_qwen25()) {
        MMS_ASSIGN_OR_RETURN(L.norm1_b, vec(b + "norm1.bias", E));
        MMS_ASSIGN_OR_RETURN(L.norm2_b, vec(b + "norm2.bias", E));
      }
      MMS_ASSIGN_OR_RETURN(L.wqkv, matrix(s_, b + "attn.qkv.weight", Shape{3 * E, E}));
      MMS_ASSIGN_OR_RETURN(L.bqkv, vec(b + "attn.qkv.bias", 3 * E));
      MMS_ASSIGN_OR_RETURN(L.wo, matrix(s_, b + "attn.proj.weight", Shape{E, E}));
      MMS_ASSIGN_OR_RETURN(L.bo, vec(b + "attn.proj.bias", E));
      const std::string up = c_.is_qwen25() ? "mlp.up_proj." : "mlp.fc1.";
      const std::string down = c_.is_qwen25() ? "mlp.down_proj." : "mlp.fc2.";
      if (c_.is_qwen25()) {
        MMS_ASSIGN_OR_RETURN(L.w_gate, matrix(s_, b + "mlp.gate_proj.weight", Shape{F, E}));
        MMS_ASSIGN_OR_RETURN(L.b_gate, vec(b + "mlp.gate_proj.bias", F));
      }
      MMS_ASSIGN_OR_RETURN(L.w_up, matrix(s_, b + up + "weight", Shape{F, E}));
      MMS_ASSIGN_OR_RETURN(L.b_up, vec(b + up + "bias", F));
      MMS_ASSIGN_OR_RETURN(L.w_down, matrix(s_, b + down + "weight", Shape{E, F}));
      MMS_ASSIGN_OR_RETURN(L.b_down, vec(b + down + "bias", E));
    }
    return load_merger(p + "merger.ln_q.", p + "merger.mlp.0.", p + "merger.mlp.2.");
  }

  Status load_gguf() {
    const int64_t E = c_.hidden_size, F = c_.intermediate_size;
    MMS_RETURN_IF_ERROR(join_patch_kernels());
    for (int64_t l = 0; l < c_.num_layers; ++l) {
      const std::string b = "v.blk." + std::to_string(l) + ".";
      VisionLayerWeights& L = w_->layers.emplace_back();
      MMS_ASSIGN_OR_RETURN(L.norm1_w, vec(b + "ln1.weight", E));
      MMS_ASSIGN_OR_RETURN(L.norm2_w, vec(b + "ln2.weight", E));
      if (!c_.is_qwen25()) {
        MMS_ASSIGN_OR_RETURN(L.norm1_b, vec(b + "ln1.bias", E));
        MMS_ASSIGN_OR_RETURN(L.norm2_b, vec(b + "ln2.bias", E));
      }
      MMS_RETURN_IF_ERROR(join_qkv(b, &L));
      MMS_ASSIGN_OR_RETURN(L.wo, matrix(s_, b + "attn_out.weight", Shape{E, E}));
      MMS_ASSIGN_OR_RETURN(L.bo, vec(b + "attn_out.bias", E));
      if (c_.is_qwen25()) {
        MMS_ASSIGN_OR_RETURN(L.w_gate, matrix(s_, b + "ffn_gate.weight", Shape{F, E}));
        MMS_ASSIGN_OR_RETURN(L.b_gate, vec(b + "ffn_gate.bias", F));
      }
      MMS_ASSIGN_OR_RETURN(L.w_up, matrix(s_, b + "ffn_up.weight", Shape{F, E}));
      MMS_ASSIGN_OR_RETURN(L.b_up, vec(b + "ffn_up.bias", F));
      MMS_ASSIGN_OR_RETURN(L.w_down, matrix(s_, b + "ffn_down.weight", Shape{E, F}));
      MMS_ASSIGN_OR_RETURN(L.b_down, vec(b + "ffn_down.bias", E));
    }
    return load_merger("v.post_ln.", "mm.0.", "mm.2.");
  }

 private:
  Status load_merger(const std::string& norm, const std::string& fc1, const std::string& fc2) {
    const int64_t E = c_.hidden_size;
    const int64_t U = E * c_.spatial_merge_size * c_.spatial_merge_size;
    MMS_ASSIGN_OR_RETURN(w_->merger_norm_w, vec(norm + "weight", E));
    if (!c_.is_qwen25()) {
      MMS_ASSIGN_OR_RETURN(w_->merger_norm_b, vec(norm + "bias", E));
    }
    MMS_ASSIGN_OR_RETURN(w_->merger_fc1, matrix(s_, fc1 + "weight", Shape{U, U}));
    MMS_ASSIGN_OR_RETURN(w_->merger_fc1_b, vec(fc1 + "bias", U));
    MMS_ASSIGN_OR_RETURN(w_->merger_fc2, matrix(s_, fc2 + "weight", Shape{c_.out_hidden_size, U}));
    MMS_ASSIGN_OR_RETURN(w_->merger_fc2_b, vec(fc2 + "bias", c_.out_hidden_size));
    return ok_status();
  }

  // llama.cpp stores HF's fused qkv as attn_q, attn_k, attn_v: joined here (rows q, k, v) so that one matmul
  // computes all three.
  Status join_qkv(const std::string& b, VisionLayerWeights* L) {
    const int64_t E = c_.hidden_size;
    Tensor parts[3];
    const char* names[3] = {"attn_q", "attn_k", "attn_v"};
    for (int i = 0; i < 3; ++i) {
      MMS_ASSIGN_OR_RETURN(parts[i], matrix(s_, b + names[i] + ".weight", Shape{E, E}));
      if (parts[i].dtype != parts[0].dtype) {
        return invalid_argument(s_.source() + ": tensor '" + b + names[i] + ".weight' differs in dtype from '" + b +
                                "attn_q.weight'");
      }
    }
    HostBuffer& w = w_->owned.emplace_back(3 * parts[0].nbytes());
    for (int i = 0; i < 3; ++i) std::memcpy(w.as<uint8_t>() + i * parts[0].nbytes(), parts[i].data, parts[0].nbytes());
    L->wqkv = Tensor(w.data(), parts[0].dtype, {3 * E, E});
    HostBuffer& bias = w_->owned.emplace_back(static_cast<size_t>(3 * E) * sizeof(float));
    for (int i = 0; i < 3; ++i) {
      MMS_ASSIGN_OR_RETURN(const float* bi, vec(b + names[i] + ".bias", E));
      std::memcpy(bias.as<float>() + i * E, bi, static_cast<size_t>(E) * sizeof(float));
    }
    L->bqkv = bias.as<float>();
    return ok_status();
  }

  // llama.cpp splits the Conv3d over its two frames: v.patch_embd.weight (frame 0) and .weight.1 (frame 1), each
  // [E, C, P, P]. Joined here into HF's [E, C, 2, P, P] layout, in the stored dtype.
  Status join_patch_kernels() {
    const int64_t E = c_.hidden_size, C = c_.in_channels, P = c_.patch_size;
    if (c_.temporal_patch_size != 2) {
      return invalid_argument(s_.source() + ": a GGUF patch kernel needs temporal_patch_size 2");
    }
    const Shape shape{E, C, P, P};
    MMS_ASSIGN_OR_RETURN(Tensor f0, matrix(s_, "v.patch_embd.weight", shape));
    MMS_ASSIGN_OR_RETURN(Tensor f1, matrix(s_, "v.patch_embd.weight.1", shape));
    if (f0.dtype != f1.dtype) {
      return invalid_argument(s_.source() +
                              ": tensors 'v.patch_embd.weight' and 'v.patch_embd.weight.1' differ in dtype");
    }
    const size_t plane = static_cast<size_t>(P * P) * dtype_size(f0.dtype);
    HostBuffer& buf = w_->owned.emplace_back(static_cast<size_t>(2 * f0.numel()) * dtype_size(f0.dtype));
    auto* out = buf.as<uint8_t>();
    const auto* a = static_cast<const uint8_t*>(f0.data);
    const auto* b = static_cast<const uint8_t*>(f1.data);
    for (int64_t i = 0; i < E * C; ++i) {  // (e, c) planes: frame 0 then frame 1
      std::memcpy(out + (2 * i) * plane, a + i * plane, plane);
      std::memcpy(out + (2 * i + 1) * plane, b + i * plane, plane);
    }
    w_->patch_embed = Tensor(out, f0.dtype, {E, 2 * C * P * P});
    return ok_status();
  }

  const WeightStore& s_;
  const VisionConfig& c_;
  VisionWeights* w_;
};

}  // namespace

StatusOr<std::unique_ptr<VisionWeights>> load_vision_weights(const WeightStore& store, const VisionConfig& config,
                                                             VisionWeightNaming naming) {
  auto w = std::make_unique<VisionWeights>();
  Loader loader(store, config, w.get());
  if (naming == VisionWeightNaming::kGguf) {
    MMS_RETURN_IF_ERROR(loader.load_gguf());
  } else {
    // Older checkpoints store the tower as `visual.*`, newer transformers as `model.visual.*`.
    const std::string prefix =
        !store.has("visual.patch_embed.proj.weight") && store.has("model.visual.patch_embed.proj.weight")
            ? "model.visual."
            : "visual.";
    MMS_RETURN_IF_ERROR(loader.load_hf(prefix));
  }
  // The AMX tile layout where the matmul takes it (bf16, 16 x 32 multiples; anything else, absent tensors
  // included, comes back unchanged): the merger's column slices fall on multiples of 64 rows, which tiles allow.
  for (Tensor* t : {&w->patch_embed, &w->merger_fc1, &w->merger_fc2}) *t = w->matmuls.prepare(*t);
  for (VisionLayerWeights& L : w->layers)
    for (Tensor* t : {&L.wqkv, &L.wo, &L.w_gate, &L.w_up, &L.w_down}) *t = w->matmuls.prepare(*t);
  return w;
}

std::vector<TensorSpec> vision_tensor_specs(const VisionConfig& c) {
  const int64_t E = c.hidden_size, F = c.intermediate_size, P = c.patch_size;
  const int64_t U = E * c.spatial_merge_size * c.spatial_merge_size;
  const bool q25 = c.is_qwen25();
  std::vector<TensorSpec> s;
  s.push_back({"visual.patch_embed.proj.weight", {E, c.in_channels, c.temporal_patch_size, P, P}, TensorRole::kMatrix});
  for (int64_t l = 0; l < c.num_layers; ++l) {
    const std::string b = "visual.blocks." + std::to_string(l) + ".";
    s.push_back({b + "norm1.weight", {E}, TensorRole::kNorm});
    if (!q25) s.push_back({b + "norm1.bias", {E}, TensorRole::kBias});
    s.push_back({b + "attn.qkv.weight", {3 * E, E}, TensorRole::kMatrix});
    s.push_back({b + "attn.qkv.bias", {3 * E}, TensorRole::kBias});
    s.push_back({b + "attn.proj.weight", {E, E}, TensorRole::kMatrix});
    s.push_back({b + "attn.proj.bias", {E}, TensorRole::kBias});
    s.push_back({b + "norm2.weight", {E}, TensorRole::kNorm});
    if (!q25) s.push_back({b + "norm2.bias", {E}, TensorRole::kBias});
    if (q25) {
      for (const char* m : {"gate_proj", "up_proj"}) {
        s.push_back({b + "mlp." + m + ".weight", {F, E}, TensorRole::kMatrix});
        s.push_back({b + "mlp." + m + ".bias", {F}, TensorRole::kBias});
      }
      s.push_back({b + "mlp.down_proj.weight", {E, F}, TensorRole::kMatrix});
      s.push_back({b + "mlp.down_proj.bias", {E}, TensorRole::kBias});
    } else {
      s.push_back({b + "mlp.fc1.weight", {F, E}, TensorRole::kMatrix});
      s.push_back({b + "mlp.fc1.bias", {F}, TensorRole::kBias});
      s.push_back({b + "mlp.fc2.weight", {E, F}, TensorRole::kMatrix});
      s.push_back({b + "mlp.fc2.bias", {E}, TensorRole::kBias});
    }
  }
  s.push_back({"visual.merger.ln_q.weight", {E}, TensorRole::kNorm});
  if (!q25) s.push_back({"visual.merger.ln_q.bias", {E}, TensorRole::kBias});
  s.push_back({"visual.merger.mlp.0.weight", {U, U}, TensorRole::kMatrix});
  s.push_back({"visual.merger.mlp.0.bias", {U}, TensorRole::kBias});
  s.push_back({"visual.merger.mlp.2.weight", {c.out_hidden_size, U}, TensorRole::kMatrix});
  s.push_back({"visual.merger.mlp.2.bias", {c.out_hidden_size}, TensorRole::kBias});
  return s;
}

}  // namespace mms
