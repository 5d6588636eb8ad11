#include "model/model_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/mapped_file.h"
#include "model/layers/rope_freqs.h"
#include "testing/test_data.h"

namespace mms {
namespace {

using ::testing::HasSubstr;

StatusOr<ModelConfig> parse_file(const std::string& rel) {
  auto text = read_file(mms::testing::test_data(rel));
  if (!text.ok()) return text.status();
  return parse_hf_config(*text, rel);
}

TEST(HfConfig, TinyQwen2Fixture) {
  auto c = parse_file("tiny-qwen2-hf/config.json");
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->architecture, "Qwen2ForCausalLM");
  EXPECT_EQ(c->model_type, "qwen2");
  EXPECT_EQ(c->hidden_size, 256);
  EXPECT_EQ(c->num_hidden_layers, 4);
  EXPECT_EQ(c->num_attention_heads, 8);
  EXPECT_EQ(c->num_key_value_heads, 2);
  EXPECT_EQ(c->head_dim, 32);
  EXPECT_EQ(c->intermediate_size, 704);
  EXPECT_EQ(c->vocab_size, 2112);
  EXPECT_EQ(c->max_position_embeddings, 32768);
  EXPECT_EQ(c->rope_theta, 1e6);
  EXPECT_EQ(c->rms_norm_eps, 1e-6);
  EXPECT_TRUE(c->tie_word_embeddings);
  EXPECT_TRUE(c->attention_bias);
  EXPECT_EQ(c->dtype, DType::kF32);
  EXPECT_EQ(c->rope_pairing, kernels::RopePairing::kNeox);
  EXPECT_EQ(c->rope_scaling.type, RopeScaling::Type::kNone);
  EXPECT_TRUE(c->mrope_section.empty());
  EXPECT_EQ(c->bos_token_id, 2048);
  EXPECT_EQ(c->eos_token_ids, std::vector<int32_t>{2050});
}

TEST(HfConfig, Qwen25HalfB) {
  auto c = parse_file("qwen2.5-0.5b-instruct.config.json");
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->hidden_size, 896);
  EXPECT_EQ(c->num_attention_heads, 14);
  EXPECT_EQ(c->head_dim, 64);
  EXPECT_EQ(c->num_key_value_heads, 2);
  EXPECT_EQ(c->vocab_size, 151936);
  EXPECT_EQ(c->dtype, DType::kBF16);
  EXPECT_TRUE(c->tie_word_embeddings);
}

TEST(HfConfig, Qwen25VlTextPart) {
  for (const char* f : {"qwen2.5-vl-3b-instruct.config.json", "qwen2.5-vl-7b-instruct.config.json"}) {
    auto c = parse_file(f);
    ASSERT_TRUE(c.ok()) << c.status().to_string();
    EXPECT_EQ(c->architecture, "Qwen2_5_VLForConditionalGeneration");
    EXPECT_EQ(c->model_type, "qwen2_5_vl");
    EXPECT_EQ(c->head_dim, 128);
    EXPECT_EQ(c->mrope_section, (std::vector<int32_t>{16, 24, 24}));
    EXPECT_EQ(c->rope_scaling.type, RopeScaling::Type::kNone);
    EXPECT_TRUE(c->attention_bias);
    EXPECT_EQ(c->max_position_embeddings, 128000);
    // Placeholders and M-RoPE position inputs.
    EXPECT_EQ(c->image_token_id, 151655);
    EXPECT_EQ(c->video_token_id, 151656);
    EXPECT_EQ(c->vision_start_token_id, 151652);
    EXPECT_EQ(c->vision_end_token_id, 151653);
    EXPECT_EQ(c->mrope_spatial_merge_size, 2);
    EXPECT_EQ(c->mrope_tokens_per_second, 2.0);
    const kernels::MropeSections s = mrope_sections(*c);
    EXPECT_EQ(s.t, 16);
    EXPECT_EQ(s.h, 24);
    EXPECT_EQ(s.w, 24);
  }
}

