// Pillow-exact resizing of 8-bit RGB images: the convolution resampler of Pillow's Resample.c
// (Image.resize with reducing_gap=None), reproduced bit for bit. Coefficients are computed in double
// exactly as Pillow does (antialiased support scaled by the downscale factor, normalized to sum 1),
// quantized to fixed point with 22 fractional bits, applied horizontally first and then vertically with
// a uint8 intermediate clipped after each pass. Pure functions; thread-safe.
#pragma once

#include <cstdint>

#include "common/status.h"
#include "media/image_decoder.h"

namespace mms::media {

// Pillow's Image.Resampling values (what preprocessor_config.json's "resample" holds). kNearest is
// another algorithm in Pillow (no convolution) and is not implemented.
enum class ResampleFilter : int {
  kNearest = 0,
  kLanczos = 1,
  kBilinear = 2,
  kBicubic = 3,
  kBox = 4,
  kHamming = 5,
};

// InvalidArgument for an unknown value or kNearest.
StatusOr<ResampleFilter> resample_filter_from_pil(int value);

// Resizes `src` to width x height. Same size returns a copy, as Pillow does. Errors: InvalidArgument
// for a non-positive size or kNearest; ResourceExhausted when a buffer cannot be allocated.
StatusOr<RgbImage> resize_rgb(const RgbImage& src, int32_t width, int32_t height,
                              ResampleFilter filter = ResampleFilter::kBicubic);

}  // namespace mms::media
