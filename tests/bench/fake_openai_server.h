// A small OpenAI-compatible server for bench tests: Beast on 127.0.0.1 with an ephemeral port, its own
// io thread, streaming SSE chunks with controllable delays. Endpoints: POST /v1/chat/completions,
// POST /v1/completions, POST /tokenize (4 chars/token), GET /v1/models. Thread-safe counters.
// Beast stays in fake_openai_server.cc, compiled once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace mms::bench::testing {

struct FakeServerOptions {
  double ttft_s = 0.02;        // delay before the first token
  double itl_s = 0.002;        // delay between tokens
  int fail_every = 0;          // every k-th generation request gets a 400 error (0: never)
  bool tokenize = true;        // serve /tokenize
  bool split_events = true;    // write each SSE event in two TCP writes, split mid-JSON
  int64_t default_tokens = 16;
};

class FakeOpenAiServer {
 public:
  explicit FakeOpenAiServer(FakeServerOptions o = {});
  ~FakeOpenAiServer();
  FakeOpenAiServer(const FakeOpenAiServer&) = delete;
  FakeOpenAiServer& operator=(const FakeOpenAiServer&) = delete;

  uint16_t port() const;
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port()); }
  int64_t generation_requests() const;
  int64_t connections() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mms::bench::testing
