// Beast/Asio implementation of the bench's HTTP client. Exceptions from Asio's use_awaitable are caught
// inside each coroutine and become record errors; nothing throws out of this file.
#include "bench/http_driver.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <memory>
#include <set>

#include "bench/stream_recorder.h"

namespace mms::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using Stream = beast::tcp_stream;

struct RunState {
  RunState(const Endpoint& e, const DriverOptions& o) : ep(e), opts(o) {}
  const Endpoint& ep;
  const DriverOptions& opts;
  asio::io_context io;
  tcp::resolver::results_type addrs;
  Clock::time_point t0;
  std::vector<std::unique_ptr<Stream>> idle;  // keep-alive connections
  std::set<Stream*> active;                   // for cutting on stop
  std::vector<RequestRecord> records;         // by plan position
  std::vector<bool> started;
  int64_t outstanding = 0;
  bool launching_done = false;
  bool stopping = false;
  asio::steady_timer* launch_timer = nullptr;  // the open-loop launcher's, cancelled on stop

  double now() const { return std::chrono::duration<double>(Clock::now() - t0).count(); }
};

asio::awaitable<std::unique_ptr<Stream>> acquire(RunState& st) {
  if (!st.idle.empty()) {
    auto s = std::move(st.idle.back());
    st.idle.pop_back();
    co_return s;
  }
  auto s = std::make_unique<Stream>(st.io);
  s->expires_after(std::chrono::seconds(10));
  co_await s->async_connect(st.addrs, asio::use_awaitable);
  s->socket().set_option(tcp::no_delay(true));
  co_return s;
}

http::request<http::string_body> make_request(const Endpoint& ep, const std::string& path,
                                              const std::string& body, const std::string& api_key) {
  http::request<http::string_body> req{body.empty() ? http::verb::get : http::verb::post, path, 11};
  req.set(http::field::host, ep.host + ":" + std::to_string(ep.port));
  req.set(http::field::user_agent, "mmserve-bench");
  if (!api_key.empty()) req.set(http::field::authorization, "Bearer " + api_key);
  if (!body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.set(http::field::accept, "text/event-stream, application/json");
    req.body() = body;
  }
  req.keep_alive(true);
  req.prepare_payload();
  return req;
}

// Sends one request and streams its answer into `rec`.
asio::awaitable<void> do_request(RunState& st, const PlannedRequest& pr, RequestRecord& rec) {
  std::unique_ptr<Stream> stream;
  StreamRecorder recorder(rec);
  bool got_header = false;
  try {
    rec.start_s = st.now();
    stream = co_await acquire(st);
    st.active.insert(stream.get());
    auto req = make_request(st.ep, st.ep.path(pr.path), pr.body, st.opts.api_key);
    stream->expires_after(std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(st.opts.request_timeout_s)));
    co_await http::async_write(*stream, req, asio::use_awaitable);
    beast::flat_buffer buf;
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(boost::none);
    co_await http::async_read_header(*stream, buf, parser, asio::use_awaitable);
    got_header = true;
    rec.http_status = parser.get().result_int();
    std::string error_body;
    char tmp[16384];
    while (!parser.is_done()) {
      parser.get().body().data = tmp;
      parser.get().body().size = sizeof tmp;
      auto [ec, n] = co_await http::async_read_some(*stream, buf, parser, asio::as_tuple(asio::use_awaitable));
      if (ec == http::error::need_buffer) ec = {};
      if (ec) throw beast::system_error(ec);
      size_t got = sizeof tmp - parser.get().body().size;
      if (rec.http_status == 200) {
        recorder.on_bytes(std::string_view(tmp, got), st.now());
      } else if (error_body.size() < 65536) {
        error_body.append(tmp, got);
      }
    }
    st.active.erase(stream.get());
    if (rec.http_status != 200) {
      StreamRecorder::record_http_error(rec, rec.http_status, error_body, st.now());
    } else {
      recorder.finish(st.now(), "");
    }
    if (parser.get().keep_alive() && !st.stopping) st.idle.push_back(std::move(stream));
  } catch (const std::exception& e) {
    if (stream) st.active.erase(stream.get());
    std::string what = st.stopping ? "cancelled (stop or duration bound)" : e.what();
    if (!got_header) what = "connection: " + what;
    if (rec.http_status == 200 || rec.http_status == 0) {
      recorder.finish(st.now(), what);
    } else {
      rec.error = what;
      rec.end_s = st.now();
      rec.ok = false;
    }
  }
  if (st.opts.on_finished) st.opts.on_finished(rec);
  --st.outstanding;
}

void init_record(RequestRecord& rec, const PlannedRequest& pr, double scheduled) {
  rec.index = pr.index;
  rec.scheduled_s = scheduled;
  rec.expected_prompt_tokens = pr.prompt_tokens;
  rec.expected_output_tokens = pr.max_tokens;
  rec.num_images = pr.num_images;
}

