// AVX2 + FMA + F16C building blocks shared by the *_avx2.cc kernels. Include it only after
// `#pragma GCC target("avx2,fma,f16c")` (every function here is compiled for that target), and only from
// files whose callers check cpu_features().has_avx2_fma(). Internal linkage on purpose: no copy of these
// functions can be merged into a baseline translation unit.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "tensor/dtype.h"

namespace mms::kernels::cpu::avx2 {
namespace {

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline float hmax(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// {hsum(a), hsum(b), hsum(c), hsum(d)}
inline __m128 hsum4(__m256 a, __m256 b, __m256 c, __m256 d) {
  const __m256 abcd = _mm256_hadd_ps(_mm256_hadd_ps(a, b), _mm256_hadd_ps(c, d));
  return _mm_add_ps(_mm256_castps256_ps128(abcd), _mm256_extractf128_ps(abcd, 1));
}

// exp(x) with ~1 ulp relative error (Cephes expf: x = n ln2 + r, |r| <= ln2/2, degree-7 polynomial; 2^n
// applied as two factors so that n = 128 does not overflow early). Like std::exp: overflow gives +inf,
// NaN stays NaN; results below FLT_MIN (x < -87.33) flush to 0, -inf included (no denormal slow paths).
inline __m256 exp(__m256 x) {
  const __m256 tiny = _mm256_cmp_ps(x, _mm256_set1_ps(-87.33654f), _CMP_LT_OQ);
  x = _mm256_min_ps(_mm256_set1_ps(89.0f), _mm256_max_ps(_mm256_set1_ps(-87.34f), x));  // NaN passes through
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);  // ln2 split in two (Cody-Waite)
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  const __m256i ni = _mm256_cvtps_epi32(n);
  const __m256i na = _mm256_srai_epi32(ni, 1);
  const __m256i bias = _mm256_set1_epi32(127);
  const __m256 pow2a = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(na, bias), 23));
  const __m256 pow2b = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_sub_epi32(ni, na), bias), 23));
  return _mm256_andnot_ps(tiny, _mm256_mul_ps(_mm256_mul_ps(p, pow2a), pow2b));
}

// 8 consecutive elements of an f32/f16/bf16 array, as f32.
template <DType T>
inline __m256 load8(const void* base, int64_t i) {
  if constexpr (T == DType::kF32) {
    return _mm256_loadu_ps(static_cast<const float*>(base) + i);
  } else {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(static_cast<const uint16_t*>(base) + i));
    if constexpr (T == DType::kF16) return _mm256_cvtph_ps(h);
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));  // bf16: high half of f32
  }
}

template <DType T>
inline float load1(const void* base, int64_t i) {
  if constexpr (T == DType::kF32) return static_cast<const float*>(base)[i];
  if constexpr (T == DType::kF16) return f16_to_f32(static_cast<const uint16_t*>(base)[i]);
  return bf16_to_f32(static_cast<const uint16_t*>(base)[i]);
}

// Converts n elements of an f32/f16/bf16 array starting at element i to f32.
template <DType T>
inline void convert_to_f32(const void* base, int64_t i, int64_t n, float* out) {
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) _mm256_storeu_ps(out + j, load8<T>(base, i + j));
  for (; j < n; ++j) out[j] = load1<T>(base, i + j);
}

// Vector traits for the ISA-generic kernels (gemv.h).
struct Simd {
  using V = __m256;
  static constexpr int kWidth = 8;
  static V zero() { return _mm256_setzero_ps(); }
  static V load(const float* p) { return _mm256_loadu_ps(p); }
  template <DType T>
  static V load_as_f32(const void* base, int64_t i) {
    return load8<T>(base, i);
  }
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  static V fmadd(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static float reduce(V v) { return hsum(v); }
  template <DType T>
  static float load1(const void* base, int64_t i) {
    return avx2::load1<T>(base, i);
  }
};

}  // namespace
}  // namespace mms::kernels::cpu::avx2
