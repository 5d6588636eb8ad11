// HttpServer: the OpenAI-compatible HTTP/1.1 front of one engine. Boost.Beast with C++20 coroutines on
// `io_threads` event-loop threads that never compute; JSON parsing, chat templates and tokenization run
// on a small preprocessing pool; generation goes to the AsyncEngine, whose callbacks are posted back to
// the connection's strand. Routes are one table (http_server.cc); errors map to statuses in
// api_error.cc. Public methods are thread-safe. The engine and model must outlive the server.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"
#include "engine/async_engine.h"
#include "server/served_model.h"

namespace mms::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8000;                  // 0: an ephemeral port (see HttpServer::port())
  size_t max_body_bytes = size_t{32} << 20;
  int io_threads = 1;
  int preprocess_threads = 1;
  double drain_timeout_s = 30;           // SIGTERM: how long in-flight requests may take to finish
  bool handle_signals = false;           // SIGTERM / SIGINT start a graceful shutdown
};

class HttpServer {
 public:
  HttpServer(ServerOptions options, const ServedModel& model, AsyncEngine& engine);
  ~HttpServer();  // shutdown() if still running
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts the io threads. IoError when the address cannot be bound.
  Status start();
  uint16_t port() const;
  // Graceful stop, returns at once: stop accepting, answer new requests 503, AsyncEngine::shutdown(drain
  // timeout) (in-flight requests finish or are aborted), then stop the io threads. Idempotent.
  void begin_shutdown();
  // Blocks until the server has stopped (after begin_shutdown() or a signal).
  void wait();
  void shutdown() {
    begin_shutdown();
    wait();
  }
  // Live generation requests (parsed, not yet answered in full).
  int64_t num_inflight() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mms::server
