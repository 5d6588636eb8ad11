// config_from_gguf(): a ModelConfig from GGUF metadata (llama.cpp's key names), equal field for field to
// what parse_hf_config() gives for the same model's config.json.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>
#include <string>

#include "model/gguf/gguf_file.h"
#include "model/model_config.h"

namespace mms {
namespace {

struct GgufArch {
  std::string_view gguf_name;
  std::string_view architecture;  // HF name
  std::string_view model_type;
  kernels::RopePairing pairing;
};

// llama.cpp's converter permutes llama's Q/K rows so that its interleaved ("normal") RoPE is right:
// GPT-J pairing for llama, NeoX for the Qwen2 family.
constexpr GgufArch kArchs[] = {
    {"qwen2", "Qwen2ForCausalLM", "qwen2", kernels::RopePairing::kNeox},
    {"llama", "LlamaForCausalLM", "llama", kernels::RopePairing::kGptj},
    {"qwen2vl", "Qwen2VLForConditionalGeneration", "qwen2_vl", kernels::RopePairing::kNeox},
};

// llama.cpp's qwen2vl decoder: merge 2 (the converter writes no key for it; clip.cpp hard-codes 2), the
// placeholder ids found by name in the vocabulary. Qwen2-VL's and Qwen2.5-VL's decoders share this arch
// and the text GGUF does not say which; its video time rule stays Qwen2-VL's (mrope_tokens_per_second 0):
// the mmproj's projector type (qwen2.5vl_merger) supplies 2, the published value (mrope_rule(config, vision)).
Status read_qwen2vl_multimodal(const gguf::GgufFile& f, ModelConfig* c) {
  c->mrope_spatial_merge_size = 2;
  if (!f.has("tokenizer.ggml.tokens")) return ok_status();
  MMS_ASSIGN_OR_RETURN(std::vector<std::string_view> tokens, f.get_string_array("tokenizer.ggml.tokens"));
  const std::pair<std::string_view, std::optional<int32_t>*> names[] = {
      {"<|image_pad|>", &c->image_token_id},
      {"<|video_pad|>", &c->video_token_id},
      {"<|vision_start|>", &c->vision_start_token_id},
      {"<|vision_end|>", &c->vision_end_token_id}};
  for (size_t id = 0; id < tokens.size() && id <= INT32_MAX; ++id) {
    for (const auto& [name, out] : names) {
      if (tokens[id] == name && !*out) *out = static_cast<int32_t>(id);
    }
  }
  return ok_status();
}

StatusOr<int32_t> token_id(const gguf::GgufFile& f, std::string_view key) {
  MMS_ASSIGN_OR_RETURN(int64_t v, f.get_int(key));
  if (v < 0 || v > INT32_MAX) return invalid_argument(f.path() + ": key '" + std::string(key) + "' is not a token id");
  return static_cast<int32_t>(v);
}

Status read_rope_scaling(const gguf::GgufFile& f, const std::string& p, ModelConfig* c) {
  const std::string type_key = p + "rope.scaling.type";
  if (!f.has(type_key)) return ok_status();
  MMS_ASSIGN_OR_RETURN(std::string_view type, f.get_string(type_key));
  if (type == "none") return ok_status();
  if (type != "linear") {
    return unimplemented(f.path() + ": rope scaling type '" + std::string(type) + "' is not supported (linear)");
  }
  c->rope_scaling.type = RopeScaling::Type::kLinear;
  MMS_ASSIGN_OR_RETURN(c->rope_scaling.factor, f.get_float(p + "rope.scaling.factor"));
  return ok_status();
}

}  // namespace

StatusOr<ModelConfig> config_from_gguf(const gguf::GgufFile& f) {
  MMS_ASSIGN_OR_RETURN(std::string_view arch_name, f.get_string("general.architecture"));
  const GgufArch* arch = nullptr;
  for (const GgufArch& a : kArchs)
    if (a.gguf_name == arch_name) arch = &a;
  if (arch == nullptr) {
    return invalid_argument(f.path() + ": unsupported architecture '" + std::string(arch_name) +
                            "' (supported: qwen2, llama, qwen2vl)");
  }
  const std::string p = std::string(arch_name) + ".";
  ModelConfig c;
  c.architecture = std::string(arch->architecture);
  c.model_type = std::string(arch->model_type);
  c.rope_pairing = arch->pairing;
  MMS_ASSIGN_OR_RETURN(c.hidden_size, f.get_int(p + "embedding_length"));
  MMS_ASSIGN_OR_RETURN(c.num_hidden_layers, f.get_int(p + "block_count"));
  MMS_ASSIGN_OR_RETURN(c.num_attention_heads, f.get_int(p + "attention.head_count"));
  MMS_ASSIGN_OR_RETURN(c.num_key_value_heads, f.get_int_or(p + "attention.head_count_kv", c.num_attention_heads));
  MMS_ASSIGN_OR_RETURN(c.intermediate_size, f.get_int(p + "feed_forward_length"));
  MMS_ASSIGN_OR_RETURN(c.max_position_embeddings, f.get_int(p + "context_length"));
  MMS_ASSIGN_OR_RETURN(c.rope_theta, f.get_float_or(p + "rope.freq_base", 10000.0));
  MMS_ASSIGN_OR_RETURN(c.rms_norm_eps, f.get_float(p + "attention.layer_norm_rms_epsilon"));
  if (c.num_attention_heads <= 0) return invalid_argument(f.path() + ": head_count must be positive");
  MMS_ASSIGN_OR_RETURN(c.head_dim, f.get_int_or(p + "attention.key_length", c.hidden_size / c.num_attention_heads));
  MMS_RETURN_IF_ERROR(read_rope_scaling(f, p, &c));

  if (f.has(p + "rope.dimension_sections")) {
    MMS_ASSIGN_OR_RETURN(std::vector<int64_t> sections, f.get_int_array(p + "rope.dimension_sections"));
    // llama.cpp stores four sections, the fourth 0 for Qwen2-VL; HF's mrope_section has three.
    while (sections.size() > 3 && sections.back() == 0) sections.pop_back();
    for (int64_t s : sections) {
      if (s < 0 || s > INT32_MAX) return invalid_argument(f.path() + ": bad rope.dimension_sections");
      c.mrope_section.push_back(static_cast<int32_t>(s));
    }
  }

  if (arch_name == "qwen2vl") MMS_RETURN_IF_ERROR(read_qwen2vl_multimodal(f, &c));

  const gguf::TensorInfo* embd = f.find_tensor("token_embd.weight");
  if (auto n = f.array_length("tokenizer.ggml.tokens")) {
    c.vocab_size = static_cast<int64_t>(*n);
  } else if (f.has(p + "vocab_size")) {
    MMS_ASSIGN_OR_RETURN(c.vocab_size, f.get_int(p + "vocab_size"));
  } else if (embd != nullptr && embd->ne.size() == 2) {
    c.vocab_size = embd->ne[1];
  } else {
    return not_found(f.path() + ": no vocabulary size (no tokenizer.ggml.tokens, " + p +
                     "vocab_size or token_embd.weight)");
  }
  c.tie_word_embeddings = f.find_tensor("output.weight") == nullptr;
  c.attention_bias = f.find_tensor("blk.0.attn_q.bias") != nullptr;
  if (embd != nullptr) {
    switch (embd->ggml_type) {
      case static_cast<uint32_t>(gguf::GgmlType::kF16): c.dtype = DType::kF16; break;
      case static_cast<uint32_t>(gguf::GgmlType::kBF16): c.dtype = DType::kBF16; break;
      default: c.dtype = DType::kF32; break;
    }
  }
  if (f.has("tokenizer.ggml.bos_token_id")) {
    MMS_ASSIGN_OR_RETURN(c.bos_token_id, token_id(f, "tokenizer.ggml.bos_token_id"));
  }
  for (std::string_view key : {"tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id"}) {
    if (!f.has(key)) continue;
    MMS_ASSIGN_OR_RETURN(int32_t id, token_id(f, key));
    if (std::find(c.eos_token_ids.begin(), c.eos_token_ids.end(), id) == c.eos_token_ids.end()) {
      c.eos_token_ids.push_back(id);
    }
  }
  Status s = c.validate();
  if (!s.ok()) return s.with_context(f.path());
  return c;
}

}  // namespace mms
