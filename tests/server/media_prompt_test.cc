// Video content parts from the request JSON to the EngineRequest: parsing of video_url parts and their sampling
// fields (per part and in mm_processor_kwargs), placeholder expansion (<|vision_start|><|video_pad|> x rows
// <|vision_end|>, the ChatML fallback marker), prompt order of mixed images and videos, limits, and 400s naming
// messages[i].content[j].video_url. The video decoder is faked (frames built in memory and preprocessed by
// media::qwen2vl_preprocess_frames), so these tests need no FFmpeg; tests/server/e2e/ run the real one.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <mutex>

#include "media/image_decoder.h"
#include "media/qwen2vl_preprocess.h"
#include "model/model_loader.h"
#include "server/openai_request.h"
#include "testing/test_data.h"

namespace mms::server {
namespace {

using mms::testing::test_data;

constexpr int32_t kVisionStart = 2057, kVisionEnd = 2058, kImagePad = 2060, kVideoPad = 2061;

media::RgbImage fixture_image() {
  std::ifstream in(test_data("test-image-252x168.png"), std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto img = media::decode_image(bytes);
  EXPECT_TRUE(img.ok());
  return img.ok() ? std::move(*img) : media::RgbImage{};
}

// A stand-in for media::VideoPipeline: "still:N" is N frames of the fixture image (sampled at the
// requested fps), "bad" fails as a corrupt container would. Records the overrides of the last call.
struct FakeVideos {
  std::mutex mu;
  media::VideoOverrides last;
  int calls = 0;

  StatusOr<std::shared_ptr<const media::MediaItem>> operator()(std::string_view url, const media::VideoOverrides& o) {
    {
      std::lock_guard<std::mutex> lock(mu);
      last = o;
      ++calls;
    }
    if (!url.starts_with("still:")) return invalid_argument("video: corrupt or truncated container");
    const int n = std::stoi(std::string(url.substr(6)));
    std::vector<media::RgbImage> frames(static_cast<size_t>(n), fixture_image());
    media::Qwen2VLOverrides px{o.min_pixels, o.max_pixels};
    MMS_ASSIGN_OR_RETURN(media::MediaItem item, media::qwen2vl_preprocess_frames(frames, {}, px));
    item.second_per_grid_t = 2.0 / o.fps.value_or(2.0);
    return std::make_shared<const media::MediaItem>(std::move(item));
  }
};

class VideoRequest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loaded = load_model(test_data("tiny-qwen2vl-f32.gguf"));
    ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
    loaded_ = std::move(*loaded);
    ASSERT_EQ(loaded_.config.video_token_id, kVideoPad);
    auto served = make_served_model(loaded_, "tiny-vl", 4096);
    ASSERT_TRUE(served.ok()) << served.status().to_string();
    model_ = std::move(*served);
    media::ImagePipelineOptions po;
    po.source.allowed_local_dir = mms::testing::test_data_dir();
    ServedMedia m;
    m.images = std::make_shared<const media::ImagePipeline>(po);
    m.image_token_id = kImagePad;
    m.video_token_id = kVideoPad;
    m.videos = [this](std::string_view url, const media::VideoOverrides& o) { return videos_(url, o); };
    model_.media = std::move(m);
  }

  std::variant<PreparedRequest, ApiError> prepare(const std::string& body) {
    auto in = parse_generation_request(body, RequestKind::kChat);
    if (auto* e = std::get_if<ApiError>(&in)) return *e;
    return prepare_request(std::get<GenerationInput>(in), model_);
  }

  static std::string chat(const std::string& parts, const std::string& extra = "") {
    return R"({"messages":[{"role":"user","content":[)" + parts + "]}]" + extra + "}";
  }

