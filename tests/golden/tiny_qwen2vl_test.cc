// Golden tests: the Qwen2-VL / Qwen2.5-VL language model (M-RoPE + image rows from the vision encoder)
// against llama.cpp's f32 references (tests/data/ref/tiny-qwen2vl.exact.*, tiny-qwen25vl.exact.*). Both
// pairs share one decoder (tiny-qwen2vl-f32.gguf; the Qwen2.5-VL copy's tensors are bit-identical). The
// image rows' input embeddings are llama.cpp's own image_embd.npy, so the decoder is tested on its own.
// Checked per pair: the M-RoPE positions function reproduces every row's (t, y, x); logits of all prompt
// rows (tolerance 2e-3, expected ~1e-6); 8 greedy steps through the paged KV cache; prefill in two
// chunks split inside the image rows; and (Qwen2.5-VL) the top-5 log-probabilities at the last row.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>

#include "exec/batch_builder.h"
#include "exec/kv_storage.h"
#include "exec/sampler.h"
#include "model/causal_lm.h"
#include "model/model_loader.h"
#include "model/mrope_positions.h"
#include "testing/test_data.h"

// A named namespace of its own: the test executables are unity builds, where anonymous namespaces of
// files in one batch are shared.
namespace mms::tiny_qwen2vl_test {
namespace {

using mms::testing::load_json;

using testing::load_npy_f32;
using testing::max_abs_diff;
using testing::test_data;

constexpr float kTolerance = 2e-3f;       // the fixtures' tolerance for VLM logits
constexpr float kChunkTolerance = 1e-5f;  // chunked vs one-shot prefill: same math, other summation order
constexpr int32_t kBlockSize = 16;
constexpr int64_t kPatch = 14;


// One reference pair: prompt rows, their positions, the image embedding and the expected outputs.
struct Reference {
  std::string name;
  nlohmann::json json;
  std::vector<int32_t> row_token;  // -1 for image rows
  int64_t image_row = 0, image_rows = 0;
  MropeMediaSpan span;
  testing::NpyArray image_embd, logits, gen_logits;
  std::vector<int32_t> greedy;
};

Reference load_reference(const std::string& name) {
  Reference r;
  r.name = name;
  const std::string prefix = "ref/tiny-" + name + ".exact.";
  r.json = load_json(test_data(prefix + "json"));
  r.row_token = r.json["row_token"].get<std::vector<int32_t>>();
  r.greedy = r.json["greedy_generated_ids"].get<std::vector<int32_t>>();
  for (const auto& chunk : r.json["chunks"]) {
    if (chunk["type"] == "image") {
      r.image_row = chunk["pos0"].get<int64_t>();  // the image follows text that starts at position 0
      r.image_rows = chunk["n_tokens"].get<int64_t>();
    }
  }
  const auto shape = r.json["image_input_shape"].get<std::vector<int64_t>>();  // [3, height, width]
  r.span.offset = r.image_row;
  r.span.grid_h = shape[1] / kPatch;
  r.span.grid_w = shape[2] / kPatch;
  r.image_embd = load_npy_f32(test_data(prefix + "image_embd.npy"));
  r.logits = load_npy_f32(test_data(prefix + "logits.npy"));
  r.gen_logits = load_npy_f32(test_data(prefix + "gen_logits.npy"));
  return r;
}

struct Loaded {
  LoadedModel files;
  std::unique_ptr<CausalLm> lm;
};

Loaded load_decoder() {
  Loaded out;
  auto files = load_model(test_data("tiny-qwen2vl-f32.gguf"));
  EXPECT_TRUE(files.ok()) << files.status().to_string();
  if (!files.ok()) return out;
  out.files = std::move(*files);
  auto lm = create_causal_lm(out.files.config, *out.files.weights);
  EXPECT_TRUE(lm.ok()) << lm.status().to_string();
  if (lm.ok()) out.lm = std::move(*lm);
  return out;
}

// A paged KV cache for one sequence of up to 128 tokens over deliberately non-contiguous blocks.
class Session {
 public:
  explicit Session(CausalLm& lm)
      : lm_(lm),
        kv_({lm.config().num_hidden_layers, 8, kBlockSize, static_cast<int32_t>(lm.config().num_key_value_heads),
             static_cast<int32_t>(lm.config().head_dim), DType::kF32}),
        builder_(kBlockSize) {
    for (int64_t l = 0; l < lm.config().num_hidden_layers; ++l) layers_.push_back(kv_.layer(l));
  }

