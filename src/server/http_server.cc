// HttpServer: accept loop, one coroutine per connection (keep-alive), the route table, SSE streaming and
// the bridge from engine callbacks (engine thread) to the connection's strand.
// GCC 12 destroys temporaries inside co_await full-expressions twice: operands of co_await are named
// locals here.
#include "server/http_server.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <deque>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "common/log.h"
#include "server/api_error.h"
#include "server/metrics.h"
#include "server/openai_request.h"
#include "server/openai_response.h"
#include "server/output_processor.h"

namespace mms::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using json = nlohmann::ordered_json;
template <typename T>
using awaitable = asio::awaitable<T>;
using SteadyClock = std::chrono::steady_clock;
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

double seconds_since(SteadyClock::time_point t) {
  return std::chrono::duration<double>(SteadyClock::now() - t).count();
}

// One connection: its socket (strand executor), read buffer and the request being answered.
struct Conn {
  explicit Conn(tcp::socket s) : sock(std::move(s)) {}
  tcp::socket sock;
  beast::flat_buffer buf;
  http::request<http::string_body> req;
  SteadyClock::time_point received;
  bool keep_alive = true;
};

// Engine outputs of one request, filled on the strand by posted callbacks; the handler waits on `wake`.
struct Pending {
  explicit Pending(const asio::any_io_executor& ex) : wake(ex, SteadyClock::time_point::max()) {}
  asio::steady_timer wake;
  std::deque<RequestOutput> outputs;
  bool client_gone = false;
  bool watch_done = true;
};

}  // namespace

struct HttpServer::Impl {
  using Handler = awaitable<void> (Impl::*)(Conn&);
  struct Route {
    http::verb method;
    std::string_view path;
    Handler handler;
  };
  static std::span<const Route> routes();  // the route table, below the class

  Impl(ServerOptions o, const ServedModel& m, AsyncEngine& e)
      : opts(std::move(o)), model(m), engine(e), pool(std::max(1, opts.preprocess_threads)), acceptor(io),
        signals(io), metrics(m.name) {}

  ServerOptions opts;
  const ServedModel& model;
  AsyncEngine& engine;
  std::atomic<bool> draining{false};
  std::atomic<int64_t> inflight{0};
  std::atomic<uint64_t> next_id{1};
  uint16_t bound_port = 0;
  asio::io_context io;
  asio::thread_pool pool;  // preprocessing: JSON, chat template, tokenize
  tcp::acceptor acceptor;
  asio::signal_set signals;
  ServerMetrics metrics;
  std::vector<std::thread> io_threads;
  std::thread shutdown_thread;
  std::mutex shutdown_mu;
  bool shutdown_started = false;  // guarded by shutdown_mu
  bool joined = false;            // guarded by shutdown_mu

  // ---- plumbing -------------------------------------------------------------------------------------------

  // Runs f() on the preprocessing pool and resumes on the caller's strand.
  template <typename F>
  awaitable<void> run_on_pool(F& f) {
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer done(ex, SteadyClock::time_point::max());
    asio::post(pool, [&f, &done, ex] {
      f();
      asio::post(ex, [&done] { done.cancel(); });
    });
    auto [ec] = co_await done.async_wait(kAwait);
    (void)ec;
  }

  // (string_view parameters: GCC 12 must not see class-type temporaries in co_await expressions.)
  awaitable<bool> send(Conn& c, http::status status, std::string_view content_type, std::string body,
                       std::string_view allow = {}) {
    http::response<http::string_body> res{status, c.req.version()};
    res.set(http::field::server, "mmserve");
    res.set(http::field::content_type, content_type);
    if (!allow.empty()) res.set(http::field::allow, allow);
    res.keep_alive(c.keep_alive);
    res.body() = std::move(body);
    res.prepare_payload();
    metrics.count_http(static_cast<int>(status));
    auto [ec, n] = co_await http::async_write(c.sock, res, kAwait);
    if (ec) c.keep_alive = false;
    co_return !ec;
  }

