// HttpServer against a FakeEngine over real HTTP on 127.0.0.1: routes, errors, streaming format, stop
// strings, logprobs, disconnects, concurrency, metrics, tokenize, graceful shutdown.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <map>
#include <regex>
#include <thread>

#include "model/model_loader.h"
#include "server/http_server.h"
#include "server/served_model.h"
#include "testing/test_data.h"
#include "fake_engine.h"
#include "http_test_client.h"

// A named namespace of its own: the test executables are unity builds, where anonymous namespaces of
// files in one batch are shared.
namespace mms::server::server_test {
namespace {

using json = nlohmann::json;
using testing::FakeEngine;
using testing::FakeEngineOptions;
using testing::HttpClient;
using testing::RawConnection;
using testing::sse_events;

constexpr int64_t kMaxModelLen = 256;
const char* kScriptText = "Hello world. The answer is 42 STOP and then more words follow here.";

class ServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto m = load_model(mms::testing::test_data("tiny-qwen2-hf"));
    ASSERT_TRUE(m.ok()) << m.status().to_string();
    loaded_ = new LoadedModel(std::move(*m));
    auto s = make_served_model(*loaded_, "tiny", kMaxModelLen);
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    served_ = new ServedModel(std::move(*s));
  }
  static void TearDownTestSuite() {
    delete served_;
    delete loaded_;
  }

  const Tokenizer& tok() const { return *loaded_->tokenizer; }
  std::vector<int32_t> script() const { return tok().encode(kScriptText, false); }

  void start(FakeEngineOptions eo = {}, ServerOptions so = {}) {
    if (eo.script.empty()) eo.script = script();
    engine_ = std::make_unique<FakeEngine>(eo);
    so.host = "127.0.0.1";
    so.port = 0;
    server_ = std::make_unique<HttpServer>(so, *served_, *engine_);
    Status st = server_->start();
    ASSERT_TRUE(st.ok()) << st.to_string();
    ASSERT_NE(server_->port(), 0);
  }
  void TearDown() override {
    server_.reset();
    engine_.reset();
  }

  // Text of the first n script tokens.
  std::string expected_text(size_t n) const {
    auto s = script();
    std::vector<int32_t> ids;
    for (size_t i = 0; i < n; ++i) ids.push_back(s[i % s.size()]);
    return tok().decode(ids, true);
  }
  int64_t chat_prompt_tokens(const std::string& user) const {
    std::string text = "<|im_start|>user\n" + user + "<|im_end|>\n<|im_start|>assistant\n";
    return static_cast<int64_t>(tok().encode(text, true).size());
  }
  static std::string chat_body(const std::string& user, int64_t max_tokens, json extra = json::object()) {
    json j = {{"model", "tiny"}, {"messages", {{{"role", "user"}, {"content", user}}}}, {"max_tokens", max_tokens}};
    j.update(extra);
    return j.dump();
  }

  static LoadedModel* loaded_;
  static ServedModel* served_;
  std::unique_ptr<FakeEngine> engine_;
  std::unique_ptr<HttpServer> server_;
};
LoadedModel* ServerTest::loaded_ = nullptr;
ServedModel* ServerTest::served_ = nullptr;

void expect_error(const testing::HttpReply& r, int status, const std::string& param, const std::string& code = "") {
  EXPECT_EQ(r.status, status) << r.body << r.error;
  json j = json::parse(r.body, nullptr, false);
  ASSERT_TRUE(j.is_object() && j.contains("error")) << r.body;
  const json& e = j["error"];
  EXPECT_TRUE(e["message"].is_string() && !e["message"].get<std::string>().empty()) << r.body;
  EXPECT_TRUE(e["type"].is_string()) << r.body;
  EXPECT_TRUE(e.contains("param") && e.contains("code")) << r.body;
  if (param.empty()) {
    EXPECT_TRUE(e["param"].is_null()) << r.body;
  } else {
    EXPECT_EQ(e["param"], param) << r.body;
  }
  if (!code.empty()) {
    EXPECT_EQ(e["code"], code) << r.body;
  }
}

