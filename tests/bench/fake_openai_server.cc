#include "fake_openai_server.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "api/chat.h"
#include "api/stream.h"

// GCC 12 destroys temporaries inside co_await full-expressions twice: arguments are named locals here.

namespace mms::bench::testing {

class FakeOpenAiServer::Impl {
 public:
  explicit Impl(FakeServerOptions o)
      : opts_(o), acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    boost::asio::co_spawn(io_, accept_loop(), boost::asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~Impl() {
    io_.stop();
    thread_.join();
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  int64_t generation_requests() const { return generations_.load(); }
  int64_t connections() const { return connections_.load(); }

 private:
  using tcp = boost::asio::ip::tcp;
  template <typename T>
  using awaitable = boost::asio::awaitable<T>;

  awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, sock] = co_await acceptor_.async_accept(boost::asio::as_tuple(boost::asio::use_awaitable));
      if (ec) co_return;
      ++connections_;
      sock.set_option(tcp::no_delay(true));  // else Nagle + delayed ACKs batch the stream
      boost::asio::co_spawn(io_, session(std::move(sock)), boost::asio::detached);
    }
  }

  awaitable<void> sleep(double s) {
    boost::asio::steady_timer t(io_, std::chrono::microseconds(static_cast<int64_t>(s * 1e6)));
    co_await t.async_wait(boost::asio::use_awaitable);
  }

  template <typename Body>
  awaitable<void> send_json(tcp::socket& sock, boost::beast::http::request<Body>& req, int status,
                            std::string body) {
    namespace http = boost::beast::http;
    http::response<http::string_body> res{static_cast<http::status>(status), 11};
    res.set(http::field::content_type, "application/json");
    res.keep_alive(req.keep_alive());
    res.body() = std::move(body);
    res.prepare_payload();
    co_await http::async_write(sock, res, boost::asio::use_awaitable);
  }

  awaitable<void> write_event(tcp::socket& sock, const std::string& data) {
    namespace http = boost::beast::http;
    std::string ev = "data: " + data + "\n\n";
    if (opts_.split_events && ev.size() > 8) {
      std::string a = ev.substr(0, ev.size() / 2), b = ev.substr(ev.size() / 2);
      auto ca = http::make_chunk(boost::asio::buffer(a));
      co_await boost::asio::async_write(sock, ca, boost::asio::use_awaitable);
      auto cb = http::make_chunk(boost::asio::buffer(b));
      co_await boost::asio::async_write(sock, cb, boost::asio::use_awaitable);
    } else {
      auto c = http::make_chunk(boost::asio::buffer(ev));
      co_await boost::asio::async_write(sock, c, boost::asio::use_awaitable);
    }
  }

