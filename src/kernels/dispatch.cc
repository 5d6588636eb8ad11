// Public entry points: route each op to the fastest implementation this CPU supports. Until the fast
// CPU versions land, every op runs its reference.
#include "kernels/activation.h"
#include "kernels/attention.h"
#include "kernels/embedding.h"
#include "kernels/matmul.h"
#include "kernels/rms_norm.h"
#include "kernels/rope.h"
#include "kernels/softmax.h"

namespace mms::kernels {

void matmul(const float* x, int64_t M, const Tensor& w, const float* bias, float* y) { ref::matmul(x, M, w, bias, y); }
void rms_norm(const float* x, const float* w, int64_t rows, int64_t dim, float eps, float* y) {
  ref::rms_norm(x, w, rows, dim, eps, y);
}
void rope(float* x, int64_t T, int64_t n_heads, int64_t head_dim, const int32_t* positions, const float* inv_freq,
          RopePairing pairing) {
  ref::rope(x, T, n_heads, head_dim, positions, inv_freq, pairing);
}
void silu_mul(const float* gate, const float* up, int64_t n, float* out) { ref::silu_mul(gate, up, n, out); }
void add(const float* a, const float* b, int64_t n, float* y) { ref::add(a, b, n, y); }
void softmax(float* x, int64_t rows, int64_t cols) { ref::softmax(x, rows, cols); }
void embedding(const Tensor& table, const int32_t* ids, int64_t n, float* out) { ref::embedding(table, ids, n, out); }
void write_kv(const float* k, const float* v, const int32_t* slot_mapping, int64_t T, const PagedKvLayer& kv) {
  ref::write_kv(k, v, slot_mapping, T, kv);
}
void paged_attention(const float* q, const PagedKvLayer& kv, const AttentionMetadata& md, int32_t n_heads, float scale,
                     float* out) {
  ref::paged_attention(q, kv, md, n_heads, scale, out);
}

}  // namespace mms::kernels
