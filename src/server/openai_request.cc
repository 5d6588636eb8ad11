// OpenAI request fields -> GenerationInput (validation), then -> EngineRequest (template, tokens).
// Field handling is a table per request kind; a rejection is thrown as Reject inside this file only.
#include "server/openai_request.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <functional>
#include <limits>
#include <map>
#include <set>

#include "server/media_prompt.h"

namespace mms::server {
namespace {

using json = nlohmann::ordered_json;

struct Reject {
  ApiError error;
};

[[noreturn]] void reject(std::string message, const std::string& param, std::string code = "invalid_value") {
  throw Reject{invalid_request(std::move(message), param, std::move(code))};
}

std::string type_name(const json& v) { return v.type_name(); }

double get_number(const json& v, const std::string& name) {
  if (!v.is_number()) reject("'" + name + "' must be a number, got " + type_name(v), name, "invalid_type");
  return v.get<double>();
}

int64_t get_int(const json& v, const std::string& name) {
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (d == static_cast<double>(static_cast<int64_t>(d))) return static_cast<int64_t>(d);
  }
  reject("'" + name + "' must be an integer, got " + type_name(v), name, "invalid_type");
}

bool get_bool(const json& v, const std::string& name) {
  if (!v.is_boolean()) reject("'" + name + "' must be a boolean, got " + type_name(v), name, "invalid_type");
  return v.get<bool>();
}

void check_range(double x, double lo, double hi, const std::string& name, bool lo_open = false) {
  if (!(lo_open ? x > lo : x >= lo) || !(x <= hi))
    reject("'" + name + "' must be in " + (lo_open ? "(" : "[") + std::to_string(lo) + ", " + std::to_string(hi) +
               "], got " + std::to_string(x),
           name);
}

std::vector<int32_t> get_id_list(const json& v, const std::string& name) {
  if (!v.is_array()) reject("'" + name + "' must be an array of token ids", name, "invalid_type");
  std::vector<int32_t> ids;
  for (size_t i = 0; i < v.size(); ++i) {
    int64_t id = get_int(v[i], name + "[" + std::to_string(i) + "]");
    if (id < 0 || id > std::numeric_limits<int32_t>::max())
      reject("token id " + std::to_string(id) + " is out of range", name + "[" + std::to_string(i) + "]");
    ids.push_back(static_cast<int32_t>(id));
  }
  return ids;
}

using FieldFn = std::function<void(const json&, GenerationInput&)>;

// Fields accepted for compatibility and ignored.
const std::set<std::string, std::less<>> kIgnored = {
    "user", "store", "metadata", "service_tier", "parallel_tool_calls", "spaces_between_special_tokens",
    "length_penalty", "request_id", "cache_salt", "return_tokens_as_token_ids", "truncate_prompt_tokens",
    "documents", "reasoning_effort", "modalities", "top_a", "prediction"};

// Fields OpenAI or vLLM define whose feature mmserve lacks: rejected unless null/false/empty/default.
bool is_trivial(const json& v) {
  return v.is_null() || (v.is_boolean() && !v.get<bool>()) || (v.is_array() && v.empty()) ||
         (v.is_object() && v.empty()) || (v.is_string() && (v == "none" || v == "auto" || v == "text"));
}
const std::set<std::string, std::less<>> kUnsupported = {
    "logit_bias", "tools", "tool_choice", "functions", "function_call", "response_format", "audio",
    "web_search_options", "use_beam_search", "guided_json", "guided_regex", "guided_choice", "guided_grammar",
    "structured_outputs", "bad_words", "allowed_token_ids", "logits_processors", "prompt_logprobs", "suffix",
    "chat_template", "continue_final_message", "kv_transfer_params", "vllm_xargs"};

void parse_stop(const json& v, GenerationInput& r) {
  if (v.is_null()) return;
  if (v.is_string()) {
    if (!v.get<std::string>().empty()) r.stop.push_back(v.get<std::string>());
    return;
  }
  if (!v.is_array()) reject("'stop' must be a string or an array of strings", "stop", "invalid_type");
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string()) reject("'stop[" + std::to_string(i) + "]' must be a string", "stop", "invalid_type");
    if (!v[i].get<std::string>().empty()) r.stop.push_back(v[i].get<std::string>());
  }
}

