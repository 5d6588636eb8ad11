// Images over HTTP against the real `mmserve serve` binary on the tiny Qwen2.5-VL fixture pair
// (127.0.0.1, ephemeral port, bounded requests):
//  - the fixture image reproduces llama.cpp's greedy tokens and top-5 logprobs in --encoder-mode async
//    and inline, and with prefill chunks (--max-num-batched-tokens 20) cutting through the image;
//  - PNG, JPEG, WebP (lossless, lossy), GIF (first frame) as data: URLs; the same pixels in another
//    format give the same answer; local files only under --allowed-media-dir;
//  - a repeated image is encoded once (encoder-cache hit, or covered by the prefix cache);
//  - mm_processor_kwargs / --max-pixels resize the image and the prompt's token count with it.
// Skipped when the mmserve binary is not built.
#include <filesystem>

#include "image_e2e.h"
#include "media/qwen2vl_preprocess.h"

namespace mms::server::e2e {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kTextTokens = 20;  // the golden prompt without its image rows

// Image rows (tokens) Qwen2.5-VL gives an h x w image with the fixture's preprocessing (factor 28).
int64_t image_tokens(int64_t h, int64_t w, int64_t min_pixels = 56 * 56, int64_t max_pixels = 28 * 28 * 1280) {
  auto s = media::qwen2vl_smart_resize(h, w, 28, min_pixels, max_pixels);
  EXPECT_TRUE(s.ok()) << s.status().to_string();
  return s.ok() ? (s->height / 28) * (s->width / 28) : -1;
}

struct GoldenCase {
  const char* name;
  std::vector<std::string> args;
};

void PrintTo(const GoldenCase& c, std::ostream* os) { *os << c.name; }

class ImageGoldenE2e : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(ImageGoldenE2e, FixtureImageMatchesLlamaCpp) {
  MMS_REQUIRE_BIN();
  ServeProcess sp;
  ASSERT_TRUE(start_vlm(sp, GetParam().args)) << "server did not start";
  const Answer want = golden_answer();
  ASSERT_EQ(want.prompt_tokens, 74);
  const Answer got = ask(sp.port, image_chat({data_url(fixture_png())}));
  ASSERT_TRUE(got.ok()) << show(got);
  EXPECT_EQ(got.prompt_tokens, 74);
  EXPECT_EQ(got.completion_tokens, 8);
  EXPECT_EQ(got.tokens, (std::vector<std::string>{"\n", "\n", "\n", "\n", "\n", "\n", " he", " he"}));  // 198 x6, 566 x2
  EXPECT_TRUE(same_answer(got, want, kGoldenTol));
  EXPECT_EQ(sp.stop(), 0);
}

INSTANTIATE_TEST_SUITE_P(
    Modes, ImageGoldenE2e,
    ::testing::Values(GoldenCase{"async", {"--encoder-mode", "async"}},
                      GoldenCase{"inline", {"--encoder-mode", "inline"}},
                      GoldenCase{"async_chunked20", {"--encoder-mode", "async", "--max-num-batched-tokens", "20"}},
                      GoldenCase{"inline_chunked20", {"--encoder-mode", "inline", "--max-num-batched-tokens", "20"}}),
    [](const auto& info) { return std::string(info.param.name); });

// A fresh directory for --allowed-media-dir, removed at the end.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string t = (fs::temp_directory_path() / "mms-e2e-XXXXXX").string();
    path = mkdtemp(t.data()) ? fs::path(t) : fs::path();
  }
  ~TempDir() {
    std::error_code ec;
    if (!path.empty()) fs::remove_all(path, ec);
  }
};

