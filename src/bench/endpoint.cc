// URL parsing for bench targets.
#include "bench/endpoint.h"

#include <charconv>

namespace mms::bench {
namespace {

bool is_loopback_host(const std::string& h) {
  if (h == "localhost" || h == "::1" || h == "0:0:0:0:0:0:0:1") return true;
  return h.rfind("127.", 0) == 0 && h.find_first_not_of("0123456789.") == std::string::npos;
}

}  // namespace

StatusOr<Endpoint> parse_endpoint(std::string_view url) {
  Endpoint e;
  e.url = std::string(url);
  constexpr std::string_view kHttp = "http://";
  if (url.rfind("https://", 0) == 0) return unimplemented("https targets are not supported: " + e.url);
  if (url.rfind(kHttp, 0) != 0) return invalid_argument("target must start with http://: " + e.url);
  std::string_view rest = url.substr(kHttp.size());
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  std::string_view port_text;
  if (!authority.empty() && authority[0] == '[') {  // [::1]:8000
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return invalid_argument("bad IPv6 address in " + e.url);
    e.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return invalid_argument("bad authority in " + e.url);
      port_text = after.substr(1);
    }
  } else {
    size_t colon = authority.rfind(':');
    e.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (e.host.empty()) return invalid_argument("no host in " + e.url);
  if (!port_text.empty()) {
    unsigned p = 0;
    auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), p);
    if (ec != std::errc() || ptr != port_text.data() + port_text.size() || p == 0 || p > 65535)
      return invalid_argument("bad port in " + e.url);
    e.port = static_cast<uint16_t>(p);
  }
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (path.size() >= 3 && path.substr(path.size() - 3) == "/v1") path.remove_suffix(3);
  e.base_path = std::string(path);
  e.loopback = is_loopback_host(e.host);
  return e;
}

}  // namespace mms::bench
