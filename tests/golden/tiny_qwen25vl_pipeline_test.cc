// The whole image path against llama.cpp's Qwen2.5-VL references: the fixture PNG is decoded and
// preprocessed (media/), encoded by the vision tower (model/vision/) as an encoder job the scheduler
// starts (async: metered between steps; inline: inside the step that needs it), injected into the
// decoder with M-RoPE positions by the model runner, and generated greedily through paged KV with
// chunked prefill that cuts through the image. The greedy ids and the last prompt row's top-5
// log-probabilities must match tests/data/ref/tiny-qwen25vl.exact.* (llama.cpp), and two requests with
// identical token ids but different images, run concurrently, must each get their own answer. Video takes
// the same path: a clip of two fixture frames (one temporal patch, time position 0) must reproduce the image
// references exactly, and longer clips run through chunked prefill and the encoder queue alike.
#include <gtest/gtest.h>

#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>

#include "exec/executor.h"
#include "media/image_decoder.h"
#include "media/qwen2vl_preprocess.h"
#include "model/causal_lm.h"
#include "model/model_loader.h"
#include "model/vision/vision_encoder.h"
#include "sched/scheduler.h"
#include "testing/test_data.h"

namespace mms {
namespace {

using mms::testing::load_json;

using testing::test_data;


std::shared_ptr<const media::MediaItem> preprocess(const media::RgbImage& image) {
  auto item = media::qwen2vl_preprocess_image(image, media::Qwen2VLImageOptions{});
  EXPECT_TRUE(item.ok()) << item.status().to_string();
  return std::make_shared<const media::MediaItem>(std::move(*item));
}

media::RgbImage fixture_image() {
  std::ifstream in(test_data("test-image-252x168.png"), std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto img = media::decode_image(bytes);
  EXPECT_TRUE(img.ok()) << img.status().to_string();
  return std::move(*img);
}

class Pipeline : public ::testing::Test {
 protected:
  void SetUp() override {
    auto files = load_model(test_data("tiny-qwen2vl-f32.gguf"));
    ASSERT_TRUE(files.ok()) << files.status().to_string();
    files_ = std::move(*files);
    auto lm = create_causal_lm(files_.config, *files_.weights);
    ASSERT_TRUE(lm.ok()) << lm.status().to_string();
    lm_ = std::move(*lm);
    auto enc = load_vision_encoder_gguf(test_data("tiny-qwen25vl-mmproj-f32.gguf"));
    ASSERT_TRUE(enc.ok()) << enc.status().to_string();
    encoder_ = std::move(*enc);
    ref_ = load_json(test_data("ref/tiny-qwen25vl.exact.json"));
    for (int32_t t : ref_["row_token"].get<std::vector<int32_t>>()) {
      prompt_.push_back(t < 0 ? *files_.config.image_token_id : t);
    }
    image_offset_ = std::find(prompt_.begin(), prompt_.end(), *files_.config.image_token_id) - prompt_.begin();
  }

  struct Run {
    std::map<ReqId, std::vector<int32_t>> outputs;
    std::map<ReqId, std::vector<TokenLogprob>> logprobs;
    int64_t num_steps = 0, num_encoder_steps = 0;
  };

  // The reference prompt with `item`'s placeholders (<|image_pad|> or <|video_pad|>, one per embedding row) in
  // place of the image's 54.
  std::vector<int32_t> prompt_for(const media::MediaItem& item) const {
    constexpr int64_t kImageRows = 54;
    const int32_t pad = item.kind == media::MediaKind::kVideo ? *files_.config.video_token_id
                                                              : *files_.config.image_token_id;
    std::vector<int32_t> p(prompt_.begin(), prompt_.begin() + image_offset_);
    p.insert(p.end(), static_cast<size_t>(item.num_tokens), pad);
    p.insert(p.end(), prompt_.begin() + image_offset_ + kImageRows, prompt_.end());
    return p;
  }

  // Runs `images` (images or videos) as concurrent requests r0, r1, ... with the same text; greedy, 8 tokens each.
  Run run(EncoderMode mode, int64_t token_budget, const std::vector<std::shared_ptr<const media::MediaItem>>& images) {
    SchedulerOptions so;
    so.kv.num_blocks = 64;
    so.kv.block_size = 16;
    so.max_num_batched_tokens = token_budget;
    so.encoder_mode = mode;
    so.encoder_cache_tokens = 256;
    FakeClock clock;
    Scheduler sched(so, clock);
    ModelRunnerOptions ro;
    ro.num_blocks = so.kv.num_blocks;
    ro.block_size = so.kv.block_size;
    ro.vision = encoder_.get();
    auto runner = create_model_runner(*lm_, ro);
    EXPECT_TRUE(runner.ok());
    Executor& ex = **runner;
    for (size_t i = 0; i < images.size(); ++i) {
      const std::string id = "r" + std::to_string(i);
      StopParams stop;
      stop.max_tokens = 8;
      stop.ignore_eos = true;
      Request r(id, prompt_for(*images[i]), stop);
      r.sampling.logprobs = 5;
      r.mm_inputs.push_back(MmInputRef{images[i]->hash, image_offset_, images[i]->num_tokens,
                                       images[i]->grid_t * images[i]->grid_h * images[i]->grid_w});
      EXPECT_TRUE(sched.add_request(std::move(r)).ok());
      EXPECT_TRUE(ex.add_media(id, {images[i]}).ok());
    }
    Run out;
    while (sched.has_requests() && out.num_steps < 500) {
      SchedulerOutput step = sched.schedule();
      if (!step.scheduled_encoder_inputs.empty() || step.encoder_time_budget_s != 0) ++out.num_encoder_steps;
      auto mro = ex.execute(step);
      EXPECT_TRUE(mro.ok()) << mro.status().to_string();
      if (!mro.ok()) break;
      for (const EngineOutput& o : sched.update_from_output(step, *mro).outputs) {
        auto& v = out.outputs[o.req_id];
        v.insert(v.end(), o.new_token_ids.begin(), o.new_token_ids.end());
        auto& lp = out.logprobs[o.req_id];
        lp.insert(lp.end(), o.logprobs.begin(), o.logprobs.end());
      }
      ++out.num_steps;
    }
    EXPECT_FALSE(sched.has_requests());
    return out;
  }

  LoadedModel files_;
  std::unique_ptr<CausalLm> lm_;
  std::unique_ptr<VisionEncoder> encoder_;
  nlohmann::json ref_;
  std::vector<int32_t> prompt_;
  int64_t image_offset_ = 0;
};

TEST_F(Pipeline, GreedyIdsAndTopLogprobsMatchLlamaCpp) {
  const auto image = preprocess(fixture_image());
  EXPECT_EQ(image->num_tokens, 54);
  const auto greedy = ref_["greedy_generated_ids"].get<std::vector<int32_t>>();
  const auto top5 = load_json(test_data("ref/tiny-qwen25vl.exact.top5_logprobs.json"));
  for (EncoderMode mode : {EncoderMode::kAsync, EncoderMode::kInline}) {
    for (int64_t budget : {int64_t{2048}, int64_t{20}}) {  // one step, or chunks that cut through the image
      SCOPED_TRACE(std::string(encoder_mode_name(mode)) + " budget " + std::to_string(budget));
      Run r = run(mode, budget, {image});
      EXPECT_EQ(r.outputs["r0"], greedy);
      ASSERT_FALSE(r.logprobs["r0"].empty());
      // The first sampled token's top-5 = the last prompt row's; every step's sampled logprob.
      const auto& want = top5["last_prompt_position"]["top"];
      const auto& got = r.logprobs["r0"][0].top;
      ASSERT_GE(got.size(), 5u);
      for (size_t k = 0; k < 5; ++k) {
        EXPECT_EQ(got[k].first, want[k]["id"].get<int32_t>()) << "rank " << k;
        EXPECT_NEAR(got[k].second, want[k]["logprob"].get<double>(), 2e-3) << "rank " << k;
      }
      ASSERT_EQ(r.logprobs["r0"].size(), 8u);
      for (size_t g = 0; g < 8; ++g) {
        EXPECT_NEAR(r.logprobs["r0"][g].logprob, top5["greedy_steps"][g]["logprob"].get<double>(), 2e-3) << "step " << g;
      }
    }
  }
}

TEST_F(Pipeline, SameTokensDifferentImagesGetTheirOwnAnswers) {
  media::RgbImage inverted = fixture_image();
  for (uint8_t& p : inverted.pixels) p = static_cast<uint8_t>(255 - p);
  const auto a = preprocess(fixture_image());
  const auto b = preprocess(inverted);
  ASSERT_FALSE(a->hash == b->hash);
  const Run alone_a = run(EncoderMode::kAsync, 2048, {a});
  const Run alone_b = run(EncoderMode::kAsync, 2048, {b});
  ASSERT_NE(alone_a.outputs.at("r0"), alone_b.outputs.at("r0")) << "the images must lead to different answers";
  // Concurrently, same prompt ids, in both orders, with prefix caching on (block hashes carry the image).
  const Run ab = run(EncoderMode::kAsync, 2048, {a, b});
  EXPECT_EQ(ab.outputs.at("r0"), alone_a.outputs.at("r0"));
  EXPECT_EQ(ab.outputs.at("r1"), alone_b.outputs.at("r0"));
  const Run ba = run(EncoderMode::kInline, 40, {b, a, b});
  EXPECT_EQ(ba.outputs.at("r0"), alone_b.outputs.at("r0"));
  EXPECT_EQ(ba.outputs.at("r1"), alone_a.outputs.at("r0"));
  EXPECT_EQ(ba.outputs.at("r2"), alone_b.outputs.at("r0"));
}


std::shared_ptr<const media::MediaItem> preprocess_clip(const std::vector<media::RgbImage>& frames) {
  auto item = media::qwen2vl_preprocess_frames(frames, media::Qwen2VLImageOptions{});
  EXPECT_TRUE(item.ok()) << item.status().to_string();
  item->second_per_grid_t = 1.0;  // 2 frames per temporal patch sampled at 2 fps
  return std::make_shared<const media::MediaItem>(std::move(*item));
}

// A clip of two frames equal to the fixture image is one temporal patch: the same embedding as the image (the
// tower duplicates a still frame), at time offset 0 under Qwen2.5-VL's rule, so <|video_pad|> rows in place of
// the image's must give llama.cpp's greedy ids and top-5 log-probabilities for the image.
TEST_F(Pipeline, TwoFrameClipOfTheFixtureMatchesTheImageReference) {
  const auto clip = preprocess_clip({fixture_image(), fixture_image()});
  ASSERT_EQ(clip->kind, media::MediaKind::kVideo);
  ASSERT_EQ(clip->num_tokens, 54);
  const auto greedy = ref_["greedy_generated_ids"].get<std::vector<int32_t>>();
  const auto top5 = load_json(test_data("ref/tiny-qwen25vl.exact.top5_logprobs.json"));
  for (EncoderMode mode : {EncoderMode::kAsync, EncoderMode::kInline}) {
    for (int64_t budget : {int64_t{2048}, int64_t{20}}) {
      SCOPED_TRACE(std::string(encoder_mode_name(mode)) + " budget " + std::to_string(budget));
      Run r = run(mode, budget, {clip});
      EXPECT_EQ(r.outputs["r0"], greedy);
      ASSERT_FALSE(r.logprobs["r0"].empty());
      const auto& want = top5["last_prompt_position"]["top"];
      const auto& got = r.logprobs["r0"][0].top;
      ASSERT_GE(got.size(), 5u);
      for (size_t k = 0; k < 5; ++k) {
        EXPECT_EQ(got[k].first, want[k]["id"].get<int32_t>()) << "rank " << k;
        EXPECT_NEAR(got[k].second, want[k]["logprob"].get<double>(), 2e-3) << "rank " << k;
      }
    }
  }
}

// A 3-temporal-patch clip (162 rows) through async and inline encoding, in one prefill step and in 20-token
// chunks that cut through the video: the same answer every way. Two clips with the same text and different
// frames, run concurrently with prefix caching on, each get their own answer (block hashes carry the video's).
TEST_F(Pipeline, LongerClipsRunThroughChunkedPrefillAndStayApart) {
  media::RgbImage inverted = fixture_image();
  for (uint8_t& p : inverted.pixels) p = static_cast<uint8_t>(255 - p);
  const media::RgbImage img = fixture_image();
  const auto a = preprocess_clip({img, img, img, img, img, img});
  const auto b = preprocess_clip({img, img, inverted, inverted, img, img});
  ASSERT_EQ(a->num_tokens, 3 * 54);
  ASSERT_FALSE(a->hash == b->hash);
  const Run alone_a = run(EncoderMode::kAsync, 2048, {a});
  const Run alone_b = run(EncoderMode::kAsync, 2048, {b});
  ASSERT_EQ(alone_a.outputs.at("r0").size(), 8u);
  EXPECT_EQ(run(EncoderMode::kInline, 2048, {a}).outputs.at("r0"), alone_a.outputs.at("r0"));
  EXPECT_EQ(run(EncoderMode::kAsync, 20, {a}).outputs.at("r0"), alone_a.outputs.at("r0"));
  EXPECT_EQ(run(EncoderMode::kInline, 20, {a}).outputs.at("r0"), alone_a.outputs.at("r0"));
  const Run ab = run(EncoderMode::kAsync, 64, {a, b, a});
  EXPECT_EQ(ab.outputs.at("r0"), alone_a.outputs.at("r0"));
  EXPECT_EQ(ab.outputs.at("r1"), alone_b.outputs.at("r0"));
  EXPECT_EQ(ab.outputs.at("r2"), alone_a.outputs.at("r0"));
  if (alone_a.outputs.at("r0") == alone_b.outputs.at("r0")) {
    std::cout << "note: the two clips happen to give the same greedy ids\n";
  }
  ASSERT_EQ(ab.logprobs.at("r1").size(), 8u);
  // The logprobs tell the clips apart even where the ids agree.
  EXPECT_NE(ab.logprobs.at("r0")[0].logprob, ab.logprobs.at("r1")[0].logprob);
  EXPECT_NEAR(ab.logprobs.at("r1")[0].logprob, alone_b.logprobs.at("r0")[0].logprob, 1e-4);
}

}  // namespace
}  // namespace mms