TEST(ImageE2e, EveryFormatAndLocalFilesUnderTheAllowedDirectory) {
  MMS_REQUIRE_BIN();
  TempDir dir;
  ASSERT_FALSE(dir.path.empty());
  fs::create_directory(dir.path / "sub");
  fs::copy_file(e2e_image("fixture-252x168.lossless.webp"), dir.path / "sub" / "fixture.webp");
  fs::create_symlink(fixture_png(), dir.path / "escape.png");  // points outside the allowed directory
  const fs::path outside = dir.path.parent_path() / (dir.path.filename().string() + "-outside.png");
  fs::copy_file(fixture_png(), outside);
  struct Cleanup {
    fs::path p;
    ~Cleanup() { std::error_code ec; fs::remove(p, ec); }
  } cleanup{outside};

  ServeProcess sp;
  ASSERT_TRUE(start_vlm(sp, {"--allowed-media-dir", dir.path.string()})) << "server did not start";
  HttpClient c(sp.port, 60);

  const Answer png = ask(c, image_chat({data_url(fixture_png())}));
  ASSERT_TRUE(same_answer(png, golden_answer(), kGoldenTol));
  // The same pixels as lossless WebP: the same answer.
  EXPECT_TRUE(same_answer(ask(c, image_chat({data_url(e2e_image("fixture-252x168.lossless.webp"))})), png, kSameTol));

  // Every format decodes and is answered; the prompt holds the image's smart-resized token count.
  struct Format {
    std::string path;
    int64_t h, w;  // as Pillow reports them
  };
  const std::vector<Format> formats = {
      {media_src("png_rgb.png"), 23, 37},          {media_src("png_palette_trns.png"), 20, 32},
      {media_src("jpeg_420.jpg"), 32, 48},         {media_src("jpeg_progressive.jpg"), 29, 45},
      {e2e_image("fixture-252x168.jpg"), 168, 252}, {media_src("webp_lossless.webp"), 26, 40},
      {media_src("webp_lossy.webp"), 26, 40},      {e2e_image("fixture-252x168.lossy.webp"), 168, 252},
      {media_src("gif_anim.gif"), 20, 30},
  };
  for (const Format& f : formats) {
    const Answer a = ask(c, image_chat({data_url(f.path)}));
    EXPECT_EQ(a.status, 200) << f.path << ": " << show(a);
    EXPECT_EQ(a.completion_tokens, 8) << f.path;
    EXPECT_EQ(a.prompt_tokens, kTextTokens + image_tokens(f.h, f.w)) << f.path;
  }
  // A lossy copy has other pixels: not the PNG's answer (so the comparisons above can tell images apart).
  EXPECT_FALSE(same_answer(ask(c, image_chat({data_url(e2e_image("fixture-252x168.jpg"))})), png, kSameTol));

  // An animated GIF is its first frame.
  const Answer gif = ask(c, image_chat({data_url(media_src("gif_anim.gif"))}));
  EXPECT_TRUE(same_answer(gif, ask(c, image_chat({data_url(e2e_image("gif_anim.frame0.png"))})), kSameTol));
  EXPECT_NE(gif.tokens, ask(c, image_chat({data_url(e2e_image("gif_anim.frame1.png"))})).tokens);

  // Local files under the allowed directory: file:// URL, absolute path, path relative to the directory.
  const std::string in_dir = (dir.path / "sub" / "fixture.webp").string();
  for (const std::string& url : {"file://" + in_dir, in_dir, std::string("sub/fixture.webp")}) {
    EXPECT_TRUE(same_answer(ask(c, image_chat({url})), png, kSameTol)) << url;
  }
  // Outside it (directly, through "..", through a symlink), or missing: 400 naming the part.
  const std::string param = "messages[0].content[0].image_url";
  for (const std::string& url :
       {"file://" + outside.string(), outside.string(), (dir.path / ".." / outside.filename()).string(),
        "../" + outside.filename().string(), "sub/../../" + outside.filename().string(),
        (dir.path / "escape.png").string(), std::string("escape.png"), "file://" + fixture_png(),
        (dir.path / "missing.png").string()}) {
    const HttpReply r = c.call("POST", "/v1/chat/completions", image_chat({url}).dump());
    EXPECT_EQ(check_error(r, 400, param), "") << url;
  }
  EXPECT_TRUE(same_answer(ask(c, image_chat({data_url(fixture_png())})), png, kSameTol));
  EXPECT_EQ(sp.stop(), 0);
}

