#include "server/http_test_client.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <stdexcept>

namespace mms::server::testing {

struct HttpClient::Impl {
  Impl(uint16_t port, double timeout_s) : port_(port), timeout_s_(timeout_s), stream_(io_) {}

  HttpReply call(const std::string& method, const std::string& target, const std::string& body,
                 const std::string& content_type) {
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

HttpClient::HttpClient(uint16_t port, double timeout_s) : impl_(std::make_unique<Impl>(port, timeout_s)) {}
HttpClient::~HttpClient() = default;

HttpReply HttpClient::call(const std::string& method, const std::string& target, const std::string& body,
                           const std::string& content_type) {
  return impl_->call(method, target, body, content_type);
}

void HttpClient::close() { impl_->close(); }

RawConnection::RawConnection(uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error("socket() failed");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
    close();
    throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port) + " failed");
  }
}

RawConnection::~RawConnection() { close(); }

void RawConnection::write(const std::string& bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error("send failed");
    off += static_cast<size_t>(n);
  }
}

bool RawConnection::read_until(std::string& got, const std::function<bool(const std::string&)>& done,
                               double timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(static_cast<int64_t>(timeout_s * 1e6));
  char buf[4096];
  while (!done(got)) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    got.append(buf, static_cast<size_t>(n));
  }
  return true;
}

void RawConnection::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace mms::server::testing
