#include "model/dummy/dummy_weights.h"

#include <cmath>
#include <unordered_map>
#include <vector>

#include "common/compute_pool.h"
#include "common/hash.h"
#include "model/decoder_tensor_specs.h"
#include "tensor/host_buffer.h"

namespace mms {
namespace {

constexpr float kStd = 0.02f;
constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ull;
constexpr uint64_t kMaxTotalBytes = uint64_t{1} << 40;

inline uint64_t splitmix64(uint64_t x) {
  x += kGolden;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Approximately N(0, std): the sum of four 16-bit uniforms (Irwin-Hall, variance 1/3), rescaled.
inline float normal_ish(uint64_t h) {
  const float s = static_cast<float>((h & 0xffff) + ((h >> 16) & 0xffff) + ((h >> 32) & 0xffff) + (h >> 48));
  constexpr float kScale = 1.7320508f / 65536.0f * kStd;  // sqrt(3) / 2^16 * std
  return (s + 2.0f - 131072.0f) * kScale;                 // +2: the 0.5 centering of each of the 4 terms
}

inline uint64_t stream_key(uint64_t seed, std::string_view name) {
  return hash64(name.data(), name.size(), splitmix64(seed));
}

inline float value_at(uint64_t key, int64_t i) {
  return normal_ish(splitmix64(key + static_cast<uint64_t>(i) * kGolden));
}

template <typename Store>
void fill(void* dst, int64_t n, uint64_t key, Store store) {
  parallel_for(n, int64_t{1} << 16, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) store(dst, i, value_at(key, i));
  });
}

void fill_random(void* dst, DType dtype, int64_t n, uint64_t key) {
  switch (dtype) {
    case DType::kF32:
      fill(dst, n, key, [](void* d, int64_t i, float v) { static_cast<float*>(d)[i] = v; });
      break;
    case DType::kBF16:
      fill(dst, n, key, [](void* d, int64_t i, float v) { static_cast<uint16_t*>(d)[i] = f32_to_bf16(v); });
      break;
    case DType::kF16:
      fill(dst, n, key, [](void* d, int64_t i, float v) { static_cast<uint16_t*>(d)[i] = f32_to_f16(v); });
      break;
    case DType::kI32:
      break;  // rejected by make_dummy_weights
  }
}

class DummyWeightStore : public WeightStore {
 public:
  explicit DummyWeightStore(std::string source) : source_(std::move(source)) {}

  void add(std::string name, HostBuffer buffer, Tensor t) {
    index_.emplace(name, tensors_.size());
    names_.push_back(std::move(name));
    tensors_.push_back(t);
    buffers_.push_back(std::move(buffer));
  }

  StatusOr<Tensor> get(std::string_view name) const override {
    auto it = index_.find(std::string(name));
    if (it == index_.end()) return not_found(source_ + ": no tensor '" + std::string(name) + "'");
    return tensors_[it->second];
  }
  bool has(std::string_view name) const override { return index_.count(std::string(name)) != 0; }
  std::vector<std::string> names() const override { return names_; }
  std::string source() const override { return source_; }

 private:
  std::string source_;
  std::vector<std::string> names_;
  std::vector<Tensor> tensors_;
  std::vector<HostBuffer> buffers_;
  std::unordered_map<std::string, size_t> index_;
};

}  // namespace

float dummy_weight_value(uint64_t seed, std::string_view tensor_name, int64_t index) {
  return value_at(stream_key(seed, tensor_name), index);
}

StatusOr<std::unique_ptr<WeightStore>> make_dummy_weights(const ModelConfig& config, DType matrix_dtype,
                                                          uint64_t seed, std::string source) {
  MMS_RETURN_IF_ERROR(config.validate().with_context(source));
  if (matrix_dtype != DType::kF32 && matrix_dtype != DType::kF16 && matrix_dtype != DType::kBF16) {
    return invalid_argument(source + ": dummy weights cannot be " + std::string(dtype_name(matrix_dtype)));
  }
  const std::vector<TensorSpec> specs = decoder_tensor_specs_full(config);
  uint64_t total = 0;
  for (const TensorSpec& s : specs) {
    const DType dt = s.role == TensorRole::kMatrix ? matrix_dtype : DType::kF32;
    total += static_cast<uint64_t>(s.shape.numel()) * dtype_size(dt);  // validate() bounds each factor
  }
  if (total > kMaxTotalBytes) {
    return resource_exhausted(source + ": dummy weights would take " + std::to_string(total >> 30) + " GiB");
  }
  auto store = std::make_unique<DummyWeightStore>(std::move(source));
  for (const TensorSpec& s : specs) {
    const DType dt = s.role == TensorRole::kMatrix ? matrix_dtype : DType::kF32;
    const int64_t n = s.shape.numel();
    HostBuffer buf(static_cast<size_t>(n) * dtype_size(dt));
    if (s.role == TensorRole::kNorm) {
      float* p = buf.as<float>();
      for (int64_t i = 0; i < n; ++i) p[i] = 1.0f;
    } else {
      fill_random(buf.data(), dt, n, stream_key(seed, s.name));
    }
    Tensor t = buf.view(dt, s.shape);
    store->add(s.name, std::move(buf), t);
  }
  return std::unique_ptr<WeightStore>(std::move(store));
}

}  // namespace mms
