// Videos over HTTP against the real `mmserve serve` binary (tiny Qwen2.5-VL fixture pair), with clips made at
// test time by FFmpeg's encoders (tests/testing/video/video_clip_writer.h):
//  - a lossless clip of two frames equal to the fixture image (FFV1, RGB) gives llama.cpp's answer for the
//    image: one temporal patch embeds as the still image, at time position 0;
//  - local files are read under --allowed-media-dir only, within --max-video-bytes;
//  - an H.264 clip of moving shapes gets an answer, and so does the same clip in every container/codec pair
//    this FFmpeg encodes (same prompt length);
//  - bad videos (corrupt, truncated, empty, not a video, too many, too long, a bad field) get a 400 naming
//    messages[0].content[j].video_url
//    while good requests on other connections complete with their own answers;
//  - the same text with different videos, sent together with prefix caching on, gets each video's answer.
// Skipped when the mmserve binary is not built or FFmpeg lacks an encoder a clip needs.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>

#include "image_e2e.h"
#include "media/image_decoder.h"
#include "media/video_hwaccel.h"
#include "testing/video/video_clip_writer.h"

namespace mms::server::e2e {
namespace {

media::RgbImage load_png(const std::string& path) {
  const std::string bytes = read_bytes(path);
  auto img = media::decode_image(std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  EXPECT_TRUE(img.ok()) << img.status().to_string();
  return img.ok() ? std::move(*img) : media::RgbImage{};
}

std::string as_string(const std::vector<uint8_t>& v) { return std::string(v.begin(), v.end()); }

// `frames` copies of a PNG as a lossless FFV1/Matroska clip (decodes to the PNG's exact pixels) at 2 fps;
// "" when this FFmpeg cannot encode it.
std::string still_clip(const std::string& png, int frames) {
  if (!mms::testing::video_encoder_available("ffv1")) return "";
  const std::vector<media::RgbImage> f(static_cast<size_t>(frames), load_png(png));
  auto clip = mms::testing::encode_lossless_video(f, /*fps=*/2);
  EXPECT_TRUE(clip.ok()) << clip.status().to_string();
  return clip.ok() ? as_string(*clip) : "";
}

// A 3 s H.264/MP4 clip of frames that differ (a moving square, a colour band, index blocks), 8 fps, GOP 1 s.
std::string moving_clip() {
  if (!mms::testing::video_encoder_available("libx264")) return "";
  mms::testing::VideoClipOptions o;
  o.fps = 8;
  o.gop = 8;
  auto clip = mms::testing::encode_video_clip(mms::testing::make_indexed_frames(24, 160, 96), o);
  EXPECT_TRUE(clip.ok()) << clip.status().to_string();
  return clip.ok() ? as_string(*clip) : "";
}

json video_part(const std::string& url, json fields = json::object()) {
  json u = {{"url", url}};
  for (auto it = fields.begin(); it != fields.end(); ++it) u[it.key()] = it.value();
  return {{"type", "video_url"}, {"video_url", u}};
}

// One user message: the video, then the text (the golden prompt's layout); greedy, 8 tokens, top-5.
json video_chat(const json& part, const std::string& text = "Describe this image.") {
  json b = image_chat({}, text);
  b["messages"][0]["content"] = json::array({part, text_part(text)});
  return b;
}

std::string mkv_url(const std::string& bytes) { return data_url_bytes(bytes, "video/x-matroska"); }
std::string mp4_url(const std::string& bytes) { return data_url_bytes(bytes, "video/mp4"); }

// Exactly the two frames of a two-frame clip (whatever the server's default min_frames), at the image
// processor's pixel bounds (the video default min_pixels, 128 x 28 x 28, would upscale the 252x168 frames).
json two_frames() { return {{"min_frames", 2}, {"max_frames", 2}, {"min_pixels", 3136}}; }

#define MMS_REQUIRE_CLIP(clip) \
  if ((clip).empty()) GTEST_SKIP() << "this FFmpeg cannot encode the test clip"

TEST(VideoE2e, LosslessStillClipGivesTheImagesAnswer) {
  MMS_REQUIRE_BIN();
  const std::string clip = still_clip(fixture_png(), 2);
  MMS_REQUIRE_CLIP(clip);
  ServeProcess sp;
  ASSERT_TRUE(start_vlm(sp)) << "server did not start";
  const Answer a = ask(sp.port, video_chat(video_part(mkv_url(clip), two_frames())));
  EXPECT_TRUE(same_answer(a, golden_answer(), kGoldenTol));
  // The same clip again: the encoder cache and prefix cache serve it, same answer.
  EXPECT_TRUE(same_answer(ask(sp.port, video_chat(video_part(mkv_url(clip), two_frames()))), a, kSameTol));
  // Four frames: two temporal patches, twice the rows (time positions 0 and 2 under Qwen2.5-VL's rule).
  const Answer four = ask(sp.port, video_chat(video_part(mkv_url(still_clip(fixture_png(), 4)),
                                                         {{"min_pixels", 3136}})));
  ASSERT_TRUE(four.ok()) << show(four);
  EXPECT_EQ(four.prompt_tokens, a.prompt_tokens + 54);
  EXPECT_EQ(sp.stop(), 0);
}

// --video-hwaccel: auto serves videos (on the CPU without a CUDA device; with one, this lossless FFV1 clip
// has no hardware decoder and stays on the CPU, the per-codec fallback); cuda refuses to start without one.
TEST(VideoE2e, HwaccelAutoServesVideosAndCudaNeedsADevice) {
  MMS_REQUIRE_BIN();
  const std::string clip = still_clip(fixture_png(), 2);
  MMS_REQUIRE_CLIP(clip);
  ServeProcess sp;
  ASSERT_TRUE(start_vlm(sp, {"--video-hwaccel", "auto"})) << "server did not start";
  EXPECT_TRUE(same_answer(ask(sp.port, video_chat(video_part(mkv_url(clip), two_frames()))), golden_answer(), kGoldenTol));
  EXPECT_EQ(sp.stop(), 0);
  auto device = media::open_hw_decode_device(media::VideoHwaccel::kAuto);
  ASSERT_TRUE(device.ok());
  ServeProcess strict;
  EXPECT_EQ(start_vlm(strict, {"--video-hwaccel", "cuda"}), *device != nullptr);
  if (!*device) {
    EXPECT_NE(strict.stop(), 0);
  }
}

// Local files: readable under --allowed-media-dir (as a path relative to it or a file:// URL), refused
// outside it, and --max-video-bytes applies to them.
TEST(VideoE2e, LocalFilesUnderTheAllowedDirectoryAndTheByteLimit) {
  MMS_REQUIRE_BIN();
  const std::string clip = still_clip(fixture_png(), 2);
  MMS_REQUIRE_CLIP(clip);
  const std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) / "mms_video_e2e_files";
  std::filesystem::create_directories(dir);
  {
    std::ofstream out(dir / "still.mkv", std::ios::binary);
    out.write(clip.data(), static_cast<std::streamsize>(clip.size()));
  }
  ServeProcess sp;
  ASSERT_TRUE(start_vlm(sp, {"--allowed-media-dir", dir.string(), "--max-video-bytes",
                             std::to_string(clip.size() + 16)}))
      << "server did not start";
  const Answer by_path = ask(sp.port, video_chat(video_part("still.mkv", two_frames())));
  EXPECT_TRUE(same_answer(by_path, golden_answer(), kGoldenTol));
  const Answer by_url = ask(sp.port, video_chat(video_part("file://" + (dir / "still.mkv").string(), two_frames())));
  EXPECT_TRUE(same_answer(by_url, by_path, kSameTol));
  HttpClient c(sp.port, 30);
  const std::string part = "messages[0].content[0].video_url";
  const HttpReply outside =
      c.call("POST", "/v1/chat/completions", video_chat(video_part("file://" + fixture_png(), two_frames())).dump());
  EXPECT_EQ(check_error(outside, 400, part), "");
  EXPECT_NE(outside.body.find("outside the allowed directory"), std::string::npos) << outside.body;
  // Over the byte limit: the same clip as four frames is larger.
  const std::string four = still_clip(fixture_png(), 4);
  ASSERT_GT(four.size(), clip.size() + 16);
  {
    std::ofstream out(dir / "four.mkv", std::ios::binary);
    out.write(four.data(), static_cast<std::streamsize>(four.size()));
  }
  const HttpReply big = c.call("POST", "/v1/chat/completions", video_chat(video_part("four.mkv")).dump());
  EXPECT_EQ(check_error(big, 400, part), "");
  EXPECT_NE(big.body.find("over the limit"), std::string::npos) << big.body;
  EXPECT_EQ(sp.stop(), 0);
}

TEST(VideoE2e, H264ClipOfMovingShapesAnswers) {
  MMS_REQUIRE_BIN();
  const std::string clip = moving_clip();
  MMS_REQUIRE_CLIP(clip);
  ServeProcess sp;
  ASSERT_TRUE(start_vlm(sp)) << "server did not start";
  const Answer a = ask(sp.port, video_chat(video_part(mp4_url(clip)), "What happens in this video?"));
  ASSERT_TRUE(a.ok()) << show(a);
  EXPECT_EQ(a.completion_tokens, 8);
  EXPECT_GT(a.prompt_tokens, 40);  // the text and at least one temporal patch of rows
  // Fewer frames (per-request fps) mean fewer placeholder rows.
  const Answer slow = ask(sp.port, video_chat(video_part(mp4_url(clip), {{"fps", 0.5}, {"min_frames", 2}}),
                                              "What happens in this video?"));
  ASSERT_TRUE(slow.ok()) << show(slow);
  EXPECT_LT(slow.prompt_tokens, a.prompt_tokens);
  EXPECT_EQ(sp.stop(), 0);
}

// Every container/codec pair this FFmpeg can encode, over HTTP on one server: the same 24 moving frames at
// 8 fps (3 s: 6 frames sampled at 2 fps, 3 temporal patches) give the same prompt length in each, and an answer.
TEST(VideoE2e, EveryContainerAndCodecOverHttp) {
  MMS_REQUIRE_BIN();
  struct Codec {
    const char* encoder;
    const char* container;
    const char* mime;
  };
  const Codec codecs[] = {{"libx264", "mp4", "video/mp4"},          {"libx264", "matroska", "video/x-matroska"},
                          {"libx264", "mov", "video/quicktime"},    {"libx265", "mp4", "video/mp4"},
                          {"libvpx-vp9", "webm", "video/webm"},     {"libvpx", "webm", "video/webm"},
                          {"libaom-av1", "webm", "video/webm"},     {"libsvtav1", "mp4", "video/mp4"},
                          {"mpeg4", "mov", "video/quicktime"},      {"ffv1", "matroska", "video/x-matroska"}};
  ServeProcess sp;
  ASSERT_TRUE(start_vlm(sp)) << "server did not start";
  const std::vector<media::RgbImage> frames = mms::testing::make_indexed_frames(24, 160, 96);
  int64_t prompt_tokens = -1;
  int tried = 0;
  for (const Codec& c : codecs) {
    if (!mms::testing::video_encoder_available(c.encoder)) {
      std::cout << "skipping " << c.encoder << "/" << c.container << ": not in this FFmpeg\n";
      continue;
    }
    SCOPED_TRACE(std::string(c.encoder) + "/" + c.container);
    mms::testing::VideoClipOptions o;
    o.encoder = c.encoder;
    o.container = c.container;
    o.fps = 8;
    o.gop = 8;
    auto clip = mms::testing::encode_video_clip(frames, o);
    ASSERT_TRUE(clip.ok()) << clip.status().to_string();
    const Answer a = ask(sp.port, video_chat(video_part(data_url_bytes(as_string(*clip), c.mime)), "What moves?"));
    ASSERT_TRUE(a.ok()) << show(a);
    if (prompt_tokens < 0) prompt_tokens = a.prompt_tokens;
    EXPECT_EQ(a.prompt_tokens, prompt_tokens);
    ++tried;
  }
  EXPECT_GE(tried, 3);  // Debian 12's FFmpeg has at least x264, VP8/VP9 and FFV1
  EXPECT_EQ(sp.stop(), 0);
}

TEST(VideoE2e, BadVideosGet400NamingThePartWhileGoodOnesComplete) {
  MMS_REQUIRE_BIN();
  const std::string clip = still_clip(fixture_png(), 2);
  const std::string mp4_bytes = moving_clip();
  MMS_REQUIRE_CLIP(clip);
  MMS_REQUIRE_CLIP(mp4_bytes);
  ServeProcess sp;
  ASSERT_TRUE(start_vlm(sp, {"--max-videos-per-request", "1", "--max-video-duration", "2"}))
      << "server did not start";
  const json good = video_chat(video_part(mkv_url(clip), two_frames()));
  const Answer ref = ask(sp.port, good);
  ASSERT_TRUE(ref.ok()) << show(ref);

  auto text_then = [](std::vector<json> parts) {
    json b = image_chat({});
    json content = json::array({text_part("What is this?")});
    for (auto& p : parts) content.push_back(std::move(p));
    b["messages"][0]["content"] = content;
    return b;
  };
  const std::string part = "messages[0].content[1].video_url";
  struct Bad {
    std::string name;
    json body;
    std::string param;
  };
  const std::vector<Bad> bad = {
      {"random bytes", text_then({video_part(data_url_bytes(std::string(4000, '\x5a'), "video/mp4"))}), part},
      {"truncated mp4", text_then({video_part(data_url_bytes(mp4_bytes.substr(0, mp4_bytes.size() / 3), "video/mp4"))}),
       part},
      {"empty", text_then({video_part(data_url_bytes("", "video/mp4"))}), part},
      {"an image", text_then({video_part(data_url(fixture_png()))}), part},
      {"two videos", text_then({video_part(mkv_url(clip)), video_part(mkv_url(clip))}),
       "messages[0].content[2].video_url"},
      {"local file while off", text_then({video_part("file://" + fixture_png())}), part},
      {"bad fps", text_then({video_part(mkv_url(clip), {{"fps", -1}})}), part + ".fps"},
      {"too long", text_then({video_part(mp4_url(mp4_bytes))}), part},
  };
  std::vector<std::string> failures;
  std::mutex mu;
  std::atomic<int> next{0};
  const int jobs = static_cast<int>(bad.size()) * 2;
  std::vector<std::thread> ts;
  for (int t = 0; t < 3; ++t)
    ts.emplace_back([&] {
      HttpClient c(sp.port, 60);
      for (int j; (j = next++) < jobs;) {
        std::string failure;
        if (j % 2 == 0) {
          const Bad& b = bad[static_cast<size_t>(j / 2)];
          if (std::string why = check_error(c.call("POST", "/v1/chat/completions", b.body.dump()), 400, b.param);
              !why.empty())
            failure = b.name + ": " + why;
        } else if (auto same = same_answer(ask(c, good), ref, kSameTol); !same) {
          failure = "good request " + std::to_string(j) + ": " + same.message();
        }
        if (!failure.empty()) {
          std::lock_guard l(mu);
          failures.push_back(failure);
        }
      }
    });
  for (auto& t : ts) t.join();
  for (const auto& f : failures) ADD_FAILURE() << f;
  EXPECT_TRUE(same_answer(ask(sp.port, good), ref, kSameTol));
  EXPECT_EQ(sp.stop(), 0);
}

TEST(VideoE2e, SameTextDifferentVideosConcurrentlyGetTheirOwnAnswers) {
  MMS_REQUIRE_BIN();
  const std::string a_clip = still_clip(fixture_png(), 2);
  const std::string b_clip = still_clip(e2e_image("fixture-252x168-inverted.png"), 2);
  MMS_REQUIRE_CLIP(a_clip);
  MMS_REQUIRE_CLIP(b_clip);
  auto request = [](const std::string& clip) {
    json r = video_chat(video_part(mkv_url(clip), two_frames()),
                        "What is in this video? Answer in one short sentence.");
    r["messages"].insert(r["messages"].begin(),
                         json{{"role", "system"},
                              {"content", "You are a careful assistant that watches videos and describes exactly "
                                          "what they show, with no guessing, in plain words for a general reader."}});
    return r;
  };
  const json a_req = request(a_clip), b_req = request(b_clip);
  ServeProcess sp;
  ASSERT_TRUE(start_vlm(sp)) << "server did not start";
  const Answer a = ask(sp.port, a_req);
  const Answer b = ask(sp.port, b_req);
  ASSERT_TRUE(a.ok() && b.ok()) << show(a) << " / " << show(b);
  ASSERT_EQ(a.prompt_tokens, b.prompt_tokens);
  // The tiny random model may pick the same greedy ids; the log-probabilities tell the clips apart.
  ASSERT_FALSE(same_answer(a, b, 1e-2)) << "the two clips should be told apart: " << show(a);
  // Together, in both orders, twice (the second wave with both prompts fully cached): each its own answer.
  const std::vector<json> bodies = {a_req, b_req, b_req, a_req};
  double hits_before_wave2 = 0;
  for (int wave = 0; wave < 2; ++wave) {
    if (wave == 1) hits_before_wave2 = metric(get_metrics(sp.port), "mmserve:prefix_cache_hits_total");
    std::vector<Answer> got(bodies.size());
    std::vector<std::thread> ts;
    for (size_t i = 0; i < bodies.size(); ++i) ts.emplace_back([&, i] { got[i] = ask(sp.port, bodies[i]); });
    for (auto& t : ts) t.join();
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_TRUE(same_answer(got[i], i == 0 || i == 3 ? a : b, kSameTol)) << "wave " << wave << " request " << i;
    }
  }
  const std::string m = get_metrics(sp.port);
  EXPECT_GE(metric(m, "mmserve:prefix_cache_hits_total") - hits_before_wave2, 4 * 32) << m;
  EXPECT_EQ(metric(m, "mmserve:encoder_items_total"), 2) << m;  // each clip encoded once
  EXPECT_EQ(sp.stop(), 0);
}

}  // namespace
}  // namespace mms::server::e2e