  awaitable<bool> send_json(Conn& c, int status, std::string body) {
    co_return co_await send(c, static_cast<http::status>(status), "application/json", std::move(body));
  }

  awaitable<bool> send_error(Conn& c, const ApiError& e) {
    std::string body = error_body(e);
    co_return co_await send_json(c, e.http_status, std::move(body));
  }

  awaitable<bool> write_event(Conn& c, const std::string& data) {
    std::string ev = "data: " + data + "\n\n";
    auto chunk = http::make_chunk(asio::buffer(ev));
    auto [ec, n] = co_await asio::async_write(c.sock, chunk, kAwait);
    co_return !ec;
  }

  // ---- accept, connections, dispatch ----------------------------------------------------------------------

  awaitable<void> accept_loop() {
    for (;;) {
      auto strand = asio::make_strand(io);
      auto [ec, sock] = co_await acceptor.async_accept(strand, kAwait);
      if (ec) {
        if (!acceptor.is_open() || ec == asio::error::operation_aborted) co_return;
        continue;  // EMFILE and friends: keep serving the others
      }
      boost::system::error_code ig;
      sock.set_option(tcp::no_delay(true), ig);
      auto ex = sock.get_executor();
      asio::co_spawn(ex, session(std::move(sock)), asio::detached);
    }
  }