TEST(ImageE2e, RepeatedImageIsEncodedOnce) {
  MMS_REQUIRE_BIN();
  ServeProcess sp;
  ASSERT_TRUE(start_vlm(sp)) << "server did not start";
  HttpClient c(sp.port, 60);
  const std::string url = data_url(fixture_png());
  // First the image behind a system prompt: encoded once, no hit.
  json with_system = image_chat({url});
  with_system["messages"].insert(with_system["messages"].begin(),
                                 json{{"role", "system"}, {"content", "You look at pictures."}});
  const Answer first = ask(c, with_system);
  ASSERT_TRUE(first.ok()) << show(first);
  const std::string m1 = get_metrics(sp.port);
  EXPECT_EQ(metric(m1, "mmserve:encoder_items_total"), 1) << m1;
  EXPECT_EQ(metric(m1, "mmserve:encoder_cache_hits_total"), 0) << m1;

  // The same image in the golden prompt: no prefix in common (the first block differs), so the encoder
  // cache answers, and the answer is still llama.cpp's.
  const Answer second = ask(c, image_chat({url}));
  EXPECT_TRUE(same_answer(second, golden_answer(), kGoldenTol));
  const std::string m2 = get_metrics(sp.port);
  EXPECT_EQ(metric(m2, "mmserve:encoder_cache_hits_total"), 1) << m2;
  EXPECT_EQ(metric(m2, "mmserve:encoder_items_total"), 1) << m2;

  // The identical request again: the same answer, nothing encoded (the prefix cache covers the image).
  const double prefix_hits = metric(m2, "mmserve:prefix_cache_hits_total");
  const Answer third = ask(c, image_chat({url}));
  EXPECT_TRUE(same_answer(third, second, kSameTol));
  const std::string m3 = get_metrics(sp.port);
  EXPECT_EQ(metric(m3, "mmserve:encoder_items_total"), 1) << m3;
  EXPECT_GE(metric(m3, "mmserve:prefix_cache_hits_total") - prefix_hits, 48) << m3;  // 54 image rows, 16-token blocks
  EXPECT_EQ(sp.stop(), 0);
}

TEST(ImageE2e, MmProcessorKwargsAndMaxPixelsResizeTheImage) {
  MMS_REQUIRE_BIN();
  // 252x168 under max_pixels 20000: smart_resize gives 168x112 -> 6x4 merged patches = 24 rows; under
  // min_pixels 100000: 392x280 -> 14x10 = 140 rows (worked by hand; the library agrees).
  ASSERT_EQ(image_tokens(168, 252, 56 * 56, 20000), 24);
  ASSERT_EQ(image_tokens(168, 252, 100000, 28 * 28 * 1280), 140);
  const std::string url = data_url(fixture_png());
  Answer small;
  {
    ServeProcess sp;
    ASSERT_TRUE(start_vlm(sp)) << "server did not start";
    HttpClient c(sp.port, 60);
    EXPECT_EQ(ask(c, image_chat({url})).prompt_tokens, kTextTokens + 54);
    json shrink = image_chat({url});
    shrink["mm_processor_kwargs"] = {{"max_pixels", 20000}};
    small = ask(c, shrink);
    ASSERT_TRUE(small.ok()) << show(small);
    EXPECT_EQ(small.prompt_tokens, kTextTokens + 24);
    json grow = image_chat({url});
    grow["mm_processor_kwargs"] = {{"min_pixels", 100000}};
    const Answer big = ask(c, grow);
    ASSERT_TRUE(big.ok()) << show(big);
    EXPECT_EQ(big.prompt_tokens, kTextTokens + 140);
    // Three sizes of one image are three encoder items (the cache keys on the resized pixels).
    EXPECT_EQ(metric(get_metrics(sp.port), "mmserve:encoder_items_total"), 3);
    EXPECT_EQ(sp.stop(), 0);
  }
  // --max-pixels sets the same limit for every request: the same answer as the per-request override.
  ServeProcess sp;
  ASSERT_TRUE(start_vlm(sp, {"--max-pixels", "20000"})) << "server did not start";
  EXPECT_TRUE(same_answer(ask(sp.port, image_chat({url})), small, kSameTol));
  EXPECT_EQ(sp.stop(), 0);
}

}  // namespace
}  // namespace mms::server::e2e
