#include "model/json_fields.h"

#include <cmath>
#include <limits>

namespace mms::json_fields {
namespace {

Status bad(const std::string& path, std::string_view key, std::string_view want, const json& v) {
  std::string shown = v.dump();
  if (shown.size() > 60) shown = shown.substr(0, 57) + "...";
  return invalid_argument(path + ": field '" + std::string(key) + "' must be " + std::string(want) + ", got " +
                          shown);
}

bool to_int(const json& v, int64_t* out) {
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
    *out = static_cast<int64_t>(u);
    return true;
  }
  if (v.is_number_integer()) {
    *out = v.get<int64_t>();
    return true;
  }
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) > 9.0e18) return false;
    *out = static_cast<int64_t>(d);
    return true;
  }
  return false;
}

}  // namespace

StatusOr<json> parse_object(std::string_view text, const std::string& path) {
  json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return invalid_argument(path + ": not valid JSON");
  if (!j.is_object()) return invalid_argument(path + ": expected a JSON object");
  return j;
}

const json* find(const json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

StatusOr<std::optional<int64_t>> opt_int(const json& obj, std::string_view key, const std::string& path) {
  const json* v = find(obj, key);
  if (v == nullptr) return std::optional<int64_t>();
  int64_t out = 0;
  if (!to_int(*v, &out)) return bad(path, key, "an integer", *v);
  return std::optional<int64_t>(out);
}

StatusOr<std::optional<double>> opt_float(const json& obj, std::string_view key, const std::string& path) {
  const json* v = find(obj, key);
  if (v == nullptr) return std::optional<double>();
  if (!v->is_number()) return bad(path, key, "a number", *v);
  return std::optional<double>(v->get<double>());
}

StatusOr<std::optional<bool>> opt_bool(const json& obj, std::string_view key, const std::string& path) {
  const json* v = find(obj, key);
  if (v == nullptr) return std::optional<bool>();
  if (!v->is_boolean()) return bad(path, key, "true or false", *v);
  return std::optional<bool>(v->get<bool>());
}

StatusOr<std::optional<std::string>> opt_string(const json& obj, std::string_view key, const std::string& path) {
  const json* v = find(obj, key);
  if (v == nullptr) return std::optional<std::string>();
  if (!v->is_string()) return bad(path, key, "a string", *v);
  return std::optional<std::string>(v->get<std::string>());
}

StatusOr<std::vector<int32_t>> int_or_int_list(const json& obj, std::string_view key, const std::string& path) {
  std::vector<int32_t> out;
  const json* v = find(obj, key);
  if (v == nullptr) return out;
  auto one = [&](const json& e) -> bool {
    int64_t x = 0;
    if (!to_int(e, &x) || x < 0 || x > std::numeric_limits<int32_t>::max()) return false;
    out.push_back(static_cast<int32_t>(x));
    return true;
  };
  if (v->is_array()) {
    for (const json& e : *v)
      if (!one(e)) return bad(path, key, "a token id or a list of token ids", *v);
  } else if (!one(*v)) {
    return bad(path, key, "a token id or a list of token ids", *v);
  }
  return out;
}

StatusOr<int64_t> req_int(const json& obj, std::string_view key, const std::string& path) {
  MMS_ASSIGN_OR_RETURN(std::optional<int64_t> v, opt_int(obj, key, path));
  if (!v) return not_found(path + ": required field '" + std::string(key) + "' is missing");
  return *v;
}

}  // namespace mms::json_fields
