// A target server's base URL ("http://127.0.0.1:8000" or ".../v1"), parsed, with the loopback check the
// safety rule needs. Value type, thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace mms::bench {

struct Endpoint {
  std::string url;        // as given
  std::string host;       // name or address, without brackets
  uint16_t port = 80;
  std::string base_path;  // "" or "/prefix" without trailing slash; a trailing "/v1" is dropped
  bool loopback = false;  // 127.0.0.0/8, ::1 or "localhost"

  // Path joined to the base: path("/v1/models") -> "/prefix/v1/models".
  std::string path(std::string_view p) const { return base_path + std::string(p); }
};

// http:// only (https is Unimplemented: put a TLS-terminating proxy in front or use plain HTTP).
StatusOr<Endpoint> parse_endpoint(std::string_view url);

}  // namespace mms::bench
