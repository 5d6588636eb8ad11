// VisionEncoder's shared methods and the loaders (GGUF mmproj, HF directory, dummy weights).
#include "model/vision/vision_encoder.h"

#include <filesystem>

#include "common/mapped_file.h"
#include "model/dummy/dummy_weights.h"
#include "model/gguf/gguf_file.h"
#include "model/gguf/gguf_weight_store.h"
#include "model/safetensors/hf_weight_store.h"

namespace mms {
namespace {

namespace fs = std::filesystem;

// The HF vision config of a checkpoint directory (or a config.json path), with its preprocessor config.
StatusOr<VisionConfig> hf_vision_config(const fs::path& path) {
  std::error_code ec;
  const bool is_dir = fs::is_directory(path, ec);
  const fs::path config_path = is_dir ? path / "config.json" : path;
  MMS_ASSIGN_OR_RETURN(std::string text, read_file(config_path.string()));
  MMS_ASSIGN_OR_RETURN(VisionConfig config, parse_hf_vision_config(text, config_path.string()));
  const fs::path pre = config_path.parent_path() / "preprocessor_config.json";
  if (fs::is_regular_file(pre, ec)) {
    MMS_ASSIGN_OR_RETURN(std::string pre_text, read_file(pre.string()));
    MMS_RETURN_IF_ERROR(apply_hf_preprocessor_config(pre_text, pre.string(), &config));
  }
  return config;
}

}  // namespace

StatusOr<VisionGrid> VisionEncoder::grid_of(int64_t num_frames, int64_t height, int64_t width) const {
  const VisionConfig& c = config();
  const int64_t unit = c.patch_size * c.spatial_merge_size;
  constexpr int64_t kMaxSide = int64_t{1} << 16;
  if (height <= 0 || width <= 0 || height % unit != 0 || width % unit != 0 || height > kMaxSide || width > kMaxSide) {
    return invalid_argument("vision input " + std::to_string(width) + "x" + std::to_string(height) +
                            ": width and height must be positive multiples of " + std::to_string(unit) +
                            " (at most " + std::to_string(kMaxSide) + ")");
  }
  if (num_frames != 1 && (num_frames <= 0 || num_frames % c.temporal_patch_size != 0)) {
    return invalid_argument("vision input: " + std::to_string(num_frames) + " frames; expected 1 or a multiple of " +
                            std::to_string(c.temporal_patch_size));
  }
  VisionGrid g;
  g.t = num_frames == 1 ? 1 : num_frames / c.temporal_patch_size;
  g.h = height / c.patch_size;
  g.w = width / c.patch_size;
  return g;
}

int64_t VisionEncoder::num_output_tokens(const VisionGrid& grid) const {
  const int64_t m = config().spatial_merge_size;
  return grid.num_patches() / (m * m);
}

StatusOr<std::unique_ptr<VisionEncoder>> load_vision_encoder_gguf(const std::string& path,
                                                                  const VisionEncoderOptions& options) {
  MMS_ASSIGN_OR_RETURN(std::unique_ptr<gguf::GgufFile> opened, gguf::GgufFile::open(path));
  std::shared_ptr<const gguf::GgufFile> file = std::move(opened);
  MMS_ASSIGN_OR_RETURN(VisionConfig config, vision_config_from_gguf(*file));
  return create_vision_encoder(config, std::make_unique<gguf::GgufWeightStore>(file), VisionWeightNaming::kGguf,
                               options);
}

StatusOr<std::unique_ptr<VisionEncoder>> load_vision_encoder_hf(const std::string& dir,
                                                                const VisionEncoderOptions& options) {
  MMS_ASSIGN_OR_RETURN(VisionConfig config, hf_vision_config(fs::path(dir)));
  MMS_ASSIGN_OR_RETURN(std::unique_ptr<safetensors::HfWeightStore> store, safetensors::HfWeightStore::open(dir));
  return create_vision_encoder(config, std::move(store), VisionWeightNaming::kHf, options);
}

StatusOr<std::unique_ptr<VisionEncoder>> make_dummy_vision_encoder(const VisionConfig& config, DType matrix_dtype,
                                                                   uint64_t seed,
                                                                   const VisionEncoderOptions& options) {
  MMS_RETURN_IF_ERROR(config.validate().with_context("dummy vision tower"));
  MMS_ASSIGN_OR_RETURN(std::unique_ptr<WeightStore> store,
                       make_dummy_weights(vision_tensor_specs(config), matrix_dtype, seed, "dummy:visual"));
  return create_vision_encoder(config, std::move(store), VisionWeightNaming::kHf, options);
}

StatusOr<std::unique_ptr<VisionEncoder>> load_vision_encoder(const std::string& path_string, const LoadOptions& load,
                                                             const VisionEncoderOptions& options) {
  const fs::path path(path_string);
  std::error_code ec;
  if (!fs::exists(path, ec)) return not_found(path_string + ": no such file or directory");
  const bool is_gguf = fs::is_regular_file(path, ec) && path.extension() == ".gguf";
  if (load.load_format == LoadFormat::kDummy) {
    VisionConfig config;
    if (is_gguf) {
      MMS_ASSIGN_OR_RETURN(std::unique_ptr<gguf::GgufFile> file, gguf::GgufFile::open(path_string));
      MMS_ASSIGN_OR_RETURN(config, vision_config_from_gguf(*file));
    } else {
      MMS_ASSIGN_OR_RETURN(config, hf_vision_config(path));
    }
    return make_dummy_vision_encoder(config, load.dummy_dtype, load.dummy_seed, options);
  }
  if (is_gguf) return load_vision_encoder_gguf(path_string, options);
  if (fs::is_directory(path, ec) && fs::is_regular_file(path / "config.json", ec)) {
    return load_vision_encoder_hf(path_string, options);
  }
  return invalid_argument(path_string +
                          ": not a vision model (expected an mmproj .gguf file or a directory holding config.json)");
}

}  // namespace mms
