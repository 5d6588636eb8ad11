// End to end against the real `mmserve serve` binary (issue 3's acceptance), 127.0.0.1 only, each test
// bounded and its server stopped on every path:
//  - a repeated long prompt hits the prefix cache (/metrics) and gives identical greedy output;
//  - a client that disconnects mid-stream leaves no running request and no KV usage behind;
//  - 200 mixed malformed/valid requests on concurrent connections: a 4xx OpenAI error body for every bad
//    one, the reference answer for every good one, and a healthy server afterwards;
//  - the official `openai` Node.js SDK (tests/node) drives chat completions, streaming and not (skipped
//    when node or tests/node/node_modules is missing).
// Skipped when the mmserve binary is not built.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <sstream>
#include <thread>

#include "http_test_client.h"
#include "testing/serve_process.h"
#include "testing/test_data.h"

namespace mms::server {
namespace {

using json = nlohmann::json;
using testing::HttpClient;
using mms::testing::ServeProcess;
using Clock = std::chrono::steady_clock;

const char* kModelName = "tiny";
constexpr int kMaxModelLen = 1024;

std::string fixture() { return mms::testing::test_data("tiny-qwen2-hf"); }

// Starts the fixture server (served as "tiny", a 1024-token context) or fails the test.
#define START_SERVER(sp)                                                                                     \
  if (mms::testing::mmserve_bin().empty()) GTEST_SKIP() << "mmserve binary not built";                            \
  ServeProcess sp;                                                                                           \
  ASSERT_TRUE(sp.start(fixture(), {"--served-model-name", kModelName, "--max-model-len",                     \
                                   std::to_string(kMaxModelLen)}))                                           \
      << "server did not start"

// The value of an unlabelled-or-labelled sample `name{...} v` / `name v` in Prometheus text; -1 if absent.
// With `label` (e.g. finished_reason="abort"), only the sample whose labels contain it.
double metric(const std::string& text, const std::string& name, const std::string& label = "") {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name, 0) != 0 || line.size() <= name.size()) continue;
    const char next = line[name.size()];
    if (next != '{' && next != ' ') continue;
    if (!label.empty() && line.find(label) == std::string::npos) continue;
    return std::stod(line.substr(line.rfind(' ') + 1));
  }
  return -1;
}

std::string get_metrics(uint16_t port) {
  HttpClient c(port, 10);
  auto r = c.call("GET", "/metrics");
  EXPECT_EQ(r.status, 200) << r.error;
  return r.body;
}

// ~60 words repeated: well over 300 tokens with the fixture's small vocabulary.
std::string long_prompt(int repeats) {
  std::string p;
  for (int i = 0; i < repeats; ++i)
    p += "The quick brown fox jumps over the lazy dog while seven wizards quietly judge boxing matches. ";
  return p;
}

TEST(ServeAcceptance, RepeatedLongPromptHitsPrefixCache) {
  START_SERVER(sp);
  HttpClient c(sp.port, 20);
  json req = {{"model", kModelName}, {"prompt", long_prompt(20)}, {"max_tokens", 8}, {"temperature", 0},
              {"ignore_eos", true}};
  const std::string m0 = get_metrics(sp.port);
  const double hits0 = metric(m0, "mmserve:prefix_cache_hits_total");
  ASSERT_GE(hits0, 0) << m0;
  auto r1 = c.call("POST", "/v1/completions", req.dump());
  ASSERT_EQ(r1.status, 200) << r1.body << r1.error;
  json j1 = json::parse(r1.body);
  const int64_t prompt_tokens = j1["usage"]["prompt_tokens"];
  ASSERT_GE(prompt_tokens, 300) << "the prompt should be long";
  const double hits1 = metric(get_metrics(sp.port), "mmserve:prefix_cache_hits_total");
  auto r2 = c.call("POST", "/v1/completions", req.dump());
  ASSERT_EQ(r2.status, 200) << r2.body << r2.error;
  json j2 = json::parse(r2.body);
  const std::string m2 = get_metrics(sp.port);
  const double hits2 = metric(m2, "mmserve:prefix_cache_hits_total");
  // The second request reuses (nearly) the whole prompt's KV: at least half of it is counted as hits.
  EXPECT_GE(hits2 - hits1, prompt_tokens / 2.0) << m2;
  EXPECT_LE(hits2 - hits1, static_cast<double>(prompt_tokens));
  EXPECT_EQ(j2["choices"][0]["text"], j1["choices"][0]["text"]);
  for (const char* k : {"prompt_tokens", "completion_tokens", "total_tokens"}) EXPECT_EQ(j2["usage"][k], j1["usage"][k]) << k;
  if (j2["usage"].contains("prompt_tokens_details")) {  // the cached part of the prompt, as /metrics counted it
    EXPECT_EQ(j2["usage"]["prompt_tokens_details"]["cached_tokens"].get<double>(), hits2 - hits1);
  }
  EXPECT_EQ(j1["usage"]["completion_tokens"], 8);
}