std::map<std::string, FieldFn, std::less<>> common_fields() {
  std::map<std::string, FieldFn, std::less<>> f;
  f["model"] = [](const json& v, GenerationInput& r) {
    if (!v.is_null() && !v.is_string()) reject("'model' must be a string", "model", "invalid_type");
    if (v.is_string()) r.model = v.get<std::string>();
  };
  auto max_tokens = [](const std::string& name) {
    return [name](const json& v, GenerationInput& r) {
      if (v.is_null()) return;
      int64_t n = get_int(v, name);
      if (n < 1) reject("'" + name + "' must be at least 1, got " + std::to_string(n), name);
      r.max_tokens = n;
    };
  };
  f["max_tokens"] = max_tokens("max_tokens");
  f["max_completion_tokens"] = max_tokens("max_completion_tokens");
  f["temperature"] = [](const json& v, GenerationInput& r) {
    if (v.is_null()) return;
    double t = get_number(v, "temperature");
    check_range(t, 0, 100, "temperature");
    r.sampling.temperature = t, r.temperature_set = true;
  };
  f["top_p"] = [](const json& v, GenerationInput& r) {
    if (v.is_null()) return;
    double p = get_number(v, "top_p");
    check_range(p, 0, 1, "top_p", /*lo_open=*/true);
    r.sampling.top_p = p, r.top_p_set = true;
  };
  f["top_k"] = [](const json& v, GenerationInput& r) {
    if (v.is_null()) return;
    int64_t k = get_int(v, "top_k");
    if (k < -1) reject("'top_k' must be -1 (off), 0 (off) or positive, got " + std::to_string(k), "top_k");
    r.sampling.top_k = k < 0 ? 0 : k, r.top_k_set = true;
  };
  f["min_p"] = [](const json& v, GenerationInput& r) {
    if (v.is_null()) return;
    double p = get_number(v, "min_p");
    check_range(p, 0, 1, "min_p");
    r.sampling.min_p = p;
  };
  f["seed"] = [](const json& v, GenerationInput& r) {
    if (v.is_null()) return;
    r.sampling.seed = static_cast<uint64_t>(get_int(v, "seed")), r.seed_set = true;
  };
  f["presence_penalty"] = [](const json& v, GenerationInput& r) {
    if (v.is_null()) return;
    double p = get_number(v, "presence_penalty");
    check_range(p, -2, 2, "presence_penalty");
    r.sampling.presence_penalty = p;
  };
  f["frequency_penalty"] = [](const json& v, GenerationInput& r) {
    if (v.is_null()) return;
    double p = get_number(v, "frequency_penalty");
    check_range(p, -2, 2, "frequency_penalty");
    r.sampling.frequency_penalty = p;
  };
  f["repetition_penalty"] = [](const json& v, GenerationInput& r) {
    if (v.is_null()) return;
    double p = get_number(v, "repetition_penalty");
    check_range(p, 0, 100, "repetition_penalty", /*lo_open=*/true);
    r.sampling.repetition_penalty = p, r.repetition_penalty_set = true;
  };
  f["stop"] = parse_stop;
  f["stop_token_ids"] = [](const json& v, GenerationInput& r) {
    if (!v.is_null()) r.stop_token_ids = get_id_list(v, "stop_token_ids");
  };
  f["ignore_eos"] = [](const json& v, GenerationInput& r) {
    if (!v.is_null()) r.ignore_eos = get_bool(v, "ignore_eos");
  };
  f["min_tokens"] = [](const json& v, GenerationInput& r) {
    if (v.is_null()) return;
    int64_t n = get_int(v, "min_tokens");
    if (n < 0) reject("'min_tokens' must be non-negative", "min_tokens");
    r.min_tokens = n;
  };
  f["include_stop_str_in_output"] = [](const json& v, GenerationInput& r) {
    if (!v.is_null()) r.include_stop_str_in_output = get_bool(v, "include_stop_str_in_output");
  };
  f["skip_special_tokens"] = [](const json& v, GenerationInput& r) {
    if (!v.is_null()) r.skip_special_tokens = get_bool(v, "skip_special_tokens");
  };
  f["add_special_tokens"] = [](const json& v, GenerationInput& r) {
    if (!v.is_null()) r.add_special_tokens = get_bool(v, "add_special_tokens");
  };
  f["n"] = [](const json& v, GenerationInput&) {
    if (v.is_null()) return;
    int64_t n = get_int(v, "n");
    if (n != 1) reject("only n=1 is supported (got n=" + std::to_string(n) + ")", "n", "unsupported");
  };
  f["best_of"] = [](const json& v, GenerationInput&) {
    if (!v.is_null() && get_int(v, "best_of") != 1) reject("only best_of=1 is supported", "best_of", "unsupported");
  };
  f["stream"] = [](const json& v, GenerationInput& r) {
    if (!v.is_null()) r.stream = get_bool(v, "stream");
  };
  f["stream_options"] = [](const json& v, GenerationInput& r) {
    if (v.is_null()) return;
    if (!v.is_object()) reject("'stream_options' must be an object", "stream_options", "invalid_type");
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (it.key() == "include_usage") {
        if (!it.value().is_null()) r.include_usage = get_bool(it.value(), "stream_options.include_usage");
      } else if (it.key() != "continuous_usage_stats") {
        throw Reject{unknown_field("stream_options." + it.key())};
      }
    }
  };
  f["priority"] = [](const json& v, GenerationInput& r) {
    if (v.is_null()) return;
    int64_t p = get_int(v, "priority");
    if (p < std::numeric_limits<int32_t>::min() || p > std::numeric_limits<int32_t>::max())
      reject("'priority' is out of range", "priority");
    r.priority = static_cast<int32_t>(p);
  };
  return f;
}