  // Runs tokens [start, start + tokens.size()) of the sequence; image rows come from `overrides` (rows
  // relative to this chunk); returns the logits of every row (kAll) or the last one.
  std::vector<float> run(std::span<const int32_t> tokens, int32_t start, std::span<const MropeMediaSpan> spans,
                         std::span<const EmbeddingOverride> overrides, LogitsWanted wanted) {
    const int64_t T = static_cast<int64_t>(tokens.size());
    builder_.clear();
    builder_.add({tokens, start, table_, wanted});
    ForwardBatch b = builder_.build();
    mrope_.resize(static_cast<size_t>(3 * T));
    Status s = compute_mrope_positions_slice(spans, mrope_rule(lm_.config()), start, start + T, mrope_.data(), T);
    EXPECT_TRUE(s.ok()) << s.to_string();
    b.mrope_positions = mrope_;
    b.embedding_overrides = overrides;
    std::vector<float> logits(b.logits_indices.size() * lm_.config().vocab_size);
    lm_.forward(b, layers_, logits.data());
    return logits;
  }

 private:
  CausalLm& lm_;
  KvStorage kv_;
  std::vector<kernels::PagedKvLayer> layers_;
  BatchBuilder builder_;
  std::vector<int32_t> table_ = {5, 2, 7, 0, 1, 3, 6, 4};
  std::vector<int32_t> mrope_;
};

class TinyQwen2VlGolden : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    m_ = load_decoder();
    ASSERT_TRUE(m_.lm);
    ref_ = load_reference(GetParam());
    const ModelConfig& c = m_.lm->config();
    ASSERT_EQ(c.architecture, "Qwen2VLForConditionalGeneration");
    ASSERT_EQ(c.mrope_section, (std::vector<int32_t>{4, 6, 6}));
    ASSERT_EQ(c.image_token_id, 2060);  // <|image_pad|>, found by name in the GGUF vocabulary
    ASSERT_EQ(c.vision_start_token_id, 2057);
    ASSERT_EQ(ref_.image_embd.shape, (std::vector<int64_t>{ref_.image_rows, c.hidden_size}));
    ASSERT_EQ(ref_.logits.shape, (std::vector<int64_t>{static_cast<int64_t>(ref_.row_token.size()), c.vocab_size}));
    tokens_ = ref_.row_token;
    for (int32_t& t : tokens_)
      if (t < 0) t = *c.image_token_id;
    ASSERT_EQ(tokens_[ref_.image_row - 1], *c.vision_start_token_id);
  }

  // Embedding rows [first, first + n) of the image as an override at chunk row `row`.
  EmbeddingOverride image_rows(int64_t first, int64_t n, int64_t row) const {
    return {static_cast<int32_t>(row), static_cast<int32_t>(n),
            ref_.image_embd.data.data() + first * m_.lm->config().hidden_size};
  }

  Loaded m_;
  Reference ref_;
  std::vector<int32_t> tokens_;
};

