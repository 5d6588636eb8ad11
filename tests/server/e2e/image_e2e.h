// Helpers for the image end-to-end tests: start `mmserve serve` on the tiny Qwen2.5-VL fixture pair, build
// chat requests with image parts (data: URLs from files or bytes), read answers (token bytes, logprobs,
// top-5 per step, usage) and compare them with each other or with llama.cpp's reference. Not thread-safe
// per object; the free functions are.
#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "server/http_test_client.h"
#include "testing/serve_process.h"
#include "testing/test_data.h"

namespace mms::server::e2e {

using json = nlohmann::json;
using mms::server::testing::HttpClient;
using mms::server::testing::HttpReply;
using mms::testing::ServeProcess;

inline std::string vlm_model() { return mms::testing::test_data("tiny-qwen2vl-f32.gguf"); }
inline std::string vlm_mmproj() { return mms::testing::test_data("tiny-qwen25vl-mmproj-f32.gguf"); }
inline std::string fixture_png() { return mms::testing::test_data("test-image-252x168.png"); }
inline std::string e2e_image(const std::string& name) { return mms::testing::test_data("media/e2e/" + name); }
inline std::string media_src(const std::string& name) { return mms::testing::test_data("media/src/" + name); }

// Starts the VLM fixture server with `extra` options; false when it did not come up.
inline bool start_vlm(ServeProcess& sp, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"--mmproj", vlm_mmproj(), "--served-model-name", "tiny-vl"};
  args.insert(args.end(), extra.begin(), extra.end());
  return sp.start(vlm_model(), args);
}

#define MMS_REQUIRE_BIN() \
  if (mms::testing::mmserve_bin().empty()) GTEST_SKIP() << "mmserve binary not built"

inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline std::string base64(const std::string& bytes) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    out += {k[v >> 18], k[(v >> 12) & 63], k[(v >> 6) & 63], k[v & 63]};
  }
  if (i + 1 == bytes.size()) {
    const uint32_t v = uint8_t(bytes[i]) << 16;
    out += {k[v >> 18], k[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == bytes.size()) {
    const uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8);
    out += {k[v >> 18], k[(v >> 12) & 63], k[(v >> 6) & 63], '='};
  }
  return out;
}

inline std::string data_url_bytes(const std::string& bytes, const std::string& mime = "image/png") {
  return "data:" + mime + ";base64," + base64(bytes);
}

// The MIME type follows the extension, as a client would send it.
inline std::string data_url(const std::string& path) {
  std::string mime = "image/png";
  if (path.ends_with(".jpg")) mime = "image/jpeg";
  else if (path.ends_with(".webp")) mime = "image/webp";
  else if (path.ends_with(".gif")) mime = "image/gif";
  return data_url_bytes(read_bytes(path), mime);
}

inline json image_part(const std::string& url) { return {{"type", "image_url"}, {"image_url", {{"url", url}}}}; }
inline json text_part(const std::string& text) { return {{"type", "text"}, {"text", text}}; }

// One user message: the images, then the text (the golden prompt's layout); greedy, 8 tokens, top-5.
inline json image_chat(const std::vector<std::string>& urls, const std::string& text = "Describe this image.",
                       int max_tokens = 8) {
  json content = json::array();
  for (const auto& u : urls) content.push_back(image_part(u));
  content.push_back(text_part(text));
  return {{"model", "tiny-vl"},
          {"messages", {{{"role", "user"}, {"content", content}}}},
          {"temperature", 0},
          {"max_tokens", max_tokens},
          {"ignore_eos", true},
          {"logprobs", true},
          {"top_logprobs", 5}};
}

inline std::string bytes_of(const json& entry) {
  std::string s;
  for (const auto& b : entry["bytes"]) s += static_cast<char>(b.get<int>());
  return s;
}

struct TopEntry {
  std::string bytes;
  double logprob = 0;
};

// What a chat answer says, token by token (a token is its bytes).
struct Answer {
  int status = 0;
  std::string body;
  int64_t prompt_tokens = -1;
  int64_t completion_tokens = -1;
  std::vector<std::string> tokens;
  std::vector<double> logprobs;
  std::vector<std::vector<TopEntry>> top;  // per step, best first

  bool ok() const { return status == 200 && !tokens.empty(); }
};

inline Answer parse_answer(const HttpReply& r) {
  Answer a;
  a.status = r.status;
  a.body = r.body.empty() ? r.error : r.body;
  if (r.status != 200) return a;
  json j = json::parse(r.body, nullptr, false);
  if (j.is_discarded()) return a;
  a.prompt_tokens = j["usage"]["prompt_tokens"].get<int64_t>();
  a.completion_tokens = j["usage"]["completion_tokens"].get<int64_t>();
  for (const auto& c : j["choices"][0]["logprobs"]["content"]) {
    a.tokens.push_back(bytes_of(c));
    a.logprobs.push_back(c["logprob"].get<double>());
    std::vector<TopEntry> top;
    for (const auto& t : c["top_logprobs"]) top.push_back({bytes_of(t), t["logprob"].get<double>()});
    a.top.push_back(std::move(top));
  }
  return a;
}

inline Answer ask(HttpClient& c, const json& body) {
  return parse_answer(c.call("POST", "/v1/chat/completions", body.dump()));
}
inline Answer ask(uint16_t port, const json& body) {
  HttpClient c(port, 60);
  return ask(c, body);
}

