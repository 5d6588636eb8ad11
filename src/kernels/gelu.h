// GELU activations, elementwise, as Hugging Face defines them. Outputs may alias inputs. Run on the pool for
// large n.
//   gelu:       x * 0.5 * (1 + erf(x / sqrt(2)))   (torch.nn.GELU(), the exact form; Qwen2-VL's merger)
//   quick_gelu: x * sigmoid(1.702 * x)             (ACT2FN["quick_gelu"]; Qwen2-VL's vision MLP)
#pragma once

#include <cstdint>

namespace mms::kernels {

void gelu(const float* x, int64_t n, float* out);
void quick_gelu(const float* x, int64_t n, float* out);

namespace ref {
void gelu(const float* x, int64_t n, float* out);
void quick_gelu(const float* x, int64_t n, float* out);
}  // namespace ref

}  // namespace mms::kernels
