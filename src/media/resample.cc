// Pillow's convolution resampler (libImaging/Resample.c: precompute_coeffs, normalize_coeffs_8bpc,
// ImagingResampleHorizontal_8bpc / Vertical_8bpc, ImagingResampleInner), re-implemented for packed RGB.
// Every floating-point expression keeps Pillow's operand order and types so the coefficients, and so
// the pixels, come out identical; this file is built with -ffp-contract=off (no fused multiply-add).
// The vertical pass runs tap-major over whole rows and the horizontal one keeps a pixel in one SIMD
// register: the same integer sums as Pillow's loops (integer addition is exact), faster.
#include "media/resample.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <new>
#include <vector>

namespace mms::media {
namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;

double box_filter(double x) { return (x > -0.5 && x <= 0.5) ? 1.0 : 0.0; }

double bilinear_filter(double x) {
  if (x < 0.0) x = -x;
  return x < 1.0 ? 1.0 - x : 0.0;
}

double hamming_filter(double x) {
  if (x < 0.0) x = -x;
  if (x == 0.0) return 1.0;
  if (x >= 1.0) return 0.0;
  x = x * M_PI;
  return std::sin(x) / x * (0.54f + 0.46f * std::cos(x));  // float constants, as in Pillow
}

double bicubic_filter(double x) {
  constexpr double a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

double sinc_filter(double x) {
  if (x == 0.0) return 1.0;
  x = x * M_PI;
  return std::sin(x) / x;
}

double lanczos_filter(double x) {
  if (-3.0 <= x && x < 3.0) return sinc_filter(x) * sinc_filter(x / 3);
  return 0.0;
}

struct Filter {
  double (*fn)(double);
  double support;
};

Filter filter_for(ResampleFilter f) {
  switch (f) {
    case ResampleFilter::kBox: return {box_filter, 0.5};
    case ResampleFilter::kBilinear: return {bilinear_filter, 1.0};
    case ResampleFilter::kHamming: return {hamming_filter, 1.0};
    case ResampleFilter::kLanczos: return {lanczos_filter, 3.0};
    case ResampleFilter::kBicubic:
    case ResampleFilter::kNearest: break;
  }
  return {bicubic_filter, 2.0};
}

// Fixed-point coefficients of one axis: output i reads `count[i]` inputs from `first[i]`.
struct Coeffs {
  int ksize = 0;
  std::vector<int> first, count;
  std::vector<int32_t> k;  // [out_size, ksize]
};

Coeffs precompute_coeffs(int in_size, float in0, float in1, int out_size, const Filter& filter) {
  Coeffs c;
  double filterscale, scale;
  filterscale = scale = static_cast<double>(in1 - in0) / out_size;
  if (filterscale < 1.0) filterscale = 1.0;
  const double support = filter.support * filterscale;
  c.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  c.first.resize(out_size);
  c.count.resize(out_size);
  c.k.assign(static_cast<size_t>(out_size) * c.ksize, 0);
  std::vector<double> kk(c.ksize);
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = in0 + (xx + 0.5) * scale;
    double ww = 0.0;
    const double ss = 1.0 / filterscale;
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    for (int x = 0; x < xmax; ++x) {
      const double w = filter.fn((x + xmin - center + 0.5) * ss);
      kk[x] = w;
      ww += w;
    }
    for (int x = 0; x < xmax; ++x) {
      if (ww != 0.0) kk[x] /= ww;
    }
    int32_t* k = &c.k[static_cast<size_t>(xx) * c.ksize];
    for (int x = 0; x < xmax; ++x) {
      k[x] = kk[x] < 0 ? static_cast<int32_t>(-0.5 + kk[x] * (1 << kPrecisionBits))
                       : static_cast<int32_t>(0.5 + kk[x] * (1 << kPrecisionBits));
    }
    c.first[xx] = xmin;
    c.count[xx] = xmax;
  }
  return c;
}

// One axis: output row yy = sum over taps y of k[yy][y] * src row (first[yy] + y - row_shift), every
// byte of a row independently, clipped to uint8. Tap-major over whole rows: the same integer sums as
// Pillow's per-pixel loops (exact, no overflow: |sum| < 2^31), in an order that vectorizes. Built for
// AVX2 and baseline x86-64, chosen at load time.
__attribute__((target_clones("avx2", "default")))
void resample_rows(const uint8_t* src, size_t row_bytes, const Coeffs& c, int row_shift, int out_rows,
                   uint8_t* dst) {
  std::vector<int32_t> acc(row_bytes);
  for (int yy = 0; yy < out_rows; ++yy) {
    const int32_t* k = &c.k[static_cast<size_t>(yy) * c.ksize];
    int32_t* a = acc.data();
    for (size_t i = 0; i < row_bytes; ++i) a[i] = 1 << (kPrecisionBits - 1);
    for (int y = 0; y < c.count[yy]; ++y) {
      const uint8_t* in = src + static_cast<size_t>(c.first[yy] - row_shift + y) * row_bytes;
      const int32_t ky = k[y];
      for (size_t i = 0; i < row_bytes; ++i) a[i] += in[i] * ky;
    }
    uint8_t* out = dst + static_cast<size_t>(yy) * row_bytes;
    for (size_t i = 0; i < row_bytes; ++i) {
      const int32_t v = a[i] >> kPrecisionBits;
      out[i] = static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
    }
  }
}

// Horizontal pass (Pillow's ImagingResampleHorizontal_8bpc), portable version: per output pixel,
// per channel, the same loop as Pillow's.
void resample_horizontal_scalar(const uint8_t* src, int src_w, int row0, int rows, const Coeffs& c, int out_w,
                                uint8_t* dst) {
  const int32_t half = 1 << (kPrecisionBits - 1);
  for (int y = 0; y < rows; ++y) {
    const uint8_t* in = src + static_cast<size_t>(row0 + y) * src_w * 3;
    uint8_t* out = dst + static_cast<size_t>(y) * out_w * 3;
    for (int xx = 0; xx < out_w; ++xx) {
      const int32_t* k = &c.k[static_cast<size_t>(xx) * c.ksize];
      const uint8_t* p = in + static_cast<size_t>(c.first[xx]) * 3;
      int32_t s0 = half, s1 = half, s2 = half;
      for (int x = 0; x < c.count[xx]; ++x) {
        s0 += p[3 * x + 0] * k[x];
        s1 += p[3 * x + 1] * k[x];
        s2 += p[3 * x + 2] * k[x];
      }
      for (int ch = 0; ch < 3; ++ch) {
        const int32_t v = (ch == 0 ? s0 : ch == 1 ? s1 : s2) >> kPrecisionBits;
        out[3 * xx + ch] = static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
      }
    }
  }
}

// SSE4.1 version: a pixel's three channels (plus a pad lane) in one 4 x int32 vector, one multiply-add
// per tap; the pack instructions saturate exactly as the clip to [0, 255] does.
__attribute__((target("sse4.1")))
void resample_horizontal_sse41(const uint8_t* src, int src_w, int row0, int rows, const Coeffs& c, int out_w,
                               uint8_t* dst) {
  std::vector<uint32_t> rgbx(static_cast<size_t>(src_w));
  const __m128i half = _mm_set1_epi32(1 << (kPrecisionBits - 1));
  for (int y = 0; y < rows; ++y) {
    const uint8_t* in = src + static_cast<size_t>(row0 + y) * src_w * 3;
    for (int x = 0; x < src_w; ++x) rgbx[x] = in[3 * x] | (in[3 * x + 1] << 8) | (in[3 * x + 2] << 16);
    uint8_t* out = dst + static_cast<size_t>(y) * out_w * 3;
    for (int xx = 0; xx < out_w; ++xx) {
      const int32_t* k = &c.k[static_cast<size_t>(xx) * c.ksize];
      const uint32_t* p = rgbx.data() + c.first[xx];
      __m128i acc = half;
      for (int x = 0; x < c.count[xx]; ++x) {
        const __m128i px = _mm_cvtepu8_epi32(_mm_cvtsi32_si128(static_cast<int>(p[x])));
        acc = _mm_add_epi32(acc, _mm_mullo_epi32(px, _mm_set1_epi32(k[x])));
      }
      acc = _mm_srai_epi32(acc, kPrecisionBits);
      const __m128i packed = _mm_packus_epi16(_mm_packs_epi32(acc, acc), acc);
      const uint32_t v = static_cast<uint32_t>(_mm_cvtsi128_si32(packed));
      out[3 * xx + 0] = static_cast<uint8_t>(v);
      out[3 * xx + 1] = static_cast<uint8_t>(v >> 8);
      out[3 * xx + 2] = static_cast<uint8_t>(v >> 16);
    }
  }
}

void resample_horizontal(const uint8_t* src, int src_w, int row0, int rows, const Coeffs& c, int out_w,
                         uint8_t* dst) {
  static const bool sse41 = __builtin_cpu_supports("sse4.1");
  if (sse41) {
    resample_horizontal_sse41(src, src_w, row0, rows, c, out_w, dst);
  } else {
    resample_horizontal_scalar(src, src_w, row0, rows, c, out_w, dst);
  }
}

}  // namespace