  awaitable<void> session(tcp::socket sock) {
    Conn c(std::move(sock));
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(opts.max_body_bytes);
      auto [ec, n] = co_await http::async_read(c.sock, c.buf, parser, kAwait);
      if (ec == http::error::body_limit) {
        c.keep_alive = false;
        ApiError e = body_too_large(opts.max_body_bytes);
        co_await send_error(c, e);
        break;
      }
      if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
          ec == asio::error::operation_aborted) {
        break;
      }
      if (ec) {  // malformed HTTP
        c.keep_alive = false;
        ApiError e = invalid_request("malformed HTTP request: " + ec.message(), "", "bad_request");
        co_await send_error(c, e);
        break;
      }
      c.req = parser.release();
      c.received = SteadyClock::now();
      c.keep_alive = c.req.keep_alive();
      co_await dispatch(c);
      if (!c.keep_alive) break;
    }
    boost::system::error_code ig;
    c.sock.shutdown(tcp::socket::shutdown_both, ig);
  }

  awaitable<void> dispatch(Conn& c) {
    std::string_view target = c.req.target();
    std::string_view path = target.substr(0, target.find('?'));
    bool path_known = false;
    std::string allowed;
    for (const Route& r : routes()) {
      if (r.path != path) continue;
      path_known = true;
      if (r.method == c.req.method()) {
        co_await (this->*r.handler)(c);
        co_return;
      }
      allowed += (allowed.empty() ? "" : ", ") + std::string(http::to_string(r.method));
    }
    if (!path_known) {
      ApiError e = route_not_found(std::string(path));
      co_await send_error(c, e);
      co_return;
    }
    ApiError e = method_not_allowed(std::string(c.req.method_string()), std::string(path));
    std::string body = error_body(e);
    co_await send(c, http::status::method_not_allowed, "application/json", std::move(body), allowed);
  }

  // ---- simple routes --------------------------------------------------------------------------------------

  awaitable<void> handle_health(Conn& c) {
    if (draining) {
      ApiError e = service_unavailable("server is shutting down");
      co_await send_error(c, e);
      co_return;
    }
    std::string body = "{}";
    co_await send(c, http::status::ok, "application/json", std::move(body));
  }

  awaitable<void> handle_models(Conn& c) {
    json card = {{"id", model.name},      {"object", "model"},        {"created", model.created},
                 {"owned_by", "mmserve"}, {"root", model.name},       {"parent", nullptr},
                 {"max_model_len", model.max_model_len}};
    json j = {{"object", "list"}, {"data", json::array({std::move(card)})}};
    std::string body = j.dump();
    co_await send_json(c, 200, std::move(body));
  }

  awaitable<void> handle_metrics(Conn& c) {
    std::string text = metrics.render(engine.stats());
    co_await send(c, http::status::ok, "text/plain; version=0.0.4; charset=utf-8", std::move(text));
  }

  // POST /tokenize (vLLM): {"prompt": str | "messages": [...], "add_special_tokens", "add_generation_prompt"}
  // -> {"count", "max_model_len", "tokens", "token_strs"}.
  awaitable<void> handle_tokenize(Conn& c) {
    std::variant<json, ApiError> result = ApiError{};
    auto work = [&] {
      json j = json::parse(c.req.body(), nullptr, false);
      if (j.is_discarded() || !j.is_object()) {
        result = malformed_json(j.is_discarded() ? "parse error" : "expected an object");
        return;
      }
      json sub = json::object();
      RequestKind kind = RequestKind::kCompletion;
      bool return_strs = false;
      for (auto it = j.begin(); it != j.end(); ++it) {
        const std::string& k = it.key();
        if (k == "messages") kind = RequestKind::kChat, sub[k] = it.value();
        else if (k == "prompt" || k == "model" || k == "add_special_tokens" || k == "add_generation_prompt" ||
                 k == "chat_template_kwargs")
          sub[k] = it.value();
        else if (k == "content") sub["prompt"] = it.value();  // llama.cpp's field
        else if (k == "return_token_strs") return_strs = it.value().is_boolean() && it.value().get<bool>();
        else if (k == "with_pieces" || k == "tools" || k == "continue_final_message") continue;
        else { result = unknown_field(k); return; }
      }
      if (kind == RequestKind::kChat && sub.contains("prompt")) {
        result = invalid_request("send either 'prompt' or 'messages', not both", "prompt");
        return;
      }
      auto in = parse_generation_request(sub.dump(), kind);
      if (auto* e = std::get_if<ApiError>(&in)) {
        result = *e;
        return;
      }
      const GenerationInput& g = std::get<GenerationInput>(in);
      if (!g.model.empty() && g.model != model.name) {
        result = model_not_found(g.model);
        return;
      }
      auto ids = tokenize_prompt(g, model);
      if (auto* e = std::get_if<ApiError>(&ids)) {
        result = *e;
        return;
      }
      const auto& v = std::get<std::vector<int32_t>>(ids);
      json out = {{"count", v.size()}, {"max_model_len", model.max_model_len}, {"tokens", v}, {"token_strs", nullptr}};
      if (return_strs && model.tokenizer) {
        json strs = json::array();
        for (int32_t id : v) strs.push_back(std::string(model.tokenizer->token_text(id)));
        out["token_strs"] = std::move(strs);
      }
      result = std::move(out);
    };
    co_await run_on_pool(work);
    if (auto* e = std::get_if<ApiError>(&result)) {
      co_await send_error(c, *e);
      co_return;
    }
    std::string body = std::get<json>(result).dump(-1, ' ', false, json::error_handler_t::replace);
    co_await send_json(c, 200, std::move(body));
  }

  // POST /detokenize (vLLM): {"tokens": [ids]} -> {"prompt": text}.
  awaitable<void> handle_detokenize(Conn& c) {
    std::variant<std::string, ApiError> result = ApiError{};
    auto work = [&] {
      json j = json::parse(c.req.body(), nullptr, false);
      if (j.is_discarded() || !j.is_object()) {
        result = malformed_json(j.is_discarded() ? "parse error" : "expected an object");
        return;
      }
      std::vector<int32_t> ids;
      for (auto it = j.begin(); it != j.end(); ++it) {
        const std::string& k = it.key();
        if (k == "model") {
          if (!it.value().is_string()) { result = invalid_request("'model' must be a string", "model", "invalid_type"); return; }
          if (it.value() != model.name) { result = model_not_found(it.value().get<std::string>()); return; }
        } else if (k == "tokens") {
          const json& v = it.value();
          if (!v.is_array()) { result = invalid_request("'tokens' must be an array of token ids", "tokens", "invalid_type"); return; }
          for (size_t i = 0; i < v.size(); ++i) {
            if (!v[i].is_number_integer() || v[i].get<int64_t>() < 0 ||
                (model.vocab_size > 0 && v[i].get<int64_t>() >= model.vocab_size)) {
              result = invalid_request("'tokens[" + std::to_string(i) + "]' is not a token id of this model", "tokens");
              return;
            }
            ids.push_back(v[i].get<int32_t>());
          }
        } else {
          result = unknown_field(k);
          return;
        }
      }
      if (!j.contains("tokens")) { result = invalid_request("'tokens' is required", "tokens", "missing_required_parameter"); return; }
      if (!model.tokenizer) { result = invalid_request("this model has no tokenizer", "tokens"); return; }
      json out = {{"prompt", model.tokenizer->decode(ids)}};
      result = out.dump(-1, ' ', false, json::error_handler_t::replace);
    };
    co_await run_on_pool(work);
    if (auto* e = std::get_if<ApiError>(&result)) {
      co_await send_error(c, *e);
      co_return;
    }
    co_await send_json(c, 200, std::move(std::get<std::string>(result)));
  }

  // ---- generation -----------------------------------------------------------------------------------------

  awaitable<void> handle_chat(Conn& c) { co_await handle_generate(c, RequestKind::kChat); }
  awaitable<void> handle_completion(Conn& c) { co_await handle_generate(c, RequestKind::kCompletion); }

  // Watches the idle socket while a request runs: EOF (or an error) means the client went away.
  void watch_disconnect(Conn& c, const std::shared_ptr<Pending>& p) {
    p->watch_done = false;
    c.sock.async_wait(tcp::socket::wait_read, [p, &sock = c.sock](boost::system::error_code ec) {
      p->watch_done = true;
      if (ec == asio::error::operation_aborted) return p->wake.cancel(), void();
      char b;
      boost::system::error_code pe;
      size_t n = ec ? 0 : sock.receive(asio::buffer(&b, 1), tcp::socket::message_peek, pe);
      if (ec || pe || n == 0) p->client_gone = true;
      p->wake.cancel();
    });
  }

  awaitable<void> stop_watching(Conn& c, const std::shared_ptr<Pending>& p) {
    if (p->watch_done) co_return;
    boost::system::error_code ig;
    c.sock.cancel(ig);
    while (!p->watch_done) {
      p->wake.expires_at(SteadyClock::time_point::max());
      auto [ec] = co_await p->wake.async_wait(kAwait);
      (void)ec;
    }
  }

  awaitable<void> handle_generate(Conn& c, RequestKind kind) {
    if (draining) {
      ApiError e = service_unavailable("server is shutting down");
      co_await send_error(c, e);
      co_return;
    }
    struct Counted {
      std::atomic<int64_t>& n;
      explicit Counted(std::atomic<int64_t>& x) : n(x) { ++n; }
      ~Counted() { --n; }
    } counted(inflight);

    // Parse, validate, template, tokenize: on the pool.
    std::optional<ApiError> error;
    GenerationInput in;
    PreparedRequest prep;
    auto work = [&] {
      auto parsed = parse_generation_request(c.req.body(), kind);
      if (auto* e = std::get_if<ApiError>(&parsed)) return void(error = *e);
      in = std::move(std::get<GenerationInput>(parsed));
      auto p = prepare_request(in, model);
      if (auto* e = std::get_if<ApiError>(&p)) return void(error = *e);
      prep = std::move(std::get<PreparedRequest>(p));
    };
    co_await run_on_pool(work);
    if (error) {
      co_await send_error(c, *error);
      co_return;
    }

    ResponseHeader h;
    h.kind = kind;
    h.id = (kind == RequestKind::kChat ? "chatcmpl-" : "cmpl-") + std::to_string(next_id++);
    h.created = static_cast<int64_t>(std::time(nullptr));
    h.model = model.name;
    h.logprobs = in.sampling.logprobs.has_value();
    prep.engine.req_id = h.id;

    auto ex = c.sock.get_executor();
    auto pending = std::make_shared<Pending>(ex);
    Status added = engine.add_request(std::move(prep.engine), [pending, ex](RequestOutput out) {
      asio::post(ex, [pending, out = std::move(out)]() mutable {
        pending->outputs.push_back(std::move(out));
        pending->wake.cancel();
      });
    });
    if (!added.ok()) {
      ApiError e = from_status(added, kind == RequestKind::kChat ? "messages" : "prompt");
      if (draining) e = service_unavailable("server is shutting down");
      co_await send_error(c, e);
      co_return;
    }
    watch_disconnect(c, pending);

    OutputProcessor proc(model.tokenizer, in.stop, in.skip_special_tokens, in.include_stop_str_in_output);
    UsageCounts usage{prep.num_prompt_tokens, 0, 0};
    std::string text;
    std::vector<LogprobEntry> logprobs;
    ChoiceEnd end;
    bool ok = true;  // the client is still there
    if (in.stream) {
      http::response<http::empty_body> res{http::status::ok, c.req.version()};
      res.set(http::field::server, "mmserve");
      res.set(http::field::content_type, "text/event-stream");
      res.set(http::field::cache_control, "no-cache");
      res.chunked(true);
      res.keep_alive(c.keep_alive);
      http::response_serializer<http::empty_body> sr{res};
      auto [ec, n] = co_await http::async_write_header(c.sock, sr, kAwait);
      ok = !ec;
      metrics.count_http(200);
      if (ok && kind == RequestKind::kChat) {
        ChoiceEnd none;
        std::string role = stream_chunk(h, "", {}, none, /*role_chunk=*/true);
        ok = co_await write_event(c, role);
      }
    }
    SteadyClock::time_point last_token{};
    bool first = true;
    while (ok) {
      while (pending->outputs.empty() && !pending->client_gone) {
        pending->wake.expires_at(SteadyClock::time_point::max());
        auto [ec] = co_await pending->wake.async_wait(kAwait);
        (void)ec;
      }
      if (pending->client_gone) {
        ok = false;
        break;
      }
      RequestOutput out = std::move(pending->outputs.front());
      pending->outputs.pop_front();
      usage.cached_tokens = out.num_cached_tokens;
      if (!out.new_token_ids.empty()) {
        auto now = SteadyClock::now();
        if (first) metrics.observe_ttft(seconds_since(c.received));
        else metrics.observe_inter_token(std::chrono::duration<double>(now - last_token).count());
        first = false;
        last_token = now;
      }
      OutputDelta d = proc.process(out);
      usage.completion_tokens = proc.num_output_tokens();
      if (d.finish_reason) {
        end.finish_reason = d.finish_reason;
        end.stop_string = d.stop_string;
        end.stop_token = d.stop_token;
        if (!out.finished()) engine.abort_request(h.id);  // a stop string ended it
      }
      if (in.stream) {
        if (!d.text.empty() || !d.logprobs.empty() || d.finish_reason) {
          std::string chunk = stream_chunk(h, d.text, d.logprobs, end);
          ok = co_await write_event(c, chunk);
        }
      } else {
        text += d.text;
        logprobs.insert(logprobs.end(), std::make_move_iterator(d.logprobs.begin()),
                        std::make_move_iterator(d.logprobs.end()));
      }
      if (d.finish_reason) break;
    }
    co_await stop_watching(c, pending);
    if (!ok) {  // the client went away: free the engine's blocks
      engine.abort_request(h.id);
      c.keep_alive = false;
      metrics.count_finished("abort", usage.prompt_tokens, usage.completion_tokens);
      metrics.observe_e2e(seconds_since(c.received));
      co_return;
    }
    metrics.count_finished(end.finish_reason.value_or("abort"), usage.prompt_tokens, usage.completion_tokens);
    metrics.observe_e2e(seconds_since(c.received));
    if (!in.stream) {
      std::string body = whole_response(h, text, logprobs, end, usage);
      co_await send_json(c, 200, std::move(body));
      co_return;
    }
    if (in.include_usage) {
      std::string u = usage_chunk(h, usage);
      ok = co_await write_event(c, u);
    }
    std::string done = "[DONE]";
    if (ok) ok = co_await write_event(c, done);
    if (ok) {
      auto last = http::make_chunk_last();
      auto [ec, n] = co_await asio::async_write(c.sock, last, kAwait);
      ok = !ec;
    }
    if (!ok) c.keep_alive = false;
  }

  // ---- lifecycle ------------------------------------------------------------------------------------------

  void shutdown_sequence() {
    draining = true;
    asio::post(io, [this] {
      boost::system::error_code ig;
      acceptor.close(ig);
      signals.cancel(ig);
    });
    engine.shutdown(opts.drain_timeout_s);  // in-flight requests finish (or are aborted)
    auto deadline = SteadyClock::now() + std::chrono::seconds(5);
    while (inflight.load() > 0 && SteadyClock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    io.stop();
  }

  void begin_shutdown() {
    std::lock_guard lock(shutdown_mu);
    if (shutdown_started) return;
    shutdown_started = true;
    shutdown_thread = std::thread([this] { shutdown_sequence(); });
  }
};