// A raw connection: sends a streaming request, reads until `min_events` SSE events arrived, then closes.
int stream_then_disconnect(uint16_t port, const std::string& body, int min_events) {
  testing::RawConnection s(port);
  s.write("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
          "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  auto count = [](const std::string& got) {
    int events = 0;
    for (size_t p = got.find("data: "); p != std::string::npos; p = got.find("data: ", p + 1)) ++events;
    return events;
  };
  std::string got;
  s.read_until(got, [&](const std::string& g) { return count(g) >= min_events; }, 10);
  s.close();
  return count(got);
}

TEST(ServeAcceptance, ClientDisconnectMidStreamFreesRequestAndKv) {
  START_SERVER(sp);
  const int max_tokens = 900;
  json req = {{"model", kModelName}, {"prompt", "Once upon a time"}, {"max_tokens", max_tokens},
              {"ignore_eos", true}, {"temperature", 0}, {"stream", true}};
  const std::string m0 = get_metrics(sp.port);
  const double gen0 = metric(m0, "mmserve:generation_tokens_total");
  ASSERT_GE(stream_then_disconnect(sp.port, req.dump(), 3), 3) << "no stream chunks arrived";
  // Within a bounded wait: nothing running, no KV in use, and the request counted as aborted.
  std::string m;
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < deadline) {
    m = get_metrics(sp.port);
    if (metric(m, "mmserve:num_requests_running") == 0 && metric(m, "mmserve:kv_cache_usage_perc") == 0 &&
        metric(m, "mmserve:num_requests_waiting") == 0)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(metric(m, "mmserve:num_requests_running"), 0) << m;
  EXPECT_EQ(metric(m, "mmserve:num_requests_waiting"), 0) << m;
  EXPECT_EQ(metric(m, "mmserve:kv_cache_usage_perc"), 0) << m;
  EXPECT_EQ(metric(m, "mmserve:request_success_total", "finished_reason=\"abort\""), 1) << m;
  EXPECT_LT(metric(m, "mmserve:generation_tokens_total") - gen0, max_tokens) << "the request ran to completion";
  // Still serving.
  HttpClient c(sp.port, 20);
  EXPECT_EQ(c.call("GET", "/health").status, 200);
}

struct BadCase {
  std::string name, target, body;
  int status;
};

