// http(s):// media downloads with Boost.Beast: one short-lived io_context per fetch, run on the calling
// thread for at most the remaining timeout; the response body is capped by the parser's body limit, so
// an oversized or endless response stops at max_bytes. TLS verifies the certificate chain against the
// system store and the host name (SNI set). Redirects are followed up to max_redirects, each hop
// re-checked against the scheme and domain rules, and every hop's resolved addresses against the private
// ranges (unless allowed); the connection goes to exactly the addresses checked.
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <netdb.h>
#include <sys/socket.h>

#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "media/media_source.h"

namespace mms::media {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct HttpUrl {
  bool https = false;
  std::string host;  // without brackets for IPv6 literals
  std::string port;
  std::string target;
  std::string display() const { return (https ? "https://" : "http://") + host + target.substr(0, 60); }
};

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

StatusOr<HttpUrl> parse_http_url(std::string_view url) {
  HttpUrl u;
  const std::string head = lower(std::string(url.substr(0, 8)));
  if (head.rfind("https://", 0) == 0) {
    u.https = true;
    url.remove_prefix(8);
  } else if (head.rfind("http://", 0) == 0) {
    url.remove_prefix(7);
  } else {
    return invalid_argument("not an http(s) URL");
  }
  const size_t path_at = url.find_first_of("/?#");
  std::string_view authority = url.substr(0, path_at);
  std::string_view rest = path_at == std::string_view::npos ? std::string_view("/") : url.substr(path_at);
  if (authority.find('@') != std::string_view::npos) return invalid_argument("URLs with credentials are not accepted");
  if (authority.empty()) return invalid_argument("URL without a host");
  std::string_view port;
  if (authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return invalid_argument("malformed IPv6 host in URL");
    u.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return invalid_argument("malformed host in URL");
      port = authority.substr(close + 2);
    }
  } else {
    const size_t colon = authority.rfind(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  u.host = lower(u.host);
  if (u.host.empty()) return invalid_argument("URL without a host");
  if (!port.empty()) {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos || std::stoi(std::string(port)) == 0 ||
        std::stoi(std::string(port)) > 65535) {
      return invalid_argument("bad port in URL");
    }
    u.port = std::string(port);
  } else {
    u.port = u.https ? "443" : "80";
  }
  if (const size_t hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  if (rest.empty() || rest.front() == '?') u.target = "/" + std::string(rest);
  else u.target = std::string(rest);
  for (char c : u.target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F) return invalid_argument("URL contains spaces or control characters");
  }
  return u;
}

bool host_allowed(const std::string& host, const std::vector<std::string>& domains) {
  if (domains.empty()) return true;
  for (const std::string& d0 : domains) {
    const std::string d = lower(d0);
    if (host == d) return true;
    if (host.size() > d.size() && host.compare(host.size() - d.size(), d.size(), d) == 0 &&
        host[host.size() - d.size() - 1] == '.') {
      return true;
    }
  }
  return false;
}

// Not a public unicast address: what a fetch on a user's behalf must not reach by default.
bool is_internal_address(const asio::ip::address& a) {
  if (a.is_v6()) {
    const asio::ip::address_v6 v6 = a.to_v6();
    if (v6.is_v4_mapped()) return is_internal_address(asio::ip::make_address_v4(asio::ip::v4_mapped, v6));
    const auto b = v6.to_bytes();
    return v6.is_loopback() || v6.is_unspecified() || v6.is_link_local() || v6.is_multicast() || v6.is_site_local() ||
           (b[0] & 0xFE) == 0xFC ||                                           // fc00::/7 unique local
           (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) ||  // 2001:db8::/32 documentation
           (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b);    // 64:ff9b::/96 NAT64 (embeds v4)
  }
  const uint32_t v = a.to_v4().to_uint();
  auto in = [v](uint32_t net, int bits) { return (v >> (32 - bits)) == (net >> (32 - bits)); };
  return in(0x00000000, 8) ||    // 0.0.0.0/8 "this network"
         in(0x0A000000, 8) ||    // 10/8
         in(0x64400000, 10) ||   // 100.64/10 carrier-grade NAT
         in(0x7F000000, 8) ||    // 127/8 loopback
         in(0xA9FE0000, 16) ||   // 169.254/16 link-local, cloud metadata
         in(0xAC100000, 12) ||   // 172.16/12
         in(0xC0000000, 24) ||   // 192.0.0/24 protocol assignments
         in(0xC0000200, 24) ||   // 192.0.2/24 documentation
         in(0xC0A80000, 16) ||   // 192.168/16
         in(0xC6120000, 15) ||   // 198.18/15 benchmarking
         in(0xC6336400, 24) ||   // 198.51.100/24 documentation
         in(0xCB007100, 24) ||   // 203.0.113/24 documentation
         in(0xE0000000, 4) ||    // 224/4 multicast
         in(0xF0000000, 4);      // 240/4 reserved, broadcast
}

// getaddrinfo on a detached thread: it cannot be cancelled, so a stuck resolver is abandoned at the
// deadline instead of holding the caller (the thread ends when the system resolver gives up).
StatusOr<std::vector<tcp::endpoint>> resolve(const HttpUrl& u, std::chrono::steady_clock::time_point deadline) {
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    int error = 0;
    std::vector<tcp::endpoint> endpoints;
  };
  auto state = std::make_shared<State>();
  std::thread([state, host = u.host, port = u.port] {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    const int err = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &res);
    std::vector<tcp::endpoint> eps;
    for (addrinfo* p = err == 0 ? res : nullptr; p != nullptr; p = p->ai_next) {
      tcp::endpoint ep;
      if (p->ai_addrlen > ep.capacity()) continue;
      std::memcpy(ep.data(), p->ai_addr, p->ai_addrlen);
      ep.resize(p->ai_addrlen);
      eps.push_back(ep);
    }
    if (res != nullptr) ::freeaddrinfo(res);
    std::lock_guard lock(state->mu);
    state->error = err;
    state->endpoints = std::move(eps);
    state->done = true;
    state->cv.notify_all();
  }).detach();
  std::unique_lock lock(state->mu);
  if (!state->cv.wait_until(lock, deadline, [&] { return state->done; })) {
    return Status(StatusCode::kUnavailable, "resolving " + u.host + " timed out");
  }
  if (state->error != 0 || state->endpoints.empty()) {
    return Status(StatusCode::kUnavailable,
                  "resolving " + u.host + " failed: " + (state->error != 0 ? ::gai_strerror(state->error) : "no address"));
  }
  return state->endpoints;
}

