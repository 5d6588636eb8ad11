// GGUF parsing: header, metadata key/values, tensor infos, data section. See gguf_file.h.
#include "model/gguf/gguf_file.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

#include "model/gguf/byte_reader.h"
#include "model/gguf/ggml_types.h"
#include "model/gguf/gguf_metadata.h"

namespace mms::gguf {
namespace {

constexpr uint64_t kDefaultAlignment = 32;
constexpr uint32_t kMaxDims = 4;            // GGML_MAX_DIMS
constexpr size_t kMinKvBytes = 8 + 4 + 1;   // key length, type, smallest value
constexpr size_t kMinTensorInfoBytes = 8 + 4 + 4 + 8;  // name length, n_dims, type, offset

std::string at(const ByteReader& r) { return " at offset " + std::to_string(r.pos()); }
// 's' (built by appends: GCC 12 warns falsely (-Wrestrict) on "'" + std::string(s) + "'").
std::string quoted(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.append(1, '\'').append(s).append(1, '\'');
  return out;
}

class Parser {
 public:
  Parser(std::span<const uint8_t> bytes, const std::string& name, GgufFile::Impl* impl,
         std::vector<TensorInfo>* tensors)
      : r_(bytes), name_(name), impl_(impl), tensors_(tensors) {}

  Status parse(uint32_t* version, uint64_t* alignment) {
    MMS_RETURN_IF_ERROR(parse_header(version));
    MMS_RETURN_IF_ERROR(parse_kvs());
    MMS_RETURN_IF_ERROR(parse_alignment(alignment));
    MMS_RETURN_IF_ERROR(parse_tensor_infos());
    return place_tensors(*alignment);
  }

 private:
  Status err(Status s) const { return s.with_context(name_); }

  Status parse_header(uint32_t* version) {
    uint8_t magic[4];
    if (!r_.read(&magic)) return err(out_of_range("file too short for a GGUF header"));
    if (std::string_view(reinterpret_cast<char*>(magic), 4) != "GGUF") {
      return err(invalid_argument("not a GGUF file (bad magic)"));
    }
    if (!r_.read(version)) return err(out_of_range("truncated header (version)"));
    if (*version == 1) return err(unimplemented("GGUF version 1 is not supported (v2 and v3 are)"));
    if (*version == 0x02000000u || *version == 0x03000000u) {
      return err(unimplemented("big-endian GGUF files are not supported"));
    }
    if (*version != 2 && *version != 3) {
      return err(invalid_argument("unsupported GGUF version " + std::to_string(*version)));
    }
    if (!r_.read(&n_tensors_) || !r_.read(&n_kv_)) return err(out_of_range("truncated header (counts)"));
    // Bound both counts by the bytes left so a bogus count cannot drive a huge allocation or loop.
    const size_t left = r_.remaining();
    if (n_kv_ > left / kMinKvBytes) {
      return err(out_of_range("metadata count " + std::to_string(n_kv_) + " exceeds the " +
                              std::to_string(left) + " bytes left"));
    }
    if (n_tensors_ > left / kMinTensorInfoBytes ||
        n_kv_ * kMinKvBytes + n_tensors_ * kMinTensorInfoBytes > left) {
      return err(out_of_range("tensor count " + std::to_string(n_tensors_) + " exceeds the " +
                              std::to_string(left) + " bytes left"));
    }
    return ok_status();
  }

  Status parse_kvs() {
    impl_->kvs.reserve(static_cast<size_t>(n_kv_));
    for (uint64_t i = 0; i < n_kv_; ++i) {
      std::string_view key;
      if (!r_.read_string(&key)) {
        return err(out_of_range("truncated key of metadata entry " + std::to_string(i) + at(r_)));
      }
      uint32_t type = 0;
      if (!r_.read(&type)) return err(out_of_range("key " + quoted(key) + ": truncated type" + at(r_)));
      if (!is_valid_value_type(type)) {
        return err(invalid_argument("key " + quoted(key) + ": invalid value type " + std::to_string(type)));
      }
      GgufValue v;
      Status s = parse_value(r_, static_cast<ValueType>(type), 0, &v);
      if (!s.ok()) return err(s.with_context("key " + quoted(key)));
      if (!impl_->key_index.emplace(key, impl_->kvs.size()).second) {
        return err(invalid_argument("duplicate key " + quoted(key)));
      }
      impl_->kvs.emplace_back(key, std::move(v));
    }
    return ok_status();
  }

  Status parse_alignment(uint64_t* alignment) {
    *alignment = kDefaultAlignment;
    auto it = impl_->key_index.find("general.alignment");
    if (it == impl_->key_index.end()) return ok_status();
    const GgufValue& v = impl_->kvs[it->second].second;
    if (v.type != ValueType::kU32) {
      return err(invalid_argument("key 'general.alignment' has type " + std::string(value_type_name(v.type)) +
                                  ", expected u32"));
    }
    uint32_t a = 0;
    std::memcpy(&a, v.data, 4);
    if (a == 0 || (a & (a - 1)) != 0) {
      return err(invalid_argument("key 'general.alignment' = " + std::to_string(a) +
                                  " is not a power of two"));
    }
    *alignment = a;
    return ok_status();
  }