// Checks one message and appends it (re-serialized, keys in order) to out.
void parse_message(const json& m, size_t i, GenerationInput& r, json& out) {
  const std::string at = "messages[" + std::to_string(i) + "]";
  if (!m.is_object()) reject("'" + at + "' must be an object", at, "invalid_type");
  if (!m.contains("role")) reject("'" + at + ".role' is missing", at + ".role", "missing_required_parameter");
  const json& role = m["role"];
  static const std::set<std::string> kRoles = {"system", "developer", "user", "assistant", "tool"};
  if (!role.is_string() || !kRoles.count(role.get<std::string>()))
    reject("'" + at + ".role' must be one of system, developer, user, assistant, tool", at + ".role");
  json msg = m;
  if (!m.contains("content") || m["content"].is_null()) {
    if (role != "assistant") reject("'" + at + ".content' is missing", at + ".content", "missing_required_parameter");
    msg["content"] = "";
  } else if (m["content"].is_array()) {
    const json& parts = m["content"];
    for (size_t j = 0; j < parts.size(); ++j) {
      const std::string pat = at + ".content[" + std::to_string(j) + "]";
      const json& p = parts[j];
      if (!p.is_object() || !p.contains("type") || !p["type"].is_string())
        reject("'" + pat + "' must be an object with a string 'type'", pat, "invalid_type");
      const std::string type = p["type"].get<std::string>();
      if (type == "text") {
        if (!p.contains("text") || !p["text"].is_string())
          reject("'" + pat + ".text' must be a string", pat + ".text", "invalid_type");
      } else if (type == "image_url") {
        const std::string upat = pat + ".image_url";
        if (!p.contains("image_url")) reject("'" + upat + "' is missing", upat, "missing_required_parameter");
        const json& u = p["image_url"];
        std::string url;
        if (u.is_string()) {
          url = u.get<std::string>();
        } else if (u.is_object() && u.contains("url") && u["url"].is_string()) {
          url = u["url"].get<std::string>();
          for (auto k = u.begin(); k != u.end(); ++k) {
            if (k.key() != "url" && k.key() != "detail") throw Reject{unknown_field(upat + "." + k.key())};
          }
        } else {
          reject("'" + upat + "' must be an object with a string 'url'", upat, "invalid_type");
        }
        if (url.empty()) reject("'" + upat + ".url' is empty", upat + ".url");
        r.media_parts.push_back(MediaPart{std::move(url), pat});
      } else if (type == "image" || type == "input_image" || type == "video_url" || type == "input_audio") {
        reject("content parts of type '" + type + "' are not supported (send images as 'image_url')", pat + ".type",
               "unsupported");
      } else {
        reject("unknown content part type '" + type + "'", pat + ".type");
      }
    }
    r.has_list_content = true;
  } else if (!m["content"].is_string()) {
    reject("'" + at + ".content' must be a string or an array of content parts", at + ".content", "invalid_type");
  }
  out.push_back(std::move(msg));
}