TEST_F(ServerTest, RouteTable) {
  start();
  HttpClient c(server_->port());
  auto h = c.call("GET", "/health");
  EXPECT_EQ(h.status, 200);
  auto m = c.call("GET", "/v1/models");
  ASSERT_EQ(m.status, 200);
  json mj = json::parse(m.body);
  EXPECT_EQ(mj["object"], "list");
  EXPECT_EQ(mj["data"][0]["id"], "tiny");
  EXPECT_EQ(mj["data"][0]["max_model_len"], kMaxModelLen);
  expect_error(c.call("GET", "/v1/nothing"), 404, "", "not_found");
  auto wrong = c.call("GET", "/v1/chat/completions");
  expect_error(wrong, 405, "", "method_not_allowed");
  EXPECT_EQ(wrong.allow, "POST");
  expect_error(c.call("POST", "/health", "{}"), 405, "");
  auto metrics = c.call("GET", "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.content_type.find("text/plain"), std::string::npos);
  EXPECT_EQ(c.call("GET", "/health?x=1").status, 200);  // query strings are not part of the route
}

struct BadCase {
  const char* route;
  std::string body;
  int status;
  const char* param;
};

std::vector<BadCase> bad_cases() {
  const std::string msg = R"("messages":[{"role":"user","content":"hi"}])";
  auto chat = [&](const std::string& extra) { return "{" + msg + (extra.empty() ? "" : "," + extra) + "}"; };
  return {
      {"/v1/chat/completions", "{not json", 400, ""},
      {"/v1/chat/completions", "[1,2]", 400, ""},
      {"/v1/chat/completions", "{}", 400, "messages"},
      {"/v1/chat/completions", R"({"messages":"hi"})", 400, "messages"},
      {"/v1/chat/completions", R"({"messages":[]})", 400, "messages"},
      {"/v1/chat/completions", R"({"messages":[{"role":"user"}]})", 400, "messages[0].content"},
      {"/v1/chat/completions", R"({"messages":[{"role":"wizard","content":"x"}]})", 400, "messages[0].role"},
      {"/v1/chat/completions", R"({"messages":[{"role":"user","content":5}]})", 400, "messages[0].content"},
      {"/v1/chat/completions",
       R"({"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"http://x/y.png"}}]}]})", 400,
       "messages[0].content[0]"},
      {"/v1/chat/completions", chat(R"("temperature":"hot")"), 400, "temperature"},
      {"/v1/chat/completions", chat(R"("temperature":-1)"), 400, "temperature"},
      {"/v1/chat/completions", chat(R"("top_p":0)"), 400, "top_p"},
      {"/v1/chat/completions", chat(R"("top_k":-5)"), 400, "top_k"},
      {"/v1/chat/completions", chat(R"("min_p":2)"), 400, "min_p"},
      {"/v1/chat/completions", chat(R"("presence_penalty":3)"), 400, "presence_penalty"},
      {"/v1/chat/completions", chat(R"("repetition_penalty":0)"), 400, "repetition_penalty"},
      {"/v1/chat/completions", chat(R"("max_tokens":0)"), 400, "max_tokens"},
      {"/v1/chat/completions", chat(R"("max_tokens":1.5)"), 400, "max_tokens"},
      {"/v1/chat/completions", chat(R"("max_tokens":100000)"), 400, "max_tokens"},
      {"/v1/chat/completions", chat(R"("max_completion_tokens":-3)"), 400, "max_completion_tokens"},
      {"/v1/chat/completions", chat(R"("n":2)"), 400, "n"},
      {"/v1/chat/completions", chat(R"("model":"gpt-4")"), 404, "model"},
      {"/v1/chat/completions", chat(R"("model":7)"), 400, "model"},
      {"/v1/chat/completions", chat(R"("frobnicate":true)"), 400, "frobnicate"},
      {"/v1/chat/completions", chat(R"("stop":5)"), 400, "stop"},
      {"/v1/chat/completions", chat(R"("stop":["a",3])"), 400, "stop"},
      {"/v1/chat/completions", chat(R"("stop_token_ids":[99999])"), 400, "stop_token_ids"},
      {"/v1/chat/completions", chat(R"("stream":"yes")"), 400, "stream"},
      {"/v1/chat/completions", chat(R"("stream_options":{"include_usage":true})"), 400, "stream_options"},
      {"/v1/chat/completions", chat(R"("logprobs":"yes")"), 400, "logprobs"},
      {"/v1/chat/completions", chat(R"("logprobs":true,"top_logprobs":30)"), 400, "top_logprobs"},
      {"/v1/chat/completions", chat(R"("tools":[{"type":"function"}])"), 400, "tools"},
      {"/v1/chat/completions", chat(R"("seed":"x")"), 400, "seed"},
      {"/v1/chat/completions", chat(R"("min_tokens":10,"max_tokens":5)"), 400, "min_tokens"},
      {"/v1/completions", "{}", 400, "prompt"},
      {"/v1/completions", R"({"prompt":5})", 400, "prompt"},
      {"/v1/completions", R"({"prompt":"hi","logprobs":50})", 400, "logprobs"},
      {"/v1/completions", R"({"prompt":"hi","messages":[]})", 400, "messages"},
      {"/v1/completions", R"({"prompt":[1,2,99999]})", 400, "prompt"},
      {"/v1/completions", R"({"prompt":"hi","echo":true})", 400, "echo"},
      {"/v1/completions", "{\"prompt\":[" + [] {
         std::string s;
         for (int i = 0; i < kMaxModelLen; ++i) s += (i ? ",5" : "5");
         return s;
       }() + "]}", 400, "prompt"},
      {"/v1/completions", R"({"prompt":"hi","max_tokens":300})", 400, "max_tokens"},
      {"/tokenize", R"({"prompt":"hi","bogus":1})", 400, "bogus"},
      {"/tokenize", "nope", 400, ""},
      {"/detokenize", R"({"tokens":[1,-2]})", 400, "tokens"},
      {"/detokenize", R"({"tokens":"abc"})", 400, "tokens"},
  };
}