inline std::string show(const Answer& a) {
  std::ostringstream o;
  o << "status " << a.status << ", prompt_tokens " << a.prompt_tokens << ", tokens [";
  for (size_t i = 0; i < a.tokens.size(); ++i) o << (i ? ", " : "") << json(a.tokens[i]).dump() << " " << a.logprobs[i];
  o << "]";
  if (a.status != 200) o << " body: " << a.body.substr(0, 400);
  return o.str();
}

// Same prompt length, same tokens, and every step's logprob and top-5 within `tol` (a top-5 member may
// be missing only at the cut, where the two 5th entries are within `tol` of each other).
inline ::testing::AssertionResult same_answer(const Answer& a, const Answer& b, double tol) {
  if (!a.ok() || !b.ok()) return ::testing::AssertionFailure() << "failed request: " << show(a) << " / " << show(b);
  if (a.prompt_tokens != b.prompt_tokens || a.tokens != b.tokens)
    return ::testing::AssertionFailure() << "different answers:\n  " << show(a) << "\n  " << show(b);
  for (size_t s = 0; s < a.tokens.size(); ++s) {
    if (std::abs(a.logprobs[s] - b.logprobs[s]) > tol)
      return ::testing::AssertionFailure() << "step " << s << " logprob " << a.logprobs[s] << " vs " << b.logprobs[s];
    for (size_t r = 0; r < b.top[s].size(); ++r) {
      const TopEntry& want = b.top[s][r];
      bool found = false;
      for (const TopEntry& got : a.top[s]) {
        if (got.bytes != want.bytes) continue;
        found = true;
        if (std::abs(got.logprob - want.logprob) > tol)
          return ::testing::AssertionFailure() << "step " << s << " top token " << json(want.bytes).dump() << ": "
                                               << got.logprob << " vs " << want.logprob;
      }
      if (!found && !(r + 1 == b.top[s].size() && a.top[s].size() == b.top[s].size() &&
                      std::abs(a.top[s].back().logprob - want.logprob) <= tol))
        return ::testing::AssertionFailure() << "step " << s << ": " << json(want.bytes).dump()
                                             << " missing from the top " << a.top[s].size();
    }
  }
  return ::testing::AssertionSuccess();
}

// llama.cpp's answer for the golden request (fixture image + "Describe this image.", 8 greedy steps with
// top-5), from tests/data/ref/tiny-qwen25vl.exact.top5_logprobs.json and .exact.json.
inline Answer golden_answer() {
  std::ifstream in(mms::testing::test_data("ref/tiny-qwen25vl.exact.top5_logprobs.json"));
  json ref = json::parse(in);
  std::ifstream in2(mms::testing::test_data("ref/tiny-qwen25vl.exact.json"));
  json meta = json::parse(in2);
  Answer a;
  a.status = 200;
  a.prompt_tokens = meta["logits_rows"].get<int64_t>();  // 20 text tokens + 54 image rows
  a.completion_tokens = 8;
  const auto& ids = meta["greedy_generated_ids"];
  for (size_t s = 0; s < ref["greedy_steps"].size(); ++s) {
    const json& step = ref["greedy_steps"][s];
    EXPECT_EQ(step["token_id"], ids[s]);
    std::vector<TopEntry> top;
    std::string chosen;
    for (const auto& t : step["top"]) {
      top.push_back({bytes_of(t), t["logprob"].get<double>()});
      if (t["id"] == step["token_id"]) chosen = top.back().bytes;
    }
    a.tokens.push_back(chosen);
    a.logprobs.push_back(step["logprob"].get<double>());
    a.top.push_back(std::move(top));
  }
  return a;
}

constexpr double kGoldenTol = 2e-3;  // llama.cpp vs mmserve, f32 throughout
constexpr double kSameTol = 1e-4;    // the same pixels through one server, alone or batched

// The value of `name{...} v` / `name v` in Prometheus text; -1 if absent.
inline double metric(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name, 0) != 0 || line.size() <= name.size()) continue;
    if (line[name.size()] != '{' && line[name.size()] != ' ') continue;
    return std::stod(line.substr(line.rfind(' ') + 1));
  }
  return -1;
}

inline std::string get_metrics(uint16_t port) {
  HttpClient c(port, 10);
  auto r = c.call("GET", "/metrics");
  EXPECT_EQ(r.status, 200) << r.error;
  return r.body;
}

// An OpenAI error body with the given status and param (and a non-empty message); "" when it is.
inline std::string check_error(const HttpReply& r, int status, const std::string& param) {
  json e = json::parse(r.body, nullptr, false);
  std::ostringstream why;
  if (r.status != status) why << "status " << r.status << " (want " << status << ")";
  else if (e.is_discarded() || !e.contains("error") || !e["error"].is_object()) why << "not an error body";
  else if (!e["error"]["message"].is_string() || e["error"]["message"].get<std::string>().empty()) why << "no message";
  else if (!e["error"]["type"].is_string() || !e["error"].contains("code")) why << "no type/code";
  else if (e["error"]["param"] != param) why << "param " << e["error"]["param"].dump() << " (want " << param << ")";
  else return "";
  why << ": " << r.body.substr(0, 400) << r.error;
  return why.str();
}

}  // namespace mms::server::e2e