StatusOr<ResampleFilter> resample_filter_from_pil(int value) {
  switch (value) {
    case 1: return ResampleFilter::kLanczos;
    case 2: return ResampleFilter::kBilinear;
    case 3: return ResampleFilter::kBicubic;
    case 4: return ResampleFilter::kBox;
    case 5: return ResampleFilter::kHamming;
    case 0: return invalid_argument("resample 0 (nearest) is not supported; use 3 (bicubic)");
    default: break;
  }
  return invalid_argument("unknown resample filter " + std::to_string(value) + " (Pillow values 1..5)");
}

StatusOr<RgbImage> resize_rgb(const RgbImage& src, int32_t width, int32_t height, ResampleFilter filter) {
  if (width <= 0 || height <= 0) {
    return invalid_argument("resize to " + std::to_string(width) + "x" + std::to_string(height));
  }
  if (filter == ResampleFilter::kNearest) return invalid_argument("nearest-neighbour resize is not supported");
  if (src.width <= 0 || src.height <= 0) return invalid_argument("resize of an empty image");
  if (width == src.width && height == src.height) return src;
  const Filter f = filter_for(filter);
  try {
    const bool need_h = width != src.width;
    const bool need_v = height != src.height;
    const Coeffs cv = precompute_coeffs(src.height, 0.f, static_cast<float>(src.height), height, f);
    const int ybox_first = cv.first[0];
    const int ybox_last = cv.first[height - 1] + cv.count[height - 1];
    RgbImage tmp;
    const RgbImage* vin = &src;
    int row_shift = 0;
    if (need_h) {
      const Coeffs ch = precompute_coeffs(src.width, 0.f, static_cast<float>(src.width), width, f);
      tmp.width = width;
      tmp.height = ybox_last - ybox_first;
      tmp.pixels.resize(static_cast<size_t>(tmp.width) * tmp.height * 3);
      resample_horizontal(src.pixels.data(), src.width, ybox_first, tmp.height, ch, width, tmp.pixels.data());
      vin = &tmp;
      row_shift = ybox_first;
    }
    if (!need_v) {
      // Horizontal only: every row was used (the vertical bounds are the identity).
      return tmp;
    }
    RgbImage out;
    out.width = vin->width;
    out.height = height;
    out.pixels.resize(static_cast<size_t>(out.width) * height * 3);
    resample_rows(vin->pixels.data(), static_cast<size_t>(vin->width) * 3, cv, row_shift, height, out.pixels.data());
    return out;
  } catch (const std::bad_alloc&) {
    return resource_exhausted("out of memory resizing to " + std::to_string(width) + "x" + std::to_string(height));
  }
}

}  // namespace mms::media
