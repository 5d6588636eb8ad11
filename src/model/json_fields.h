// Internal: typed, exception-free reads of fields from an nlohmann::json object, with errors that name
// the file and the field ("config.json: field 'hidden_size' must be an integer"). Pure functions.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace mms::json_fields {

using nlohmann::json;

// Parses text into an object; InvalidArgument naming `path` when it is not valid JSON or not an object.
StatusOr<json> parse_object(std::string_view text, const std::string& path);

// The field's value, or nullptr when it is absent or null.
const json* find(const json& obj, std::string_view key);

// Absent or null -> nullopt; wrong type -> InvalidArgument naming path and key. Integers accept
// integral floats (1e6), floats accept integers.
StatusOr<std::optional<int64_t>> opt_int(const json& obj, std::string_view key, const std::string& path);
StatusOr<std::optional<double>> opt_float(const json& obj, std::string_view key, const std::string& path);
StatusOr<std::optional<bool>> opt_bool(const json& obj, std::string_view key, const std::string& path);
StatusOr<std::optional<std::string>> opt_string(const json& obj, std::string_view key, const std::string& path);
// An int or a list of ints (eos_token_id); absent or null -> empty.
StatusOr<std::vector<int32_t>> int_or_int_list(const json& obj, std::string_view key, const std::string& path);

// Required variants: NotFound naming path and key when absent.
StatusOr<int64_t> req_int(const json& obj, std::string_view key, const std::string& path);

}  // namespace mms::json_fields
