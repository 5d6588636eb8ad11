// VisionConfig: the shape of a Qwen2-VL / Qwen2.5-VL vision tower and patch merger, the same whether it came from
// a GGUF mmproj (llama.cpp's `clip` arch) or a Hugging Face config.json's `vision_config`. Plain value type; the
// parsers are pure functions (thread-safe). Errors name the file and the key.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace mms {

namespace gguf {
class GgufFile;
}

inline constexpr std::string_view kQwen2VlMerger = "qwen2vl_merger";    // Qwen2-VL
inline constexpr std::string_view kQwen25VlMerger = "qwen2.5vl_merger";  // Qwen2.5-VL

struct VisionConfig {
  std::string projector;             // kQwen2VlMerger | kQwen25VlMerger
  int64_t hidden_size = 0;           // ViT width (HF Qwen2-VL embed_dim, Qwen2.5-VL hidden_size)
  int64_t intermediate_size = 0;     // ViT MLP width (Qwen2-VL: embed_dim * mlp_ratio)
  int64_t num_layers = 0;            // depth
  int64_t num_heads = 0;
  int64_t in_channels = 3;
  int64_t patch_size = 14;
  int64_t temporal_patch_size = 2;
  int64_t spatial_merge_size = 2;
  int64_t out_hidden_size = 0;       // the language model's hidden size
  int64_t window_size = 112;         // Qwen2.5-VL window attention, pixels
  std::vector<int32_t> fullatt_block_indexes;  // Qwen2.5-VL layers with full attention (sorted)
  double norm_eps = 1e-6;
  double rope_theta = 10000.0;       // vision RoPE
  double tokens_per_second = 2.0;    // Qwen2.5-VL video M-RoPE time scale (vision_config.tokens_per_second)
  float image_mean[3] = {0.48145466f, 0.4578275f, 0.40821073f};
  float image_std[3] = {0.26862954f, 0.26130258f, 0.27577711f};

  // Qwen2.5-VL: RMSNorm, SwiGLU MLP, window attention. Qwen2-VL: LayerNorm, quick-GELU MLP, full attention.
  bool is_qwen25() const { return projector == kQwen25VlMerger; }
  int64_t head_dim() const { return num_heads > 0 ? hidden_size / num_heads : 0; }
  // Full attention in layer l (every layer of Qwen2-VL).
  bool full_attention(int64_t layer) const;
  // Window side in merged units (HF vit_merger_window_size).
  int64_t window_units() const { return window_size / spatial_merge_size / patch_size; }
  // Positive sizes, heads divide the width, head_dim divisible by 4 (2-D RoPE), a window of whole merged units,
  // full-attention indexes within depth. InvalidArgument naming the field otherwise.
  Status validate() const;
};

// From a GGUF mmproj: general.architecture `clip`, clip.projector_type, clip.vision.* (embedding_length,
// feed_forward_length, block_count, attention.head_count, patch_size, attention.layer_norm_epsilon,
// projection_dim, image_mean, image_std; Qwen2.5-VL: n_wa_pattern, full attention where (l + 1) % n == 0;
// optional window_size (default 112) and spatial_merge_size (default 2)). Unimplemented for other projectors.
StatusOr<VisionConfig> vision_config_from_gguf(const gguf::GgufFile& file);

// From the text of a Hugging Face config.json (Qwen2VLForConditionalGeneration or
// Qwen2_5_VLForConditionalGeneration, told apart by model_type / architectures): its `vision_config`.
StatusOr<VisionConfig> parse_hf_vision_config(std::string_view config_json, const std::string& path);

// Applies a preprocessor_config.json (image_mean, image_std; patch_size, merge_size and temporal_patch_size,
// when present, must agree with the config).
Status apply_hf_preprocessor_config(std::string_view json_text, const std::string& path, VisionConfig* config);

}  // namespace mms