  awaitable<void> generate(tcp::socket& sock, boost::beast::http::request<boost::beast::http::string_body>& req,
                           bool chat) {
    namespace http = boost::beast::http;
    int64_t n = opts_.default_tokens;
    bool stream = false, usage = false;
    if (chat) {
      auto r = api::parse_chat_request(req.body());
      if (!r.ok()) { std::string b = api::to_json(api::ErrorInfo{r.status().message(), "invalid_request_error", ""}); co_await send_json(sock, req, 400, std::move(b)); co_return; }
      n = r->max_tokens.value_or(n), stream = r->stream, usage = r->include_usage;
    } else {
      auto r = api::parse_completion_request(req.body());
      if (!r.ok()) { std::string b = api::to_json(api::ErrorInfo{r.status().message(), "invalid_request_error", ""}); co_await send_json(sock, req, 400, std::move(b)); co_return; }
      n = r->max_tokens.value_or(n), stream = r->stream, usage = r->include_usage;
    }
    int64_t k = ++generations_;
    if (opts_.fail_every > 0 && k % opts_.fail_every == 0)
      { std::string b = api::to_json(api::ErrorInfo{"injected failure", "invalid_request_error", "400"}); co_await send_json(sock, req, 400, std::move(b)); co_return; }
    api::StreamChunk c;
    c.id = "fake-" + std::to_string(k);
    c.object = chat ? "chat.completion.chunk" : "text_completion";
    c.model = "fake";
    co_await sleep(opts_.ttft_s);
    if (!stream) {
      c.object = chat ? "chat.completion" : "text_completion";
      c.choices.push_back({0, std::string(static_cast<size_t>(n) * 4, 'x'), "", std::string("length")});
      c.usage = api::Usage{10, n, 10 + n};
      { std::string b = api::to_json(c, chat); co_await send_json(sock, req, 200, std::move(b)); co_return; }
    }
    http::response<http::empty_body> res{http::status::ok, 11};
    res.set(http::field::content_type, "text/event-stream");
    res.chunked(true);
    res.keep_alive(req.keep_alive());
    http::response_serializer<http::empty_body> sr{res};
    co_await http::async_write_header(sock, sr, boost::asio::use_awaitable);
    for (int64_t i = 0; i < n; ++i) {
      if (i > 0) co_await sleep(opts_.itl_s);
      c.choices.assign(1, {0, " tok" + std::to_string(i), "", std::nullopt});
      if (i + 1 == n) c.choices[0].finish_reason = "length";
      std::string ev = api::to_json(c, chat);
      co_await write_event(sock, ev);
    }
    if (usage) {
      c.choices.clear();
      c.usage = api::Usage{10, n, 10 + n};
      std::string ev = api::to_json(c, chat);
      co_await write_event(sock, ev);
    }
    std::string done = "[DONE]";
    co_await write_event(sock, done);
    auto last = http::make_chunk_last();
    co_await boost::asio::async_write(sock, last, boost::asio::use_awaitable);
  }

  awaitable<void> session(tcp::socket sock) {
    namespace http = boost::beast::http;
    boost::beast::flat_buffer buf;
    try {
      for (;;) {
        http::request<http::string_body> req;
        co_await http::async_read(sock, buf, req, boost::asio::use_awaitable);
        std::string target(req.target());
        if (target == "/v1/chat/completions" || target == "/v1/completions") {
          co_await generate(sock, req, target == "/v1/chat/completions");
        } else if (target == "/tokenize" && opts_.tokenize) {
          size_t chars = req.body().size();  // close enough: the JSON carries the text twice
          std::string body = nlohmann_free_tokenize(chars);
          co_await send_json(sock, req, 200, std::move(body));
        } else if (target == "/v1/models") {
          std::string body = R"({"object":"list","data":[{"id":"fake","object":"model"}]})";
          co_await send_json(sock, req, 200, std::move(body));
        } else {
          std::string body = R"({"detail":"Not Found"})";
          co_await send_json(sock, req, 404, std::move(body));
        }
        if (!req.keep_alive()) break;
      }
    } catch (const std::exception&) {
    }
    boost::system::error_code ec;
    sock.shutdown(tcp::socket::shutdown_both, ec);
  }

  // {"tokens":[0,...]} with one token per 8 body bytes (the body holds the text twice: ~4 chars/token).
  static std::string nlohmann_free_tokenize(size_t body_bytes) {
    std::string s = "{\"tokens\":[";
    for (size_t i = 0; i < body_bytes / 8; ++i) s += (i ? ",0" : "0");
    return s + "]}";
  }

  FakeServerOptions opts_;
  boost::asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::atomic<int64_t> generations_{0};
  std::atomic<int64_t> connections_{0};
};

FakeOpenAiServer::FakeOpenAiServer(FakeServerOptions o) : impl_(std::make_unique<Impl>(o)) {}
FakeOpenAiServer::~FakeOpenAiServer() = default;
uint16_t FakeOpenAiServer::port() const { return impl_->port(); }
int64_t FakeOpenAiServer::generation_requests() const { return impl_->generation_requests(); }
int64_t FakeOpenAiServer::connections() const { return impl_->connections(); }

}  // namespace mms::bench::testing
