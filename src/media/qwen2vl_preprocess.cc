// Qwen2-VL preprocessing: config parsing, smart_resize, resize + rescale + normalize, content hash.
#include "media/qwen2vl_preprocess.h"

#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <new>
#include <sstream>
#include <vector>

#include "common/check.h"

namespace mms::media {
namespace {

using nlohmann::json;

Status read_int(const json& j, const char* key, int64_t* out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return ok_status();
  if (!it->is_number_integer() && !(it->is_number_float() && std::floor(it->get<double>()) == it->get<double>())) {
    return invalid_argument(std::string("preprocessor config: '") + key + "' must be an integer, got " + it->dump());
  }
  *out = it->is_number_integer() ? it->get<int64_t>() : static_cast<int64_t>(it->get<double>());
  return ok_status();
}

Status read_bool(const json& j, const char* key, bool* out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return ok_status();
  if (!it->is_boolean()) return invalid_argument(std::string("preprocessor config: '") + key + "' must be a boolean");
  *out = it->get<bool>();
  return ok_status();
}

Status read_triple(const json& j, const char* key, std::array<float, 3>* out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return ok_status();
  if (it->is_number()) {  // a single float applies to every channel
    out->fill(it->get<float>());
    return ok_status();
  }
  if (!it->is_array() || it->size() != 3) {
    return invalid_argument(std::string("preprocessor config: '") + key + "' must be 3 numbers, got " + it->dump());
  }
  for (size_t c = 0; c < 3; ++c) {
    if (!(*it)[c].is_number()) return invalid_argument(std::string("preprocessor config: '") + key + "' must be numbers");
    // transformers keeps Python floats and casts to float32 inside normalize(): one rounding.
    (*out)[c] = static_cast<float>((*it)[c].get<double>());
  }
  return ok_status();
}

Status validate(const Qwen2VLImageOptions& o) {
  auto bad = [](const std::string& m) { return invalid_argument("preprocessor config: " + m); };
  if (o.patch_size < 1 || o.patch_size > 1024) return bad("patch_size must be in [1, 1024]");
  if (o.merge_size < 1 || o.merge_size > 64) return bad("merge_size must be in [1, 64]");
  if (o.temporal_patch_size < 1 || o.temporal_patch_size > 64) return bad("temporal_patch_size must be in [1, 64]");
  if (o.min_pixels < 0 || o.max_pixels < 1) return bad("min_pixels must be >= 0 and max_pixels >= 1");
  if (o.min_pixels > o.max_pixels) {
    return bad("min_pixels (" + std::to_string(o.min_pixels) + ") is larger than max_pixels (" +
               std::to_string(o.max_pixels) + ")");
  }
  for (int c = 0; c < 3; ++c) {
    if (!(o.image_std[c] > 0.f) || !std::isfinite(o.image_mean[c])) return bad("image_std must be > 0, image_mean finite");
  }
  if (!(o.rescale_factor > 0.0) || !std::isfinite(o.rescale_factor)) return bad("rescale_factor must be > 0");
  return ok_status();
}

// The options after per-request overrides, validated.
StatusOr<Qwen2VLImageOptions> effective_options(const Qwen2VLImageOptions& base, const Qwen2VLOverrides& ov) {
  Qwen2VLImageOptions o = base;
  for (auto [name, value] : {std::pair{"min_pixels", ov.min_pixels}, std::pair{"max_pixels", ov.max_pixels}}) {
    if (!value) continue;
    if (*value < 1 || *value > base.max_request_pixels) {
      return invalid_argument(std::string(name) + " = " + std::to_string(*value) + " is out of range [1, " +
                              std::to_string(base.max_request_pixels) + "]");
    }
  }
  if (ov.min_pixels) o.min_pixels = *ov.min_pixels;
  if (ov.max_pixels) o.max_pixels = *ov.max_pixels;
  if (o.min_pixels > o.max_pixels) {
    return invalid_argument("min_pixels (" + std::to_string(o.min_pixels) + ") is larger than max_pixels (" +
                            std::to_string(o.max_pixels) + ")");
  }
  MMS_RETURN_IF_ERROR(validate(o));
  return o;
}

template <typename T>
void put(std::vector<uint8_t>* b, T v) {
  uint8_t tmp[sizeof(T)];
  std::memcpy(tmp, &v, sizeof(T));
  b->insert(b->end(), tmp, tmp + sizeof(T));
}

// [H, W, 3] uint8 -> [3, H, W] float via a per-channel table that holds transformers' exact float32
// results: float32(double(v) * rescale), then (x - mean) / std in float32.
void normalize_into(const RgbImage& img, const Qwen2VLImageOptions& o, float* out) {
  float lut[3][256];
  for (int c = 0; c < 3; ++c) {
    for (int v = 0; v < 256; ++v) {
      float x = o.do_rescale ? static_cast<float>(static_cast<double>(v) * o.rescale_factor) : static_cast<float>(v);
      if (o.do_normalize) x = (x - o.image_mean[c]) / o.image_std[c];
      lut[c][v] = x;
    }
  }
  const size_t plane = static_cast<size_t>(img.width) * img.height;
  float* r = out;
  float* g = out + plane;
  float* b = out + 2 * plane;
  const uint8_t* p = img.pixels.data();
  for (size_t i = 0; i < plane; ++i) {
    r[i] = lut[0][p[3 * i + 0]];
    g[i] = lut[1][p[3 * i + 1]];
    b[i] = lut[2][p[3 * i + 2]];
  }
}

}  // namespace

StatusOr<Qwen2VLImageOptions> parse_qwen2vl_preprocessor_config(std::string_view json_text) {
  json j = json::parse(json_text.begin(), json_text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return invalid_argument("preprocessor config: not a JSON object");
  Qwen2VLImageOptions o;
  if (auto it = j.find("size"); it != j.end() && it->is_object()) {
    // Newer form: {"shortest_edge": min_pixels, "longest_edge": max_pixels}; both keys required.
    if (!it->contains("shortest_edge") || !it->contains("longest_edge")) {
      return invalid_argument("preprocessor config: 'size' must contain 'shortest_edge' and 'longest_edge'");
    }
    MMS_RETURN_IF_ERROR(read_int(*it, "shortest_edge", &o.min_pixels));
    MMS_RETURN_IF_ERROR(read_int(*it, "longest_edge", &o.max_pixels));
  }
  MMS_RETURN_IF_ERROR(read_int(j, "min_pixels", &o.min_pixels));
  MMS_RETURN_IF_ERROR(read_int(j, "max_pixels", &o.max_pixels));
  MMS_RETURN_IF_ERROR(read_int(j, "patch_size", &o.patch_size));
  MMS_RETURN_IF_ERROR(read_int(j, "merge_size", &o.merge_size));
  MMS_RETURN_IF_ERROR(read_int(j, "temporal_patch_size", &o.temporal_patch_size));
  MMS_RETURN_IF_ERROR(read_triple(j, "image_mean", &o.image_mean));
  MMS_RETURN_IF_ERROR(read_triple(j, "image_std", &o.image_std));
  MMS_RETURN_IF_ERROR(read_bool(j, "do_resize", &o.do_resize));
  MMS_RETURN_IF_ERROR(read_bool(j, "do_rescale", &o.do_rescale));
  MMS_RETURN_IF_ERROR(read_bool(j, "do_normalize", &o.do_normalize));
  if (auto it = j.find("rescale_factor"); it != j.end() && !it->is_null()) {
    if (!it->is_number()) return invalid_argument("preprocessor config: 'rescale_factor' must be a number");
    o.rescale_factor = it->get<double>();
  }
  if (auto it = j.find("resample"); it != j.end() && !it->is_null()) {
    if (!it->is_number_integer()) return invalid_argument("preprocessor config: 'resample' must be an integer");
    MMS_ASSIGN_OR_RETURN(o.resample, resample_filter_from_pil(it->get<int>()));
  }
  if (auto it = j.find("do_convert_rgb"); it != j.end() && it->is_boolean() && !it->get<bool>()) {
    return unimplemented("preprocessor config: do_convert_rgb = false is not supported (images are always RGB)");
  }
  MMS_RETURN_IF_ERROR(validate(o));
  return o;
}

StatusOr<Qwen2VLImageOptions> load_qwen2vl_preprocessor_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found("cannot open preprocessor config '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return io_error("cannot read preprocessor config '" + path + "'");
  auto parsed = parse_qwen2vl_preprocessor_config(ss.str());
  if (!parsed.ok()) return parsed.status().with_context(path);
  return parsed;
}

StatusOr<ResizedSize> qwen2vl_smart_resize(int64_t height, int64_t width, int64_t factor, int64_t min_pixels,
                                           int64_t max_pixels) {
  if (height <= 0 || width <= 0 || factor <= 0) {
    return invalid_argument("image size " + std::to_string(width) + "x" + std::to_string(height) + " is empty");
  }
  const double h = static_cast<double>(height), w = static_cast<double>(width), f = static_cast<double>(factor);
  const double ratio = static_cast<double>(std::max(height, width)) / static_cast<double>(std::min(height, width));
  if (ratio > 200) {
    return invalid_argument("absolute aspect ratio must be smaller than 200, got " + std::to_string(ratio) +
                            " (image " + std::to_string(width) + "x" + std::to_string(height) + ")");
  }
  int64_t h_bar = static_cast<int64_t>(std::nearbyint(h / f)) * factor;  // round half to even, like Python
  int64_t w_bar = static_cast<int64_t>(std::nearbyint(w / f)) * factor;
  if (h_bar * w_bar > max_pixels) {
    const double beta = std::sqrt(static_cast<double>(height * width) / static_cast<double>(max_pixels));
    h_bar = std::max(factor, static_cast<int64_t>(std::floor(h / beta / f)) * factor);
    w_bar = std::max(factor, static_cast<int64_t>(std::floor(w / beta / f)) * factor);
  } else if (h_bar * w_bar < min_pixels) {
    const double beta = std::sqrt(static_cast<double>(min_pixels) / static_cast<double>(height * width));
    h_bar = static_cast<int64_t>(std::ceil(h * beta / f)) * factor;
    w_bar = static_cast<int64_t>(std::ceil(w * beta / f)) * factor;
  }
  if (h_bar <= 0 || w_bar <= 0) {
    return invalid_argument("image " + std::to_string(width) + "x" + std::to_string(height) +
                            " is too small for min_pixels " + std::to_string(min_pixels));
  }
  return ResizedSize{h_bar, w_bar};
}

namespace {

// SHA-256 truncated to 128 bits: cache keys are shared between users, so they must not be forgeable
// (a non-cryptographic hash would let a crafted image collide with another user's and poison the
// encoder and prefix caches).
Hash128 sha256_128(const void* data, size_t size) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const int ok = EVP_Digest(data, size, digest, &len, EVP_sha256(), nullptr);
  MMS_CHECK(ok == 1 && len >= 16);
  Hash128 h;
  std::memcpy(&h.lo, digest, 8);
  std::memcpy(&h.hi, digest + 8, 8);
  return h;
}

}  // namespace

Hash128 qwen2vl_content_hash(std::span<const RgbImage> frames, const ResizedSize& resized,
                             const Qwen2VLImageOptions& o) {
  std::vector<uint8_t> b;
  const char tag[] = "mmserve.qwen2vl.v1";
  b.insert(b.end(), tag, tag + sizeof(tag));
  put<int64_t>(&b, resized.height);
  put<int64_t>(&b, resized.width);
  put<int64_t>(&b, o.patch_size);
  put<int64_t>(&b, o.merge_size);
  put<int64_t>(&b, o.temporal_patch_size);
  put<int32_t>(&b, static_cast<int32_t>(o.resample));
  put<uint8_t>(&b, (o.do_resize ? 1 : 0) | (o.do_rescale ? 2 : 0) | (o.do_normalize ? 4 : 0));
  put<double>(&b, o.rescale_factor);
  for (int c = 0; c < 3; ++c) put<float>(&b, o.image_mean[c]);
  for (int c = 0; c < 3; ++c) put<float>(&b, o.image_std[c]);
  put<uint64_t>(&b, frames.size());
  for (const RgbImage& f : frames) {
    put<int32_t>(&b, f.width);
    put<int32_t>(&b, f.height);
    const Hash128 h = sha256_128(f.pixels.data(), f.pixels.size());
    put<uint64_t>(&b, h.lo);
    put<uint64_t>(&b, h.hi);
  }
  return sha256_128(b.data(), b.size());
}

StatusOr<MediaItem> qwen2vl_preprocess_frames(std::span<const RgbImage> frames, const Qwen2VLImageOptions& options,
                                              const Qwen2VLOverrides& overrides) {
  if (frames.empty()) return invalid_argument("no frames to preprocess");
  MMS_ASSIGN_OR_RETURN(const Qwen2VLImageOptions o, effective_options(options, overrides));
  const RgbImage& first = frames[0];
  for (const RgbImage& f : frames) {
    if (f.width != first.width || f.height != first.height || f.width <= 0 || f.height <= 0 ||
        f.pixels.size() != static_cast<size_t>(f.width) * f.height * 3) {
      return invalid_argument("frames must be non-empty RGB images of one size; got " + std::to_string(f.width) +
                              "x" + std::to_string(f.height) + " after " + std::to_string(first.width) + "x" +
                              std::to_string(first.height));
    }
  }
  ResizedSize size{first.height, first.width};
  if (o.do_resize) {
    MMS_ASSIGN_OR_RETURN(size, qwen2vl_smart_resize(first.height, first.width, o.factor(), o.min_pixels, o.max_pixels));
  } else if (first.height % o.factor() != 0 || first.width % o.factor() != 0) {
    return invalid_argument("do_resize is off and the image " + std::to_string(first.width) + "x" +
                            std::to_string(first.height) + " is not a multiple of " + std::to_string(o.factor()));
  }
  const int64_t n = static_cast<int64_t>(frames.size());
  const int64_t num_frames = (n + o.temporal_patch_size - 1) / o.temporal_patch_size * o.temporal_patch_size;
  const bool video = n > 1;
  MediaItem item;
  item.kind = video ? MediaKind::kVideo : MediaKind::kImage;
  item.num_frames = video ? num_frames : 1;  // a still image stays one frame; the encoder duplicates it
  item.height = size.height;
  item.width = size.width;
  item.source_height = first.height;
  item.source_width = first.width;
  item.grid_t = video ? num_frames / o.temporal_patch_size : 1;
  item.grid_h = size.height / o.patch_size;
  item.grid_w = size.width / o.patch_size;
  item.num_tokens = item.grid_t * item.grid_h * item.grid_w / (o.merge_size * o.merge_size);
  const size_t frame_floats = static_cast<size_t>(3 * size.height * size.width);
  try {
    item.frames.resize(frame_floats * static_cast<size_t>(item.num_frames));
  } catch (const std::bad_alloc&) {
    return resource_exhausted("out of memory for a " + std::to_string(size.width) + "x" + std::to_string(size.height) +
                              " x " + std::to_string(item.num_frames) + " frame tensor");
  }
  for (int64_t t = 0; t < item.num_frames; ++t) {
    const RgbImage& src = frames[static_cast<size_t>(std::min(t, n - 1))];
    float* dst = item.frames.data() + frame_floats * static_cast<size_t>(t);
    if (size.height == src.height && size.width == src.width) {
      normalize_into(src, o, dst);
    } else {
      MMS_ASSIGN_OR_RETURN(RgbImage resized, resize_rgb(src, static_cast<int32_t>(size.width),
                                                        static_cast<int32_t>(size.height), o.resample));
      normalize_into(resized, o, dst);
    }
  }
  item.hash = qwen2vl_content_hash(frames, size, o);
  return item;
}

StatusOr<MediaItem> qwen2vl_preprocess_image(const RgbImage& image, const Qwen2VLImageOptions& options,
                                             const Qwen2VLOverrides& overrides) {
  return qwen2vl_preprocess_frames(std::span<const RgbImage>(&image, 1), options, overrides);
}

}  // namespace mms::media
