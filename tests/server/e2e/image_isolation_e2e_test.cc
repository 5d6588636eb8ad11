// Images over HTTP against the real `mmserve serve` binary, under concurrency (127.0.0.1, bounded):
//  - identical text with different images, sent together with prefix caching on, gets each image's own
//    answer (the shared-KV-across-images bug vLLM, SGLang and LMCache shipped);
//  - an encoder cache that holds one image serves one- and two-image requests (either order) sent
//    together, in async and inline mode and one request at a time, and rejects an image larger than it;
//  - bad images (corrupt, truncated, empty, bad base64, unsupported format, oversized header, too many,
//    too large, remote while off, local while off, a text-only model) get a 400 naming the part while
//    good requests on other connections still get their reference answers, and the server keeps serving.
// Skipped when the mmserve binary is not built.
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "image_e2e.h"

namespace mms::server::e2e {
namespace {

// A system prompt long enough (several 16-token blocks) that requests share cached text blocks before
// the image, then the image, then identical text after it.
json shared_text_request(const std::string& url) {
  json b = image_chat({url}, "What is in this picture? Answer in one short sentence.");
  b["messages"].insert(b["messages"].begin(),
                       json{{"role", "system"},
                            {"content", "You are a careful assistant that looks at images and describes exactly "
                                        "what they show, with no guessing, in plain words for a general reader."}});
  return b;
}

// Text first, then the image(s): the (first offending) image is messages[0].content[1].
json text_then_images(const std::vector<std::string>& urls) {
  json b = image_chat({});
  json content = json::array({text_part("What is this?")});
  for (const auto& u : urls) content.push_back(image_part(u));
  b["messages"][0]["content"] = content;
  return b;
}

// The answer a request gets alone on a fresh server.
Answer alone(const json& body) {
  ServeProcess sp;
  if (!start_vlm(sp)) return {};
  Answer a = ask(sp.port, body);
  EXPECT_EQ(sp.stop(), 0);
  return a;
}

// Runs `bodies` at once, one connection each, released together; the answers in order.
std::vector<Answer> ask_together(uint16_t port, const std::vector<json>& bodies) {
  std::vector<Answer> out(bodies.size());
  std::atomic<int> ready{0};
  std::vector<std::thread> ts;
  for (size_t i = 0; i < bodies.size(); ++i)
    ts.emplace_back([&, i] {
      HttpClient c(port, 30);  // a stuck scheduler shows as a timeout, not a hang
      const std::string body = bodies[i].dump();
      ++ready;
      while (ready.load() < static_cast<int>(bodies.size())) std::this_thread::yield();
      out[i] = parse_answer(c.call("POST", "/v1/chat/completions", body));
    });
  for (auto& t : ts) t.join();
  return out;
}

TEST(ImageIsolationE2e, SameTextDifferentImagesConcurrentlyGetTheirOwnAnswers) {
  MMS_REQUIRE_BIN();
  const json a_req = shared_text_request(data_url(fixture_png()));
  const json b_req = shared_text_request(data_url(e2e_image("fixture-252x168-inverted.png")));
  const Answer a_ref = alone(a_req);
  const Answer b_ref = alone(b_req);
  ASSERT_TRUE(a_ref.ok()) << show(a_ref);
  ASSERT_TRUE(b_ref.ok()) << show(b_ref);
  ASSERT_EQ(a_ref.prompt_tokens, b_ref.prompt_tokens);  // same size: same token layout
  ASSERT_FALSE(same_answer(a_ref, b_ref, 1e-2)) << "the two images should be told apart: " << show(a_ref);

  ServeProcess sp;
  ASSERT_TRUE(start_vlm(sp)) << "server did not start";
  std::vector<json> bodies;
  for (int i = 0; i < 6; ++i) bodies.push_back(i % 2 ? b_req : a_req);
  double prefix_hits_before_wave2 = 0;
  for (int wave = 0; wave < 2; ++wave) {  // 1: nothing cached; 2: both images' prompts fully cached
    if (wave == 1) prefix_hits_before_wave2 = metric(get_metrics(sp.port), "mmserve:prefix_cache_hits_total");
    const std::vector<Answer> got = ask_together(sp.port, bodies);
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_TRUE(same_answer(got[i], i % 2 ? b_ref : a_ref, kSameTol))
          << "wave " << wave << " request " << i << (i % 2 ? " (inverted image)" : " (fixture image)");
    }
  }
  const std::string m = get_metrics(sp.port);
  // Prefix caching is on and used: wave 2 reuses (at least) the shared system prompt of all six.
  EXPECT_GE(metric(m, "mmserve:prefix_cache_hits_total") - prefix_hits_before_wave2, 6 * 32) << m;
  // Each image was encoded once, however many requests carried it.
  EXPECT_EQ(metric(m, "mmserve:encoder_items_total"), 2) << m;
  EXPECT_EQ(sp.stop(), 0);
}

// An encoder cache that holds one image (58 rows; an image is 54) under requests with one and two images
// in either order, sent together: every answer is the one a default-sized cache gives, an image too large
// for the cache is a 400 naming it, and the server keeps serving.
TEST(ImageIsolationE2e, SmallEncoderCacheEvictsWithoutMixingImages) {
  MMS_REQUIRE_BIN();
  const std::string a = data_url(fixture_png());
  const std::string b = data_url(e2e_image("fixture-252x168-inverted.png"));
  const std::vector<json> bodies = {image_chat({a}), image_chat({b}), image_chat({a, b}), image_chat({b, a}),
                                    image_chat({a}), image_chat({b, a})};
  std::vector<Answer> want;
  {
    ServeProcess sp;
    ASSERT_TRUE(start_vlm(sp)) << "server did not start";
    HttpClient c(sp.port, 60);
    for (const json& body : bodies) want.push_back(ask(c, body));
    EXPECT_EQ(sp.stop(), 0);
  }
  ASSERT_TRUE(same_answer(want[0], golden_answer(), kGoldenTol));
  EXPECT_EQ(want[2].prompt_tokens, 74 + 2 + 54);  // a second <|vision_start|><|vision_end|> and 54 rows
  EXPECT_FALSE(same_answer(want[2], want[3], 1e-2)) << "image order should matter";

  const std::vector<std::vector<std::string>> configs = {
      {"--encoder-mode", "async"}, {"--encoder-mode", "inline"}, {"--encoder-mode", "async", "--max-num-seqs", "1"}};
  for (std::vector<std::string> args : configs) {
    SCOPED_TRACE(::testing::PrintToString(args));
    args.insert(args.end(), {"--encoder-cache-memory", "60000"});  // 58 rows of 1 KiB
    ServeProcess sp;
    ASSERT_TRUE(start_vlm(sp, args)) << "server did not start";
    for (int wave = 0; wave < 2; ++wave) {
      const std::vector<Answer> got = ask_together(sp.port, bodies);
      for (size_t i = 0; i < got.size(); ++i) {
        EXPECT_TRUE(same_answer(got[i], want[i], kSameTol)) << "wave " << wave << " request " << i;
      }
    }
    const std::string m = get_metrics(sp.port);
    EXPECT_GT(metric(m, "mmserve:encoder_cache_evictions_total"), 0) << m;
    // Upscaled to 140 rows: more than the cache holds, so it could never run.
    json big = text_then_images({a});
    big["mm_processor_kwargs"] = {{"min_pixels", 100000}};
    HttpClient c(sp.port, 30);
    const HttpReply r = c.call("POST", "/v1/chat/completions", big.dump());
    EXPECT_EQ(check_error(r, 400, "messages[0].content[1].image_url"), "");
    EXPECT_NE(r.body.find("encoder cache"), std::string::npos) << r.body;
    EXPECT_TRUE(same_answer(ask(c, bodies[1]), want[1], kSameTol));
    EXPECT_EQ(sp.stop(), 0);
  }
}

uint32_t crc32(const std::string& s) {
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char ch : s) {
    c ^= ch;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return ~c;
}

std::string be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

std::string png_chunk(const std::string& type, const std::string& data) {
  return be32(static_cast<uint32_t>(data.size())) + type + data + be32(crc32(type + data));
}

// A well-formed PNG header (valid CRCs) claiming w x h RGB pixels, with a few bytes of image data.
std::string png_claiming(uint32_t w, uint32_t h) {
  const std::string ihdr = be32(w) + be32(h) + std::string("\x08\x02\x00\x00\x00", 5);
  return std::string("\x89PNG\r\n\x1A\n", 8) + png_chunk("IHDR", ihdr) +
         png_chunk("IDAT", std::string("\x78\x9C\x63\x00\x00\x00\x01\x00\x01", 9)) + png_chunk("IEND", "");
}

struct BadImage {
  std::string name;
  json body;
  std::string param;
  std::string message_has = "";  // a limit's error names the limit
};

std::vector<BadImage> bad_images() {
  const std::string part = "messages[0].content[1].image_url";
  const std::string png = read_bytes(e2e_image("fixture-252x168-inverted.png"));
  const std::string jpg = read_bytes(e2e_image("fixture-252x168.jpg"));
  std::string corrupt = png;
  for (size_t i = 200; i < 1200; ++i) corrupt[i] = static_cast<char>(corrupt[i] ^ 0x5A);
  const std::string bmp = std::string("BM") + std::string(52, '\0');
  const std::string small = data_url(e2e_image("gif_anim.frame0.png"));
  auto one = [&](const std::string& url) { return text_then_images({url}); };
  return {
      {"corrupt png", one(data_url_bytes(corrupt)), part},
      {"truncated png", one(data_url_bytes(png.substr(0, png.size() / 2))), part},
      {"truncated jpeg", one(data_url_bytes(jpg.substr(0, jpg.size() * 6 / 10), "image/jpeg")), part},
      {"zero bytes", one("data:image/png;base64,"), part},
      {"bad base64", one("data:image/png;base64,iVBORw0K*&^%$#@!"), part},
      {"bmp", one(data_url_bytes(bmp, "image/bmp")), part},
      {"text as png", one(data_url_bytes("this is not an image, just some text", "image/png")), part},
      {"text mime", one(data_url_bytes("hello", "text/plain")), part},
      // Rejected from the header, before any decoding (the claimed pixels are not there to decode).
      {"100000x100000 header", one(data_url_bytes(png_claiming(100000, 100000))), part,
       "over the limit of 4000000 pixels"},
      {"2100x2100 header (over --max-image-pixels)", one(data_url_bytes(png_claiming(2100, 2100))), part,
       "over the limit of 4000000 pixels"},
      {"over --max-image-bytes", one(data_url(fixture_png())), part, "over the limit of 60000 bytes"},
      {"three images (max 2)", text_then_images({small, small, small}), "messages[0].content[3].image_url",
       "at most 2 images"},
      {"remote while off", one("http://127.0.0.1:9/cat.png"), part},
      {"local file while off", one("file://" + fixture_png()), part},
      {"empty url", one(""), part + ".url"},
  };
}

bool alive(pid_t pid) { return pid > 0 && waitpid(pid, nullptr, WNOHANG) == 0 && kill(pid, 0) == 0; }

TEST(ImageIsolationE2e, BadImagesGet400NamingThePartWhileGoodOnesComplete) {
  MMS_REQUIRE_BIN();
  ServeProcess sp;
  ASSERT_TRUE(start_vlm(sp, {"--max-images-per-request", "2", "--max-image-bytes", "60000", "--max-image-pixels",
                             "4000000"}))
      << "server did not start";
  // The good requests: the fixture's pixels as lossless WebP (llama.cpp's answer) and the inverted image.
  const json good_a = image_chat({data_url(e2e_image("fixture-252x168.lossless.webp"))});
  const json good_b = image_chat({data_url(e2e_image("fixture-252x168-inverted.png"))});
  const Answer ref_a = ask(sp.port, good_a);
  ASSERT_TRUE(same_answer(ref_a, golden_answer(), kGoldenTol));
  const Answer ref_b = ask(sp.port, good_b);
  ASSERT_TRUE(ref_b.ok()) << show(ref_b);
  ASSERT_NE(ref_a.tokens, ref_b.tokens);

  const auto bad = bad_images();
  constexpr size_t kGood = 8;
  std::mutex mu;
  std::vector<std::string> failures;
  auto fail = [&](const std::string& what) {
    std::lock_guard l(mu);
    failures.push_back(what);
  };
  // Bad and good requests interleaved over 4 connections.
  std::vector<std::pair<int, int>> jobs;  // (kind: 0 bad 1 good-a 2 good-b, index)
  for (size_t i = 0, g = 0; i < bad.size() || g < kGood;) {
    if (i < bad.size()) jobs.push_back({0, static_cast<int>(i++)});
    if (g < kGood && (i % 2 == 0 || i >= bad.size())) {
      jobs.push_back({g % 2 ? 2 : 1, static_cast<int>(g)});
      ++g;
    }
  }
  std::atomic<int> next{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&] {
      HttpClient c(sp.port, 60);
      for (int j; (j = next++) < static_cast<int>(jobs.size());) {
        const auto [kind, idx] = jobs[j];
        if (kind == 0) {
          const BadImage& b = bad[idx];
          const HttpReply r = c.call("POST", "/v1/chat/completions", b.body.dump());
          if (std::string why = check_error(r, 400, b.param); !why.empty()) {
            fail(b.name + ": " + why);
          } else if (r.body.find(b.message_has) == std::string::npos) {
            fail(b.name + ": the message does not say '" + b.message_has + "': " + r.body);
          }
        } else {
          const Answer a = ask(c, kind == 1 ? good_a : good_b);
          if (auto same = same_answer(a, kind == 1 ? ref_a : ref_b, kSameTol); !same)
            fail("good request " + std::to_string(idx) + ": " + same.message());
        }
      }
    });
  for (auto& t : ts) t.join();
  for (const auto& f : failures) ADD_FAILURE() << f;