struct HttpResponse {
  unsigned status = 0;
  std::string location;
  std::string content_type;
  std::vector<uint8_t> body;
  bool body_too_large = false;
  std::optional<std::string> error;  // transport failure
};

template <typename Stream>
asio::awaitable<void> exchange(Stream& stream, const HttpUrl& u, int64_t max_bytes, HttpResponse* out) {
  http::request<http::empty_body> req{http::verb::get, u.target, 11};
  req.set(http::field::host, u.host);
  req.set(http::field::user_agent, "mmserve");
  req.set(http::field::accept, "image/*, video/*, */*;q=0.5");
  co_await http::async_write(stream, req, asio::use_awaitable);
  beast::flat_buffer buffer;
  http::response_parser<http::vector_body<uint8_t>> parser;
  parser.header_limit(64 * 1024);
  parser.body_limit(static_cast<uint64_t>(max_bytes));
  beast::error_code ec;
  co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  if (ec == http::error::body_limit) {
    out->body_too_large = true;
    co_return;
  }
  if (ec) throw beast::system_error(ec);
  auto& res = parser.get();
  out->status = res.result_int();
  out->location = std::string(res[http::field::location]);
  out->content_type = std::string(res[http::field::content_type]);
  out->body = std::move(res.body());
}

asio::awaitable<void> request(const HttpUrl& u, const std::vector<tcp::endpoint>& endpoints, int64_t max_bytes,
                              asio::ssl::context* tls, HttpResponse* out) {
  try {
    auto ex = co_await asio::this_coro::executor;
    if (!u.https) {
      beast::tcp_stream stream(ex);
      co_await stream.async_connect(endpoints, asio::use_awaitable);
      co_await exchange(stream, u, max_bytes, out);
      beast::error_code ignored;
      stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    } else {
      beast::ssl_stream<beast::tcp_stream> stream(ex, *tls);
      if (!SSL_set_tlsext_host_name(stream.native_handle(), u.host.c_str())) {
        throw beast::system_error(beast::error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category()));
      }
      stream.set_verify_callback(asio::ssl::host_name_verification(u.host));
      co_await beast::get_lowest_layer(stream).async_connect(endpoints, asio::use_awaitable);
      co_await stream.async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
      co_await exchange(stream, u, max_bytes, out);
    }
  } catch (const std::exception& e) {
    out->error = e.what();
  }
}

}  // namespace