  Status parse_tensor_infos() {
    tensors_->reserve(static_cast<size_t>(n_tensors_));
    for (uint64_t i = 0; i < n_tensors_; ++i) {
      TensorInfo t;
      std::string_view name;
      if (!r_.read_string(&name)) {
        return err(out_of_range("truncated name of tensor info " + std::to_string(i) + at(r_)));
      }
      t.name = std::string(name);
      MMS_RETURN_IF_ERROR(err(parse_tensor_info(&t).with_context("tensor " + quoted(t.name))));
      tensors_->push_back(std::move(t));
    }
    for (size_t i = 0; i < tensors_->size(); ++i) {
      if (!impl_->tensor_index.emplace((*tensors_)[i].name, i).second) {
        return err(invalid_argument("duplicate tensor " + quoted((*tensors_)[i].name)));
      }
    }
    return ok_status();
  }

  Status parse_tensor_info(TensorInfo* t) {
    uint32_t n_dims = 0;
    if (!r_.read(&n_dims)) return out_of_range("truncated n_dims" + at(r_));
    if (n_dims > kMaxDims) return invalid_argument("has " + std::to_string(n_dims) + " dimensions (max 4)");
    int64_t numel = 1;
    bool overflow = false;
    for (uint32_t d = 0; d < n_dims; ++d) {
      uint64_t ne = 0;
      if (!r_.read(&ne)) return out_of_range("truncated shape" + at(r_));
      if (ne > static_cast<uint64_t>(INT64_MAX)) return invalid_argument("dimension " + std::to_string(d) + " is too large");
      t->ne.push_back(static_cast<int64_t>(ne));
      overflow |= __builtin_mul_overflow(numel, static_cast<int64_t>(ne), &numel);
    }
    if (overflow) return invalid_argument("element count overflows");
    if (!r_.read(&t->ggml_type)) return out_of_range("truncated type" + at(r_));
    if (!r_.read(&t->offset)) return out_of_range("truncated offset" + at(r_));
    auto traits = ggml_type_traits(t->ggml_type);
    if (!traits) return invalid_argument("has unknown ggml type " + std::to_string(t->ggml_type));
    const int64_t ne0 = t->ne.empty() ? 1 : t->ne[0];
    if (ne0 % traits->block_size != 0) {
      return invalid_argument("row of " + std::to_string(ne0) + " elements is not a multiple of the " +
                              std::string(traits->name) + " block size " + std::to_string(traits->block_size));
    }
    int64_t nbytes = 0;
    if (__builtin_mul_overflow(numel / traits->block_size, traits->type_size, &nbytes)) {
      return invalid_argument("byte size overflows");
    }
    t->nbytes = static_cast<size_t>(nbytes);
    return ok_status();
  }

  Status place_tensors(uint64_t alignment) {
    const uint64_t pos = r_.pos();
    const uint64_t data_start = (pos + alignment - 1) / alignment * alignment;
    const uint64_t size = r_.size();
    const uint64_t data_size = data_start <= size ? size - data_start : 0;
    for (TensorInfo& t : *tensors_) {
      if (t.offset % alignment != 0) {
        return err(invalid_argument("tensor " + quoted(t.name) + ": offset " + std::to_string(t.offset) +
                                    " is not a multiple of the alignment " + std::to_string(alignment)));
      }
      if (t.offset > data_size || t.nbytes > data_size - t.offset) {
        return err(out_of_range("tensor " + quoted(t.name) + ": data [" + std::to_string(t.offset) + ", +" +
                                std::to_string(t.nbytes) + ") runs past the end of the data section (" +
                                std::to_string(data_size) + " bytes; file truncated?)"));
      }
      t.data = r_.base() + std::min<uint64_t>(data_start + t.offset, size);  // empty tensors stay in bounds
    }
    return ok_status();
  }

  ByteReader r_;
  const std::string& name_;
  GgufFile::Impl* impl_;
  std::vector<TensorInfo>* tensors_;
  uint64_t n_tensors_ = 0;
  uint64_t n_kv_ = 0;
};

}  // namespace

StatusOr<Tensor> TensorInfo::tensor() const {
  DType dt;
  switch (ggml_type) {
    case static_cast<uint32_t>(GgmlType::kF32): dt = DType::kF32; break;
    case static_cast<uint32_t>(GgmlType::kF16): dt = DType::kF16; break;
    case static_cast<uint32_t>(GgmlType::kBF16): dt = DType::kBF16; break;
    default:
      return unimplemented("tensor '" + name + "' has ggml type " + ggml_type_name(ggml_type) +
                           ", which is not supported yet (only F32, F16, BF16)");
  }
  Shape shape;
  for (auto it = ne.rbegin(); it != ne.rend(); ++it) shape.dims[shape.ndim++] = *it;
  return Tensor(data, dt, shape);
}

GgufFile::~GgufFile() = default;

StatusOr<std::unique_ptr<GgufFile>> GgufFile::parse(std::span<const uint8_t> bytes, std::string name) {
  std::unique_ptr<GgufFile> f(new GgufFile());
  f->name_ = std::move(name);
  f->impl_ = std::make_unique<Impl>();
  Parser p(bytes, f->name_, f->impl_.get(), &f->tensors_);
  MMS_RETURN_IF_ERROR(p.parse(&f->version_, &f->alignment_));
  return f;
}

StatusOr<std::unique_ptr<GgufFile>> GgufFile::open(const std::string& path) {
  MMS_ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> mapped, MappedFile::open(path));
  MMS_ASSIGN_OR_RETURN(std::unique_ptr<GgufFile> f, parse(mapped->bytes(), path));
  f->file_ = std::move(mapped);
  return f;
}

const TensorInfo* GgufFile::find_tensor(std::string_view name) const {
  auto it = impl_->tensor_index.find(name);
  return it == impl_->tensor_index.end() ? nullptr : &tensors_[it->second];
}

}  // namespace mms::gguf
