// ModelConfig::validate(): the consistency checks shared by every config source.
#include "model/model_config.h"

#include <string>
#include <utility>

namespace mms {
namespace {

// Generous upper bounds: they only stop a corrupt or hostile config from sizing absurd allocations.
constexpr int64_t kMaxDim = int64_t{1} << 20;        // hidden, intermediate, head_dim
constexpr int64_t kMaxVocab = int64_t{1} << 24;
constexpr int64_t kMaxLayers = 4096;
constexpr int64_t kMaxHeads = 4096;

Status check_range(const ModelConfig& c, std::string_view field, int64_t v, int64_t max) {
  if (v <= 0 || v > max) {
    return invalid_argument(c.architecture + " config: " + std::string(field) + " = " + std::to_string(v) +
                            " is out of range [1, " + std::to_string(max) + "]");
  }
  return ok_status();
}

}  // namespace

Status ModelConfig::validate() const {
  MMS_RETURN_IF_ERROR(check_range(*this, "vocab_size", vocab_size, kMaxVocab));
  MMS_RETURN_IF_ERROR(check_range(*this, "hidden_size", hidden_size, kMaxDim));
  MMS_RETURN_IF_ERROR(check_range(*this, "intermediate_size", intermediate_size, kMaxDim));
  MMS_RETURN_IF_ERROR(check_range(*this, "num_hidden_layers", num_hidden_layers, kMaxLayers));
  MMS_RETURN_IF_ERROR(check_range(*this, "num_attention_heads", num_attention_heads, kMaxHeads));
  MMS_RETURN_IF_ERROR(check_range(*this, "num_key_value_heads", num_key_value_heads, kMaxHeads));
  MMS_RETURN_IF_ERROR(check_range(*this, "head_dim", head_dim, kMaxDim));
  MMS_RETURN_IF_ERROR(check_range(*this, "max_position_embeddings", max_position_embeddings, int64_t{1} << 40));
  const std::string where = architecture + " config: ";
  if (num_attention_heads % num_key_value_heads != 0) {
    return invalid_argument(where + "num_attention_heads " + std::to_string(num_attention_heads) +
                            " is not a multiple of num_key_value_heads " + std::to_string(num_key_value_heads));
  }
  if (head_dim % 2 != 0) return invalid_argument(where + "head_dim " + std::to_string(head_dim) + " is odd");
  if (num_attention_heads * head_dim > kMaxDim) {
    return invalid_argument(where + "num_attention_heads * head_dim is too large");
  }
  if (!(rms_norm_eps > 0) || !(rope_theta > 0)) {
    return invalid_argument(where + "rms_norm_eps and rope_theta must be positive");
  }
  if (rope_scaling.type != RopeScaling::Type::kNone && !(rope_scaling.factor > 0)) {
    return invalid_argument(where + "rope_scaling.factor must be positive");
  }
  if (!mrope_section.empty()) {
    if (mrope_section.size() != 3) {
      return invalid_argument(where + "mrope_section has " + std::to_string(mrope_section.size()) +
                              " entries, expected 3 (temporal, height, width)");
    }
    int64_t sum = 0;
    for (int32_t s : mrope_section) {
      if (s < 0 || s > kMaxDim) return invalid_argument(where + "mrope_section has an entry out of range");
      sum += s;
    }
    if (sum == 0) return invalid_argument(where + "mrope_section sums to 0");
  }
  if (mrope_spatial_merge_size < 0 || mrope_spatial_merge_size > 64) {
    return invalid_argument(where + "spatial_merge_size " + std::to_string(mrope_spatial_merge_size) +
                            " is out of range [1, 64]");
  }
  if (!(mrope_tokens_per_second >= 0 && mrope_tokens_per_second <= 1e6)) {
    return invalid_argument(where + "tokens_per_second must be in [0, 1e6]");
  }
  const std::pair<const char*, const std::optional<int32_t>*> mm_ids[] = {
      {"image_token_id", &image_token_id},
      {"video_token_id", &video_token_id},
      {"vision_start_token_id", &vision_start_token_id},
      {"vision_end_token_id", &vision_end_token_id}};
  for (const auto& [name, id] : mm_ids) {
    if (*id && (**id < 0 || **id >= vocab_size)) {
      return invalid_argument(where + name + " " + std::to_string(**id) + " is outside the vocabulary");
    }
  }
  if (bos_token_id && (*bos_token_id < 0 || *bos_token_id >= vocab_size)) {
    return invalid_argument(where + "bos_token_id " + std::to_string(*bos_token_id) + " is outside the vocabulary");
  }
  for (int32_t e : eos_token_ids) {
    if (e < 0 || e >= vocab_size) {
      return invalid_argument(where + "eos_token_id " + std::to_string(e) + " is outside the vocabulary");
    }
  }
  return ok_status();
}

}  // namespace mms
