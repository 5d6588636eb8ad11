// libFuzzer target: every image entry point on arbitrary bytes — probe, decode (both alpha modes), and
// for a decoded image a small resize and the Qwen2-VL preprocessing; the same bytes as a data: URL
// payload and as base64. Limits are small so the fuzzer explores parsers, not memory. Seeds:
// tests/data/media/src/ (every format, animations, EXIF, interlacing, 16-bit, palettes).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "media/image_decoder.h"
#include "media/media_source.h"
#include "media/qwen2vl_preprocess.h"
#include "media/resample.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mms::media;
  const std::span<const uint8_t> bytes(data, size);
  (void)probe_image(bytes);
  ImageDecodeOptions options;
  options.max_pixels = 1 << 22;
  options.max_jpeg_scans = 64;
  auto image = decode_image(bytes, options);
  if (image.ok()) {
    if (image->pixels.size() != static_cast<size_t>(image->width) * image->height * 3) __builtin_trap();
    if (image->num_pixels() <= (1 << 16)) {
      (void)resize_rgb(*image, 1 + image->width / 3, 1 + image->height * 2 / 3);
      Qwen2VLImageOptions q;
      q.max_pixels = 64 * 28 * 28;
      (void)qwen2vl_preprocess_image(*image, q);
    }
  }
  options.alpha = AlphaMode::kDrop;
  options.apply_exif_orientation = false;
  (void)decode_image(bytes, options);
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)base64_decode(text, 1 << 20);
  (void)parse_data_url(text, 1 << 20);
  return 0;
}