TEST_F(ServerTest, BadRequestsGetOpenAiErrorsNamingTheField) {
  start();
  HttpClient c(server_->port());
  for (const BadCase& bc : bad_cases()) {
    SCOPED_TRACE(std::string(bc.route) + " " + bc.body.substr(0, 120));
    auto r = c.call("POST", bc.route, bc.body);
    expect_error(r, bc.status, bc.param);
  }
  EXPECT_TRUE(engine_->requests().empty());  // nothing reached the engine
  // The context-length error says so.
  auto r = c.call("POST", "/v1/chat/completions", chat_body("hi", 100000));
  EXPECT_EQ(json::parse(r.body)["error"]["code"], "context_length_exceeded");
  auto img = c.call("POST", "/v1/chat/completions",
                    R"({"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]})");
  // A text-only model rejects images, naming the part.
  EXPECT_EQ(img.status, 400);
  EXPECT_EQ(json::parse(img.body)["error"]["message"], "this model does not accept images");
  EXPECT_EQ(json::parse(img.body)["error"]["param"], "messages[0].content[0]");
  // The same connection and engine still serve good requests.
  auto ok = c.call("POST", "/v1/chat/completions", chat_body("hi", 4));
  EXPECT_EQ(ok.status, 200) << ok.body;
}

TEST_F(ServerTest, BodyOverTheLimitIs413) {
  ServerOptions so;
  so.max_body_bytes = 1024;
  start({}, so);
  HttpClient c(server_->port());
  auto r = c.call("POST", "/v1/chat/completions", chat_body(std::string(4096, 'a'), 4));
  expect_error(r, 413, "", "request_too_large");
  HttpClient c2(server_->port());
  EXPECT_EQ(c2.call("POST", "/v1/chat/completions", chat_body("small", 4)).status, 200);
}