std::vector<BadCase> bad_cases() {
  const std::string msgs = R"("messages":[{"role":"user","content":"hi"}])";
  const std::string over = json{{"model", kModelName}, {"prompt", long_prompt(120)}, {"max_tokens", 4}}.dump();
  return {
      {"malformed json", "/v1/chat/completions", R"({"model":"tiny",)" + msgs + ",", 400},
      {"truncated json", "/v1/chat/completions", R"({"messages":[{"role":"user","content":"hi")", 400},
      {"not an object", "/v1/chat/completions", "[1,2,3]", 400},
      {"messages not an array", "/v1/chat/completions", R"({"messages":"hi","max_tokens":4})", 400},
      {"message not an object", "/v1/chat/completions", R"({"messages":["hi"],"max_tokens":4})", 400},
      {"content wrong type", "/v1/chat/completions", R"({"messages":[{"role":"user","content":5}]})", 400},
      {"max_tokens string", "/v1/chat/completions", "{" + msgs + R"(,"max_tokens":"4"})", 400},
      {"temperature string", "/v1/chat/completions", "{" + msgs + R"(,"temperature":"hot"})", 400},
      {"stream not bool", "/v1/chat/completions", "{" + msgs + R"(,"stream":"yes","max_tokens":4})", 400},
      {"model not a string", "/v1/chat/completions", "{" + msgs + R"(,"model":7,"max_tokens":4})", 400},
      {"empty messages", "/v1/chat/completions", R"({"messages":[],"max_tokens":4})", 400},
      {"missing messages", "/v1/chat/completions", R"({"model":"tiny","max_tokens":4})", 400},
      {"unknown model", "/v1/chat/completions", "{" + msgs + R"(,"model":"gpt-17","max_tokens":4})", 404},
      {"n=2", "/v1/chat/completions", "{" + msgs + R"(,"n":2,"max_tokens":4})", 400},
      {"max_tokens 0", "/v1/chat/completions", "{" + msgs + R"(,"max_tokens":0})", 400},
      {"max_tokens negative", "/v1/chat/completions", "{" + msgs + R"(,"max_tokens":-5})", 400},
      {"max_tokens over context", "/v1/chat/completions", "{" + msgs + R"(,"max_tokens":100000})", 400},
      {"prompt over context", "/v1/completions", over, 400},
      {"completion prompt wrong type", "/v1/completions", R"({"prompt":{"a":1},"max_tokens":4})", 400},
      {"completion unknown model", "/v1/completions", R"({"prompt":"hi","model":"nope","max_tokens":4})", 404},
  };
}

struct Good {
  std::string content;
  bool stream;
  std::string text;  // the reference greedy answer
  json usage;
};

json good_body(const Good& g) {
  json b = {{"model", kModelName},
            {"messages", {{{"role", "user"}, {"content", g.content}}}},
            {"max_tokens", 6},
            {"temperature", 0},
            {"ignore_eos", true}};
  if (g.stream) b.merge_patch({{"stream", true}, {"stream_options", {{"include_usage", true}}}});
  return b;
}

// (text, usage) of a chat answer, streamed or not; usage null when missing.
std::pair<std::string, json> chat_answer(const testing::HttpReply& r, bool stream) {
  if (!stream) {
    json j = json::parse(r.body);
    return {j["choices"][0]["message"]["content"].get<std::string>(), j["usage"]};
  }
  std::string text;
  json usage;
  auto ev = testing::sse_events(r.body);
  if (ev.empty() || ev.back() != "[DONE]") throw std::runtime_error("stream did not end with [DONE]");
  for (const std::string& e : ev) {
    if (e == "[DONE]") continue;
    json j = json::parse(e);
    if (j.contains("usage") && !j["usage"].is_null()) usage = j["usage"];
    if (j.contains("choices") && !j["choices"].empty()) {
      const json& d = j["choices"][0]["delta"];
      if (d.contains("content") && d["content"].is_string()) text += d["content"].get<std::string>();
    }
  }
  return {text, usage};
}

