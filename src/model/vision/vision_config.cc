#include "model/vision/vision_config.h"

#include <algorithm>
#include <cmath>

#include "model/gguf/gguf_file.h"
#include "model/json_fields.h"

namespace mms {
namespace {

using json_fields::json;

Status positive(const std::string& where, std::string_view field, int64_t v) {
  if (v <= 0) {
    return invalid_argument(where + ": " + std::string(field) + " must be positive, got " + std::to_string(v));
  }
  return ok_status();
}

// A float array key of exactly 3 values (mean/std) into out, when present.
Status read_rgb(const gguf::GgufFile& f, std::string_view key, float* out) {
  if (!f.has(key)) return ok_status();
  MMS_ASSIGN_OR_RETURN(std::vector<double> v, f.get_float_array(key));
  if (v.size() != 3) {
    return invalid_argument(f.path() + ": key '" + std::string(key) + "' must hold 3 values, got " +
                            std::to_string(v.size()));
  }
  for (int i = 0; i < 3; ++i) out[i] = static_cast<float>(v[i]);
  return ok_status();
}

Status read_rgb(const json& obj, std::string_view key, const std::string& path, float* out) {
  const json* v = json_fields::find(obj, key);
  if (v == nullptr) return ok_status();
  if (!v->is_array() || v->size() != 3) {
    return invalid_argument(path + ": field '" + std::string(key) + "' must be a list of 3 numbers");
  }
  for (int i = 0; i < 3; ++i) {
    if (!(*v)[i].is_number()) return invalid_argument(path + ": field '" + std::string(key) + "' must hold numbers");
    out[i] = (*v)[i].get<float>();
  }
  return ok_status();
}

StatusOr<int64_t> req_int(const json& obj, std::string_view key, const std::string& path) {
  MMS_ASSIGN_OR_RETURN(std::optional<int64_t> v, json_fields::opt_int(obj, key, path));
  if (!v) return not_found(path + ": field 'vision_config." + std::string(key) + "' is missing");
  return *v;
}

StatusOr<int64_t> int_or(const json& obj, std::string_view key, const std::string& path, int64_t dflt) {
  MMS_ASSIGN_OR_RETURN(std::optional<int64_t> v, json_fields::opt_int(obj, key, path));
  return v.value_or(dflt);
}

}  // namespace

bool VisionConfig::full_attention(int64_t layer) const {
  if (!is_qwen25()) return true;
  return std::find(fullatt_block_indexes.begin(), fullatt_block_indexes.end(), layer) != fullatt_block_indexes.end();
}

Status VisionConfig::validate() const {
  const std::string w = "vision config";
  if (projector != kQwen2VlMerger && projector != kQwen25VlMerger) {
    return unimplemented(w + ": projector '" + projector + "' is not supported (qwen2vl_merger, qwen2.5vl_merger)");
  }
  MMS_RETURN_IF_ERROR(positive(w, "hidden_size", hidden_size));
  MMS_RETURN_IF_ERROR(positive(w, "intermediate_size", intermediate_size));
  MMS_RETURN_IF_ERROR(positive(w, "depth", num_layers));
  MMS_RETURN_IF_ERROR(positive(w, "num_heads", num_heads));
  MMS_RETURN_IF_ERROR(positive(w, "in_channels", in_channels));
  MMS_RETURN_IF_ERROR(positive(w, "patch_size", patch_size));
  MMS_RETURN_IF_ERROR(positive(w, "temporal_patch_size", temporal_patch_size));
  MMS_RETURN_IF_ERROR(positive(w, "spatial_merge_size", spatial_merge_size));
  MMS_RETURN_IF_ERROR(positive(w, "out_hidden_size", out_hidden_size));
  const int64_t kLimit = int64_t{1} << 20;
  for (int64_t v : {hidden_size, intermediate_size, num_layers, patch_size, out_hidden_size, window_size})
    if (v > kLimit) return invalid_argument(w + ": a size is implausibly large (" + std::to_string(v) + ")");
  if (hidden_size % num_heads != 0) {
    return invalid_argument(w + ": hidden_size " + std::to_string(hidden_size) + " is not a multiple of num_heads " +
                            std::to_string(num_heads));
  }
  if (head_dim() % 4 != 0) {
    return invalid_argument(w + ": head_dim " + std::to_string(head_dim()) + " must be a multiple of 4 (2-D RoPE)");
  }
  if (!(norm_eps >= 0) || !std::isfinite(norm_eps)) return invalid_argument(w + ": bad norm epsilon");
  if (is_qwen25()) {
    MMS_RETURN_IF_ERROR(positive(w, "window_size", window_size));
    if (window_size % (spatial_merge_size * patch_size) != 0) {
      return invalid_argument(w + ": window_size " + std::to_string(window_size) +
                              " is not a multiple of spatial_merge_size * patch_size");
    }
    for (int32_t l : fullatt_block_indexes) {
      if (l < 0 || l >= num_layers) {
        return invalid_argument(w + ": fullatt_block_indexes holds " + std::to_string(l) + ", outside depth " +
                                std::to_string(num_layers));
      }
    }
  }
  return ok_status();
}

StatusOr<VisionConfig> vision_config_from_gguf(const gguf::GgufFile& f) {
  const std::string& p = f.path();
  MMS_ASSIGN_OR_RETURN(std::string_view arch, f.get_string("general.architecture"));
  if (arch != "clip") {
    return invalid_argument(p + ": general.architecture is '" + std::string(arch) + "', expected 'clip' (an mmproj)");
  }
  if (f.has("clip.has_vision_encoder")) {
    MMS_ASSIGN_OR_RETURN(bool has, f.get_bool("clip.has_vision_encoder"));
    if (!has) return invalid_argument(p + ": clip.has_vision_encoder is false");
  }
  VisionConfig c;
  MMS_ASSIGN_OR_RETURN(std::string_view proj, f.get_string("clip.projector_type"));
  c.projector = std::string(proj);
  if (c.projector != kQwen2VlMerger && c.projector != kQwen25VlMerger) {
    return unimplemented(p + ": clip.projector_type '" + c.projector +
                         "' is not supported (qwen2vl_merger, qwen2.5vl_merger)");
  }
  MMS_ASSIGN_OR_RETURN(c.hidden_size, f.get_int("clip.vision.embedding_length"));
  MMS_ASSIGN_OR_RETURN(c.intermediate_size, f.get_int("clip.vision.feed_forward_length"));
  MMS_ASSIGN_OR_RETURN(c.num_layers, f.get_int("clip.vision.block_count"));
  MMS_ASSIGN_OR_RETURN(c.num_heads, f.get_int("clip.vision.attention.head_count"));
  MMS_ASSIGN_OR_RETURN(c.patch_size, f.get_int("clip.vision.patch_size"));
  MMS_ASSIGN_OR_RETURN(c.out_hidden_size, f.get_int("clip.vision.projection_dim"));
  MMS_ASSIGN_OR_RETURN(c.norm_eps, f.get_float_or("clip.vision.attention.layer_norm_epsilon", 1e-6));
  MMS_ASSIGN_OR_RETURN(c.spatial_merge_size, f.get_int_or("clip.vision.spatial_merge_size", 2));
  // llama.cpp's converter writes no window key for Qwen2.5-VL; 112 px is the model's value.
  MMS_ASSIGN_OR_RETURN(c.window_size, f.get_int_or("clip.vision.window_size", 112));
  MMS_RETURN_IF_ERROR(read_rgb(f, "clip.vision.image_mean", c.image_mean));
  MMS_RETURN_IF_ERROR(read_rgb(f, "clip.vision.image_std", c.image_std));
  if (c.is_qwen25()) {
    // HF fullatt_block_indexes, stored as the first index + 1 (the converter rejects irregular lists).
    MMS_ASSIGN_OR_RETURN(int64_t n_wa, f.get_int("clip.vision.n_wa_pattern"));
    if (n_wa <= 0) return invalid_argument(p + ": clip.vision.n_wa_pattern must be positive");
    for (int64_t l = 0; l < c.num_layers; ++l)
      if ((l + 1) % n_wa == 0) c.fullatt_block_indexes.push_back(static_cast<int32_t>(l));
  }
  MMS_RETURN_IF_ERROR(c.validate().with_context(p));
  return c;
}

StatusOr<VisionConfig> parse_hf_vision_config(std::string_view text, const std::string& path) {
  MMS_ASSIGN_OR_RETURN(json root, json_fields::parse_object(text, path));
  MMS_ASSIGN_OR_RETURN(std::optional<std::string> model_type, json_fields::opt_string(root, "model_type", path));
  std::string arch;
  if (const json* a = json_fields::find(root, "architectures"); a && a->is_array() && !a->empty() &&
                                                                 (*a)[0].is_string()) {
    arch = (*a)[0].get<std::string>();
  }
  const json* vc = json_fields::find(root, "vision_config");
  if (vc == nullptr) return not_found(path + ": field 'vision_config' is missing (not a vision-language model)");
  if (!vc->is_object()) return invalid_argument(path + ": field 'vision_config' must be an object");
  VisionConfig c;
  if (model_type == "qwen2_5_vl" || arch == "Qwen2_5_VLForConditionalGeneration") {
    c.projector = std::string(kQwen25VlMerger);
    MMS_ASSIGN_OR_RETURN(c.hidden_size, req_int(*vc, "hidden_size", path));
    MMS_ASSIGN_OR_RETURN(c.intermediate_size, req_int(*vc, "intermediate_size", path));
    MMS_ASSIGN_OR_RETURN(c.out_hidden_size, req_int(*vc, "out_hidden_size", path));
    MMS_ASSIGN_OR_RETURN(c.window_size, int_or(*vc, "window_size", path, 112));
    if (const json* fa = json_fields::find(*vc, "fullatt_block_indexes")) {
      if (!fa->is_array()) {
        return invalid_argument(path + ": field 'vision_config.fullatt_block_indexes' must be a list");
      }
      for (const json& v : *fa) {
        if (!v.is_number_integer()) {
          return invalid_argument(path + ": field 'vision_config.fullatt_block_indexes' must hold integers");
        }
        c.fullatt_block_indexes.push_back(v.get<int32_t>());
      }
      std::sort(c.fullatt_block_indexes.begin(), c.fullatt_block_indexes.end());
    }
    MMS_ASSIGN_OR_RETURN(std::optional<double> tps, json_fields::opt_float(*vc, "tokens_per_second", path));
    if (tps) c.tokens_per_second = *tps;
  } else if (model_type == "qwen2_vl" || arch == "Qwen2VLForConditionalGeneration") {
    c.projector = std::string(kQwen2VlMerger);
    MMS_ASSIGN_OR_RETURN(c.hidden_size, req_int(*vc, "embed_dim", path));
    MMS_ASSIGN_OR_RETURN(std::optional<double> ratio, json_fields::opt_float(*vc, "mlp_ratio", path));
    c.intermediate_size = static_cast<int64_t>(static_cast<double>(c.hidden_size) * ratio.value_or(4.0));
    MMS_ASSIGN_OR_RETURN(c.out_hidden_size, req_int(*vc, "hidden_size", path));  // the LLM's width
  } else {
    return unimplemented(path + ": model_type '" + model_type.value_or("") + "' / architecture '" + arch +
                         "' has no supported vision tower (qwen2_vl, qwen2_5_vl)");
  }
  MMS_ASSIGN_OR_RETURN(c.num_layers, req_int(*vc, "depth", path));
  MMS_ASSIGN_OR_RETURN(c.num_heads, req_int(*vc, "num_heads", path));
  MMS_ASSIGN_OR_RETURN(c.in_channels, int_or(*vc, "in_chans", path, 3));
  MMS_ASSIGN_OR_RETURN(c.in_channels, int_or(*vc, "in_channels", path, c.in_channels));
  MMS_ASSIGN_OR_RETURN(c.patch_size, int_or(*vc, "patch_size", path, 14));
  MMS_ASSIGN_OR_RETURN(c.temporal_patch_size, int_or(*vc, "temporal_patch_size", path, 2));
  MMS_ASSIGN_OR_RETURN(c.spatial_merge_size, int_or(*vc, "spatial_merge_size", path, 2));
  MMS_ASSIGN_OR_RETURN(std::optional<std::string> act, json_fields::opt_string(*vc, "hidden_act", path));
  const char* want_act = c.is_qwen25() ? "silu" : "quick_gelu";
  if (act && *act != want_act) {
    return unimplemented(path + ": vision_config.hidden_act '" + *act + "' is not supported (expected '" + want_act +
                         "')");
  }
  MMS_RETURN_IF_ERROR(c.validate().with_context(path));
  return c;
}

Status apply_hf_preprocessor_config(std::string_view text, const std::string& path, VisionConfig* c) {
  MMS_ASSIGN_OR_RETURN(json root, json_fields::parse_object(text, path));
  MMS_RETURN_IF_ERROR(read_rgb(root, "image_mean", path, c->image_mean));
  MMS_RETURN_IF_ERROR(read_rgb(root, "image_std", path, c->image_std));
  const std::pair<const char*, int64_t> must_match[] = {
      {"patch_size", c->patch_size}, {"merge_size", c->spatial_merge_size},
      {"temporal_patch_size", c->temporal_patch_size}};
  for (const auto& [key, want] : must_match) {
    MMS_ASSIGN_OR_RETURN(std::optional<int64_t> v, json_fields::opt_int(root, key, path));
    if (v && *v != want) {
      return invalid_argument(path + ": " + key + " " + std::to_string(*v) + " disagrees with the model config's " +
                              std::to_string(want));
    }
  }
  return ok_status();
}

}  // namespace mms
