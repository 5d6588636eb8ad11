#include "model/dummy/dummy_weights.h"

#include <sys/mman.h>

#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <vector>

#include "common/compute_pool.h"
#include "common/hash.h"
#include "model/decoder_tensor_specs.h"

namespace mms {
namespace {

constexpr float kStd = 0.02f;
constexpr uint64_t kMaxTotalBytes = uint64_t{1} << 40;

// x86-64 builds carry an AVX2 clone of the fill loops (32-bit multiplies vectorize there, not in SSE2).
#if defined(__x86_64__) && defined(__GNUC__)
#define MMS_FILL_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define MMS_FILL_CLONES
#endif

inline uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// A 32-bit integer hash with low bias (Chris Wellons' "lowbias32"); vectorizes.
inline uint32_t hash32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}

// Element c (counter within one 2^32-element segment) of a stream: four 16-bit uniforms from two
// hashes, summed (Irwin-Hall, variance 4/12) and rescaled to ~N(0, kStd), bounded by 2*sqrt(3)*kStd.
inline float value32(uint32_t c, uint32_t k1, uint32_t k2) {
  constexpr float kScale = 1.7320508f / 65536.0f * kStd;  // sqrt(3) / 2^16 * std
  const uint32_t a = hash32(c ^ k1), b = hash32(c ^ k2);
  const int32_t s = static_cast<int32_t>((a & 0xffff) + (a >> 16) + (b & 0xffff) + (b >> 16)) - 131070;
  return static_cast<float>(s) * kScale;
}

struct SegmentKeys {
  uint32_t k1, k2;
};
// Keys of segment i >> 32 of the stream `key`.
inline SegmentKeys segment_keys(uint64_t key, uint64_t segment) {
  const uint64_t h = splitmix64(key + splitmix64(segment));
  return {static_cast<uint32_t>(h), static_cast<uint32_t>(h >> 32)};
}

inline uint64_t stream_key(uint64_t seed, std::string_view name) {
  return hash64(name.data(), name.size(), splitmix64(seed));
}

MMS_FILL_CLONES void fill_f32(float* out, uint32_t c0, uint32_t n, SegmentKeys k) {
  for (uint32_t j = 0; j < n; ++j) out[j] = value32(c0 + j, k.k1, k.k2);
}
MMS_FILL_CLONES void fill_bf16(uint16_t* out, uint32_t c0, uint32_t n, SegmentKeys k) {
  for (uint32_t j = 0; j < n; ++j) out[j] = f32_to_bf16(value32(c0 + j, k.k1, k.k2));
}
void fill_f16(uint16_t* out, uint32_t c0, uint32_t n, SegmentKeys k) {
  for (uint32_t j = 0; j < n; ++j) out[j] = f32_to_f16(value32(c0 + j, k.k1, k.k2));
}

// Fills elements [begin, end) of a tensor, in pieces that do not cross a 2^32-element segment.
void fill_range(void* dst, DType dtype, int64_t begin, int64_t end, uint64_t key) {
  constexpr int64_t kSegment = int64_t{1} << 32;
  for (int64_t i = begin; i < end;) {
    const int64_t seg = i / kSegment;
    const int64_t piece_end = std::min(end, (seg + 1) * kSegment);
    const SegmentKeys k = segment_keys(key, static_cast<uint64_t>(seg));
    const auto c0 = static_cast<uint32_t>(i - seg * kSegment);
    const auto n = static_cast<uint32_t>(piece_end - i);
    switch (dtype) {
      case DType::kF32: fill_f32(static_cast<float*>(dst) + i, c0, n, k); break;
      case DType::kBF16: fill_bf16(static_cast<uint16_t*>(dst) + i, c0, n, k); break;
      case DType::kF16: fill_f16(static_cast<uint16_t*>(dst) + i, c0, n, k); break;
      case DType::kI32: break;  // rejected by make_dummy_weights
    }
    i = piece_end;
  }
}

// One anonymous read-write mapping holding every tensor: pages arrive zeroed and are first touched by
// the parallel fill, so the page faults are spread over the compute threads too.
class Arena {
 public:
  static StatusOr<std::unique_ptr<Arena>> create(size_t bytes, const std::string& source) {
    bytes = std::max<size_t>(bytes, 1);
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      return resource_exhausted(source + ": cannot allocate " + std::to_string(bytes >> 20) +
                                " MiB of dummy weights");
    }
    ::madvise(p, bytes, MADV_HUGEPAGE);
    return std::unique_ptr<Arena>(new Arena(static_cast<uint8_t*>(p), bytes));
  }
  ~Arena() { ::munmap(data_, size_); }
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  uint8_t* data() const { return data_; }

