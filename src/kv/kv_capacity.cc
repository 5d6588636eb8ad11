#include "kv/kv_capacity.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <string>

namespace mms {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

StatusOr<int64_t> parse_memory_size(std::string_view text, int64_t total_ram_bytes) {
  const std::string_view t = trim(text);
  auto bad = [&](const std::string& why) {
    return invalid_argument("kv cache memory '" + std::string(text) + "': " + why +
                            " (expected e.g. 4GiB, 512MB, 1073741824 or a RAM fraction like 0.5)");
  };
  size_t num_end = 0;
  while (num_end < t.size() && (std::isdigit(static_cast<unsigned char>(t[num_end])) || t[num_end] == '.')) ++num_end;
  if (num_end == 0) return bad("no number");
  double value = 0;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + num_end, value);
  if (ec != std::errc() || ptr != t.data() + num_end || !std::isfinite(value)) return bad("bad number");
  const std::string unit = lower(trim(t.substr(num_end)));
  if (unit.empty()) {
    const bool has_point = t.substr(0, num_end).find('.') != std::string_view::npos;
    if (has_point || value <= 1.0) {
      if (value <= 0.0 || value > 1.0) return bad("a fraction of RAM must be in (0, 1]");
      if (total_ram_bytes <= 0) return bad("total RAM unknown");
      return static_cast<int64_t>(std::floor(value * static_cast<double>(total_ram_bytes)));
    }
    return static_cast<int64_t>(value);
  }
  static constexpr struct {
    const char* name;
    double scale;
  } kUnits[] = {
      {"b", 1.0},         {"k", 1024.0},      {"kib", 1024.0},      {"kb", 1e3},
      {"m", 1048576.0},   {"mib", 1048576.0}, {"mb", 1e6},          {"g", 1073741824.0},
      {"gib", 1073741824.0}, {"gb", 1e9},     {"t", 1099511627776.0}, {"tib", 1099511627776.0},
      {"tb", 1e12},
  };
  for (const auto& u : kUnits) {
    if (unit == u.name) {
      const double bytes = std::floor(value * u.scale);
      if (bytes <= 0) return bad("must be positive");
      if (bytes > 9.0e18) return bad("too large");
      return static_cast<int64_t>(bytes);
    }
  }
  return bad("unknown unit '" + unit + "'");
}

int64_t num_blocks_for_bytes(int64_t bytes, int64_t bytes_per_token, int32_t block_size) {
  if (bytes <= 0 || bytes_per_token <= 0 || block_size <= 0) return 0;
  return bytes / (bytes_per_token * block_size);
}

}  // namespace mms
