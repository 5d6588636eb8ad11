// ModelConfig: the in-memory description of a decoder model, the same whether it came from a Hugging
// Face config.json or from GGUF metadata. Plain value type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "kernels/rope.h"
#include "tensor/dtype.h"

namespace mms {

namespace gguf {
class GgufFile;
}

struct RopeScaling {
  enum class Type { kNone, kLinear, kLlama3 };
  Type type = Type::kNone;
  double factor = 1.0;
  double low_freq_factor = 1.0;               // llama3
  double high_freq_factor = 4.0;              // llama3
  int64_t original_max_position_embeddings = 8192;  // llama3
};

struct ModelConfig {
  std::string architecture;  // HF name: "Qwen2ForCausalLM", "LlamaForCausalLM"
  std::string model_type;    // "qwen2", "llama"
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;
  int64_t head_dim = 0;  // hidden_size / num_attention_heads unless the config says otherwise
  int64_t max_position_embeddings = 0;
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  RopeScaling rope_scaling;
  // NeoX for HF checkpoints and GGUF qwen2; GPT-J for GGUF llama (its converter permuted Q/K rows).
  kernels::RopePairing rope_pairing = kernels::RopePairing::kNeox;
  bool tie_word_embeddings = false;
  bool attention_bias = false;  // Q/K/V projections have biases (Qwen2: true)
  // Qwen2-VL M-RoPE: rotary pairs per section (temporal, height, width), HF rope_scaling.mrope_section /
  // GGUF rope.dimension_sections; empty for 1-D RoPE. Sums to head_dim / 2 in published models (other
  // sums are rescaled: model/layers/rope_freqs.h mrope_sections()).
  std::vector<int32_t> mrope_section;
  // Inputs of the M-RoPE position rule (model/mrope_positions.h), 0 for text-only models:
  int32_t mrope_spatial_merge_size = 0;  // vision_config.spatial_merge_size: patches per token side (2)
  // Qwen2.5-VL: a video's temporal position = frame-pair index * second_per_grid_t * tokens_per_second
  // (vision_config.tokens_per_second). 0: Qwen2-VL's rule, the frame-pair index itself.
  double mrope_tokens_per_second = 0;
  // Multimodal placeholder tokens (HF config names), absent for text-only models.
  std::optional<int32_t> image_token_id;         // <|image_pad|>, one per image embedding row
  std::optional<int32_t> video_token_id;         // <|video_pad|>
  std::optional<int32_t> vision_start_token_id;  // <|vision_start|>, before each item's placeholders
  std::optional<int32_t> vision_end_token_id;    // <|vision_end|>, after them
  DType dtype = DType::kF32;           // torch_dtype / the GGUF weights' dtype
  std::optional<int32_t> bos_token_id;
  std::vector<int32_t> eos_token_ids;

  // Checks internal consistency (positive sizes, heads divide hidden, kv heads divide heads).
  Status validate() const;
};

// From the text of a config.json; `path` names the file in errors.
StatusOr<ModelConfig> parse_hf_config(std::string_view json_text, const std::string& path);
// From a GGUF file's metadata (general.architecture selects the key prefix: qwen2, llama, qwen2vl).
StatusOr<ModelConfig> config_from_gguf(const gguf::GgufFile& file);

// generation_config.json: defaults a request may override.
struct GenerationConfig {
  std::vector<int32_t> eos_token_ids;
  std::optional<int32_t> bos_token_id;
  bool do_sample = false;
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::optional<int64_t> top_k;
  std::optional<double> repetition_penalty;
};
StatusOr<GenerationConfig> parse_generation_config(std::string_view json_text, const std::string& path);

}  // namespace mms