void parse_prompt(const json& v, GenerationInput& r) {
  if (v.is_string()) {
    r.prompt_text = v.get<std::string>();
    return;
  }
  if (v.is_array() && v.size() == 1 && (v[0].is_string() || v[0].is_array())) {
    parse_prompt(v[0], r);
    return;
  }
  if (v.is_array() && !v.empty() && v[0].is_number()) {
    r.prompt_ids = get_id_list(v, "prompt");
    return;
  }
  if (v.is_array() && v.size() > 1) reject("batched prompts are not supported (send one prompt)", "prompt", "unsupported");
  reject("'prompt' must be a string or an array of token ids", "prompt", "invalid_type");
}

int64_t count_token(const std::vector<int32_t>& ids, int32_t token) {
  return static_cast<int64_t>(std::count(ids.begin(), ids.end(), token));
}

}  // namespace

std::variant<GenerationInput, ApiError> parse_generation_request(std::string_view body, RequestKind kind) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return malformed_json("parse error");
  if (!j.is_object()) return malformed_json("expected an object");
  static const auto kCommon = common_fields();
  GenerationInput r;
  r.kind = kind;
  r.add_special_tokens = kind == RequestKind::kCompletion;
  try {
    bool has_logprobs = false;
    int64_t top_logprobs = -1;
    for (auto it = j.begin(); it != j.end(); ++it) {
      const std::string& key = it.key();
      const json& v = it.value();
      if (auto f = kCommon.find(key); f != kCommon.end()) {
        f->second(v, r);
      } else if (kIgnored.count(key)) {
      } else if (kUnsupported.count(key)) {
        if (!is_trivial(v)) reject("'" + key + "' is not supported", key, "unsupported");
      } else if (kind == RequestKind::kChat && key == "messages") {
        if (!v.is_array()) reject("'messages' must be an array", "messages", "invalid_type");
        if (v.empty()) reject("'messages' must not be empty", "messages");
        json msgs = json::array();
        for (size_t i = 0; i < v.size(); ++i) parse_message(v[i], i, r, msgs);
        r.messages_json = msgs.dump();
      } else if (kind == RequestKind::kChat && key == "logprobs") {
        if (!v.is_null()) has_logprobs = get_bool(v, "logprobs");
      } else if (kind == RequestKind::kChat && key == "top_logprobs") {
        if (!v.is_null()) {
          top_logprobs = get_int(v, "top_logprobs");
          if (top_logprobs < 0 || top_logprobs > 20) reject("'top_logprobs' must be in [0, 20]", "top_logprobs");
        }
      } else if (kind == RequestKind::kChat && key == "add_generation_prompt") {
        if (!v.is_null()) r.add_generation_prompt = get_bool(v, "add_generation_prompt");
      } else if (kind == RequestKind::kChat && key == "mm_processor_kwargs") {
        if (v.is_null()) continue;
        if (!v.is_object()) reject("'mm_processor_kwargs' must be an object", key, "invalid_type");
        for (auto k = v.begin(); k != v.end(); ++k) {
          const std::string name = "mm_processor_kwargs." + k.key();
          if (k.key() != "min_pixels" && k.key() != "max_pixels") throw Reject{unknown_field(name)};
          if (k.value().is_null()) continue;
          const int64_t n = get_int(k.value(), name);
          if (n < 1) reject("'" + name + "' must be positive", name);
          (k.key() == "min_pixels" ? r.image_overrides.min_pixels : r.image_overrides.max_pixels) = n;
        }
      } else if (kind == RequestKind::kChat && key == "chat_template_kwargs") {
        if (!v.is_null() && !v.is_object())
          reject("'chat_template_kwargs' must be an object", "chat_template_kwargs", "invalid_type");
        if (v.is_object()) r.chat_template_kwargs_json = v.dump();
      } else if (kind == RequestKind::kCompletion && key == "prompt") {
        parse_prompt(v, r);
      } else if (kind == RequestKind::kCompletion && key == "logprobs") {
        if (!v.is_null()) {
          int64_t k = get_int(v, "logprobs");
          if (k < 0 || k > 20) reject("'logprobs' must be in [0, 20]", "logprobs");
          r.sampling.logprobs = static_cast<int32_t>(k);
        }
      } else if (kind == RequestKind::kCompletion && key == "echo") {
        if (!v.is_null() && get_bool(v, "echo")) reject("'echo' is not supported", "echo", "unsupported");
      } else {
        throw Reject{unknown_field(key)};
      }
    }
    if (kind == RequestKind::kChat) {
      if (r.messages_json.empty()) reject("'messages' is required", "messages", "missing_required_parameter");
      if (top_logprobs >= 0 && !has_logprobs)
        reject("'top_logprobs' requires 'logprobs' to be true", "top_logprobs");
      if (has_logprobs) r.sampling.logprobs = static_cast<int32_t>(std::max<int64_t>(top_logprobs, 0));
    } else if (!r.prompt_text && r.prompt_ids.empty()) {
      reject("'prompt' is required", "prompt", "missing_required_parameter");
    }
    if (!r.stream && j.contains("stream_options") && !j["stream_options"].is_null())
      reject("'stream_options' is only allowed when 'stream' is true", "stream_options");
    if (r.max_tokens && r.min_tokens > *r.max_tokens)
      reject("'min_tokens' must not exceed 'max_tokens'", "min_tokens");
  } catch (const Reject& e) {
    return e.error;
  } catch (const std::exception& e) {  // nlohmann type errors not caught above
    return invalid_request(std::string("bad request: ") + e.what());
  }
  return r;
}