TEST(ServeAcceptance, TwoHundredMixedRequestsOnConcurrentConnections) {
  START_SERVER(sp);
  const auto bad = bad_cases();
  std::vector<Good> goods = {{"hi", false}, {"What is two plus two?", false}, {"Tell me a story.", true},
                             {"hi", true}};
  {
    HttpClient c(sp.port, 20);
    for (Good& g : goods) {
      json b = good_body(g);
      b.erase("stream");
      b.erase("stream_options");
      auto r = c.call("POST", "/v1/chat/completions", b.dump());
      ASSERT_EQ(r.status, 200) << r.body << r.error;
      std::tie(g.text, g.usage) = chat_answer(r, false);
      ASSERT_EQ(g.usage["completion_tokens"], 6);
      ASSERT_EQ(g.usage["total_tokens"].get<int64_t>(),
                g.usage["prompt_tokens"].get<int64_t>() + g.usage["completion_tokens"].get<int64_t>());
    }
  }
  constexpr int kRequests = 200, kConnections = 8;
  std::atomic<int> next{0}, bad_ok{0}, good_ok{0};
  std::mutex mu;
  std::vector<std::string> failures;
  auto fail = [&](int i, const std::string& what) {
    std::lock_guard l(mu);
    if (failures.size() < 20) failures.push_back("request " + std::to_string(i) + ": " + what);
  };
  std::vector<std::thread> ts;
  for (int t = 0; t < kConnections; ++t)
    ts.emplace_back([&] {
      HttpClient c(sp.port, 20);  // kept alive across requests (reconnects after a server close)
      for (int i; (i = next++) < kRequests;) {
        if (i % 2 == 0) {
          const BadCase& b = bad[(i / 2) % bad.size()];
          auto r = c.call("POST", b.target, b.body);
          json e = json::parse(r.body, nullptr, false);
          if (r.status != b.status)
            fail(i, b.name + ": status " + std::to_string(r.status) + " " + r.body + r.error);
          else if (e.is_discarded() || !e.contains("error") || !e["error"]["message"].is_string() ||
                   e["error"]["message"].get<std::string>().empty() || !e["error"]["type"].is_string() ||
                   !e["error"].contains("code") || !e["error"].contains("param"))
            fail(i, b.name + ": not an OpenAI error body: " + r.body);
          else
            ++bad_ok;
        } else {
          const Good& g = goods[(i / 2) % goods.size()];
          auto r = c.call("POST", "/v1/chat/completions", good_body(g).dump());
          if (r.status != 200) {
            fail(i, "good request: status " + std::to_string(r.status) + " " + r.body + r.error);
            continue;
          }
          try {
            auto [text, usage] = chat_answer(r, g.stream);
            if (text != g.text)
              fail(i, "text " + json(text).dump() + " != reference " + json(g.text).dump());
            else if (usage.is_null() || usage["prompt_tokens"] != g.usage["prompt_tokens"] ||
                     usage["completion_tokens"] != g.usage["completion_tokens"] ||
                     usage["total_tokens"] != g.usage["total_tokens"])
              fail(i, "usage " + usage.dump() + " != " + g.usage.dump());
            else
              ++good_ok;
          } catch (const std::exception& ex) {
            fail(i, std::string("bad answer: ") + ex.what() + " " + r.body.substr(0, 300));
          }
        }
      }
    });
  for (auto& t : ts) t.join();
  for (const auto& f : failures) ADD_FAILURE() << f;
  EXPECT_EQ(bad_ok.load(), kRequests / 2);
  EXPECT_EQ(good_ok.load(), kRequests / 2);
  HttpClient c(sp.port, 10);
  EXPECT_EQ(c.call("GET", "/health").status, 200);
  const std::string m = get_metrics(sp.port);
  EXPECT_EQ(metric(m, "mmserve:num_requests_running"), 0) << m;
  EXPECT_EQ(sp.stop(), 0);
}

// tests/node next to tests/data in the source tree.
std::filesystem::path node_dir() { return std::filesystem::path(mms::testing::test_data_dir()).parent_path() / "node"; }

bool have_node() { return std::system("node --version >/dev/null 2>&1") == 0; }

TEST(ServeAcceptance, OpenAiNodeSdkChatCompletions) {
  if (!have_node()) GTEST_SKIP() << "node is not installed";
  const auto dir = node_dir();
  if (!std::filesystem::exists(dir / "node_modules" / "openai" / "package.json"))
    GTEST_SKIP() << "tests/node/node_modules missing (npm ci --prefix tests/node)";
  START_SERVER(sp);
  const std::string cmd = "timeout 20 node " + (dir / "openai_sdk_test.mjs").string() + " http://127.0.0.1:" +
                          std::to_string(sp.port) + "/v1 " + kModelName + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[4096];
  size_t k;
  while ((k = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, k);
  const int st = pclose(p);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << "node exited " << st << ":\n" << out;
  EXPECT_NE(out.find("ok:"), std::string::npos) << out;
}

}  // namespace
}  // namespace mms::server
