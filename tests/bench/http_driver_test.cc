#include "bench/http_driver.h"

#include <gtest/gtest.h>

#include "api/chat.h"
#include "fake_openai_server.h"

namespace mms::bench {
namespace {

std::vector<PlannedRequest> plan_of(int n, double gap_s, int64_t tokens, bool chat = true) {
  std::vector<PlannedRequest> plan;
  for (int i = 0; i < n; ++i) {
    PlannedRequest p;
    p.index = i;
    p.send_at_s = i * gap_s;
    p.max_tokens = tokens;
    if (chat) {
      api::ChatRequest r;
      r.model = "fake";
      r.max_tokens = tokens;
      r.stream = true;
      r.include_usage = i % 2 == 0;  // half report usage, half are counted by chunks
      r.messages.push_back({"user", {api::ContentPart::make_text("hello")}});
      p.path = "/v1/chat/completions";
      p.body = api::to_json(r);
    } else {
      api::CompletionRequest r;
      r.max_tokens = tokens;
      r.stream = true;
      r.prompt = "hi";
      p.path = "/v1/completions";
      p.body = api::to_json(r);
    }
    plan.push_back(std::move(p));
  }
  return plan;
}

TEST(HttpDriver, OpenLoopMeasuresEveryStream) {
  testing::FakeOpenAiServer server({.ttft_s = 0.03, .itl_s = 0.004});
  auto ep = parse_endpoint(server.url());
  ASSERT_TRUE(ep.ok());
  int finished = 0;
  DriverOptions opts;
  opts.on_finished = [&](const RequestRecord&) { ++finished; };
  auto recs = run_requests(*ep, plan_of(20, 0.01, 8), opts);
  ASSERT_EQ(recs.size(), 20u);
  EXPECT_EQ(finished, 20);
  for (const RequestRecord& r : recs) {
    EXPECT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.http_status, 200);
    EXPECT_EQ(r.chunks, 8);
    EXPECT_EQ(r.output_tokens, 8);
    EXPECT_EQ(r.usage_reported, r.index % 2 == 0);
    EXPECT_GE(r.ttft(), 0.025);
    EXPECT_LE(r.ttft(), r.e2e());
    EXPECT_GE(r.start_s, r.scheduled_s - 1e-3);
    for (double g : r.gaps()) EXPECT_GE(g, 0.0);
    EXPECT_GE(r.tpot(), 0.003);
    EXPECT_EQ(r.finish_reason, "length");
  }
  // Open loop: 20 requests over 0.2 s, each lasting >= 0.058 s: several were in flight at once.
  EXPECT_LT(recs.back().start_s, 0.2 + 0.05);
}

TEST(HttpDriver, ClosedLoopReusesConnections) {
  testing::FakeOpenAiServer server({.ttft_s = 0.005, .itl_s = 0.001});
  auto ep = parse_endpoint(server.url());
  DriverOptions opts;
  opts.concurrency = 2;
  auto recs = run_requests(*ep, plan_of(10, 0, 4, /*chat=*/false), opts);
  ASSERT_EQ(recs.size(), 10u);
  for (const RequestRecord& r : recs) EXPECT_TRUE(r.ok) << r.error;
  EXPECT_LE(server.connections(), 2);  // keep-alive
  EXPECT_EQ(server.generation_requests(), 10);
}

TEST(HttpDriver, RecordsHttpErrors) {
  testing::FakeOpenAiServer server({.ttft_s = 0.001, .itl_s = 0.001, .fail_every = 3});
  auto ep = parse_endpoint(server.url());
  DriverOptions opts;
  opts.concurrency = 1;
  auto recs = run_requests(*ep, plan_of(6, 0, 2), opts);
  ASSERT_EQ(recs.size(), 6u);
  int errors = 0;
  for (const RequestRecord& r : recs) {
    if (!r.ok) {
      ++errors;
      EXPECT_EQ(r.http_status, 400);
      EXPECT_NE(r.error.find("injected failure"), std::string::npos) << r.error;
    }
  }
  EXPECT_EQ(errors, 2);
}

TEST(HttpDriver, StopFlagCutsInFlightAndKeepsPartialTimings) {
  testing::FakeOpenAiServer server({.ttft_s = 0.01, .itl_s = 0.05});
  auto ep = parse_endpoint(server.url());
  std::atomic<bool> stop{false};
  DriverOptions opts;
  opts.stop = &stop;
  opts.on_finished = [&](const RequestRecord&) {};
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    stop = true;
  });
  auto t0 = std::chrono::steady_clock::now();
  auto recs = run_requests(*ep, plan_of(50, 0.1, 100), opts);  // would take > 5 s
  stopper.join();
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(took, 1.0);
  ASSERT_GE(recs.size(), 1u);
  EXPECT_LT(recs.size(), 50u);
  EXPECT_FALSE(recs[0].ok);
  EXPECT_GT(recs[0].chunks, 0);  // measured so far
}

TEST(HttpDriver, ConnectionRefusedIsAnError) {
  uint16_t port;
  {
    testing::FakeOpenAiServer s;
    port = s.port();
  }
  auto ep = parse_endpoint("http://127.0.0.1:" + std::to_string(port));
  auto recs = run_requests(*ep, plan_of(2, 0, 2), {});
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_FALSE(recs[0].ok);
  EXPECT_NE(recs[0].error.find("connection"), std::string::npos) << recs[0].error;
}

TEST(HttpDriver, HttpCallGetsTokenizeAnswer) {
  testing::FakeOpenAiServer server;
  auto ep = parse_endpoint(server.url() + "/v1");
  ASSERT_TRUE(ep.ok());
  auto a = http_call(*ep, "/tokenize", api::tokenize_request_json("m", std::string(400, 'a')), 2.0);
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  EXPECT_EQ(a->status, 200);
  auto n = api::parse_tokenize_count(a->body);
  ASSERT_TRUE(n.ok());
  EXPECT_NEAR(*n, 100, 15);
  auto m = http_call(*ep, "/nope", "", 2.0);
  EXPECT_EQ(m->status, 404);
}

TEST(Endpoint, ParsesAndChecksLoopback) {
  auto e = parse_endpoint("http://127.0.0.1:8000/v1/");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->host, "127.0.0.1");
  EXPECT_EQ(e->port, 8000);
  EXPECT_EQ(e->base_path, "");
  EXPECT_TRUE(e->loopback);
  auto p = parse_endpoint("http://[::1]:9/proxy");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->host, "::1");
  EXPECT_EQ(p->path("/v1/models"), "/proxy/v1/models");
  EXPECT_TRUE(p->loopback);
  auto r = parse_endpoint("http://example.com");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->loopback);
  EXPECT_EQ(r->port, 80);
  EXPECT_FALSE(parse_endpoint("https://x").ok());
  EXPECT_FALSE(parse_endpoint("ftp://x").ok());
  EXPECT_FALSE(parse_endpoint("http://h:0").ok());
  EXPECT_FALSE(parse_endpoint("http://h:99999").ok());
  EXPECT_FALSE(parse_endpoint("http://127.0.0.1.evil.com").ok() && parse_endpoint("http://127.0.0.1.evil.com")->loopback);
}

}  // namespace
}  // namespace mms::bench
