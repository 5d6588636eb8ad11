// End to end: the real `mmserve serve` binary ($MMS_BIN) on the tiny fixture, 127.0.0.1, an ephemeral
// port read from its stdout. Greedy output over HTTP equals `mmserve generate`'s; SIGTERM drains and
// exits 0. Skipped when MMS_BIN is not built.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "http_test_client.h"
#include "testing/serve_process.h"
#include "testing/test_data.h"

namespace mms::server {
namespace {

using json = nlohmann::json;

using mms::testing::ServeProcess;
std::string bin() { return mms::testing::mmserve_bin(); }

std::string run_generate(const std::string& model, const std::string& prompt, int n) {
  std::string cmd = bin() + " generate --model " + model + " --prompt '" + prompt + "' -n " + std::to_string(n) +
                    " --ignore-eos 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t k;
  while ((k = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, k);
  pclose(p);
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

TEST(ServeE2e, GreedyMatchesGenerateAndSigtermDrains) {
  if (bin().empty()) GTEST_SKIP() << "MMS_BIN not built";
  const std::string model = mms::testing::test_data("tiny-qwen2-hf");
  ServeProcess sp;
  ASSERT_TRUE(sp.start(model));
  testing::HttpClient c(sp.port, 60);
  EXPECT_EQ(c.call("GET", "/health").status, 200);
  const std::string prompt = "The capital of France is";
  const int n = 12;
  json req = {{"prompt", prompt}, {"max_tokens", n}, {"temperature", 0}, {"ignore_eos", true},
              {"skip_special_tokens", false}};
  auto r = c.call("POST", "/v1/completions", req.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  json j = json::parse(r.body);
  EXPECT_EQ(j["usage"]["completion_tokens"], n);
  EXPECT_EQ(j["choices"][0]["text"], run_generate(model, prompt, n));
  // Streamed: the same text.
  req["stream"] = true;
  auto s = c.call("POST", "/v1/completions", req.dump());
  std::string text;
  for (const std::string& e : testing::sse_events(s.body))
    if (e != "[DONE]") text += json::parse(e)["choices"][0]["text"].get<std::string>();
  EXPECT_EQ(text, j["choices"][0]["text"]);
  // 16 concurrent streaming chats.
  std::vector<std::thread> ts;
  std::atomic<int> good{0};
  for (int t = 0; t < 16; ++t)
    ts.emplace_back([&, t] {
      testing::HttpClient ct(sp.port, 60);
      json b = {{"messages", {{{"role", "user"}, {"content", "hi " + std::to_string(t)}}}}, {"max_tokens", 6},
                {"ignore_eos", true}, {"stream", true}, {"stream_options", {{"include_usage", true}}}};
      auto rr = ct.call("POST", "/v1/chat/completions", b.dump());
      auto ev = testing::sse_events(rr.body);
      if (rr.status == 200 && ev.size() >= 3 && ev.back() == "[DONE]" &&
          json::parse(ev[ev.size() - 2])["usage"]["completion_tokens"] == 6)
        ++good;
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(good.load(), 16);
  // SIGTERM while a request is in flight: it completes, the process exits 0.
  std::string body;
  std::thread inflight([&] {
    testing::HttpClient ct(sp.port, 60);
    json b = {{"prompt", prompt}, {"max_tokens", 40}, {"ignore_eos", true}, {"stream", true}};
    body = ct.call("POST", "/v1/completions", b.dump()).body;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(sp.stop(), 0);
  inflight.join();
  auto ev = testing::sse_events(body);
  ASSERT_FALSE(ev.empty());
  EXPECT_EQ(ev.back(), "[DONE]");
}

}  // namespace
}  // namespace mms::server