TEST_F(ServerTest, ChatCompletionWhole) {
  start();
  HttpClient c(server_->port());
  json extra = {{"temperature", 0.5}, {"top_k", 7}, {"top_p", 0.9}, {"min_p", 0.05}, {"seed", 11},
                {"presence_penalty", 0.5}, {"frequency_penalty", -0.5}, {"repetition_penalty", 1.1},
                {"stop_token_ids", {5, 6}}, {"priority", 3}, {"min_tokens", 2}, {"ignore_eos", false},
                {"user", "someone"}};
  auto r = c.call("POST", "/v1/chat/completions", chat_body("Hi there", 6, extra));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.content_type.find("application/json"), std::string::npos);
  json j = json::parse(r.body);
  EXPECT_EQ(j["object"], "chat.completion");
  EXPECT_EQ(j["id"].get<std::string>().rfind("chatcmpl-", 0), 0u);
  EXPECT_EQ(j["model"], "tiny");
  EXPECT_TRUE(j["created"].is_number_integer());
  const json& ch = j["choices"][0];
  EXPECT_EQ(ch["index"], 0);
  EXPECT_EQ(ch["message"]["role"], "assistant");
  EXPECT_EQ(ch["message"]["content"], expected_text(6));
  EXPECT_EQ(ch["finish_reason"], "length");
  EXPECT_TRUE(ch["logprobs"].is_null());
  const int64_t np = chat_prompt_tokens("Hi there");
  EXPECT_EQ(j["usage"]["prompt_tokens"], np);
  EXPECT_EQ(j["usage"]["completion_tokens"], 6);
  EXPECT_EQ(j["usage"]["total_tokens"], np + 6);
  // What the engine was asked.
  auto reqs = engine_->requests();
  ASSERT_EQ(reqs.size(), 1u);
  const EngineRequest& er = reqs[0];
  EXPECT_EQ(er.req_id, j["id"]);
  EXPECT_EQ(static_cast<int64_t>(er.prompt_token_ids.size()), np);
  EXPECT_EQ(er.stop.max_tokens, 6);
  EXPECT_EQ(er.stop.min_tokens, 2);
  EXPECT_EQ(er.stop.eos_token_id, served_->eos_token_ids.at(0));
  EXPECT_EQ(er.priority, 3);
  EXPECT_DOUBLE_EQ(er.sampling.temperature, 0.5);
  EXPECT_EQ(er.sampling.top_k, 7);
  EXPECT_DOUBLE_EQ(er.sampling.top_p, 0.9);
  EXPECT_DOUBLE_EQ(er.sampling.min_p, 0.05);
  EXPECT_EQ(er.sampling.seed, 11u);
  EXPECT_DOUBLE_EQ(er.sampling.presence_penalty, 0.5);
  EXPECT_DOUBLE_EQ(er.sampling.frequency_penalty, -0.5);
  EXPECT_DOUBLE_EQ(er.sampling.repetition_penalty, 1.1);
  EXPECT_FALSE(er.sampling.logprobs.has_value());
  EXPECT_TRUE(std::count(er.stop.stop_token_ids.begin(), er.stop.stop_token_ids.end(), 5));
  // Default max_tokens for chat: what is left of the context.
  auto r2 = c.call("POST", "/v1/chat/completions",
                   R"({"messages":[{"role":"user","content":"x"}],"max_completion_tokens":3})");
  EXPECT_EQ(json::parse(r2.body)["usage"]["completion_tokens"], 3);
}