// transformers >= 5 writes the decoder under text_config with rope_parameters (holding rope_theta) and
// the placeholder ids at the top level; Qwen2-VL has no time scale.
TEST(HfConfig, VlVariants) {
  const char* v5 = R"({"architectures":["Qwen2_5_VLForConditionalGeneration"],"model_type":"qwen2_5_vl",
    "image_token_id":60,"video_token_id":61,"vision_start_token_id":57,"vision_end_token_id":58,
    "vision_config":{"spatial_merge_size":2},
    "text_config":{"vocab_size":100,"hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,
      "num_attention_heads":4,"num_key_value_heads":2,"max_position_embeddings":1024,
      "rope_parameters":{"rope_type":"default","mrope_section":[2,3,3],"rope_theta":1000000.0}}})";
  auto c = parse_hf_config(v5, "v5.json");
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->rope_theta, 1e6);
  EXPECT_EQ(c->mrope_section, (std::vector<int32_t>{2, 3, 3}));
  EXPECT_EQ(c->image_token_id, 60);
  EXPECT_EQ(c->vision_end_token_id, 58);
  EXPECT_EQ(c->mrope_tokens_per_second, 4.0);  // HF's Qwen2_5_VLVisionConfig default when absent

  const char* qwen2vl = R"({"architectures":["Qwen2VLForConditionalGeneration"],"vocab_size":100,
    "hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,"num_attention_heads":4,
    "max_position_embeddings":1024,"rope_theta":1e6,"image_token_id":60,
    "rope_scaling":{"type":"mrope","mrope_section":[2,3,3]},"vision_config":{"spatial_merge_size":2,
    "tokens_per_second":2}})";
  c = parse_hf_config(qwen2vl, "q2.json");
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->model_type, "qwen2_vl");
  EXPECT_EQ(c->mrope_tokens_per_second, 0.0);  // Qwen2-VL: frame-pair index
  EXPECT_EQ(c->mrope_spatial_merge_size, 2);
  EXPECT_EQ(c->image_token_id, 60);
  EXPECT_FALSE(c->video_token_id.has_value());  // not given: absent, not HF's full-vocabulary default

  // Errors: no mrope_section; a placeholder id outside the vocabulary; a bad merge size.
  std::string bad = qwen2vl;
  bad.replace(bad.find(R"("rope_scaling":{"type":"mrope","mrope_section":[2,3,3]},)"),
              std::string(R"("rope_scaling":{"type":"mrope","mrope_section":[2,3,3]},)").size(), "");
  auto s = parse_hf_config(bad, "q2.json").status();
  EXPECT_THAT(s.message(), HasSubstr("mrope_section"));
  bad = qwen2vl;
  bad.replace(bad.find(R"("image_token_id":60)"), 19, R"("image_token_id":100)");
  s = parse_hf_config(bad, "q2.json").status();
  EXPECT_THAT(s.message(), HasSubstr("image_token_id 100 is outside the vocabulary"));
  bad = qwen2vl;
  bad.replace(bad.find(R"("spatial_merge_size":2)"), 22, R"("spatial_merge_size":0)");
  EXPECT_FALSE(parse_hf_config(bad, "q2.json").ok());
}

// Sections that do not sum to head_dim / 2 are rescaled proportionally (SGLang's rule).
TEST(MropeSections, Rescaled) {
  ModelConfig c;
  c.head_dim = 128;
  c.mrope_section = {16, 24, 24};
  EXPECT_EQ(mrope_sections(c).w, 24);
  c.mrope_section = {4, 6, 6};  // the tiny fixture's split on a 128-wide head: x4
  kernels::MropeSections s = mrope_sections(c);
  EXPECT_EQ(s.t, 16);
  EXPECT_EQ(s.h, 24);
  EXPECT_EQ(s.w, 24);
  c.mrope_section = {1, 1, 1};  // 64 pairs: 21, 21, then the remainder
  s = mrope_sections(c);
  EXPECT_EQ(s.t, 21);
  EXPECT_EQ(s.h, 21);
  EXPECT_EQ(s.w, 22);
}

TEST(HfConfig, NestedTextConfig) {
  const char* json = R"({"architectures":["Qwen2VLForConditionalGeneration"],"model_type":"qwen2_vl",
    "tie_word_embeddings":false,"eos_token_id":[1,2],
    "text_config":{"vocab_size":100,"hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,
      "num_attention_heads":4,"num_key_value_heads":2,"max_position_embeddings":1024,"rope_theta":1e6,
      "rope_scaling":{"rope_type":"default","mrope_section":[2,3,3]},"torch_dtype":"float16"}})";
  auto c = parse_hf_config(json, "vl.json");
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->hidden_size, 64);
  EXPECT_EQ(c->head_dim, 16);
  EXPECT_EQ(c->mrope_section, (std::vector<int32_t>{2, 3, 3}));
  EXPECT_EQ(c->dtype, DType::kF16);
  EXPECT_EQ(c->eos_token_ids, (std::vector<int32_t>{1, 2}));
  EXPECT_FALSE(c->bos_token_id.has_value());
}

std::string llama_json(const std::string& extra) {
  return R"({"architectures":["LlamaForCausalLM"],"vocab_size":128256,"hidden_size":2048,
    "intermediate_size":8192,"num_hidden_layers":16,"num_attention_heads":32,"num_key_value_heads":8,
    "max_position_embeddings":131072,"rms_norm_eps":1e-5,"rope_theta":500000.0,"torch_dtype":"bfloat16",
    "bos_token_id":128000,"eos_token_id":[128001,128008,128009])" + extra + "}";
}

