// Procedural images, JPEG/PNG encoding, base64 and the Qwen2.5-VL token rule.
#include "bench/image_gen.h"

#include <png.h>
#include <turbojpeg.h>

#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <random>
#include <vector>

namespace mms::bench {
namespace {

constexpr int64_t kPatch = 28;
constexpr int64_t kMinPixels = 56 * 56;
constexpr int64_t kMaxPixels = 28 * 28 * 16384;

std::vector<uint8_t> render_rgb(ImageSize s, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  const double fx = 2 + 6 * u(rng), fy = 2 + 6 * u(rng), phase = 6.28 * u(rng);
  std::vector<uint8_t> px(static_cast<size_t>(s.width) * s.height * 3);
  for (int y = 0; y < s.height; ++y) {
    for (int x = 0; x < s.width; ++x) {
      const double nx = static_cast<double>(x) / s.width, ny = static_cast<double>(y) / s.height;
      uint8_t* p = &px[(static_cast<size_t>(y) * s.width + x) * 3];
      p[0] = static_cast<uint8_t>(127 + 120 * std::sin(fx * nx * 3.14 + phase));
      p[1] = static_cast<uint8_t>(127 + 120 * std::cos(fy * ny * 3.14 - phase));
      p[2] = static_cast<uint8_t>(255 * (nx * ny));
    }
  }
  std::uniform_int_distribution<int> colour(0, 255);
  for (int k = 0; k < 12; ++k) {  // rectangles
    int x0 = static_cast<int>(u(rng) * s.width), y0 = static_cast<int>(u(rng) * s.height);
    int w = 1 + static_cast<int>(u(rng) * s.width / 4), h = 1 + static_cast<int>(u(rng) * s.height / 4);
    uint8_t c[3] = {static_cast<uint8_t>(colour(rng)), static_cast<uint8_t>(colour(rng)),
                    static_cast<uint8_t>(colour(rng))};
    for (int y = y0; y < std::min(s.height, y0 + h); ++y)
      for (int x = x0; x < std::min(s.width, x0 + w); ++x)
        for (int ch = 0; ch < 3; ++ch) px[(static_cast<size_t>(y) * s.width + x) * 3 + ch] = c[ch];
  }
  std::uniform_int_distribution<int> noise(-6, 6);
  for (uint8_t& v : px) v = static_cast<uint8_t>(std::clamp(v + noise(rng), 0, 255));
  return px;
}

StatusOr<std::string> encode_jpeg(const std::vector<uint8_t>& px, ImageSize s) {
  tjhandle h = tjInitCompress();
  if (!h) return internal_error("tjInitCompress failed");
  unsigned char* out = nullptr;
  unsigned long size = 0;
  int rc = tjCompress2(h, px.data(), s.width, 0, s.height, TJPF_RGB, &out, &size, TJSAMP_420, 85, TJFLAG_FASTDCT);
  std::string bytes;
  if (rc == 0) bytes.assign(reinterpret_cast<char*>(out), size);
  std::string err = rc == 0 ? "" : tjGetErrorStr2(h);
  tjFree(out);
  tjDestroy(h);
  if (rc != 0) return internal_error("JPEG encode: " + err);
  return bytes;
}

void png_write(png_structp png, png_bytep data, png_size_t n) {
  static_cast<std::string*>(png_get_io_ptr(png))->append(reinterpret_cast<char*>(data), n);
}
void png_flush(png_structp) {}

// Returns false on a libpng error (longjmp lands here; no objects with destructors in this frame).
bool encode_png_into(const uint8_t* px, int w, int h, std::string* out) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  if (!png) return false;
  png_infop info = png_create_info_struct(png);
  if (!info || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, info ? &info : nullptr);
    return false;
  }
  png_set_write_fn(png, out, png_write, png_flush);
  png_set_IHDR(png, info, w, h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_set_compression_level(png, 1);
  png_write_info(png, info);
  for (int y = 0; y < h; ++y) png_write_row(png, const_cast<png_bytep>(px + static_cast<size_t>(y) * w * 3));
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return true;
}

}  // namespace

StatusOr<ImageFormat> parse_image_format(const std::string& name) {
  if (name == "jpeg" || name == "jpg") return ImageFormat::kJpeg;
  if (name == "png") return ImageFormat::kPng;
  return invalid_argument("unknown image format '" + name + "' (jpeg | png)");
}

int64_t qwen25vl_image_tokens(int64_t width, int64_t height) {
  if (width <= 0 || height <= 0) return 0;
  const double w = static_cast<double>(width), h = static_cast<double>(height);
  // Python's round() is round-half-to-even, as is nearbyint in the default rounding mode.
  int64_t hb = std::max<int64_t>(kPatch, static_cast<int64_t>(std::nearbyint(h / kPatch)) * kPatch);
  int64_t wb = std::max<int64_t>(kPatch, static_cast<int64_t>(std::nearbyint(w / kPatch)) * kPatch);
  if (hb * wb > kMaxPixels) {
    const double beta = std::sqrt(h * w / kMaxPixels);
    hb = static_cast<int64_t>(std::floor(h / beta / kPatch)) * kPatch;
    wb = static_cast<int64_t>(std::floor(w / beta / kPatch)) * kPatch;
  } else if (hb * wb < kMinPixels) {
    const double beta = std::sqrt(kMinPixels / (h * w));
    hb = static_cast<int64_t>(std::ceil(h * beta / kPatch)) * kPatch;
    wb = static_cast<int64_t>(std::ceil(w * beta / kPatch)) * kPatch;
  }
  return (hb / kPatch) * (wb / kPatch);
}

ImageSize image_size_for_tokens(int64_t tokens) {
  tokens = std::clamp<int64_t>(tokens, 4, kMaxPixels / (kPatch * kPatch));
  int64_t rows = std::max<int64_t>(2, std::llround(std::sqrt(tokens * 3.0 / 4.0)));
  int64_t cols = std::max<int64_t>(2, std::llround(static_cast<double>(tokens) / rows));
  return ImageSize{static_cast<int32_t>(cols * kPatch), static_cast<int32_t>(rows * kPatch)};
}

StatusOr<ImageSize> parse_image_size(const std::string& text) {
  int w = 0, h = 0;
  char x = 0;
  if (std::sscanf(text.c_str(), "%d%c%d", &w, &x, &h) != 3 || (x != 'x' && x != 'X') || w <= 0 || h <= 0 ||
      w > 16384 || h > 16384)
    return invalid_argument("bad image size '" + text + "' (expected WxH, e.g. 1280x720)");
  return ImageSize{w, h};
}

StatusOr<std::string> encode_test_image(ImageSize size, ImageFormat format, uint64_t seed) {
  if (size.width <= 0 || size.height <= 0 || size.width > 16384 || size.height > 16384)
    return invalid_argument("image size out of range");
  auto px = render_rgb(size, seed);
  if (format == ImageFormat::kJpeg) return encode_jpeg(px, size);
  std::string out;
  if (!encode_png_into(px.data(), size.width, size.height, &out)) return internal_error("PNG encode failed");
  return out;
}

std::string base64_encode(std::string_view in) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    if (i + 1 < in.size()) v |= uint8_t(in[i + 1]) << 8;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

StatusOr<std::string> image_data_url(ImageSize size, ImageFormat format, uint64_t seed) {
  MMS_ASSIGN_OR_RETURN(std::string bytes, encode_test_image(size, format, seed));
  return std::string(format == ImageFormat::kJpeg ? "data:image/jpeg;base64," : "data:image/png;base64,") +
         base64_encode(bytes);
}

}  // namespace mms::bench