  LoadedModel loaded_;
  ServedModel model_;
  FakeVideos videos_;
};

ApiError error_of(const std::variant<PreparedRequest, ApiError>& r) {
  EXPECT_TRUE(std::holds_alternative<ApiError>(r));
  return std::holds_alternative<ApiError>(r) ? std::get<ApiError>(r) : ApiError{};
}

TEST_F(VideoRequest, VideoPartExpandsToOnePadPerEmbeddingRowBetweenVisionMarkers) {
  auto r = prepare(chat(R"({"type":"video_url","video_url":{"url":"still:4"}},{"type":"text","text":"Describe."})"));
  ASSERT_TRUE(std::holds_alternative<PreparedRequest>(r)) << error_of(r).message;
  const EngineRequest& e = std::get<PreparedRequest>(r).engine;
  ASSERT_EQ(e.mm_inputs.size(), 1u);
  ASSERT_EQ(e.mm_items.size(), 1u);
  EXPECT_EQ(e.mm_items[0]->kind, media::MediaKind::kVideo);
  EXPECT_EQ(e.mm_items[0]->grid_t, 2);
  const MmInputRef& in = e.mm_inputs[0];
  EXPECT_EQ(in.num_tokens, 2 * 54);
  EXPECT_EQ(in.hash, e.mm_items[0]->hash);
  EXPECT_EQ(in.encoder_cost, 2 * 12 * 18);
  const auto& ids = e.prompt_token_ids;
  ASSERT_GT(in.offset, 0);
  ASSERT_LE(in.offset + in.num_tokens, static_cast<int64_t>(ids.size()));
  EXPECT_EQ(ids[in.offset - 1], kVisionStart);
  for (int64_t i = 0; i < in.num_tokens; ++i) ASSERT_EQ(ids[in.offset + i], kVideoPad) << i;
  EXPECT_EQ(ids[in.offset + in.num_tokens], kVisionEnd);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), kVideoPad), in.num_tokens);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), kImagePad), 0);
  // The fixtures' ChatML template takes string content only: the marker stands where the part was, text
  // parts joined without separators (llama.cpp's behaviour), as for images.
  const std::string text = model_.tokenizer->decode(std::vector<int32_t>(ids.begin() + in.offset + in.num_tokens,
                                                                         ids.end()));
  EXPECT_TRUE(text.starts_with("<|vision_end|>Describe.<|im_end|>")) << text;
}

TEST_F(VideoRequest, ImagesAndVideosKeepPromptOrder) {
  auto r = prepare(chat(R"({"type":"image_url","image_url":{"url":"test-image-252x168.png"}},)"
                        R"({"type":"video_url","video_url":{"url":"still:2"}},)"
                        R"({"type":"text","text":"and"},)"
                        R"({"type":"image_url","image_url":{"url":"test-image-140x84.png"}},)"
                        R"({"type":"video_url","video_url":"still:6"})"));
  ASSERT_TRUE(std::holds_alternative<PreparedRequest>(r)) << error_of(r).message;
  const EngineRequest& e = std::get<PreparedRequest>(r).engine;
  ASSERT_EQ(e.mm_items.size(), 4u);
  const media::MediaKind kinds[] = {media::MediaKind::kImage, media::MediaKind::kVideo, media::MediaKind::kImage,
                                    media::MediaKind::kVideo};
  const int64_t tokens[] = {54, 54, 15, 3 * 54};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(e.mm_items[i]->kind, kinds[i]) << i;
    EXPECT_EQ(e.mm_inputs[i].num_tokens, tokens[i]) << i;
    EXPECT_EQ(e.prompt_token_ids[e.mm_inputs[i].offset],
              kinds[i] == media::MediaKind::kVideo ? kVideoPad : kImagePad);
    if (i > 0) {
      EXPECT_GT(e.mm_inputs[i].offset, e.mm_inputs[i - 1].offset + e.mm_inputs[i - 1].num_tokens);
    }
  }
  EXPECT_TRUE(validate_mm_inputs(e.mm_inputs, static_cast<int64_t>(e.prompt_token_ids.size())).ok());
}

TEST_F(VideoRequest, PartSamplingFieldsOverrideTheRequestsMmProcessorKwargs) {
  auto r = prepare(chat(R"({"type":"video_url","video_url":{"url":"still:2","fps":1.5,"max_frames":8},"min_pixels":3136})",
                        R"(,"mm_processor_kwargs":{"fps":4,"min_frames":2,"max_frames":16,"total_pixels":1000000,"max_pixels":200000})"));
  ASSERT_TRUE(std::holds_alternative<PreparedRequest>(r)) << error_of(r).message;
  const media::VideoOverrides& o = videos_.last;
  EXPECT_EQ(o.fps, 1.5);
  EXPECT_EQ(o.min_frames, 2);
  EXPECT_EQ(o.max_frames, 8);
  EXPECT_EQ(o.min_pixels, 3136);
  EXPECT_EQ(o.max_pixels, 200000);
  EXPECT_EQ(o.total_pixels, 1000000);
  EXPECT_DOUBLE_EQ(std::get<PreparedRequest>(r).engine.mm_items[0]->second_per_grid_t, 2.0 / 1.5);
}

