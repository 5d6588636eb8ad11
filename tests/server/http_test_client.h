// A small synchronous HTTP/1.1 client for server tests (127.0.0.1, bounded by a timeout), with SSE event
// splitting. Not thread-safe per object; use one per thread. Beast stays in http_test_client.cc, compiled
// once instead of in every test file.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
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
  explicit HttpClient(uint16_t port, double timeout_s = 20);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // One request on a kept-alive connection (reconnects when needed).
  HttpReply call(const std::string& method, const std::string& target, const std::string& body = "",
                 const std::string& content_type = "application/json");
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A raw TCP connection to 127.0.0.1 for tests that misbehave on purpose (send a request, read a little,
// vanish). The constructor throws when it cannot connect.
class RawConnection {
 public:
  explicit RawConnection(uint16_t port);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  void write(const std::string& bytes);  // throws on failure
  // Appends what arrives to `got` until done(got) holds (true), the peer closes, an error or the timeout.
  bool read_until(std::string& got, const std::function<bool(const std::string&)>& done, double timeout_s = 10);
  void close();

 private:
  int fd_ = -1;
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
