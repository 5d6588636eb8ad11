// Internal to media/: one decoder per format (jpeg_decoder.cc, png_decoder.cc, webp_decoder.cc,
// gif_decoder.cc) and the helpers they share. image_decoder.cc dispatches to them; nothing outside
// media/ includes this header. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "media/image_decoder.h"

namespace mms::media::detail {

// ResourceExhausted naming the limit and by how much the image exceeds it, or OK.
Status check_image_size(ImageFormat format, int64_t width, int64_t height, const ImageDecodeOptions& options);

// Allocates image->pixels for width x height; fails (no abort) if the allocation fails.
Status allocate_rgb(RgbImage* image, int32_t width, int32_t height);

// One row of non-premultiplied RGBA -> RGB under `mode`. Compositing is Pillow's paste-with-mask
// arithmetic: out = (255 * (255 - a) + c * a) / 255 rounded as its DIV255 macro does.
void rgba_row_to_rgb(const uint8_t* rgba, uint8_t* rgb, int64_t width, AlphaMode mode);

// The Orientation tag (0x0112) of IFD0 in raw EXIF data (a TIFF header, optionally preceded by
// "Exif\0\0"); 1 when absent, unreadable or out of range.
int exif_orientation(std::span<const uint8_t> exif);

StatusOr<RgbImage> decode_jpeg(std::span<const uint8_t> data, const ImageDecodeOptions& options);
StatusOr<RgbImage> decode_png(std::span<const uint8_t> data, const ImageDecodeOptions& options);
StatusOr<RgbImage> decode_webp(std::span<const uint8_t> data, const ImageDecodeOptions& options);
StatusOr<RgbImage> decode_gif(std::span<const uint8_t> data, const ImageDecodeOptions& options);

StatusOr<ImageInfo> probe_jpeg(std::span<const uint8_t> data);
StatusOr<ImageInfo> probe_png(std::span<const uint8_t> data);
StatusOr<ImageInfo> probe_webp(std::span<const uint8_t> data);
StatusOr<ImageInfo> probe_gif(std::span<const uint8_t> data);

}  // namespace mms::media::detail
