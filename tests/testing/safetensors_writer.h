// SafetensorsWriter: builds small .safetensors files in memory for tests and fuzz seeds (tensors packed in
// the order added; entries may also be given as raw JSON to make corrupt headers). Also a helper to write
// bytes to a file. Header-only; not thread-safe.
#pragma once

#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace mms::testing {

class SafetensorsWriter {
 public:
  void add(const std::string& name, const std::string& dtype, const std::vector<int64_t>& shape,
           const std::vector<uint8_t>& data) {
    std::string s = "{\"dtype\":\"";
    s.append(dtype).append("\",\"shape\":[");
    for (size_t i = 0; i < shape.size(); ++i) s.append(i ? "," : "").append(std::to_string(shape[i]));
    const size_t begin = data_.size();
    data_.insert(data_.end(), data.begin(), data.end());
    s.append("],\"data_offsets\":[").append(std::to_string(begin)).append(",");
    s.append(std::to_string(data_.size())).append("]}");
    add_raw_entry(name, s);
  }
  void add_f32(const std::string& name, const std::vector<int64_t>& shape, const std::vector<float>& v) {
    std::vector<uint8_t> b(v.size() * 4);
    if (!v.empty()) std::memcpy(b.data(), v.data(), b.size());
    add(name, "F32", shape, b);
  }
  // An entry whose JSON value is written verbatim (its bytes, if any, via add_data).
  void add_raw_entry(const std::string& name, const std::string& json_value) {
    if (!entries_.empty()) entries_.push_back(',');
    entries_.append("\"").append(name).append("\":").append(json_value);
  }
  void add_data(const std::vector<uint8_t>& bytes) { data_.insert(data_.end(), bytes.begin(), bytes.end()); }
  void set_metadata(const std::string& json_object) { metadata_ = json_object; }

  std::vector<uint8_t> finish() const {
    std::string header = "{";
    if (!metadata_.empty()) header += "\"__metadata__\":" + metadata_ + (entries_.empty() ? "" : ",");
    header += entries_ + "}";
    while (header.size() % 8 != 0) header += ' ';  // the format pads the header with spaces
    const uint64_t n = header.size();
    std::vector<uint8_t> out(8 + header.size() + data_.size());
    std::memcpy(out.data(), &n, 8);
    std::memcpy(out.data() + 8, header.data(), header.size());
    if (!data_.empty()) std::memcpy(out.data() + 8 + header.size(), data_.data(), data_.size());
    return out;
  }

 private:
  std::string entries_;
  std::string metadata_;
  std::vector<uint8_t> data_;
};

inline bool write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}
inline bool write_text(const std::string& path, const std::string& text) {
  return write_bytes(path, std::vector<uint8_t>(text.begin(), text.end()));
}

}  // namespace mms::testing
