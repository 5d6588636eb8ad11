// The one place that maps failures to HTTP statuses and OpenAI error bodies.
#include "server/api_error.h"

#include <nlohmann/json.hpp>

namespace mms::server {

ApiError invalid_request(std::string message, std::string param, std::string code) {
  return {400, std::move(message), "invalid_request_error", std::move(param), std::move(code)};
}

ApiError malformed_json(std::string detail) {
  return {400, "request body is not valid JSON: " + detail, "invalid_request_error", "", "invalid_json"};
}

ApiError unknown_field(const std::string& name) {
  return {400, "Unrecognized request argument supplied: " + name, "invalid_request_error", name,
          "unknown_parameter"};
}

ApiError model_not_found(const std::string& name) {
  return {404, "The model '" + name + "' does not exist.", "invalid_request_error", "model", "model_not_found"};
}

ApiError route_not_found(const std::string& target) {
  return {404, "no route for " + target, "not_found_error", "", "not_found"};
}

ApiError method_not_allowed(const std::string& method, const std::string& target) {
  return {405, "method " + method + " is not allowed on " + target, "invalid_request_error", "",
          "method_not_allowed"};
}

ApiError body_too_large(size_t limit_bytes) {
  return {413, "request body is larger than the limit of " + std::to_string(limit_bytes) + " bytes",
          "invalid_request_error", "", "request_too_large"};
}

ApiError service_unavailable(std::string message) {
  return {503, std::move(message), "service_unavailable", "", "unavailable"};
}

ApiError from_status(const Status& status, std::string param) {
  ApiError e{400, status.message(), "invalid_request_error", std::move(param), "invalid_value"};
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kOutOfRange:
      break;
    case StatusCode::kUnimplemented:
      e.code = "unsupported";
      break;
    case StatusCode::kNotFound:
      e.http_status = 404, e.type = "not_found_error", e.code = "not_found";
      break;
    case StatusCode::kResourceExhausted:
      e.http_status = 429, e.type = "resource_exhausted", e.code = "resource_exhausted";
      break;
    case StatusCode::kUnavailable:
      e.http_status = 503, e.type = "service_unavailable", e.code = "unavailable";
      break;
    default:
      e.http_status = 500, e.type = "internal_error", e.code = "internal_error";
      break;
  }
  return e;
}

std::string error_body(const ApiError& e) {
  using nlohmann::json;
  json err = {{"message", e.message}, {"type", e.type}};
  err["param"] = e.param.empty() ? json(nullptr) : json(e.param);
  err["code"] = e.code.empty() ? json(nullptr) : json(e.code);
  return json{{"error", std::move(err)}}.dump();
}

}  // namespace mms::server