TEST_F(VideoRequest, BadFieldsAreRejectedNamingThem) {
  struct Case {
    std::string body, param, code;
  };
  const Case cases[] = {
      {chat(R"({"type":"video_url"})"), "messages[0].content[0].video_url", "missing_required_parameter"},
      {chat(R"({"type":"video_url","video_url":{"url":""}})"), "messages[0].content[0].video_url.url", "invalid_value"},
      {chat(R"({"type":"video_url","video_url":{"uri":"x"}})"), "messages[0].content[0].video_url", "invalid_type"},
      {chat(R"({"type":"video_url","video_url":{"url":"still:2","fps":"fast"}})"),
       "messages[0].content[0].video_url.fps", "invalid_type"},
      {chat(R"({"type":"video_url","video_url":{"url":"still:2","fps":0}})"), "messages[0].content[0].video_url.fps",
       "invalid_value"},
      {chat(R"({"type":"text","text":"x"},{"type":"video_url","video_url":{"url":"still:2"},"max_frames":-1})"),
       "messages[0].content[1].max_frames", "invalid_value"},
      {chat(R"({"type":"video_url","video_url":{"url":"still:2","speed":2}})"),
       "messages[0].content[0].video_url.speed", "unknown_field"},
      {chat(R"({"type":"video_url","video_url":{"url":"still:2"}})", R"(,"mm_processor_kwargs":{"nframes":4})"),
       "mm_processor_kwargs.nframes", "unknown_field"},
      {chat(R"({"type":"video","video":"still:2"})"), "messages[0].content[0].type", "unsupported"},
  };
  for (const Case& c : cases) {
    const ApiError e = error_of(prepare(c.body));
    EXPECT_EQ(e.http_status, 400) << c.body;
    EXPECT_EQ(e.param, c.param) << c.body << ": " << e.message;
    if (c.code != "unknown_field") {
      EXPECT_EQ(e.code, c.code) << c.body << ": " << e.message;
    }
  }
  EXPECT_EQ(videos_.calls, 0);
}

TEST_F(VideoRequest, UndecodableVideoIs400NamingThePart) {
  const ApiError e = error_of(prepare(chat(R"({"type":"text","text":"Look"},{"type":"video_url","video_url":{"url":"bad"}})")));
  EXPECT_EQ(e.http_status, 400);
  EXPECT_EQ(e.param, "messages[0].content[1].video_url");
  EXPECT_EQ(e.code, "invalid_video");
  EXPECT_NE(e.message.find("corrupt"), std::string::npos) << e.message;
}

TEST_F(VideoRequest, LimitsOnCountAndEmbeddingRows) {
  const std::string v = R"({"type":"video_url","video_url":{"url":"still:2"}})";
  const ApiError many = error_of(prepare(chat(v + "," + v + "," + v)));
  EXPECT_EQ(many.param, "messages[0].content[2].video_url");
  EXPECT_EQ(many.code, "too_many_videos");
  EXPECT_EQ(videos_.calls, 0);  // rejected before any decoding

  model_.media->max_item_tokens = 100;  // one frame pair is 54 rows
  auto ok = prepare(chat(v));
  EXPECT_TRUE(std::holds_alternative<PreparedRequest>(ok));
  const ApiError big = error_of(prepare(chat(R"({"type":"video_url","video_url":{"url":"still:4"}})")));
  EXPECT_EQ(big.param, "messages[0].content[0].video_url");
  EXPECT_EQ(big.code, "video_too_large");

  model_.media->videos = nullptr;  // a model (or build) without video input
  const ApiError off = error_of(prepare(chat(v)));
  EXPECT_EQ(off.param, "messages[0].content[0]");  // as for images on a text-only model
  EXPECT_EQ(off.code, "unsupported");
  EXPECT_EQ(off.message, "this model does not accept videos");
}

// The same text with different videos must give different prompts' media hashes (the prefix cache keys them).
TEST_F(VideoRequest, DifferentVideosGetDifferentHashes) {
  auto a = prepare(chat(R"({"type":"video_url","video_url":{"url":"still:2"}})"));
  auto b = prepare(chat(R"({"type":"video_url","video_url":{"url":"still:2"}})", R"(,"mm_processor_kwargs":{"max_pixels":20000})"));
  ASSERT_TRUE(std::holds_alternative<PreparedRequest>(a) && std::holds_alternative<PreparedRequest>(b));
  EXPECT_FALSE(std::get<PreparedRequest>(a).engine.mm_inputs[0].hash ==
               std::get<PreparedRequest>(b).engine.mm_inputs[0].hash);
}

}  // namespace
}  // namespace mms::server
