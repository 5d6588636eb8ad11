// parse_hf_config / parse_generation_config: Hugging Face config.json and generation_config.json.
#include <cstdint>
#include <optional>
#include <string>

#include "model/json_fields.h"
#include "model/model_config.h"

namespace mms {
namespace {

using json_fields::json;

// Which multimodal position rule an architecture follows.
enum class MmKind { kNone, kQwen2Vl, kQwen25Vl };

struct ArchInfo {
  std::string_view architecture;
  std::string_view model_type;
  bool qkv_bias_always;  // Qwen2 family: Q/K/V projections always have biases
  MmKind mm = MmKind::kNone;
};

constexpr ArchInfo kArchs[] = {
    {"Qwen2ForCausalLM", "qwen2", true},
    {"LlamaForCausalLM", "llama", false},
    {"Qwen2VLForConditionalGeneration", "qwen2_vl", true, MmKind::kQwen2Vl},
    {"Qwen2_5_VLForConditionalGeneration", "qwen2_5_vl", true, MmKind::kQwen25Vl},
};

// Hugging Face's config-class defaults for fields a config.json may omit. The placeholder ids have class
// defaults too (151652..151656), but those only fit the full Qwen2 vocabulary: an id the file does not
// give stays absent instead (published checkpoints give all four).
constexpr int32_t kDefaultSpatialMerge = 2;
constexpr double kDefaultTokensPerSecond = 4.0;  // Qwen2_5_VLVisionConfig; published checkpoints say 2

// A token id from the top level, else from text_config (either place occurs), else absent.
StatusOr<std::optional<int32_t>> mm_token_id(const json& root, const json& text, std::string_view key,
                                             const std::string& path) {
  MMS_ASSIGN_OR_RETURN(auto v, json_fields::opt_int(root, key, path));
  if (!v && &text != &root) {
    MMS_ASSIGN_OR_RETURN(v, json_fields::opt_int(text, key, path));
  }
  if (!v) return std::optional<int32_t>();
  if (*v < 0 || *v > INT32_MAX) return invalid_argument(path + ": field '" + std::string(key) + "' is not a token id");
  return std::optional<int32_t>(static_cast<int32_t>(*v));
}

// Placeholder ids and the M-RoPE position inputs of a Qwen2-VL-family config.
Status parse_multimodal_fields(const json& root, const json& text, MmKind kind, const std::string& path,
                               ModelConfig* c) {
  using namespace json_fields;
  if (kind == MmKind::kNone) return ok_status();
  if (c->mrope_section.empty()) return invalid_argument(path + ": rope_scaling.mrope_section is missing (M-RoPE)");
  MMS_ASSIGN_OR_RETURN(c->image_token_id, mm_token_id(root, text, "image_token_id", path));
  MMS_ASSIGN_OR_RETURN(c->video_token_id, mm_token_id(root, text, "video_token_id", path));
  MMS_ASSIGN_OR_RETURN(c->vision_start_token_id, mm_token_id(root, text, "vision_start_token_id", path));
  MMS_ASSIGN_OR_RETURN(c->vision_end_token_id, mm_token_id(root, text, "vision_end_token_id", path));
  const json* vision = find(root, "vision_config");
  if (vision != nullptr && !vision->is_object()) {
    return invalid_argument(path + ": field 'vision_config' must be an object");
  }
  const std::string where = path + " vision_config";
  std::optional<int64_t> merge;
  std::optional<double> tps;
  if (vision != nullptr) {
    MMS_ASSIGN_OR_RETURN(merge, opt_int(*vision, "spatial_merge_size", where));
    MMS_ASSIGN_OR_RETURN(tps, opt_float(*vision, "tokens_per_second", where));
  }
  const int64_t m = merge.value_or(kDefaultSpatialMerge);
  if (m <= 0 || m > 64) return invalid_argument(where + ": spatial_merge_size " + std::to_string(m) + " is out of range");
  c->mrope_spatial_merge_size = static_cast<int32_t>(m);
  // Qwen2-VL's position rule has no time scale: its video positions are frame-pair indices.
  c->mrope_tokens_per_second = kind == MmKind::kQwen25Vl ? tps.value_or(kDefaultTokensPerSecond) : 0.0;
  if (kind == MmKind::kQwen25Vl && !(c->mrope_tokens_per_second > 0)) {
    return invalid_argument(where + ": tokens_per_second must be positive");
  }
  return ok_status();
}

const ArchInfo* find_arch(std::string_view name) {
  for (const ArchInfo& a : kArchs)
    if (a.architecture == name) return &a;
  return nullptr;
}

StatusOr<DType> parse_torch_dtype(const std::optional<std::string>& s, const std::string& path) {
  if (!s || *s == "float32" || *s == "float") return DType::kF32;
  if (*s == "bfloat16") return DType::kBF16;
  if (*s == "float16" || *s == "half") return DType::kF16;
  return invalid_argument(path + ": unsupported torch_dtype '" + *s + "'");
}

// rope_scaling, or rope_parameters (transformers >= 5 spelling, which also holds rope_theta).
Status parse_rope_scaling(const json& text, const std::string& path, ModelConfig* c) {
  const char* key = "rope_scaling";
  const json* rs = json_fields::find(text, key);
  if (rs == nullptr) {
    key = "rope_parameters";
    rs = json_fields::find(text, key);
  }
  if (rs == nullptr) return ok_status();
  if (!rs->is_object()) return invalid_argument(path + ": field '" + key + "' must be an object or null");
  const std::string where = path + " " + key;
  if (!json_fields::find(text, "rope_theta")) {
    MMS_ASSIGN_OR_RETURN(auto theta, json_fields::opt_float(*rs, "rope_theta", where));
    if (theta) c->rope_theta = *theta;
  }
  MMS_ASSIGN_OR_RETURN(auto rope_type, json_fields::opt_string(*rs, "rope_type", where));
  if (!rope_type) {
    MMS_ASSIGN_OR_RETURN(rope_type, json_fields::opt_string(*rs, "type", where));
  }
  const std::string type = rope_type.value_or("default");
  if (const json* ms = json_fields::find(*rs, "mrope_section")) {
    if (!ms->is_array()) return invalid_argument(where + ": 'mrope_section' must be a list of integers");
    json holder = {{"mrope_section", *ms}};
    MMS_ASSIGN_OR_RETURN(c->mrope_section, json_fields::int_or_int_list(holder, "mrope_section", where));
  }
  RopeScaling& s = c->rope_scaling;
  if (type == "default" || type == "mrope") {
    s.type = RopeScaling::Type::kNone;
    return ok_status();
  }
  if (type != "linear" && type != "llama3") {
    return unimplemented(path + ": rope_scaling type '" + type + "' is not supported (linear, llama3)");
  }
  s.type = type == "linear" ? RopeScaling::Type::kLinear : RopeScaling::Type::kLlama3;
  MMS_ASSIGN_OR_RETURN(auto factor, json_fields::opt_float(*rs, "factor", where));
  if (!factor) return not_found(where + ": 'factor' is missing");
  s.factor = *factor;
  if (s.type == RopeScaling::Type::kLlama3) {
    MMS_ASSIGN_OR_RETURN(auto lo, json_fields::opt_float(*rs, "low_freq_factor", where));
    MMS_ASSIGN_OR_RETURN(auto hi, json_fields::opt_float(*rs, "high_freq_factor", where));
    MMS_ASSIGN_OR_RETURN(auto orig, json_fields::opt_int(*rs, "original_max_position_embeddings", where));
    s.low_freq_factor = lo.value_or(s.low_freq_factor);
    s.high_freq_factor = hi.value_or(s.high_freq_factor);
    s.original_max_position_embeddings = orig.value_or(s.original_max_position_embeddings);
    if (!(s.high_freq_factor > s.low_freq_factor) || s.original_max_position_embeddings <= 0) {
      return invalid_argument(where + ": llama3 needs high_freq_factor > low_freq_factor and a positive "
                              "original_max_position_embeddings");
    }
  }
  return ok_status();
}

// Reads the decoder fields from `text` (the whole config, or a VLM's text_config).
Status parse_text_fields(const json& text, const std::string& path, ModelConfig* c) {
  using namespace json_fields;
  MMS_ASSIGN_OR_RETURN(c->vocab_size, req_int(text, "vocab_size", path));
  MMS_ASSIGN_OR_RETURN(c->hidden_size, req_int(text, "hidden_size", path));
  MMS_ASSIGN_OR_RETURN(c->intermediate_size, req_int(text, "intermediate_size", path));
  MMS_ASSIGN_OR_RETURN(c->num_hidden_layers, req_int(text, "num_hidden_layers", path));
  MMS_ASSIGN_OR_RETURN(c->num_attention_heads, req_int(text, "num_attention_heads", path));
  MMS_ASSIGN_OR_RETURN(c->max_position_embeddings, req_int(text, "max_position_embeddings", path));
  MMS_ASSIGN_OR_RETURN(auto kv, opt_int(text, "num_key_value_heads", path));
  c->num_key_value_heads = kv.value_or(c->num_attention_heads);
  MMS_ASSIGN_OR_RETURN(auto head_dim, opt_int(text, "head_dim", path));
  if (head_dim) {
    c->head_dim = *head_dim;
  } else {
    if (c->num_attention_heads <= 0 || c->hidden_size % c->num_attention_heads != 0) {
      return invalid_argument(path + ": hidden_size " + std::to_string(c->hidden_size) +
                              " is not a multiple of num_attention_heads " +
                              std::to_string(c->num_attention_heads) + " and head_dim is not given");
    }
    c->head_dim = c->hidden_size / c->num_attention_heads;
  }
  MMS_ASSIGN_OR_RETURN(auto eps, opt_float(text, "rms_norm_eps", path));
  c->rms_norm_eps = eps.value_or(1e-6);
  MMS_ASSIGN_OR_RETURN(auto theta, opt_float(text, "rope_theta", path));
  c->rope_theta = theta.value_or(10000.0);
  MMS_RETURN_IF_ERROR(parse_rope_scaling(text, path, c));
  MMS_ASSIGN_OR_RETURN(auto act, opt_string(text, "hidden_act", path));
  if (act && *act != "silu") {
    return unimplemented(path + ": hidden_act '" + *act + "' is not supported (silu)");
  }
  return ok_status();
}

}  // namespace

StatusOr<ModelConfig> parse_hf_config(std::string_view json_text, const std::string& path) {
  using namespace json_fields;
  MMS_ASSIGN_OR_RETURN(json root, parse_object(json_text, path));
  ModelConfig c;
  const json* archs = find(root, "architectures");
  if (archs == nullptr || !archs->is_array() || archs->empty() || !(*archs)[0].is_string()) {
    return invalid_argument(path + ": 'architectures' must be a non-empty list of names");
  }
  c.architecture = (*archs)[0].get<std::string>();
  const ArchInfo* arch = find_arch(c.architecture);
  if (arch == nullptr) {
    return invalid_argument(path + ": unsupported architecture '" + c.architecture +
                            "' (supported: Qwen2ForCausalLM, LlamaForCausalLM, Qwen2VLForConditionalGeneration, "
                            "Qwen2_5_VLForConditionalGeneration)");
  }
  MMS_ASSIGN_OR_RETURN(auto model_type, opt_string(root, "model_type", path));
  c.model_type = model_type.value_or(std::string(arch->model_type));

  // Newer VLM configs nest the decoder's fields in text_config; older ones keep them at the top level.
  const json* text_config = find(root, "text_config");
  const json& text = text_config != nullptr && text_config->is_object() ? *text_config : root;
  MMS_RETURN_IF_ERROR(parse_text_fields(text, path, &c));

  MMS_ASSIGN_OR_RETURN(auto tie, opt_bool(root, "tie_word_embeddings", path));
  if (!tie && &text != &root) {
    MMS_ASSIGN_OR_RETURN(tie, opt_bool(text, "tie_word_embeddings", path));
  }
  c.tie_word_embeddings = tie.value_or(false);
  if (arch->qkv_bias_always) {
    c.attention_bias = true;
  } else {
    MMS_ASSIGN_OR_RETURN(auto bias, opt_bool(text, "attention_bias", path));
    c.attention_bias = bias.value_or(false);
  }
  MMS_ASSIGN_OR_RETURN(auto dtype, opt_string(text, "torch_dtype", path));
  if (!dtype) {
    MMS_ASSIGN_OR_RETURN(dtype, opt_string(root, "torch_dtype", path));
  }
  if (!dtype) {
    MMS_ASSIGN_OR_RETURN(dtype, opt_string(root, "dtype", path));  // transformers >= 4.56 spelling
  }
  MMS_ASSIGN_OR_RETURN(c.dtype, parse_torch_dtype(dtype, path));
  c.rope_pairing = kernels::RopePairing::kNeox;
  MMS_RETURN_IF_ERROR(parse_multimodal_fields(root, text, arch->mm, path, &c));

  MMS_ASSIGN_OR_RETURN(auto bos, int_or_int_list(root, "bos_token_id", path));
  if (bos.size() > 1) return invalid_argument(path + ": field 'bos_token_id' must be a single token id");
  if (!bos.empty()) c.bos_token_id = bos[0];
  MMS_ASSIGN_OR_RETURN(c.eos_token_ids, int_or_int_list(root, "eos_token_id", path));

  Status s = c.validate();
  if (!s.ok()) return s.with_context(path);
  return c;
}

StatusOr<GenerationConfig> parse_generation_config(std::string_view json_text, const std::string& path) {
  using namespace json_fields;
  MMS_ASSIGN_OR_RETURN(json root, parse_object(json_text, path));
  GenerationConfig g;
  MMS_ASSIGN_OR_RETURN(g.eos_token_ids, int_or_int_list(root, "eos_token_id", path));
  MMS_ASSIGN_OR_RETURN(auto bos, int_or_int_list(root, "bos_token_id", path));
  if (bos.size() > 1) return invalid_argument(path + ": field 'bos_token_id' must be a single token id");
  if (!bos.empty()) g.bos_token_id = bos[0];
  MMS_ASSIGN_OR_RETURN(auto do_sample, opt_bool(root, "do_sample", path));
  g.do_sample = do_sample.value_or(false);
  MMS_ASSIGN_OR_RETURN(g.temperature, opt_float(root, "temperature", path));
  MMS_ASSIGN_OR_RETURN(g.top_p, opt_float(root, "top_p", path));
  MMS_ASSIGN_OR_RETURN(g.top_k, opt_int(root, "top_k", path));
  MMS_ASSIGN_OR_RETURN(g.repetition_penalty, opt_float(root, "repetition_penalty", path));
  return g;
}

}  // namespace mms