TEST_P(TinyQwen2VlGolden, PositionsMatchReference) {
  const int64_t n = static_cast<int64_t>(tokens_.size());
  const MropeMediaSpan spans[] = {ref_.span};
  ASSERT_EQ(mrope_span_tokens(ref_.span, 2), ref_.image_rows);
  // Qwen2-VL's rule (the GGUF config) and Qwen2.5-VL's (time scaled for video only) agree on images.
  for (double tokens_per_second : {0.0, 2.0}) {
    MropeRule rule = mrope_rule(m_.lm->config());
    rule.tokens_per_second = tokens_per_second;
    auto p = compute_mrope_positions(n, spans, rule);
    ASSERT_TRUE(p.ok()) << p.status().to_string();
    const std::vector<int32_t> t(p->positions.begin(), p->positions.begin() + n);
    const std::vector<int32_t> y(p->positions.begin() + n, p->positions.begin() + 2 * n);
    const std::vector<int32_t> x(p->positions.begin() + 2 * n, p->positions.end());
    EXPECT_EQ(t, ref_.json["row_pos_t"].get<std::vector<int32_t>>());
    EXPECT_EQ(y, ref_.json["row_pos_y"].get<std::vector<int32_t>>());
    EXPECT_EQ(x, ref_.json["row_pos_x"].get<std::vector<int32_t>>());
    // Decode: the greedy steps sit at the positions after the prompt's ("n_prompt_positions + g").
    const int64_t n_prompt_positions = *std::max_element(p->positions.begin(), p->positions.end()) + 1;
    EXPECT_EQ(p->delta, n_prompt_positions - n);
    const auto& last_chunk = ref_.json["chunks"].back();
    EXPECT_EQ(n_prompt_positions, last_chunk["pos0"].get<int64_t>() + static_cast<int64_t>(last_chunk["tokens"].size()));
  }
}

TEST_P(TinyQwen2VlGolden, LogitsAndGreedyMatchReference) {
  const ModelConfig& c = m_.lm->config();
  const MropeMediaSpan spans[] = {ref_.span};
  Session session(*m_.lm);
  const EmbeddingOverride image[] = {image_rows(0, ref_.image_rows, ref_.image_row)};
  const auto logits = session.run(tokens_, 0, spans, image, LogitsWanted::kAll);
  const float d_prompt = max_abs_diff(logits.data(), ref_.logits.data.data(), logits.size());

  std::vector<float> gen;
  std::vector<int32_t> ids;
  int32_t next = argmax(std::span(logits).last(c.vocab_size));
  for (size_t g = 0; g < ref_.greedy.size(); ++g) {
    ids.push_back(next);
    const int32_t feed[] = {ref_.greedy[g]};  // the reference's ids, so a near-tie cannot derail later steps
    const auto row = session.run(feed, static_cast<int32_t>(tokens_.size() + g), spans, {}, LogitsWanted::kLast);
    gen.insert(gen.end(), row.begin(), row.end());
    next = argmax(row);
  }
  const float d_gen = max_abs_diff(gen.data(), ref_.gen_logits.data.data(), gen.size());
  std::cout << ref_.name << ": max |logit diff| prompt " << d_prompt << " (" << ref_.row_token.size()
            << " rows), greedy steps " << d_gen << "\n";
  EXPECT_LE(d_prompt, kTolerance);
  EXPECT_LE(d_gen, kTolerance);
  // Greedy ids: what the prompt's last row picks, then what each step picks.
  EXPECT_EQ(ids, ref_.greedy);
}

TEST_P(TinyQwen2VlGolden, TwoChunkPrefillInsideTheImageEqualsOneChunk) {
  const MropeMediaSpan spans[] = {ref_.span};
  const int64_t n = static_cast<int64_t>(tokens_.size());
  Session whole(*m_.lm);
  const EmbeddingOverride image[] = {image_rows(0, ref_.image_rows, ref_.image_row)};
  const auto want = whole.run(tokens_, 0, spans, image, LogitsWanted::kAll);

  const int64_t in_image = 7;  // image rows in the first chunk
  const int64_t split = ref_.image_row + in_image;
  Session chunked(*m_.lm);
  const EmbeddingOverride first[] = {image_rows(0, in_image, ref_.image_row)};
  const EmbeddingOverride second[] = {image_rows(in_image, ref_.image_rows - in_image, 0)};
  auto got = chunked.run(std::span(tokens_).first(split), 0, spans, first, LogitsWanted::kAll);
  const auto rest = chunked.run(std::span(tokens_).subspan(split), static_cast<int32_t>(split), spans, second,
                                LogitsWanted::kAll);
  got.insert(got.end(), rest.begin(), rest.end());
  ASSERT_EQ(got.size(), want.size());
  const float d = max_abs_diff(got.data(), want.data(), got.size());
  std::cout << ref_.name << ": two chunks (split at row " << split << " of " << n << ") vs one: " << d << "\n";
  EXPECT_LE(d, kChunkTolerance);
  EXPECT_LE(max_abs_diff(got.data(), ref_.logits.data.data(), got.size()), kTolerance);
}