  // Still serving: a final good request, a live process, nothing left running.
  EXPECT_TRUE(same_answer(ask(sp.port, good_a), ref_a, kSameTol));
  EXPECT_TRUE(alive(sp.pid));
  std::string m;
  for (int i = 0; i < 100; ++i) {  // the engine publishes its gauges just after the answers go out
    m = get_metrics(sp.port);
    if (metric(m, "mmserve:num_requests_running") == 0 && metric(m, "mmserve:num_requests_waiting") == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(metric(m, "mmserve:num_requests_running"), 0) << m;
  EXPECT_EQ(metric(m, "mmserve:num_requests_waiting"), 0) << m;
  EXPECT_EQ(sp.stop(), 0);
}

TEST(ImageIsolationE2e, TextOnlyModelRejectsImagesAndKeepsServing) {
  MMS_REQUIRE_BIN();
  ServeProcess sp;
  ASSERT_TRUE(sp.start(mms::testing::test_data("tiny-qwen2-hf"), {"--served-model-name", "tiny-vl"}))
      << "server did not start";
  HttpClient c(sp.port, 30);
  const HttpReply r = c.call("POST", "/v1/chat/completions", text_then_images({data_url(fixture_png())}).dump());
  const std::string why = check_error(r, 400, "messages[0].content[1]");
  EXPECT_EQ(why, "");
  json text = image_chat({});
  text["messages"][0]["content"] = "What is this?";
  const HttpReply ok = c.call("POST", "/v1/chat/completions", text.dump());
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_TRUE(alive(sp.pid));
  EXPECT_EQ(sp.stop(), 0);
}

}  // namespace
}  // namespace mms::server::e2e
