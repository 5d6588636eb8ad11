// Tokenizer::from_hf_json: reads a Hugging Face tokenizer.json (+ tokenizer_config.json) into a
// BpeTokenizerSpec. nlohmann::json exceptions are caught here and become InvalidArgument.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <limits>

#include "model/tokenizer/bpe_tokenizer.h"
#include "model/tokenizer/pre_tokenizer.h"
#include "model/tokenizer/tokenizer.h"

namespace mms {
namespace {

using nlohmann::json;
using tokenizer::BpeTokenizerSpec;
using tokenizer::Normalization;
using tokenizer::TokenKind;

constexpr int64_t kMaxVocab = 16 * 1024 * 1024;

StatusOr<Normalization> parse_normalizer(const json& n) {
  if (n.is_null()) return Normalization::kNone;
  const std::string type = n.value("type", "");
  if (type == "NFC") return Normalization::kNFC;
  if (type == "NFD") return Normalization::kNFD;
  if (type == "NFKC") return Normalization::kNFKC;
  if (type == "NFKD") return Normalization::kNFKD;
  if (type == "Sequence") {
    Normalization result = Normalization::kNone;
    for (const json& child : n.at("normalizers")) {
      MMS_ASSIGN_OR_RETURN(Normalization c, parse_normalizer(child));
      if (c == Normalization::kNone) continue;
      if (result != Normalization::kNone && result != c) {
        return unimplemented("normalizer: more than one Unicode normalization in a Sequence");
      }
      result = c;
    }
    return result;
  }
  return unimplemented("normalizer type '" + type + "' is not supported (only NFC/NFD/NFKC/NFKD)");
}

// Escapes a literal for PCRE2 (Split with a String pattern).
std::string quote_regex(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

// Collects the split regexes of a pre_tokenizer tree; sets *byte_level when a ByteLevel step is present.
Status parse_pre_tokenizer(const json& p, BpeTokenizerSpec* spec, bool* byte_level) {
  if (p.is_null()) return ok_status();
  const std::string type = p.value("type", "");
  if (type == "Sequence") {
    for (const json& child : p.at("pretokenizers")) {
      MMS_RETURN_IF_ERROR(parse_pre_tokenizer(child, spec, byte_level));
    }
    return ok_status();
  }
  if (type == "Split") {
    const json& pattern = p.at("pattern");
    std::string regex;
    if (pattern.contains("Regex")) {
      regex = pattern.at("Regex").get<std::string>();
    } else if (pattern.contains("String")) {
      regex = quote_regex(pattern.at("String").get<std::string>());
    } else {
      return invalid_argument("pre_tokenizer Split: pattern has neither Regex nor String");
    }
    const std::string behavior = p.value("behavior", "Isolated");
    if (behavior != "Isolated" || p.value("invert", false)) {
      return unimplemented("pre_tokenizer Split with behavior '" + behavior +
                           "'/invert is not supported (only Isolated)");
    }
    spec->split_patterns.push_back(std::move(regex));
    return ok_status();
  }
  if (type == "ByteLevel") {
    *byte_level = true;
    if (p.value("use_regex", true)) spec->split_patterns.emplace_back(tokenizer::kGpt2Pattern);
    spec->add_prefix_space = p.value("add_prefix_space", false);
    return ok_status();
  }
  return unimplemented("pre_tokenizer type '" + type + "' is not supported");
}

// A token name in tokenizer_config.json: "name", {"content": "name", ...} or null.
std::optional<std::string> token_name(const json& config, const char* key) {
  if (!config.contains(key)) return std::nullopt;
  const json& v = config.at(key);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("content")) return v.at("content").get<std::string>();
  return std::nullopt;
}

// Whether the post_processor prepends `bos` (Llama 3's TemplateProcessing).
bool template_adds_bos(const json& pp, const std::string& bos) {
  if (pp.is_null() || !pp.is_object()) return false;
  const std::string type = pp.value("type", "");
  if (type == "Sequence") {
    for (const json& child : pp.at("processors")) {
      if (template_adds_bos(child, bos)) return true;
    }
    return false;
  }
  if (type != "TemplateProcessing" || !pp.contains("single")) return false;
  const json& single = pp.at("single");
  if (!single.is_array() || single.empty()) return false;
  const json& first = single.at(0);
  return first.contains("SpecialToken") && first.at("SpecialToken").value("id", "") == bos;
}

// model.vocab and model.merges hold ~150k entries each; building them as a JSON DOM (a std::map node per
// entry) is most of the load time, so the parser callback streams them out and drops them from the DOM.
struct StreamedModel {
  bool vocab_open = false, merges_open = false, pair_open = false;
  std::vector<std::pair<std::string, int64_t>> vocab;
  std::vector<std::string> merges;  // "a b" strings, and [a, b] pairs joined the same way
  std::vector<std::string> pair;
  std::string error;

