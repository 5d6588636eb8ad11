// Image decoding: untrusted encoded bytes (JPEG, PNG, WebP, GIF) -> 8-bit RGB pixels, the way the
// Hugging Face / vLLM Qwen2-VL path sees them through Pillow: EXIF orientation applied, alpha composited
// on white (or dropped), 16-bit samples cut to their high byte, GIF/animated WebP = first frame.
// Every function here is a pure function of its arguments: thread-safe, no global state. Called by the
// preprocessing pool (media_pipeline.h), the fuzz target and the benchmark.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"

namespace mms::media {

// Interleaved 8-bit RGB, row-major, no padding.
struct RgbImage {
  int32_t width = 0;
  int32_t height = 0;
  std::vector<uint8_t> pixels;  // [height, width, 3]

  int64_t num_pixels() const { return static_cast<int64_t>(width) * height; }
};

enum class ImageFormat { kUnknown, kJpeg, kPng, kWebp, kGif };
const char* image_format_name(ImageFormat format);  // "jpeg", "png", "webp", "gif", "unknown"

// What to do with transparency (an alpha channel, a PNG tRNS entry, a GIF transparent index).
enum class AlphaMode {
  // Composite on white, as vLLM (rgba_to_rgb) and qwen-vl-utils (to_rgb) do; bit-exact with Pillow's
  // Image.new("RGB", size, white).paste(im.convert("RGBA"), mask=alpha).
  kCompositeOnWhite,
  // Drop it: Pillow's im.convert("RGB"), which is what transformers' convert_to_rgb does today.
  kDrop,
};

struct ImageDecodeOptions {
  int64_t max_encoded_bytes = 64ll << 20;  // input larger than this is rejected before parsing
  // Width * height after EXIF rotation (and the canvas of a GIF / animated WebP), checked against the
  // header before any pixel buffer exists. The default (64 Mi pixels, 192 MiB of RGB) admits 48 MP photos.
  int64_t max_pixels = 64ll << 20;
  AlphaMode alpha = AlphaMode::kCompositeOnWhite;
  bool apply_exif_orientation = true;  // JPEG APP1, PNG eXIf, WebP EXIF chunk (Pillow's exif_transpose)
  int max_jpeg_scans = 500;            // progressive JPEGs with more scans are rejected (CPU bomb)
};

// Header facts, read without decoding pixels.
struct ImageInfo {
  ImageFormat format = ImageFormat::kUnknown;
  int32_t width = 0;   // as stored (before EXIF rotation)
  int32_t height = 0;
  bool has_alpha = false;  // the stream may carry transparency
  bool animated = false;   // GIF/WebP with more than one frame possible (only the first is decoded)
};

// The format from the first bytes (magic numbers); kUnknown if none matches.
ImageFormat sniff_image_format(std::span<const uint8_t> data);

// Reads the header. Errors: InvalidArgument "unsupported image format" / "empty image data",
// OutOfRange for a truncated header, InvalidArgument for a corrupt one.
StatusOr<ImageInfo> probe_image(std::span<const uint8_t> data);

// Decodes the first frame to RGB. Errors (the message names the format and what to fix):
//   InvalidArgument     empty input, unsupported format (magic bytes not JPEG/PNG/WebP/GIF), corrupt data
//   OutOfRange          truncated data
//   ResourceExhausted   input larger than max_encoded_bytes, or image larger than max_pixels (says which
//                       limit and by how much; rejected from the header, before allocating pixels)
// Never crashes or aborts on any input.
StatusOr<RgbImage> decode_image(std::span<const uint8_t> data, const ImageDecodeOptions& options = {});

// EXIF orientation (1..8) applied in place: the same transpose as Pillow's ImageOps.exif_transpose.
// Values outside 2..8 leave the image unchanged.
void apply_exif_orientation(RgbImage* image, int orientation);

}  // namespace mms::media