TEST(HfConfig, LlamaWithLlama3Scaling) {
  auto c = parse_hf_config(llama_json(R"(,"tie_word_embeddings":true,"rope_scaling":{"factor":32.0,
      "high_freq_factor":4.0,"low_freq_factor":1.0,"original_max_position_embeddings":8192,"rope_type":"llama3"})"),
                           "llama.json");
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->model_type, "llama");
  EXPECT_FALSE(c->attention_bias);
  EXPECT_EQ(c->head_dim, 64);
  EXPECT_EQ(c->rope_pairing, kernels::RopePairing::kNeox);
  EXPECT_EQ(c->rope_scaling.type, RopeScaling::Type::kLlama3);
  EXPECT_EQ(c->rope_scaling.factor, 32.0);
  EXPECT_EQ(c->rope_scaling.original_max_position_embeddings, 8192);
  EXPECT_EQ(c->eos_token_ids, (std::vector<int32_t>{128001, 128008, 128009}));
  EXPECT_EQ(c->bos_token_id, 128000);
}

TEST(HfConfig, LlamaVariants) {
  auto c = parse_hf_config(llama_json(R"(,"attention_bias":true,"head_dim":128,
      "rope_scaling":{"type":"linear","factor":2.0})"), "l.json");
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_TRUE(c->attention_bias);
  EXPECT_EQ(c->head_dim, 128);
  EXPECT_EQ(c->rope_scaling.type, RopeScaling::Type::kLinear);
  EXPECT_EQ(c->rope_scaling.factor, 2.0);
  c = parse_hf_config(llama_json(R"(,"rope_scaling":null,"num_key_value_heads":null)"), "l.json");
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->num_key_value_heads, 32);
}

TEST(HfConfig, Errors) {
  auto s = parse_hf_config(R"({"architectures":["MambaForCausalLM"]})", "m/config.json").status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("MambaForCausalLM"));
  EXPECT_THAT(s.message(), HasSubstr("m/config.json"));

  s = parse_hf_config("{not json", "c.json").status();
  EXPECT_THAT(s.message(), HasSubstr("c.json"));
  s = parse_hf_config("[]", "c.json").status();
  EXPECT_FALSE(s.ok());
  s = parse_hf_config(R"({"architectures":[]})", "c.json").status();
  EXPECT_THAT(s.message(), HasSubstr("architectures"));

  std::string j = llama_json("");
  std::string missing = j;
  missing.replace(missing.find("\"hidden_size\":2048,"), 19, "");
  s = parse_hf_config(missing, "c.json").status();
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("hidden_size"));

  s = parse_hf_config(llama_json(R"(,"head_dim":"x")"), "c.json").status();
  EXPECT_THAT(s.message(), HasSubstr("head_dim"));
  s = parse_hf_config(llama_json(R"(,"num_key_value_heads":5)"), "c.json").status();
  EXPECT_THAT(s.message(), HasSubstr("num_key_value_heads"));
  s = parse_hf_config(llama_json(R"(,"rope_scaling":{"rope_type":"yarn","factor":4})"), "c.json").status();
  EXPECT_EQ(s.code(), StatusCode::kUnimplemented);
  EXPECT_THAT(s.message(), HasSubstr("yarn"));
  s = parse_hf_config(llama_json(R"(,"torch_dtype":"int8")"), "c.json").status();
  EXPECT_THAT(s.message(), HasSubstr("int8"));
  s = parse_hf_config(llama_json(R"(,"vocab_size":-3)"), "c.json").status();
  EXPECT_THAT(s.message(), HasSubstr("vocab_size"));
  s = parse_hf_config(llama_json(R"(,"hidden_act":"gelu")"), "c.json").status();
  EXPECT_THAT(s.message(), HasSubstr("gelu"));
}

TEST(GenerationConfig, Parses) {
  auto text = read_file(mms::testing::test_data("tiny-qwen2-hf/generation_config.json"));
  ASSERT_TRUE(text.ok());
  auto g = parse_generation_config(*text, "generation_config.json");
  ASSERT_TRUE(g.ok()) << g.status().to_string();
  EXPECT_EQ(g->bos_token_id, 2048);
  EXPECT_EQ(g->eos_token_ids, std::vector<int32_t>{2050});
  EXPECT_FALSE(g->do_sample);
  EXPECT_FALSE(g->temperature.has_value());

  g = parse_generation_config(R"({"do_sample":true,"temperature":0.7,"top_p":0.8,"top_k":20,
      "repetition_penalty":1.05,"eos_token_id":[151645,151643],"bos_token_id":151643})", "g.json");
  ASSERT_TRUE(g.ok()) << g.status().to_string();
  EXPECT_TRUE(g->do_sample);
  EXPECT_EQ(g->temperature, 0.7);
  EXPECT_EQ(g->top_p, 0.8);
  EXPECT_EQ(g->top_k, 20);
  EXPECT_EQ(g->repetition_penalty, 1.05);
  EXPECT_EQ(g->eos_token_ids, (std::vector<int32_t>{151645, 151643}));

  auto s = parse_generation_config(R"({"top_k":"many"})", "g.json").status();
  EXPECT_THAT(s.message(), HasSubstr("top_k"));
  EXPECT_THAT(s.message(), HasSubstr("g.json"));
}

}  // namespace
}  // namespace mms