INSTANTIATE_TEST_SUITE_P(Pairs, TinyQwen2VlGolden, ::testing::Values("qwen2vl", "qwen25vl"),
                         [](const auto& info) { return info.param; });

// log_softmax in float64 over the whole vocabulary; top k, ties to the lower id.
std::vector<std::pair<int32_t, double>> top_logprobs(std::span<const float> logits, size_t k) {
  double mx = -INFINITY;
  for (float v : logits) mx = std::max(mx, static_cast<double>(v));
  double sum = 0;
  for (float v : logits) sum += std::exp(static_cast<double>(v) - mx);
  const double lse = mx + std::log(sum);
  std::vector<int32_t> ids(logits.size());
  std::iota(ids.begin(), ids.end(), 0);
  std::stable_sort(ids.begin(), ids.end(), [&](int32_t a, int32_t b) { return logits[a] > logits[b]; });
  std::vector<std::pair<int32_t, double>> out;
  for (size_t i = 0; i < k; ++i) out.emplace_back(ids[i], logits[ids[i]] - lse);
  return out;
}

TEST(TinyQwen25VlGolden, Top5LogprobsAtLastPromptRow) {
  Loaded m = load_decoder();
  ASSERT_TRUE(m.lm);
  const ModelConfig& c = m.lm->config();
  Reference ref = load_reference("qwen25vl");
  std::vector<int32_t> tokens = ref.row_token;
  for (int32_t& t : tokens)
    if (t < 0) t = *c.image_token_id;
  const MropeMediaSpan spans[] = {ref.span};
  const EmbeddingOverride image[] = {{static_cast<int32_t>(ref.image_row), static_cast<int32_t>(ref.image_rows),
                                      ref.image_embd.data.data()}};
  Session session(*m.lm);
  const auto last = session.run(tokens, 0, spans, image, LogitsWanted::kLast);
  const auto want = load_json(test_data("ref/tiny-qwen25vl.exact.top5_logprobs.json"))["last_prompt_position"]["top"];
  const auto got = top_logprobs(last, want.size());
  double worst = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i].first, want[i]["id"].get<int32_t>()) << "rank " << i;
    worst = std::max(worst, std::fabs(got[i].second - want[i]["logprob"].get<double>()));
  }
  std::cout << "qwen25vl top-5 logprobs at the last prompt row: max |diff| " << worst << "\n";
  EXPECT_LE(worst, 2e-3);
}

// A text-only sequence on an M-RoPE model: no per-section positions (plain RoPE) and t = h = w = position
// give identical logits.
TEST(TinyQwen2VlText, PlainPositionsEqualEqualSections) {
  Loaded m = load_decoder();
  ASSERT_TRUE(m.lm);
  const ModelConfig& c = m.lm->config();
  const std::vector<int32_t> prompt = {2049, 872, 198, 35, 288, 740, 1371, 419, 732, 424, 13, 2050, 198};
  Session with_sections(*m.lm);
  const auto a = with_sections.run(prompt, 0, {}, {}, LogitsWanted::kAll);
  KvStorage kv({c.num_hidden_layers, 2, kBlockSize, static_cast<int32_t>(c.num_key_value_heads),
                static_cast<int32_t>(c.head_dim), DType::kF32});
  std::vector<kernels::PagedKvLayer> layers;
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) layers.push_back(kv.layer(l));
  const std::vector<int32_t> table = {1};
  BatchBuilder b(kBlockSize);
  b.add({prompt, 0, table, LogitsWanted::kAll});
  std::vector<float> plain(a.size());
  m.lm->forward(b.build(), layers, plain.data());
  EXPECT_EQ(a, plain);
}

}  // namespace
}  // namespace mms::tiny_qwen2vl_test
