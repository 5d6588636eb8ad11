// ModelConfig::validate(): the consistency checks shared by every config source.
#include "model/model_config.h"

#include <string>

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
    int64_t sum = 0;
    for (int32_t s : mrope_section) {
      if (s < 0) return invalid_argument(where + "mrope_section has a negative entry");
      sum += s;
    }
    if (sum != head_dim / 2) {
      return invalid_argument(where + "mrope_section sums to " + std::to_string(sum) + ", expected head_dim / 2 = " +
                              std::to_string(head_dim / 2));
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