  bool on_event(int depth, json::parse_event_t event, json& parsed, std::vector<std::string>* path) {
    using E = json::parse_event_t;
    if (event == E::key) {
      path->resize(depth);
      (*path)[depth - 1] = std::move(parsed.get_ref<std::string&>());
    }
    const bool in_model = path->size() >= 2 && (*path)[0] == "model";
    if (depth == 2 && in_model) {
      if (event == E::object_start && (*path)[1] == "vocab") vocab_open = true;
      if (event == E::object_end) vocab_open = false;
      if (event == E::array_start && (*path)[1] == "merges") merges_open = true;
      if (event == E::array_end) merges_open = false;
      return true;
    }
    if (vocab_open && depth == 3) {
      if (event == E::key) return false;
      if (event == E::value) {
        if (!parsed.is_number_integer()) error = "model.vocab: the id of '" + (*path)[2] + "' is not an integer";
        else vocab.emplace_back(std::move((*path)[2]), parsed.get<int64_t>());
        return false;
      }
      if (event == E::object_start || event == E::array_start) error = "model.vocab: an id is not an integer";
      return true;
    }
    if (merges_open && depth >= 3) {
      auto bad = [&] {
        return "model.merges: entry " + std::to_string(merges.size()) + " is neither \"a b\" nor [a, b]";
      };
      if (depth == 3 && event == E::value) {
        if (parsed.is_string()) merges.push_back(std::move(parsed.get_ref<std::string&>()));
        else error = bad();
        return false;
      }
      if (depth == 3 && event == E::array_start) {
        pair_open = true;  // kept so that its elements reach this callback; dropped at array_end
        pair.clear();
        return true;
      }
      if (depth == 3 && event == E::array_end) {
        pair_open = false;
        if (pair.size() != 2 || pair[0].find(' ') != std::string::npos) error = bad();
        else merges.push_back(pair[0] + " " + pair[1]);
        return false;
      }
      if (depth == 4 && event == E::value && pair_open && parsed.is_string()) {
        pair.push_back(std::move(parsed.get_ref<std::string&>()));
        return false;
      }
      if (event != E::key) error = bad();
      return false;
    }
    return true;
  }
};

Status parse_model(const json& model, StreamedModel& streamed, BpeTokenizerSpec* spec) {
  if (!model.is_object()) return invalid_argument("'model' is missing or not an object");
  if (!streamed.error.empty()) return invalid_argument(streamed.error);
  const std::string type = model.value("type", "BPE");
  if (type != "BPE") return unimplemented("model type '" + type + "' is not supported (only BPE)");
  if (!model.contains("vocab") || !model.at("vocab").is_object()) {
    return invalid_argument("model.vocab is missing or not an object");
  }
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    if (model.contains(key) && model.at(key).is_string() && !model.at(key).get<std::string>().empty()) {
      return unimplemented(std::string("model.") + key + " is not supported");
    }
  }
  spec->ignore_merges = model.value("ignore_merges", false);

  int64_t max_id = -1;
  for (const auto& [text, id] : streamed.vocab) {
    if (id < 0 || id >= kMaxVocab) {
      return invalid_argument("model.vocab: id " + std::to_string(id) + " of '" + text + "' is out of range");
    }
    max_id = std::max(max_id, id);
  }
  spec->token_texts.resize(max_id + 1);
  spec->token_kinds.resize(max_id + 1, TokenKind::kUnused);
  for (auto& [text, id] : streamed.vocab) {
    if (!spec->token_texts[id].empty()) {
      return invalid_argument("model.vocab: id " + std::to_string(id) + " is given to both '" +
                              spec->token_texts[id] + "' and '" + text + "'");
    }
    spec->token_texts[id] = std::move(text);
    spec->token_kinds[id] = TokenKind::kNormal;
  }