TEST_F(ServerTest, ListContentFallsBackToFlattenedText) {
  start();
  HttpClient c(server_->port());
  auto r = c.call("POST", "/v1/chat/completions",
                  R"({"messages":[{"role":"user","content":[{"type":"text","text":"Hi "},{"type":"text","text":"there"}]}],"max_tokens":2})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["usage"]["prompt_tokens"], chat_prompt_tokens("Hi there"));
}

TEST_F(ServerTest, StreamingFormatChat) {
  start();
  HttpClient c(server_->port());
  auto r = c.call("POST", "/v1/chat/completions",
                  chat_body("Hi there", 8, {{"stream", true}, {"stream_options", {{"include_usage", true}}}}));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.content_type.find("text/event-stream"), std::string::npos);
  auto ev = sse_events(r.body);
  ASSERT_GE(ev.size(), 4u);
  EXPECT_EQ(ev.back(), "[DONE]");
  json first = json::parse(ev[0]);
  EXPECT_EQ(first["object"], "chat.completion.chunk");
  EXPECT_EQ(first["choices"][0]["delta"]["role"], "assistant");
  std::string text;
  int finishes = 0;
  std::string id = first["id"];
  for (size_t i = 1; i + 2 < ev.size(); ++i) {
    json j = json::parse(ev[i]);
    EXPECT_EQ(j["id"], id);
    EXPECT_EQ(j["object"], "chat.completion.chunk");
    EXPECT_FALSE(j["choices"][0]["delta"].contains("role"));
    text += j["choices"][0]["delta"].value("content", "");
    if (!j["choices"][0]["finish_reason"].is_null()) {
      ++finishes;
      EXPECT_EQ(j["choices"][0]["finish_reason"], "length");
      EXPECT_EQ(i + 3, ev.size()) << "the finish chunk is the last choice chunk";
    }
  }
  EXPECT_EQ(finishes, 1);
  EXPECT_EQ(text, expected_text(8));
  json usage = json::parse(ev[ev.size() - 2]);
  EXPECT_TRUE(usage["choices"].empty());
  EXPECT_EQ(usage["usage"]["completion_tokens"], 8);
  EXPECT_EQ(usage["usage"]["prompt_tokens"], chat_prompt_tokens("Hi there"));
  EXPECT_EQ(usage["usage"]["total_tokens"], chat_prompt_tokens("Hi there") + 8);
  // The connection is kept alive after the stream.
  EXPECT_EQ(c.call("GET", "/health").status, 200);
}

TEST_F(ServerTest, StreamingCompletionWithoutUsage) {
  FakeEngineOptions eo;
  eo.tokens_per_output = 3;
  start(eo);
  HttpClient c(server_->port());
  auto r = c.call("POST", "/v1/completions", R"({"prompt":"Once upon","max_tokens":7,"stream":true})");
  ASSERT_EQ(r.status, 200) << r.body;
  auto ev = sse_events(r.body);
  ASSERT_GE(ev.size(), 2u);
  EXPECT_EQ(ev.back(), "[DONE]");
  std::string text;
  for (size_t i = 0; i + 1 < ev.size(); ++i) {
    json j = json::parse(ev[i]);
    EXPECT_EQ(j["object"], "text_completion");
    EXPECT_FALSE(j.contains("usage"));
    text += j["choices"][0]["text"].get<std::string>();
  }
  EXPECT_EQ(text, expected_text(7));
  EXPECT_EQ(json::parse(ev[ev.size() - 2])["choices"][0]["finish_reason"], "length");
  // Whole completion, token-id prompt.
  auto w = c.call("POST", "/v1/completions", R"({"prompt":[1,2,3],"max_tokens":5})");
  ASSERT_EQ(w.status, 200) << w.body;
  json j = json::parse(w.body);
  EXPECT_EQ(j["object"], "text_completion");
  EXPECT_EQ(j["choices"][0]["text"], expected_text(5));
  EXPECT_EQ(j["usage"]["prompt_tokens"], 3);
}

