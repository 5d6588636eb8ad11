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
  std::vector<int32_t> mrope_section;  // Qwen2-VL M-RoPE split, empty for 1-D RoPE
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
