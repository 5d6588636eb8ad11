#include "model/safetensors/safetensors_file.h"

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>

namespace mms::safetensors {
namespace {

using nlohmann::json;

constexpr uint64_t kMaxHeaderBytes = 100ull << 20;  // the format's own limit (100 MB)

// Bytes per element of every dtype the format defines; nullopt for anything else.
std::optional<int64_t> dtype_bytes(std::string_view d) {
  static constexpr std::pair<std::string_view, int64_t> kTable[] = {
      {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E5M2", 1}, {"F8_E4M3", 1}, {"I16", 2}, {"U16", 2},
      {"F16", 2},  {"BF16", 2}, {"I32", 4}, {"U32", 4},     {"F32", 4},     {"F64", 8}, {"I64", 8},
      {"U64", 8}};
  for (const auto& [name, size] : kTable)
    if (name == d) return size;
  return std::nullopt;
}

std::optional<DType> to_dtype(std::string_view d) {
  if (d == "F32") return DType::kF32;
  if (d == "F16") return DType::kF16;
  if (d == "BF16") return DType::kBF16;
  return std::nullopt;
}

// 's' (built by appends: GCC 12 warns falsely (-Wrestrict) on "'" + std::string(s) + "'").
std::string in_quotes(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.append(1, '\'').append(s).append(1, '\'');
  return out;
}

bool as_u64(const json& j, uint64_t* out) {
  if (!j.is_number_unsigned()) return false;  // rejects negatives, floats
  *out = j.get<uint64_t>();
  return true;
}

// Validates one header entry and fills `e` (name already set). data_size: bytes after the header.
Status parse_entry(const json& v, uint64_t data_size, TensorEntry* e) {
  if (!v.is_object()) return invalid_argument("entry is not an object");
  auto dt = v.find("dtype");
  if (dt == v.end() || !dt->is_string()) return invalid_argument("missing or non-string 'dtype'");
  e->dtype = dt->get<std::string>();
  auto elem = dtype_bytes(e->dtype);
  if (!elem) return unimplemented("unknown dtype " + in_quotes(e->dtype));

  auto sh = v.find("shape");
  if (sh == v.end() || !sh->is_array()) return invalid_argument("missing or non-array 'shape'");
  if (sh->size() > static_cast<size_t>(kMaxDims)) {
    return invalid_argument("has " + std::to_string(sh->size()) + " dimensions (max " +
                            std::to_string(kMaxDims) + ")");
  }
  int64_t numel = 1;
  for (const json& d : *sh) {
    uint64_t n = 0;
    if (!as_u64(d, &n) || n > static_cast<uint64_t>(INT64_MAX)) {
      return invalid_argument("shape " + sh->dump() + " has an invalid dimension");
    }
    e->shape.dims[e->shape.ndim++] = static_cast<int64_t>(n);
    if (__builtin_mul_overflow(numel, static_cast<int64_t>(n), &numel)) {
      return invalid_argument("shape " + sh->dump() + " overflows");
    }
  }
  int64_t nbytes = 0;
  if (__builtin_mul_overflow(numel, *elem, &nbytes)) return invalid_argument("byte size overflows");

  auto off = v.find("data_offsets");
  if (off == v.end() || !off->is_array() || off->size() != 2 || !as_u64((*off)[0], &e->begin) ||
      !as_u64((*off)[1], &e->end)) {
    return invalid_argument("'data_offsets' must be two non-negative integers");
  }
  if (e->begin > e->end) {
    return invalid_argument("data_offsets [" + std::to_string(e->begin) + ", " + std::to_string(e->end) +
                            "] are reversed");
  }
  if (e->end > data_size) {
    return out_of_range("data_offsets [" + std::to_string(e->begin) + ", " + std::to_string(e->end) +
                        "] run past the " + std::to_string(data_size) + " data bytes (file truncated?)");
  }
  if (e->end - e->begin != static_cast<uint64_t>(nbytes)) {
    return invalid_argument("data_offsets [" + std::to_string(e->begin) + ", " + std::to_string(e->end) +
                            "] hold " + std::to_string(e->end - e->begin) + " bytes, but " + e->dtype +
                            e->shape.to_string() + " needs " + std::to_string(nbytes));
  }
  return ok_status();
}

}  // namespace

SafetensorsFile::~SafetensorsFile() = default;

StatusOr<std::unique_ptr<SafetensorsFile>> SafetensorsFile::parse(std::span<const uint8_t> bytes,
                                                                   std::string name) {
  std::unique_ptr<SafetensorsFile> f(new SafetensorsFile());
  f->name_ = std::move(name);
  const std::string& file = f->name_;
  uint64_t header_len = 0;
  if (bytes.size() < 8) return out_of_range(file + ": too short for a safetensors header");
  std::memcpy(&header_len, bytes.data(), 8);
  if (header_len > kMaxHeaderBytes || header_len > bytes.size() - 8) {
    return out_of_range(file + ": header length " + std::to_string(header_len) + " exceeds the file (" +
                        std::to_string(bytes.size()) + " bytes) or the 100 MB limit");
  }
  const auto* text = reinterpret_cast<const char*>(bytes.data() + 8);
  json header = json::parse(text, text + header_len, /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded()) return invalid_argument(file + ": header is not valid JSON");
  if (!header.is_object()) return invalid_argument(file + ": header is not a JSON object");

  const uint64_t data_start = 8 + header_len;
  const uint64_t data_size = bytes.size() - data_start;
  f->tensors_.reserve(header.size());
  for (const auto& [key, value] : header.items()) {
    if (key == "__metadata__") continue;
    TensorEntry e;
    e.name = key;
    Status s = parse_entry(value, data_size, &e);
    if (!s.ok()) return s.with_context(file + ": tensor " + in_quotes(key));
    e.data = bytes.data() + data_start + e.begin;
    f->tensors_.push_back(std::move(e));
  }
  std::sort(f->tensors_.begin(), f->tensors_.end(), [](const TensorEntry& a, const TensorEntry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  // Non-empty tensors may not share bytes.
  const TensorEntry* prev = nullptr;
  for (const TensorEntry& e : f->tensors_) {
    if (e.begin == e.end) continue;
    if (prev != nullptr && e.begin < prev->end) {
      return invalid_argument(file + ": tensor " + in_quotes(e.name) + " data [" + std::to_string(e.begin) + ", " +
                              std::to_string(e.end) + ") overlaps tensor " + in_quotes(prev->name) + " [" +
                              std::to_string(prev->begin) + ", " + std::to_string(prev->end) + ")");
    }
    prev = &e;
  }
  for (size_t i = 0; i < f->tensors_.size(); ++i) f->index_.emplace(f->tensors_[i].name, i);
  return f;
}

StatusOr<std::unique_ptr<SafetensorsFile>> SafetensorsFile::open(const std::string& path) {
  MMS_ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> mapped, MappedFile::open(path));
  MMS_ASSIGN_OR_RETURN(std::unique_ptr<SafetensorsFile> f, parse(mapped->bytes(), path));
  f->file_ = std::move(mapped);
  return f;
}

const TensorEntry* SafetensorsFile::find(std::string_view name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

StatusOr<Tensor> SafetensorsFile::tensor(const TensorEntry& e) const {
  auto dt = to_dtype(e.dtype);
  if (!dt) {
    return unimplemented(name_ + ": tensor " + in_quotes(e.name) + " has dtype " + e.dtype +
                         ", which is not supported (only F32, F16, BF16)");
  }
  return Tensor(e.data, *dt, e.shape);
}

StatusOr<Tensor> SafetensorsFile::get(std::string_view name) const {
  const TensorEntry* e = find(name);
  if (e == nullptr) return not_found(name_ + ": no tensor " + in_quotes(name));
  return tensor(*e);
}

}  // namespace mms::safetensors