TEST_F(ServerTest, StopStringsEndTheOutputWithoutLeaking) {
  start();
  HttpClient c(server_->port());
  const std::string full = kScriptText;
  const std::string want = full.substr(0, full.find("STOP"));
  for (bool stream : {false, true}) {
    SCOPED_TRACE(stream ? "stream" : "whole");
    auto r = c.call("POST", "/v1/chat/completions", chat_body("x", 60, {{"stop", {"nothing", "STOP"}}, {"stream", stream}}));
    ASSERT_EQ(r.status, 200) << r.body;
    std::string text, finish, stop_reason;
    if (stream) {
      for (const std::string& e : sse_events(r.body)) {
        if (e == "[DONE]") continue;
        json j = json::parse(e);
        text += j["choices"][0]["delta"].value("content", "");
        EXPECT_EQ(j["choices"][0]["delta"].value("content", "").find("ST"), std::string::npos) << e;
        if (!j["choices"][0]["finish_reason"].is_null()) {
          finish = j["choices"][0]["finish_reason"];
          stop_reason = j["choices"][0]["stop_reason"];
        }
      }
    } else {
      json j = json::parse(r.body);
      text = j["choices"][0]["message"]["content"];
      finish = j["choices"][0]["finish_reason"];
      stop_reason = j["choices"][0]["stop_reason"];
    }
    EXPECT_EQ(text, want);
    EXPECT_EQ(finish, "stop");
    EXPECT_EQ(stop_reason, "STOP");
  }
  // The engine was told to stop generating.
  EXPECT_EQ(engine_->aborted().size(), 2u);
  // A stop string whose prefix appears but never completes: everything comes out in the end.
  auto r = c.call("POST", "/v1/completions",
                  json{{"prompt", "x"}, {"max_tokens", static_cast<int>(script().size())}, {"stop", "STOP!"},
                       {"stream", true}}
                      .dump());
  std::string text;
  for (const std::string& e : sse_events(r.body))
    if (e != "[DONE]") text += json::parse(e)["choices"][0]["text"].get<std::string>();
  EXPECT_EQ(text, full);
  // include_stop_str_in_output keeps it.
  auto k = c.call("POST", "/v1/completions",
                  json{{"prompt", "x"}, {"max_tokens", 60}, {"stop", "STOP"}, {"include_stop_str_in_output", true}}.dump());
  EXPECT_EQ(json::parse(k.body)["choices"][0]["text"], want + "STOP");
}

TEST_F(ServerTest, Logprobs) {
  start();
  HttpClient c(server_->port());
  auto r = c.call("POST", "/v1/chat/completions", chat_body("x", 4, {{"logprobs", true}, {"top_logprobs", 2}}));
  ASSERT_EQ(r.status, 200) << r.body;
  json lp = json::parse(r.body)["choices"][0]["logprobs"];
  ASSERT_EQ(lp["content"].size(), 4u);
  EXPECT_EQ(lp["content"][0]["top_logprobs"].size(), 2u);
  EXPECT_FLOAT_EQ(lp["content"][0]["logprob"].get<float>(), -0.25f);
  EXPECT_EQ(engine_->requests().back().sampling.logprobs, 2);
  auto cr = c.call("POST", "/v1/completions", R"({"prompt":"x","max_tokens":3,"logprobs":1,"stream":true})");
  int n = 0;
  for (const std::string& e : sse_events(cr.body)) {
    if (e == "[DONE]") continue;
    json l = json::parse(e)["choices"][0]["logprobs"];
    n += static_cast<int>(l["tokens"].size());
    for (const json& t : l["top_logprobs"]) EXPECT_GE(t.size(), 1u);
  }
  EXPECT_EQ(n, 3);
}