StatusOr<MediaBytes> fetch_remote_media(std::string_view url, const MediaSourceOptions& options) {
  if (!options.allow_remote) {
    return invalid_argument("remote media URLs are not enabled on this server; send the image as a data: URL "
                            "(or start the server with remote media allowed)");
  }
  const auto deadline = std::chrono::steady_clock::now() + options.remote_timeout;
  std::string current(url);
  for (int hop = 0; hop <= options.max_redirects; ++hop) {
    MMS_ASSIGN_OR_RETURN(const HttpUrl u, parse_http_url(current));
    if (!host_allowed(u.host, options.allowed_remote_domains)) {
      return invalid_argument("remote media host '" + u.host + "' is not in the allowed domains");
    }
    MMS_ASSIGN_OR_RETURN(const std::vector<tcp::endpoint> endpoints, resolve(u, deadline));
    if (!options.allow_private_addresses) {
      for (const tcp::endpoint& ep : endpoints) {
        if (is_internal_address(ep.address())) {
          return invalid_argument("remote media host '" + u.host + "' resolves to a non-public address (" +
                                  ep.address().to_string() + "); this server fetches only from public addresses");
        }
      }
    }
    std::optional<asio::ssl::context> tls;
    if (u.https) {
      tls.emplace(asio::ssl::context::tls_client);
      boost::system::error_code ec;
      tls->set_default_verify_paths(ec);
      tls->set_verify_mode(asio::ssl::verify_peer);
    }
    HttpResponse res;
    bool done = false;
    {
      asio::io_context ioc;
      asio::co_spawn(ioc, request(u, endpoints, options.max_bytes, tls ? &*tls : nullptr, &res), [&](std::exception_ptr) { done = true; });
      const auto left = deadline - std::chrono::steady_clock::now();
      if (left > std::chrono::steady_clock::duration::zero()) ioc.run_for(left);
    }
    if (!done) {
      return Status(StatusCode::kUnavailable, "fetching " + u.display() + " timed out after " +
                                                  std::to_string(options.remote_timeout.count()) + " ms");
    }
    if (res.body_too_large) {
      return resource_exhausted("remote media " + u.display() + " is larger than the limit of " +
                                std::to_string(options.max_bytes) + " bytes");
    }
    if (res.error) return Status(StatusCode::kUnavailable, "fetching " + u.display() + " failed: " + *res.error);
    if (res.status >= 300 && res.status < 400 && res.status != 304 && !res.location.empty()) {
      if (res.location.rfind("/", 0) == 0 && res.location.rfind("//", 0) != 0) {
        current = std::string(u.https ? "https://" : "http://") + (u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host) +
                  ":" + u.port + res.location;
      } else {
        current = res.location;
      }
      continue;
    }
    if (res.status != 200) {
      return invalid_argument("fetching " + u.display() + " returned HTTP " + std::to_string(res.status));
    }
    MediaBytes out;
    out.kind = MediaSourceKind::kRemote;
    out.data = std::move(res.body);
    out.media_type = lower(res.content_type.substr(0, res.content_type.find(';')));
    return out;
  }
  return invalid_argument("too many redirects (more than " + std::to_string(options.max_redirects) + ") for " +
                          std::string(url.substr(0, 80)));
}

}  // namespace mms::media
