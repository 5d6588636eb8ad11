// A small synchronous HTTP/1.1 client for server tests (Beast, 127.0.0.1, bounded by a timeout), with
// SSE event splitting. Not thread-safe per object; use one per thread.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace mms::server::testing {

struct HttpReply {
  int status = 0;  // 0: transport failure
  std::string body;
  std::string content_type;
  std::string allow;
  std::string error;  // transport error
};

class HttpClient {
 public:
  explicit HttpClient(uint16_t port, double timeout_s = 20) : port_(port), timeout_s_(timeout_s), stream_(io_) {}

  // One request on a kept-alive connection (reconnects when needed).
  HttpReply call(const std::string& method, const std::string& target, const std::string& body = "",
                 const std::string& content_type = "application/json") {
    namespace http = boost::beast::http;
    HttpReply r;
    try {
      connect();
      http::request<http::string_body> req{http::string_to_verb(method), target, 11};
      req.set(http::field::host, "127.0.0.1");
      if (!body.empty() || method == "POST") {
        req.set(http::field::content_type, content_type);
        req.body() = body;
        req.prepare_payload();
      }
      req.keep_alive(true);
      stream_.expires_after(std::chrono::microseconds(static_cast<int64_t>(timeout_s_ * 1e6)));
      boost::system::error_code ec;
      http::async_write(stream_, req, [&](boost::system::error_code e, size_t) { ec = e; });
      run(ec);
      http::response_parser<http::string_body> parser;
      parser.body_limit(1 << 30);
      http::async_read(stream_, buf_, parser, [&](boost::system::error_code e, size_t) { ec = e; });
      run(ec);
      auto res = parser.release();
      r.status = res.result_int();
      r.body = res.body();
      r.content_type = std::string(res[http::field::content_type]);
      r.allow = std::string(res[http::field::allow]);
      if (!res.keep_alive()) close();
    } catch (const std::exception& e) {
      r.error = e.what();
      close();
    }
    return r;
  }

  void close() {
    boost::system::error_code ec;
    stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
    connected_ = false;
    buf_.clear();
  }

 private:
  void connect() {
    if (connected_) return;
    stream_.expires_after(std::chrono::seconds(5));
    boost::system::error_code ec;
    stream_.async_connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port_),
                          [&](boost::system::error_code e) { ec = e; });
    run(ec);
    connected_ = true;
  }
  // Runs the pending asynchronous operation (bounded by the stream's expiry); throws on error.
  void run(const boost::system::error_code& ec) {
    io_.restart();
    io_.run();
    if (ec) throw boost::system::system_error(ec);
  }

  uint16_t port_;
  double timeout_s_;
  boost::asio::io_context io_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buf_;
  bool connected_ = false;
};

// The `data:` payloads of an SSE body, in order (including "[DONE]").
inline std::vector<std::string> sse_events(const std::string& body) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t end = body.find("\n\n", pos);
    if (end == std::string::npos) end = body.size();
    std::string ev = body.substr(pos, end - pos);
    if (ev.rfind("data: ", 0) == 0) out.push_back(ev.substr(6));
    pos = end + 2;
  }
  return out;
}

}  // namespace mms::server::testing