TEST_F(ServerTest, EosFinishesWithStop) {
  FakeEngineOptions eo;
  eo.script = {100, 101, served_->eos_token_ids.at(0), 102};
  start(eo);
  HttpClient c(server_->port());
  auto r = c.call("POST", "/v1/chat/completions", chat_body("x", 10));
  json j = json::parse(r.body);
  EXPECT_EQ(j["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(j["usage"]["completion_tokens"], 3);
  EXPECT_EQ(j["choices"][0]["message"]["content"], tok().decode(std::vector<int32_t>{100, 101}, true));
}

TEST_F(ServerTest, TokenizeAndDetokenize) {
  start();
  HttpClient c(server_->port());
  auto r = c.call("POST", "/tokenize", R"({"model":"tiny","prompt":"Hello world"})");
  ASSERT_EQ(r.status, 200) << r.body;
  json j = json::parse(r.body);
  auto ids = tok().encode("Hello world", true);
  EXPECT_EQ(j["tokens"].get<std::vector<int32_t>>(), ids);
  EXPECT_EQ(j["count"], ids.size());
  EXPECT_EQ(j["max_model_len"], kMaxModelLen);
  auto m = c.call("POST", "/tokenize", R"({"messages":[{"role":"user","content":"Hi there"}]})");
  EXPECT_EQ(json::parse(m.body)["count"], chat_prompt_tokens("Hi there"));
  auto d = c.call("POST", "/detokenize", json{{"tokens", ids}}.dump());
  ASSERT_EQ(d.status, 200) << d.body;
  EXPECT_EQ(json::parse(d.body)["prompt"], "Hello world");
  expect_error(c.call("POST", "/tokenize", R"({"model":"other","prompt":"x"})"), 404, "model");
}

// Reads a streaming response's first bytes on a raw socket, then closes it.
void open_stream_and_vanish(uint16_t port, const std::string& body) {
  RawConnection s(port);
  s.write("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
          std::to_string(body.size()) + "\r\n\r\n" + body);
  std::string got;
  EXPECT_TRUE(s.read_until(got, [](const std::string& g) { return g.find("data:") != std::string::npos; }, 20)) << got;
  s.close();
}

TEST_F(ServerTest, ClientDisconnectAbortsTheRequest) {
  FakeEngineOptions eo;
  eo.itl_s = 0.01;
  start(eo);
  open_stream_and_vanish(server_->port(), chat_body("x", 200, {{"stream", true}}));
  // Non-streamed: the client goes away while waiting for the answer.
  {
    RawConnection s(server_->port());
    std::string body = chat_body("x", 200);
    s.write("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
            "\r\n\r\n" + body);
    for (int i = 0; i < 500 && engine_->requests().size() < 2; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    s.close();
  }
  for (int i = 0; i < 400 && (engine_->num_live() > 0 || engine_->aborted().size() < 2); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(engine_->aborted().size(), 2u);
  EXPECT_EQ(engine_->num_live(), 0);
  for (int i = 0; i < 200 && server_->num_inflight() > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(server_->num_inflight(), 0);
  HttpClient c(server_->port());
  EXPECT_EQ(c.call("POST", "/v1/chat/completions", chat_body("x", 3)).status, 200);
  auto m = c.call("GET", "/metrics").body;
  EXPECT_NE(m.find("mmserve:request_success_total{model_name=\"tiny\",finished_reason=\"abort\"} 2"), std::string::npos) << m;
}

TEST_F(ServerTest, SixteenConcurrentStreams) {
  start();
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      HttpClient c(server_->port());
      const int n = 5 + t;
      auto r = c.call("POST", "/v1/chat/completions",
                      chat_body("stream " + std::to_string(t), n, {{"stream", true}, {"stream_options", {{"include_usage", true}}}}));
      auto ev = sse_events(r.body);
      if (r.status != 200 || ev.size() < 3 || ev.back() != "[DONE]") return;
      json u = json::parse(ev[ev.size() - 2])["usage"];
      std::string text;
      for (size_t i = 0; i + 2 < ev.size(); ++i) text += json::parse(ev[i])["choices"][0]["delta"].value("content", "");
      if (u["completion_tokens"] == n && u["prompt_tokens"] == chat_prompt_tokens("stream " + std::to_string(t)) &&
          text == expected_text(n))
        ++good;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(good.load(), 16);
}

TEST_F(ServerTest, TwoHundredMixedRequests) {
  start();
  auto bad = bad_cases();
  std::atomic<int> correct{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      HttpClient c(server_->port());
      for (int i = 0; i < 50; ++i) {
        int k = t * 50 + i;
        if (k % 3 == 0) {
          const BadCase& bc = bad[static_cast<size_t>(k / 3) % bad.size()];
          auto r = c.call("POST", bc.route, bc.body);
          json j = json::parse(r.body, nullptr, false);
          if (r.status == bc.status && j.is_object() && j.contains("error") &&
              (std::string(bc.param).empty() ? j["error"]["param"].is_null() : j["error"]["param"] == bc.param))
            ++correct;
        } else {
          const int n = 1 + k % 9;
          bool stream = k % 2;
          auto r = c.call("POST", "/v1/chat/completions", chat_body("q" + std::to_string(k), n, {{"stream", stream}}));
          std::string text;
          if (stream) {
            for (const std::string& e : sse_events(r.body))
              if (e != "[DONE]") text += json::parse(e)["choices"][0]["delta"].value("content", "");
          } else if (r.status == 200) {
            text = json::parse(r.body)["choices"][0]["message"]["content"];
          }
          if (r.status == 200 && text == expected_text(n)) ++correct;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(correct.load(), 200);
}

std::map<std::string, double> parse_metrics(const std::string& text) {
  std::map<std::string, double> out;
  static const std::regex line(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (-?[0-9.eE+-]+|\+Inf|NaN)$)");
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    std::string l = text.substr(pos, end - pos);
    pos = end == std::string::npos ? text.size() : end + 1;
    if (l.empty() || l[0] == '#') {
      if (!l.empty()) {
        EXPECT_TRUE(l.rfind("# HELP ", 0) == 0 || l.rfind("# TYPE ", 0) == 0) << l;
      }
      continue;
    }
    std::smatch m;
    EXPECT_TRUE(std::regex_match(l, m, line)) << l;
    if (!m.empty()) out[m[1].str() + m[2].str()] = std::stod(m[3].str());
  }
  return out;
}

TEST_F(ServerTest, MetricsParseAndCountsChange) {
  start();
  HttpClient c(server_->port());
  auto before = parse_metrics(c.call("GET", "/metrics").body);
  const std::string l = "{model_name=\"tiny\"}";
  for (const char* name : {"mmserve:num_requests_running", "mmserve:num_requests_waiting", "mmserve:kv_cache_usage_perc",
                           "mmserve:prefix_cache_queries_total", "mmserve:prefix_cache_hits_total",
                           "mmserve:prompt_tokens_total", "mmserve:generation_tokens_total",
                           "mmserve:num_preemptions_total", "mmserve:time_to_first_token_seconds_count",
                           "mmserve:inter_token_latency_seconds_count", "mmserve:e2e_request_latency_seconds_count"})
    EXPECT_TRUE(before.count(name + l)) << name;
  ASSERT_EQ(c.call("POST", "/v1/chat/completions", chat_body("x", 5)).status, 200);
  ASSERT_EQ(c.call("POST", "/v1/completions", R"({"prompt":"x","max_tokens":3,"stream":true})").status, 200);
  auto after = parse_metrics(c.call("GET", "/metrics").body);
  EXPECT_EQ(after["mmserve:generation_tokens_total" + l] - before["mmserve:generation_tokens_total" + l], 8);
  EXPECT_GT(after["mmserve:prompt_tokens_total" + l], before["mmserve:prompt_tokens_total" + l]);
  EXPECT_EQ(after["mmserve:request_success_total{model_name=\"tiny\",finished_reason=\"length\"}"], 2);
  EXPECT_EQ(after["mmserve:time_to_first_token_seconds_count" + l], 2);
  EXPECT_EQ(after["mmserve:inter_token_latency_seconds_count" + l], 4 + 2);
  EXPECT_EQ(after["mmserve:e2e_request_latency_seconds_count" + l], 2);
  EXPECT_EQ(after["mmserve:time_to_first_token_seconds_bucket{model_name=\"tiny\",le=\"+Inf\"}"], 2);
}

TEST_F(ServerTest, GracefulShutdownDrainsInFlightRequests) {
  FakeEngineOptions eo;
  eo.itl_s = 0.005;
  start(eo);
  std::string body;
  int status = 0;
  std::thread client([&] {
    HttpClient c(server_->port());
    auto r = c.call("POST", "/v1/chat/completions", chat_body("x", 60, {{"stream", true}}));
    status = r.status, body = r.body;
  });
  for (int i = 0; i < 400 && engine_->requests().empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  server_->begin_shutdown();
  client.join();
  server_->wait();
  EXPECT_EQ(status, 200);
  auto ev = sse_events(body);
  ASSERT_FALSE(ev.empty());
  EXPECT_EQ(ev.back(), "[DONE]");
  std::string text;
  for (size_t i = 1; i + 1 < ev.size(); ++i) text += json::parse(ev[i])["choices"][0]["delta"].value("content", "");
  EXPECT_EQ(text, expected_text(60));
  HttpClient late(server_->port(), 2);
  EXPECT_NE(late.call("GET", "/health").status, 200);
}

}  // namespace
}  // namespace mms::server::server_test
