#include "model/hf_checkpoint.h"

#include <filesystem>

#include "common/mapped_file.h"
#include "model/json_fields.h"

namespace mms {
namespace {

namespace fs = std::filesystem;

StatusOr<std::optional<std::string>> read_if_exists(const fs::path& p) {
  std::error_code ec;
  if (!fs::exists(p, ec)) return std::optional<std::string>();
  MMS_ASSIGN_OR_RETURN(std::string text, read_file(p.string()));
  return std::optional<std::string>(std::move(text));
}

}  // namespace

StatusOr<std::string> chat_template_from_json(std::string_view json_text, const std::string& path) {
  MMS_ASSIGN_OR_RETURN(json_fields::json root, json_fields::parse_object(json_text, path));
  const json_fields::json* t = json_fields::find(root, "chat_template");
  if (t == nullptr) return std::string();
  if (t->is_string()) return t->get<std::string>();
  if (t->is_array()) {
    const json_fields::json* chosen = nullptr;
    for (const auto& e : *t) {
      if (!e.is_object() || !e.contains("template") || !e["template"].is_string()) {
        return invalid_argument(path + ": chat_template list entries need a string 'template'");
      }
      if (chosen == nullptr || (e.contains("name") && e["name"] == "default")) chosen = &e;
    }
    if (chosen != nullptr) return (*chosen)["template"].get<std::string>();
    return std::string();
  }
  return invalid_argument(path + ": field 'chat_template' must be a string or a list");
}

StatusOr<HfCheckpointFiles> read_hf_checkpoint_files(const std::string& dir_string) {
  const fs::path dir(dir_string);
  HfCheckpointFiles f;
  MMS_ASSIGN_OR_RETURN(f.tokenizer_json, read_if_exists(dir / "tokenizer.json"));
  MMS_ASSIGN_OR_RETURN(f.tokenizer_config_json, read_if_exists(dir / "tokenizer_config.json"));
  MMS_ASSIGN_OR_RETURN(f.generation_config_json, read_if_exists(dir / "generation_config.json"));
  if (f.tokenizer_config_json) {
    MMS_ASSIGN_OR_RETURN(f.chat_template, chat_template_from_json(*f.tokenizer_config_json,
                                                                  (dir / "tokenizer_config.json").string()));
  }
  if (f.chat_template.empty()) {
    MMS_ASSIGN_OR_RETURN(auto jinja, read_if_exists(dir / "chat_template.jinja"));
    if (jinja) f.chat_template = std::move(*jinja);
  }
  if (f.chat_template.empty()) {
    MMS_ASSIGN_OR_RETURN(auto ct, read_if_exists(dir / "chat_template.json"));
    if (ct) {
      MMS_ASSIGN_OR_RETURN(f.chat_template, chat_template_from_json(*ct, (dir / "chat_template.json").string()));
    }
  }
  return f;
}

}  // namespace mms