 private:
  Arena(uint8_t* d, size_t n) : data_(d), size_(n) {}
  uint8_t* data_;
  size_t size_;
};

class DummyWeightStore : public WeightStore {
 public:
  DummyWeightStore(std::string source, std::unique_ptr<Arena> arena)
      : source_(std::move(source)), arena_(std::move(arena)) {}

  void add(std::string name, Tensor t) {
    index_.emplace(name, tensors_.size());
    names_.push_back(std::move(name));
    tensors_.push_back(t);
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
  std::unique_ptr<Arena> arena_;
  std::vector<std::string> names_;
  std::vector<Tensor> tensors_;
  std::unordered_map<std::string, size_t> index_;
};

struct Placed {
  const TensorSpec* spec;
  DType dtype;
  size_t offset;  // in the arena
  uint64_t key;   // random stream
};

// Elements [begin, end) of one tensor: the unit of parallel work.
struct Chunk {
  size_t tensor;
  int64_t begin, end;
};

void fill_chunk(uint8_t* base, const Placed& p, int64_t begin, int64_t end) {
  void* dst = base + p.offset;
  if (p.spec->role == TensorRole::kNorm) {
    std::fill(static_cast<float*>(dst) + begin, static_cast<float*>(dst) + end, 1.0f);
  } else {
    fill_range(dst, p.dtype, begin, end, p.key);
  }
}

}  // namespace

float dummy_weight_value(uint64_t seed, std::string_view tensor_name, int64_t index) {
  const auto segment = static_cast<uint64_t>(index) >> 32;
  const SegmentKeys k = segment_keys(stream_key(seed, tensor_name), segment);
  return value32(static_cast<uint32_t>(index), k.k1, k.k2);
}

StatusOr<std::unique_ptr<WeightStore>> make_dummy_weights(const ModelConfig& config, DType matrix_dtype,
                                                          uint64_t seed, std::string source) {
  MMS_RETURN_IF_ERROR(config.validate().with_context(source));
  return make_dummy_weights(decoder_tensor_specs_full(config), matrix_dtype, seed, std::move(source));
}

StatusOr<std::unique_ptr<WeightStore>> make_dummy_weights(const std::vector<TensorSpec>& specs, DType matrix_dtype,
                                                          uint64_t seed, std::string source) {
  if (matrix_dtype != DType::kF32 && matrix_dtype != DType::kF16 && matrix_dtype != DType::kBF16) {
    return invalid_argument(source + ": dummy weights cannot be " + std::string(dtype_name(matrix_dtype)));
  }
  // Lay the tensors out in one arena, 64-byte aligned (validate() bounds every factor, so no overflow).
  std::vector<Placed> placed;
  size_t offset = 0;
  for (const TensorSpec& s : specs) {
    const DType dt = s.role == TensorRole::kMatrix ? matrix_dtype : DType::kF32;
    placed.push_back({&s, dt, offset, stream_key(seed, s.name)});
    offset += (static_cast<size_t>(s.shape.numel()) * dtype_size(dt) + 63) / 64 * 64;
  }
  if (offset > kMaxTotalBytes) {
    return resource_exhausted(source + ": dummy weights would take " + std::to_string(offset >> 30) + " GiB");
  }
  MMS_ASSIGN_OR_RETURN(std::unique_ptr<Arena> arena, Arena::create(offset, source));
  // Then fill every chunk in one parallel pass.
  constexpr int64_t kChunk = int64_t{1} << 20;
  std::vector<Chunk> chunks;
  for (size_t t = 0; t < placed.size(); ++t) {
    const int64_t n = placed[t].spec->shape.numel();
    for (int64_t b = 0; b < n; b += kChunk) chunks.push_back({t, b, std::min(n, b + kChunk)});
  }
  uint8_t* base = arena->data();
  parallel_for(static_cast<int64_t>(chunks.size()), 1, [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; ++c) fill_chunk(base, placed[chunks[c].tensor], chunks[c].begin, chunks[c].end);
  });
  auto store = std::make_unique<DummyWeightStore>(std::move(source), std::move(arena));
  for (const Placed& p : placed) store->add(p.spec->name, Tensor(base + p.offset, p.dtype, p.spec->shape));
  return std::unique_ptr<WeightStore>(std::move(store));
}

}  // namespace mms
