// Helpers for the media tests: reading files, binary PPM (the Pillow references), the manifest
// written by tools/media_refs/make_pil_refs.py, and pixel comparison.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "media/image_decoder.h"
#include "testing/test_data.h"

namespace mms::media::testing {

inline std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline std::vector<uint8_t> media_file(const std::string& rel) {
  return read_bytes(mms::testing::test_data("media/" + rel));
}

inline nlohmann::json media_manifest() {
  std::ifstream in(mms::testing::test_data("media/manifest.json"));
  EXPECT_TRUE(in.good());
  return nlohmann::json::parse(in);
}

// Binary PPM (P6, maxval 255) as written by the reference script.
inline RgbImage read_ppm(const std::string& rel) {
  const std::vector<uint8_t> b = media_file(rel);
  RgbImage img;
  std::string header(b.begin(), b.begin() + std::min<size_t>(b.size(), 64));
  std::istringstream hs(header);
  std::string magic;
  int maxval = 0;
  hs >> magic >> img.width >> img.height >> maxval;
  EXPECT_EQ(magic, "P6");
  EXPECT_EQ(maxval, 255);
  const size_t offset = static_cast<size_t>(hs.tellg()) + 1;  // one whitespace byte after maxval
  img.pixels.assign(b.begin() + static_cast<std::ptrdiff_t>(offset), b.end());
  EXPECT_EQ(img.pixels.size(), static_cast<size_t>(img.width) * img.height * 3) << rel;
  return img;
}

struct PixelDiff {
  int max_diff = 0;
  int64_t num_different = 0;
};

inline PixelDiff compare_pixels(const RgbImage& a, const RgbImage& b) {
  PixelDiff d;
  if (a.width != b.width || a.height != b.height || a.pixels.size() != b.pixels.size()) {
    ADD_FAILURE() << "size " << a.width << "x" << a.height << " vs " << b.width << "x" << b.height;
    d.max_diff = 256;
    return d;
  }
  for (size_t i = 0; i < a.pixels.size(); ++i) {
    const int diff = std::abs(static_cast<int>(a.pixels[i]) - static_cast<int>(b.pixels[i]));
    if (diff) ++d.num_different;
    d.max_diff = std::max(d.max_diff, diff);
  }
  return d;
}

// Standard base64 with padding (test-side encoder, independent of the decoder under test).
inline std::string b64(const std::vector<uint8_t>& in) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t v = (in[i] << 16) | (in[i + 1] << 8) | in[i + 2];
    for (int s = 18; s >= 0; s -= 6) out += k[(v >> s) & 63];
  }
  if (i + 1 == in.size()) {
    const uint32_t v = in[i] << 16;
    out += k[(v >> 18) & 63], out += k[(v >> 12) & 63], out += "==";
  } else if (i + 2 == in.size()) {
    const uint32_t v = (in[i] << 16) | (in[i + 1] << 8);
    out += k[(v >> 18) & 63], out += k[(v >> 12) & 63], out += k[(v >> 6) & 63], out += '=';
  }
  return out;
}

}  // namespace mms::media::testing