// The route table.
std::span<const HttpServer::Impl::Route> HttpServer::Impl::routes() {
  static const Route kRoutes[] = {
    {http::verb::post, "/v1/chat/completions", &Impl::handle_chat},
    {http::verb::post, "/v1/completions", &Impl::handle_completion},
    {http::verb::get, "/v1/models", &Impl::handle_models},
    {http::verb::get, "/health", &Impl::handle_health},
    {http::verb::get, "/metrics", &Impl::handle_metrics},
    {http::verb::post, "/tokenize", &Impl::handle_tokenize},
    {http::verb::post, "/detokenize", &Impl::handle_detokenize},
  };
  return kRoutes;
}


HttpServer::HttpServer(ServerOptions options, const ServedModel& model, AsyncEngine& engine)
    : impl_(std::make_unique<Impl>(std::move(options), model, engine)) {}

HttpServer::~HttpServer() {
  if (!impl_->io_threads.empty()) shutdown();
  impl_->pool.join();
}

Status HttpServer::start() {
  Impl& s = *impl_;
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(s.opts.host, ec);
  if (ec) return invalid_argument("bad --host '" + s.opts.host + "': " + ec.message());
  tcp::endpoint ep(addr, s.opts.port);
  s.acceptor.open(ep.protocol(), ec);
  if (!ec) s.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor.bind(ep, ec);
  if (!ec) s.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return io_error("cannot listen on " + s.opts.host + ":" + std::to_string(s.opts.port) + ": " + ec.message());
  s.bound_port = s.acceptor.local_endpoint().port();
  if (s.opts.handle_signals) {
    s.signals.add(SIGTERM);
    s.signals.add(SIGINT);
    s.signals.async_wait([this](boost::system::error_code e, int sig) {
      if (e) return;
      log_info("signal {}: draining in-flight requests, then exiting", sig);
      impl_->begin_shutdown();
    });
  }
  asio::co_spawn(s.io, s.accept_loop(), asio::detached);
  for (int i = 0; i < std::max(1, s.opts.io_threads); ++i) s.io_threads.emplace_back([&s] { s.io.run(); });
  return ok_status();
}

uint16_t HttpServer::port() const { return impl_->bound_port; }

void HttpServer::begin_shutdown() { impl_->begin_shutdown(); }

void HttpServer::wait() {
  Impl& s = *impl_;
  for (std::thread& t : s.io_threads)
    if (t.joinable()) t.join();
  std::lock_guard lock(s.shutdown_mu);
  if (s.shutdown_thread.joinable()) s.shutdown_thread.join();
}

int64_t HttpServer::num_inflight() const { return impl_->inflight.load(); }

}  // namespace mms::server
