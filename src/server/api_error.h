// ApiError: an OpenAI-style error answer ({"error": {"message", "type", "param", "code"}}) with its HTTP
// status. Every error the server returns is built here, so the error-to-status mapping lives in one
// place. Plain value types; thread-compatible.
#pragma once

#include <string>

#include "common/status.h"

namespace mms::server {

struct ApiError {
  int http_status = 400;
  std::string message;
  std::string type = "invalid_request_error";
  std::string param;  // the offending request field ("messages[0].content", "max_tokens"); empty: null
  std::string code;   // empty: null
};

// 400: a request field is missing, has the wrong type, or is out of range.
ApiError invalid_request(std::string message, std::string param = {}, std::string code = "invalid_value");
// 400: the body is not JSON (or not an object).
ApiError malformed_json(std::string detail);
// 400: a field OpenAI does not know (and vLLM does not accept either).
ApiError unknown_field(const std::string& name);
// 404: `model` names no served model.
ApiError model_not_found(const std::string& name);
ApiError route_not_found(const std::string& target);  // 404
ApiError method_not_allowed(const std::string& method, const std::string& target);  // 405
ApiError body_too_large(size_t limit_bytes);  // 413
ApiError service_unavailable(std::string message);  // 503 (draining / engine gone)
// Status from a lower layer: InvalidArgument/OutOfRange/Unimplemented -> 400, NotFound -> 404,
// ResourceExhausted -> 429, Unavailable -> 503, anything else -> 500.
ApiError from_status(const Status& status, std::string param = {});

// {"error": {"message": ..., "type": ..., "param": ... | null, "code": ... | null}}
std::string error_body(const ApiError& e);

}  // namespace mms::server