std::variant<std::vector<int32_t>, ApiError> tokenize_prompt(const GenerationInput& in, const ServedModel& model) {
  const Tokenizer* tok = model.tokenizer;
  std::vector<int32_t> ids;
  if (in.kind == RequestKind::kChat) {
    if (!model.chat_template) return invalid_request("this model has no chat template; use /v1/completions", "messages");
    if (!tok) return invalid_request("this model has no tokenizer; send token ids to /v1/completions", "messages");
    ChatTemplateOptions opts;
    opts.bos_token = model.bos_token;
    opts.eos_token = model.eos_token;
    opts.extra_vars_json = in.chat_template_kwargs_json;
    auto text = model.chat_template->render(in.messages_json, in.add_generation_prompt, opts);
    const int64_t num_images = static_cast<int64_t>(in.media_parts.size());
    if (text.ok()) {
      ids = tok->encode(*text, /*parse_special=*/true);
      if (num_images > 0 && model.media && count_token(ids, model.media->image_token_id) != num_images) {
        text = invalid_argument("the chat template did not place the images");  // render flattened below
      }
    }
    if (!text.ok() && in.has_list_content) {  // templates that only take string content
      const std::string marker = model.media ? model.media->image_marker : "";
      auto flat = flatten_content_parts(in.messages_json, marker, "");
      if (!flat.ok()) return from_status(flat.status(), "messages");
      text = model.chat_template->render(*flat, in.add_generation_prompt, opts);
      if (text.ok()) ids = tok->encode(*text, /*parse_special=*/true);
    }
    if (!text.ok()) return from_status(text.status(), "messages");
    if (num_images > 0 && model.media && count_token(ids, model.media->image_token_id) != num_images) {
      return invalid_request("the prompt holds image placeholder tokens of its own, or the chat template lost an "
                             "image: " + std::to_string(num_images) + " images were sent",
                             "messages");
    }
    if (in.add_special_tokens && tok->add_bos() && tok->bos_id()) ids.insert(ids.begin(), *tok->bos_id());
  } else if (in.prompt_text) {
    if (!tok) return invalid_request("this model has no tokenizer; send the prompt as token ids", "prompt");
    ids = tok->encode(*in.prompt_text, /*parse_special=*/true);
    if (in.add_special_tokens && tok->add_bos() && tok->bos_id()) ids.insert(ids.begin(), *tok->bos_id());
  } else {
    ids = in.prompt_ids;
  }
  const std::string prompt_param = in.kind == RequestKind::kChat ? "messages" : "prompt";
  for (int32_t id : ids)
    if (model.vocab_size > 0 && id >= model.vocab_size)
      return invalid_request("token id " + std::to_string(id) + " is outside the vocabulary (size " +
                                 std::to_string(model.vocab_size) + ")",
                             prompt_param);
  return ids;
}

