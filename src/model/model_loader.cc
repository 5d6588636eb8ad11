// load_model(): dispatch on what the path is (GGUF file, HF checkpoint directory, dummy format) and
// assemble a LoadedModel. See model_loader.h.
#include "model/model_loader.h"

#include <filesystem>

#include "common/log.h"
#include "common/mapped_file.h"
#include "model/decoder_tensor_specs.h"
#include "model/dummy/dummy_weights.h"
#include "model/gguf/gguf_file.h"
#include "model/gguf/gguf_weight_store.h"
#include "model/hf_checkpoint.h"
#include "model/safetensors/hf_weight_store.h"

namespace mms {
namespace {

namespace fs = std::filesystem;

std::string base_name(const fs::path& p) {
  fs::path clean = p.lexically_normal();
  if (!clean.has_filename()) clean = clean.parent_path();  // "dir/" -> "dir"
  std::string name = clean.filename().string();
  if (name.empty() || name == ".") name = fs::absolute(clean).lexically_normal().filename().string();
  return name;
}

bool is_gguf_path(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec) && p.extension() == ".gguf";
}

// Generation defaults when the checkpoint has no generation_config.json: the model's own bos/eos.
GenerationConfig generation_from_config(const ModelConfig& c) {
  GenerationConfig g;
  g.eos_token_ids = c.eos_token_ids;
  g.bos_token_id = c.bos_token_id;
  return g;
}

StatusOr<LoadedModel> load_gguf(const fs::path& path) {
  LoadedModel m;
  MMS_ASSIGN_OR_RETURN(std::unique_ptr<gguf::GgufFile> opened, gguf::GgufFile::open(path.string()));
  std::shared_ptr<const gguf::GgufFile> file = std::move(opened);
  MMS_ASSIGN_OR_RETURN(m.config, config_from_gguf(*file));
  m.weights = std::make_unique<gguf::GgufWeightStore>(file);
  MMS_RETURN_IF_ERROR(validate_decoder_weights(*m.weights, m.config));
  MMS_ASSIGN_OR_RETURN(m.tokenizer, Tokenizer::from_gguf(*file));
  m.generation = generation_from_config(m.config);
  if (file->has("tokenizer.chat_template")) {
    MMS_ASSIGN_OR_RETURN(std::string_view tmpl, file->get_string("tokenizer.chat_template"));
    m.chat_template = std::string(tmpl);
  }
  m.name = base_name(path);
  return m;
}

// Tokenizer, generation config and chat template of an HF-style directory. The tokenizer is required
// unless `tokenizer_optional` (dummy models).
Status load_hf_extras(const fs::path& dir, bool tokenizer_optional, LoadedModel* m) {
  MMS_ASSIGN_OR_RETURN(HfCheckpointFiles files, read_hf_checkpoint_files(dir.string()));
  if (files.tokenizer_json) {
    MMS_ASSIGN_OR_RETURN(m->tokenizer, Tokenizer::from_hf_json(*files.tokenizer_json,
                                                               files.tokenizer_config_json.value_or(""),
                                                               (dir / "tokenizer.json").string()));
  } else if (!tokenizer_optional) {
    return not_found((dir / "tokenizer.json").string() + ": no such file (the checkpoint needs a tokenizer)");
  }
  if (files.generation_config_json) {
    MMS_ASSIGN_OR_RETURN(m->generation, parse_generation_config(*files.generation_config_json,
                                                                (dir / "generation_config.json").string()));
    if (m->generation.eos_token_ids.empty()) m->generation.eos_token_ids = m->config.eos_token_ids;
    if (!m->generation.bos_token_id) m->generation.bos_token_id = m->config.bos_token_id;
  } else {
    m->generation = generation_from_config(m->config);
  }
  m->chat_template = files.chat_template;
  return ok_status();
}

StatusOr<LoadedModel> load_hf_dir(const fs::path& dir) {
  LoadedModel m;
  const std::string config_path = (dir / "config.json").string();
  MMS_ASSIGN_OR_RETURN(std::string config_text, read_file(config_path));
  MMS_ASSIGN_OR_RETURN(m.config, parse_hf_config(config_text, config_path));
  MMS_ASSIGN_OR_RETURN(m.weights, safetensors::HfWeightStore::open(dir.string()));
  MMS_RETURN_IF_ERROR(validate_decoder_weights(*m.weights, m.config));
  MMS_RETURN_IF_ERROR(load_hf_extras(dir, /*tokenizer_optional=*/false, &m));
  m.name = base_name(dir);
  return m;
}

StatusOr<LoadedModel> load_dummy(const fs::path& path, const LoadOptions& options) {
  LoadedModel m;
  std::error_code ec;
  if (is_gguf_path(path)) {  // a GGUF file's metadata describes the model just as well
    MMS_ASSIGN_OR_RETURN(std::unique_ptr<gguf::GgufFile> file, gguf::GgufFile::open(path.string()));
    MMS_ASSIGN_OR_RETURN(m.config, config_from_gguf(*file));
    MMS_ASSIGN_OR_RETURN(m.tokenizer, Tokenizer::from_gguf(*file));
    m.generation = generation_from_config(m.config);
    if (file->has("tokenizer.chat_template")) {
      MMS_ASSIGN_OR_RETURN(std::string_view tmpl, file->get_string("tokenizer.chat_template"));
      m.chat_template = std::string(tmpl);
    }
    m.name = base_name(path);
  } else {
    const bool is_dir = fs::is_directory(path, ec);
    const fs::path config_path = is_dir ? path / "config.json" : path;
    const fs::path dir = is_dir ? path : config_path.parent_path();
    MMS_ASSIGN_OR_RETURN(std::string config_text, read_file(config_path.string()));
    MMS_ASSIGN_OR_RETURN(m.config, parse_hf_config(config_text, config_path.string()));
    MMS_RETURN_IF_ERROR(load_hf_extras(dir.empty() ? fs::path(".") : dir, /*tokenizer_optional=*/true, &m));
    m.name = base_name(dir.empty() ? fs::path(".") : dir);
  }
  m.config.dtype = options.dummy_dtype;
  MMS_ASSIGN_OR_RETURN(m.weights, make_dummy_weights(m.config, options.dummy_dtype, options.dummy_seed,
                                                     "dummy:" + path.string()));
  return m;
}

}  // namespace

StatusOr<LoadedModel> load_model(const std::string& path_string, const LoadOptions& options) {
  const fs::path path(path_string);
  std::error_code ec;
  if (!fs::exists(path, ec)) return not_found(path_string + ": no such file or directory");
  if (options.load_format == LoadFormat::kDummy) return load_dummy(path, options);
  if (is_gguf_path(path)) return load_gguf(path);
  if (fs::is_directory(path, ec) && fs::is_regular_file(path / "config.json", ec)) return load_hf_dir(path);
  return invalid_argument(path_string +
                          ": not a model (expected a .gguf file or a directory holding config.json)");
}

}  // namespace mms