asio::awaitable<void> open_loop(RunState& st, const std::vector<PlannedRequest>& plan) {
  asio::steady_timer timer(st.io);
  st.launch_timer = &timer;
  for (size_t i = 0; i < plan.size() && !st.stopping; ++i) {
    double at = plan[i].send_at_s;
    if (at > st.opts.max_duration_s) break;
    timer.expires_at(st.t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(at)));
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (st.stopping) break;
    init_record(st.records[i], plan[i], at);
    st.started[i] = true;
    ++st.outstanding;
    asio::co_spawn(st.io, do_request(st, plan[i], st.records[i]), asio::detached);
  }
  st.launch_timer = nullptr;
  st.launching_done = true;
}

asio::awaitable<void> closed_loop_worker(RunState& st, const std::vector<PlannedRequest>& plan, size_t& next) {
  while (!st.stopping && next < plan.size() && st.now() < st.opts.max_duration_s) {
    size_t i = next++;
    init_record(st.records[i], plan[i], st.now());
    st.started[i] = true;
    ++st.outstanding;
    co_await do_request(st, plan[i], st.records[i]);
  }
}

// Watches the stop flag and the duration bound; cuts in-flight streams when either fires.
asio::awaitable<void> watchdog(RunState& st) {
  asio::steady_timer timer(st.io);
  while (!(st.launching_done && st.outstanding == 0)) {
    timer.expires_after(std::chrono::milliseconds(20));
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    bool stop = (st.opts.stop && st.opts.stop->load()) || st.now() > st.opts.max_duration_s;
    if (stop && !st.stopping) {
      st.stopping = true;
      if (st.launch_timer) st.launch_timer->cancel();
    }
    if (st.stopping) {
      for (Stream* s : st.active) s->cancel();
      for (auto& s : st.idle) s->cancel();
    }
  }
  st.idle.clear();
}

}  // namespace

std::vector<RequestRecord> run_requests(const Endpoint& ep, const std::vector<PlannedRequest>& plan,
                                        const DriverOptions& opts) {
  RunState st(ep, opts);
  st.records.resize(plan.size());
  st.started.assign(plan.size(), false);
  boost::system::error_code ec;
  tcp::resolver resolver(st.io);
  st.addrs = resolver.resolve(ep.host, std::to_string(ep.port), ec);
  st.t0 = Clock::now();
  if (ec) {  // every request fails the same way; report them rather than nothing
    for (size_t i = 0; i < plan.size(); ++i) {
      init_record(st.records[i], plan[i], plan[i].send_at_s);
      st.records[i].error = "resolve " + ep.host + ": " + ec.message();
    }
    return st.records;
  }
  size_t next = 0;
  if (opts.concurrency > 0) {
    auto workers = std::make_shared<int>(opts.concurrency);
    for (int w = 0; w < opts.concurrency; ++w) {
      asio::co_spawn(st.io, closed_loop_worker(st, plan, next), [&st, workers](std::exception_ptr) {
        if (--*workers == 0) st.launching_done = true;
      });
    }
  } else {
    asio::co_spawn(st.io, open_loop(st, plan), asio::detached);
  }
  asio::co_spawn(st.io, watchdog(st), asio::detached);
  st.io.run();
  std::vector<RequestRecord> out;
  for (size_t i = 0; i < plan.size(); ++i)
    if (st.started[i]) out.push_back(std::move(st.records[i]));
  return out;
}

StatusOr<HttpAnswer> http_call(const Endpoint& ep, const std::string& path, const std::string& body,
                               double timeout_s, const std::string& api_key) {
  asio::io_context io;
  HttpAnswer answer;
  std::string error;
  auto run = [&]() -> asio::awaitable<void> {
    try {
      tcp::resolver resolver(io);
      const std::string port = std::to_string(ep.port);  // named: GCC 12 mishandles temporaries in co_await
      auto addrs = co_await resolver.async_resolve(ep.host, port, asio::use_awaitable);
      Stream s(io);
      s.expires_after(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timeout_s)));
      co_await s.async_connect(addrs, asio::use_awaitable);
      auto req = make_request(ep, ep.path(path), body, api_key);
      req.keep_alive(false);
      co_await http::async_write(s, req, asio::use_awaitable);
      beast::flat_buffer buf;
      http::response<http::string_body> res;
      co_await http::async_read(s, buf, res, asio::use_awaitable);
      answer.status = res.result_int();
      answer.body = std::move(res.body());
    } catch (const std::exception& e) {
      error = e.what();
    }
  };
  asio::co_spawn(io, run(), asio::detached);
  io.run();
  if (!error.empty()) return Status(StatusCode::kUnavailable, ep.url + path + ": " + error);
  return answer;
}

}  // namespace mms::bench