std::variant<PreparedRequest, ApiError> prepare_request(const GenerationInput& in, const ServedModel& model) {
  if (!in.model.empty() && in.model != model.name) return model_not_found(in.model);
  PreparedRequest p;
  if (!in.media_parts.empty()) {
    if (!model.media) {
      return invalid_request("this model does not accept images", in.media_parts[0].param, "unsupported");
    }
    const int64_t max_images = model.media->max_images_per_request;
    if (static_cast<int64_t>(in.media_parts.size()) > max_images) {  // name the first image over the limit
      return invalid_request("at most " + std::to_string(max_images) + " images are allowed per request, got " +
                                 std::to_string(in.media_parts.size()),
                             in.media_parts[static_cast<size_t>(max_images)].param + ".image_url", "too_many_images");
    }
  }
  auto tokens = tokenize_prompt(in, model);
  if (auto* e = std::get_if<ApiError>(&tokens)) return *e;
  std::vector<int32_t>& ids = p.engine.prompt_token_ids;
  ids = std::move(std::get<std::vector<int32_t>>(tokens));
  if (!in.media_parts.empty()) {
    auto media = prepare_media(in, *model.media, ids);
    if (auto* e = std::get_if<ApiError>(&media)) return *e;
    auto& m = std::get<PreparedMedia>(media);
    ids = std::move(m.token_ids);
    p.engine.mm_inputs = std::move(m.inputs);
    p.engine.mm_items = std::move(m.items);
  }
  const std::string prompt_param = in.kind == RequestKind::kChat ? "messages" : "prompt";
  if (ids.empty()) return invalid_request("the prompt is empty", prompt_param);
  for (int32_t id : in.stop_token_ids)
    if (model.vocab_size > 0 && id >= model.vocab_size)
      return invalid_request("stop token id " + std::to_string(id) + " is outside the vocabulary", "stop_token_ids");
  const int64_t n_prompt = static_cast<int64_t>(ids.size());
  p.num_prompt_tokens = n_prompt;
  const int64_t ctx = model.max_model_len;
  const std::string max_param = "max_tokens";
  if (ctx > 0 && n_prompt >= ctx)
    return invalid_request("This model's maximum context length is " + std::to_string(ctx) +
                               " tokens. However, your prompt has " + std::to_string(n_prompt) +
                               " tokens; no room is left for output.",
                           prompt_param, "context_length_exceeded");
  int64_t max_tokens = in.max_tokens.value_or(in.kind == RequestKind::kCompletion ? 16 : (ctx > 0 ? ctx - n_prompt : 16));
  if (ctx > 0 && n_prompt + max_tokens > ctx)
    return invalid_request("This model's maximum context length is " + std::to_string(ctx) + " tokens. However, you requested " +
                               std::to_string(n_prompt + max_tokens) + " tokens (" + std::to_string(n_prompt) +
                               " in the prompt, " + std::to_string(max_tokens) + " for the completion).",
                           max_param, "context_length_exceeded");
  SamplingParams s = in.sampling;
  if (!in.temperature_set) s.temperature = model.default_temperature.value_or(1.0);
  if (!in.top_p_set && model.default_top_p) s.top_p = *model.default_top_p;
  if (!in.top_k_set && model.default_top_k) s.top_k = *model.default_top_k;
  if (!in.repetition_penalty_set && model.default_repetition_penalty)
    s.repetition_penalty = *model.default_repetition_penalty;
  p.engine.sampling = s;
  StopParams& st = p.engine.stop;
  st.max_tokens = max_tokens;
  st.min_tokens = std::min(in.min_tokens, max_tokens);
  st.ignore_eos = in.ignore_eos;
  st.stop_token_ids = in.stop_token_ids;
  if (!model.eos_token_ids.empty()) {
    st.eos_token_id = model.eos_token_ids[0];
    if (!in.ignore_eos)
      for (size_t i = 1; i < model.eos_token_ids.size(); ++i) st.stop_token_ids.push_back(model.eos_token_ids[i]);
  }
  p.engine.priority = in.priority;
  return p;
}

}  // namespace mms::server