  spec->merges.reserve(streamed.merges.size());
  for (const std::string& s : streamed.merges) {
    size_t sp = s.find(' ');
    if (sp == std::string::npos || sp == 0 || sp + 1 == s.size()) {
      return invalid_argument("model.merges: '" + s + "' is not two tokens separated by a space");
    }
    spec->merges.emplace_back(s.substr(0, sp), s.substr(sp + 1));
  }
  return ok_status();
}

Status parse_added_tokens(const json& added, BpeTokenizerSpec* spec) {
  if (added.is_null()) return ok_status();
  for (const json& a : added) {
    tokenizer::AddedToken t;
    int64_t id = a.at("id").get<int64_t>();
    t.content = a.at("content").get<std::string>();
    if (id < 0 || id >= kMaxVocab) {
      return invalid_argument("added_tokens: id " + std::to_string(id) + " of '" + t.content +
                              "' is out of range");
    }
    t.id = static_cast<int32_t>(id);
    t.special = a.value("special", false);
    t.lstrip = a.value("lstrip", false);
    t.rstrip = a.value("rstrip", false);
    t.normalized = a.value("normalized", !t.special);
    t.single_word = a.value("single_word", false);
    if (static_cast<size_t>(id) >= spec->token_texts.size()) {
      spec->token_texts.resize(id + 1);
      spec->token_kinds.resize(id + 1, TokenKind::kUnused);
    }
    spec->token_texts[id] = t.content;
    spec->token_kinds[id] = t.special ? TokenKind::kControl : TokenKind::kUserDefined;
    spec->added_tokens.push_back(std::move(t));
  }
  return ok_status();
}

Status parse_config(std::string_view config_text, const json& tok_json, BpeTokenizerSpec* spec) {
  json config = json::object();
  if (!config_text.empty()) {
    config = json::parse(config_text, nullptr, /*allow_exceptions=*/false);
    if (config.is_discarded() || !config.is_object()) {
      return invalid_argument("tokenizer_config.json is not a JSON object");
    }
  }
  auto resolve = [&](const char* key) -> StatusOr<std::optional<int32_t>> {
    std::optional<std::string> name = token_name(config, key);
    if (!name) return std::optional<int32_t>();
    for (size_t id = 0; id < spec->token_texts.size(); ++id) {
      if (spec->token_texts[id] == *name) return std::optional<int32_t>(static_cast<int32_t>(id));
    }
    return invalid_argument(std::string("tokenizer_config.json: ") + key + " '" + *name +
                            "' is not in the vocabulary");
  };
  MMS_ASSIGN_OR_RETURN(spec->bos_id, resolve("bos_token"));
  MMS_ASSIGN_OR_RETURN(spec->eos_id, resolve("eos_token"));
  if (config.contains("add_bos_token") && config.at("add_bos_token").is_boolean()) {
    spec->add_bos = config.at("add_bos_token").get<bool>();
  } else if (spec->bos_id) {
    spec->add_bos = template_adds_bos(tok_json.value("post_processor", json()), spec->token_texts[*spec->bos_id]);
  }
  return ok_status();
}

StatusOr<BpeTokenizerSpec> parse_spec(std::string_view tokenizer_json, std::string_view config_json) {
  StreamedModel streamed;
  std::vector<std::string> path;
  json j = json::parse(
      tokenizer_json,
      [&](int depth, json::parse_event_t event, json& parsed) {
        return streamed.on_event(depth, event, parsed, &path);
      },
      /*allow_exceptions=*/false);
  if (j.is_discarded()) return invalid_argument("tokenizer.json is not valid JSON");
  if (!j.is_object()) return invalid_argument("tokenizer.json is not a JSON object");
  BpeTokenizerSpec spec;
  if (!j.contains("model")) return invalid_argument("tokenizer.json has no 'model'");
  MMS_RETURN_IF_ERROR(parse_model(j.at("model"), streamed, &spec));
  MMS_RETURN_IF_ERROR(parse_added_tokens(j.value("added_tokens", json()), &spec));
  MMS_ASSIGN_OR_RETURN(spec.normalization, parse_normalizer(j.value("normalizer", json())));
  bool byte_level = false;
  MMS_RETURN_IF_ERROR(parse_pre_tokenizer(j.value("pre_tokenizer", json()), &spec, &byte_level));
  if (!byte_level) {
    return unimplemented("pre_tokenizer has no ByteLevel step: only byte-level BPE is supported");
  }
  const json decoder = j.value("decoder", json());
  const std::string decoder_type = decoder.is_object() ? decoder.value("type", "") : "";
  if (!decoder.is_null() && decoder_type != "ByteLevel" && decoder_type != "Sequence") {
    return unimplemented("decoder type '" + decoder_type + "' is not supported (only ByteLevel)");
  }
  MMS_RETURN_IF_ERROR(parse_config(config_json, j, &spec));
  return spec;
}

}  // namespace

StatusOr<std::unique_ptr<Tokenizer>> Tokenizer::from_hf_json(std::string_view tokenizer_json,
                                                             std::string_view tokenizer_config_json,
                                                             const std::string& source) {
  StatusOr<BpeTokenizerSpec> spec = invalid_argument("unparsed");
  try {
    spec = parse_spec(tokenizer_json, tokenizer_config_json);
  } catch (const nlohmann::json::exception& e) {
    return invalid_argument(source + ": malformed tokenizer JSON: " + e.what());
  }
  if (!spec.ok()) return spec.status().with_context(source);
  spec->source = source;
  return tokenizer::build_bpe_tokenizer(std::move(spec).value());
}

}  // namespace mms
