// Procedural test images (JPEG via libturbojpeg, PNG via libpng) sent as data: URLs, and the Qwen2.5-VL
// image-token rule used to size them. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "bench/trace.h"
#include "common/status.h"

namespace mms::bench {

enum class ImageFormat { kJpeg, kPng };

StatusOr<ImageFormat> parse_image_format(const std::string& name);  // "jpeg" | "png"

// Language-model tokens Qwen2.5-VL spends on a w x h image: sides rounded to multiples of 28
// (smart_resize with min_pixels 56*56, max_pixels 28*28*16384), one token per 28x28 pixels.
int64_t qwen25vl_image_tokens(int64_t width, int64_t height);
// A roughly 4:3 image whose Qwen2.5-VL token count is close to `tokens` (exact for most counts).
ImageSize image_size_for_tokens(int64_t tokens);
// Parses "WxH".
StatusOr<ImageSize> parse_image_size(const std::string& text);

// Encoded image bytes: smooth gradients plus seeded shapes and noise, so each seed gives distinct
// content (no accidental encoder-cache hits) that compresses like a photo rather than a flat fill.
StatusOr<std::string> encode_test_image(ImageSize size, ImageFormat format, uint64_t seed);
std::string base64_encode(std::string_view bytes);
// "data:image/jpeg;base64,..." for encode_test_image(size, format, seed).
StatusOr<std::string> image_data_url(ImageSize size, ImageFormat format, uint64_t seed);

}  // namespace mms::bench
