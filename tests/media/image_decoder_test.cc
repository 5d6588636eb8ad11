// Decoding against Pillow's own decode of the same files (tests/data/media, made by
// tools/media_refs/make_pil_refs.py), and every failure path: empty, wrong magic, truncated, corrupt,
// decompression bombs rejected from the header before the pixel buffer exists, limits.
#include "media/image_decoder.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <random>

#include "media_test_util.h"

// The largest single operator-new allocation since the last reset: shows that an oversized image is
// rejected before its pixel buffer is allocated. Replaces the global operator new of this test binary.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // malloc/free behind new/delete is intended
static std::atomic<size_t> g_largest_allocation{0};
void* operator new(size_t n) {
  size_t cur = g_largest_allocation.load(std::memory_order_relaxed);
  while (n > cur && !g_largest_allocation.compare_exchange_weak(cur, n)) {
  }
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace mms::media {
namespace {

using testing::compare_pixels;
using testing::media_file;
using testing::media_manifest;
using testing::read_ppm;

RgbImage decode_ok(const std::vector<uint8_t>& bytes, const ImageDecodeOptions& options = {}) {
  auto r = decode_image(bytes, options);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? *r : RgbImage{};
}

TEST(ImageDecoder, MatchesPillowOnEveryReferenceFile) {
  const auto manifest = media_manifest();
  ASSERT_GE(manifest["decode"].size(), 25u);
  for (const auto& e : manifest["decode"]) {
    const std::string src = e["src"];
    SCOPED_TRACE(src);
    const std::vector<uint8_t> bytes = media_file(src);
    // Composited on white (the default): Pillow's paste of convert("RGBA") on white.
    const RgbImage white = decode_ok(bytes);
    const std::string expected = e.contains("mmserve_expected") ? e["mmserve_expected"] : e["white"];
    const auto d = compare_pixels(white, read_ppm(expected));
    EXPECT_EQ(d.max_diff, 0) << d.num_different << " samples differ";
    EXPECT_EQ(white.width, e["width"].get<int>());
    EXPECT_EQ(white.height, e["height"].get<int>());
    // Alpha dropped: Pillow's convert("RGB").
    ImageDecodeOptions drop;
    drop.alpha = AlphaMode::kDrop;
    const std::string drop_ref = e.contains("drop") ? e["drop"].get<std::string>() : expected;
    const auto dd = compare_pixels(decode_ok(bytes, drop), read_ppm(drop_ref));
    EXPECT_EQ(dd.max_diff, 0) << dd.num_different << " samples differ (alpha dropped)";
  }
}

TEST(ImageDecoder, ExifOrientationCanBeSwitchedOff) {
  ImageDecodeOptions raw;
  raw.apply_exif_orientation = false;
  const RgbImage rotated = decode_ok(media_file("src/jpeg_exif6.jpg"));
  const RgbImage stored = decode_ok(media_file("src/jpeg_exif6.jpg"), raw);
  EXPECT_EQ(stored.width, 40);
  EXPECT_EQ(stored.height, 24);
  EXPECT_EQ(rotated.width, 24);
  EXPECT_EQ(rotated.height, 40);
  RgbImage again = stored;
  apply_exif_orientation(&again, 6);
  EXPECT_EQ(again.pixels, rotated.pixels);
}

TEST(ImageDecoder, SniffsAndProbes) {
  EXPECT_EQ(sniff_image_format(media_file("src/jpeg_420.jpg")), ImageFormat::kJpeg);
  EXPECT_EQ(sniff_image_format(media_file("src/png_rgb.png")), ImageFormat::kPng);
  EXPECT_EQ(sniff_image_format(media_file("src/webp_lossy.webp")), ImageFormat::kWebp);
  EXPECT_EQ(sniff_image_format(media_file("src/gif_anim.gif")), ImageFormat::kGif);
  const std::pair<const char*, std::pair<int, int>> cases[] = {
      {"src/jpeg_progressive.jpg", {45, 29}}, {"src/png_rgba.png", {36, 20}},
      {"src/webp_anim.webp", {30, 20}},       {"src/gif_anim.gif", {30, 20}}};
  for (const auto& [file, size] : cases) {
    auto info = probe_image(media_file(file));
    ASSERT_TRUE(info.ok()) << file << ": " << info.status().to_string();
    EXPECT_EQ(info->width, size.first) << file;
    EXPECT_EQ(info->height, size.second) << file;
  }
  EXPECT_TRUE(probe_image(media_file("src/webp_anim.webp"))->animated);
  EXPECT_TRUE(probe_image(media_file("src/png_rgba.png"))->has_alpha);
}

TEST(ImageDecoder, EmptyAndUnsupportedInputs) {
  auto empty = decode_image(std::vector<uint8_t>{});
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(empty.status().message().find("empty"), std::string::npos);

  const std::string bmp = "BM\x36\x00\x00\x00 not really a bitmap";
  auto r = decode_image(std::span(reinterpret_cast<const uint8_t*>(bmp.data()), bmp.size()));
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("unsupported image format"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("BMP"), std::string::npos);

  const std::string text = "hello world, this is not an image";
  auto t = decode_image(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  EXPECT_NE(t.status().message().find("unsupported image format"), std::string::npos);
  // Magic bytes alone are not an image.
  for (const std::string& magic : {std::string("\xFF\xD8\xFF", 3), std::string("\x89PNG\r\n\x1A\n", 8),
                                  std::string("GIF89a"), std::string("RIFF\0\0\0\0WEBP", 12)}) {
    auto m = decode_image(std::span(reinterpret_cast<const uint8_t*>(magic.data()), magic.size()));
    EXPECT_FALSE(m.ok());
    EXPECT_TRUE(m.status().code() == StatusCode::kOutOfRange || m.status().code() == StatusCode::kInvalidArgument)
        << m.status().to_string();
  }
}

TEST(ImageDecoder, TruncatedFilesSayTruncated) {
  for (const char* file : {"src/jpeg_420.jpg", "src/jpeg_progressive.jpg", "src/png_rgb.png",
                           "src/png_rgb_interlaced.png", "src/webp_lossy.webp", "src/webp_lossless.webp",
                           "src/gif_interlaced.gif", "src/webp_anim.webp"}) {
    std::vector<uint8_t> bytes = media_file(file);
    bytes.resize(bytes.size() / 2);
    auto r = decode_image(bytes);
    ASSERT_FALSE(r.ok()) << file;
    EXPECT_EQ(r.status().code(), StatusCode::kOutOfRange) << file << ": " << r.status().to_string();
    EXPECT_NE(r.status().message().find("truncated"), std::string::npos) << file << ": " << r.status().message();
  }
}

TEST(ImageDecoder, CorruptFilesNeverCrash) {
  // A small deterministic mutation sweep (the libFuzzer target in fuzz/ goes further).
  std::mt19937 rng(7);
  int errors = 0, decoded = 0;
  for (const char* file : {"src/jpeg_420.jpg", "src/jpeg_progressive.jpg", "src/png_palette_trns.png",
                           "src/png_rgb_interlaced.png", "src/webp_lossy.webp", "src/webp_lossless_alpha.webp",
                           "src/gif_interlaced.gif", "src/webp_anim.webp", "src/jpeg_exif6.jpg"}) {
    const std::vector<uint8_t> original = media_file(file);
    for (int i = 0; i < 150; ++i) {
      std::vector<uint8_t> bytes = original;
      const int flips = 1 + static_cast<int>(rng() % 4);
      for (int f = 0; f < flips; ++f) bytes[rng() % bytes.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
      if (rng() % 4 == 0) bytes.resize(rng() % bytes.size());
      auto r = decode_image(bytes);
      if (r.ok()) {
        ++decoded;
        EXPECT_EQ(r->pixels.size(), static_cast<size_t>(r->width) * r->height * 3);
      } else {
        ++errors;
        const StatusCode c = r.status().code();
        EXPECT_TRUE(c == StatusCode::kInvalidArgument || c == StatusCode::kOutOfRange ||
                    c == StatusCode::kResourceExhausted)
            << file << ": " << r.status().to_string();
        EXPECT_FALSE(r.status().message().empty());
      }
    }
  }
  EXPECT_GT(errors, 100);
  EXPECT_GT(decoded, 10);
}

// --- decompression bombs: dimensions from the header, rejected before any pixel buffer ---

uint32_t crc32(const uint8_t* p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return ~c;
}

void put_be32(std::vector<uint8_t>* b, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b->push_back(static_cast<uint8_t>(v >> s));
}

void add_chunk(std::vector<uint8_t>* png, const char* tag, const std::vector<uint8_t>& payload) {
  put_be32(png, static_cast<uint32_t>(payload.size()));
  std::vector<uint8_t> body(tag, tag + 4);
  body.insert(body.end(), payload.begin(), payload.end());
  png->insert(png->end(), body.begin(), body.end());
  put_be32(png, crc32(body.data(), body.size()));
}

std::vector<uint8_t> png_claiming(uint32_t w, uint32_t h) {
  std::vector<uint8_t> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  std::vector<uint8_t> ihdr;
  put_be32(&ihdr, w);
  put_be32(&ihdr, h);
  ihdr.insert(ihdr.end(), {8, 2, 0, 0, 0});  // 8-bit RGB
  add_chunk(&png, "IHDR", ihdr);
  add_chunk(&png, "IDAT", {0x78, 0x9C, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01});
  add_chunk(&png, "IEND", {});
  return png;
}

void expect_bomb_rejected(const std::vector<uint8_t>& bytes, const std::string& what) {
  g_largest_allocation = 0;
  auto r = decode_image(bytes);
  const size_t largest = g_largest_allocation;
  ASSERT_FALSE(r.ok()) << what;
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted) << what << ": " << r.status().to_string();
  EXPECT_NE(r.status().message().find("max_pixels"), std::string::npos) << r.status().message();
  EXPECT_LT(largest, 1u << 20) << what << ": allocated " << largest << " bytes before rejecting";
}

TEST(ImageDecoder, RejectsBombsFromTheHeader) {
  const auto png = png_claiming(100000, 100000);
  expect_bomb_rejected(png, "png 100000x100000");
  auto r = decode_image(png);
  EXPECT_NE(r.status().message().find("100000x100000 = 10000000000 pixels"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("by 149.0x"), std::string::npos) << r.status().message();

  std::vector<uint8_t> jpeg = media_file("src/jpeg_420.jpg");
  for (size_t i = 2; i + 9 < jpeg.size(); ++i) {
    if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xC0) {  // SOF0: height, width at +5, +7
      jpeg[i + 5] = 0xFD, jpeg[i + 6] = 0xE8, jpeg[i + 7] = 0xFD, jpeg[i + 8] = 0xE8;  // 65000 x 65000
      break;
    }
  }
  expect_bomb_rejected(jpeg, "jpeg 65000x65000");

  std::vector<uint8_t> gif = media_file("src/gif_anim.gif");
  gif[6] = gif[7] = gif[8] = gif[9] = 0xFF;  // logical screen 65535 x 65535
  expect_bomb_rejected(gif, "gif 65535x65535");

  std::vector<uint8_t> webp = media_file("src/webp_lossless.webp");
  ASSERT_EQ(std::string(webp.begin() + 12, webp.begin() + 16), "VP8L");
  webp[21] = 0xFF, webp[22] = 0xFF, webp[23] = 0xFF, webp[24] = static_cast<uint8_t>((webp[24] & 0xF0) | 0x0F);
  expect_bomb_rejected(webp, "webp 16384x16384");
}

TEST(ImageDecoder, LimitsNameTheLimit) {
  const std::vector<uint8_t> bytes = media_file("src/jpeg_420.jpg");  // 48 x 32
  ImageDecodeOptions small_input;
  small_input.max_encoded_bytes = 100;
  auto r = decode_image(bytes, small_input);
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(r.status().message().find("max_encoded_bytes"), std::string::npos) << r.status().message();

  ImageDecodeOptions few_pixels;
  few_pixels.max_pixels = 48 * 32 - 1;
  r = decode_image(bytes, few_pixels);
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(r.status().message().find("48x32 = 1536 pixels, over the limit of 1535"), std::string::npos)
      << r.status().message();
  few_pixels.max_pixels = 48 * 32;
  EXPECT_TRUE(decode_image(bytes, few_pixels).ok());
}

}  // namespace
}  // namespace mms::media
