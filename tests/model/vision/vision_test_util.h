// Helpers for the vision encoder tests: run an encoder on inputs, load the fixtures' test images, and write a
// Hugging Face copy (config.json + model.safetensors) of a GGUF mmproj fixture with the tensors renamed, joined
// (qkv, the two-frame patch kernel) and optionally converted to f16/bf16, one tensor left out, or one misshapen.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "model/gguf/gguf_file.h"
#include "model/vision/vision_encoder.h"
#include "testing/safetensors_writer.h"
#include "testing/test_data.h"

namespace mms::vision_testing {

// Encodes `inputs` in one job (run with `flop_budget` per call until done); one vector per input.
inline std::vector<std::vector<float>> encode(const VisionEncoder& enc, const std::vector<VisionInput>& inputs,
                                              int64_t flop_budget = INT64_MAX, int64_t* calls = nullptr) {
  auto job = enc.start(inputs);
  EXPECT_TRUE(job.ok()) << job.status().to_string();
  if (!job.ok()) return {};
  int64_t n = 0;
  while (!(*job)->run(flop_budget)) ++n;
  if (calls) *calls = n + 1;
  std::vector<std::vector<float>> out;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const auto o = (*job)->output(i);
    out.emplace_back(o.begin(), o.end());
  }
  return out;
}

// A fixture image ([3, H, W] normalized pixels) as a still-image input.
struct TestImage {
  testing::NpyArray npy;
  VisionInput input() const { return {npy.data, 1, npy.shape[1], npy.shape[2]}; }
};
inline TestImage load_image(const std::string& relative) {
  TestImage im{testing::load_npy_f32(testing::test_data(relative))};
  EXPECT_EQ(im.npy.shape.size(), 3u);
  return im;
}

struct HfCopyOptions {
  std::string dtype = "F32";       // F32 | F16 | BF16
  std::string prefix = "visual.";  // or "model.visual."
  std::string omit;                // HF name (without prefix) of a tensor to leave out
  std::string misshape;            // HF name (without prefix) of a tensor to write one element short, 1-D
};

// The GGUF tensor(s) behind an HF vision tensor name (without prefix), concatenated along the first dimension
// (qkv) or joined by frame (the patch kernel: per (out, channel) plane, frame 0 then frame 1).
inline std::vector<float> gguf_values_for(const gguf::GgufFile& f, const std::string& hf) {
  auto values = [&](const std::string& name) {
    const gguf::TensorInfo* t = f.find_tensor(name);
    EXPECT_NE(t, nullptr) << name;
    if (!t) return std::vector<float>();
    const auto* p = reinterpret_cast<const float*>(t->data);
    return std::vector<float>(p, p + t->nbytes / 4);
  };
  auto cat = [](std::vector<float> a, const std::vector<float>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  };
  if (hf == "patch_embed.proj.weight") {
    const auto a = values("v.patch_embd.weight"), b = values("v.patch_embd.weight.1");
    const size_t plane = 14 * 14;
    std::vector<float> out;
    for (size_t i = 0; i < a.size(); i += plane) {
      out.insert(out.end(), a.begin() + i, a.begin() + i + plane);
      out.insert(out.end(), b.begin() + i, b.begin() + i + plane);
    }
    return out;
  }
  const std::pair<std::string, std::string> renames[] = {
      {"merger.ln_q.", "v.post_ln."}, {"merger.mlp.0.", "mm.0."}, {"merger.mlp.2.", "mm.2."}};
  for (const auto& [from, to] : renames)
    if (hf.rfind(from, 0) == 0) return values(to + hf.substr(from.size()));
  // blocks.N.<rest>
  const size_t dot = hf.find('.', 7);
  const std::string blk = "v.blk." + hf.substr(7, dot - 7) + ".";
  const std::string rest = hf.substr(dot + 1);
  if (rest == "attn.qkv.weight" || rest == "attn.qkv.bias") {
    const std::string kind = rest.substr(rest.rfind('.'));
    return cat(cat(values(blk + "attn_q" + kind), values(blk + "attn_k" + kind)), values(blk + "attn_v" + kind));
  }
  const std::pair<std::string, std::string> parts[] = {
      {"norm1.", "ln1."},         {"norm2.", "ln2."},          {"attn.proj.", "attn_out."},
      {"mlp.fc1.", "ffn_up."},    {"mlp.fc2.", "ffn_down."},   {"mlp.gate_proj.", "ffn_gate."},
      {"mlp.up_proj.", "ffn_up."}, {"mlp.down_proj.", "ffn_down."}};
  for (const auto& [from, to] : parts)
    if (rest.rfind(from, 0) == 0) return values(blk + to + rest.substr(from.size()));
  ADD_FAILURE() << "no GGUF counterpart for " << hf;
  return {};
}

inline nlohmann::json hf_config_json(const VisionConfig& c) {
  nlohmann::json vc = {{"depth", c.num_layers},          {"num_heads", c.num_heads},
                       {"in_chans", c.in_channels},      {"patch_size", c.patch_size},
                       {"spatial_merge_size", c.spatial_merge_size},
                       {"temporal_patch_size", c.temporal_patch_size}};
  nlohmann::json root;
  if (c.is_qwen25()) {
    root["architectures"] = {"Qwen2_5_VLForConditionalGeneration"};
    root["model_type"] = "qwen2_5_vl";
    vc["hidden_size"] = c.hidden_size;
    vc["intermediate_size"] = c.intermediate_size;
    vc["out_hidden_size"] = c.out_hidden_size;
    vc["window_size"] = c.window_size;
    vc["fullatt_block_indexes"] = c.fullatt_block_indexes;
    vc["hidden_act"] = "silu";
  } else {
    root["architectures"] = {"Qwen2VLForConditionalGeneration"};
    root["model_type"] = "qwen2_vl";
    vc["embed_dim"] = c.hidden_size;
    vc["mlp_ratio"] = static_cast<double>(c.intermediate_size) / static_cast<double>(c.hidden_size);
    vc["hidden_size"] = c.out_hidden_size;
    vc["hidden_act"] = "quick_gelu";
  }
  root["vision_config"] = vc;
  return root;
}

// Writes dir/config.json and dir/model.safetensors from the GGUF mmproj at gguf_path.
inline void write_hf_copy(const std::string& gguf_path, const std::filesystem::path& dir, const HfCopyOptions& o = {}) {
  auto file = gguf::GgufFile::open(gguf_path);
  ASSERT_TRUE(file.ok()) << file.status().to_string();
  auto config = vision_config_from_gguf(**file);
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  testing::SafetensorsWriter w;
  for (const TensorSpec& spec : vision_tensor_specs(*config)) {
    const std::string name = spec.name.substr(std::string("visual.").size());
    if (name == o.omit) continue;
    std::vector<float> v = gguf_values_for(**file, name);
    ASSERT_EQ(static_cast<int64_t>(v.size()), spec.shape.numel()) << name;
    std::vector<int64_t> shape(spec.shape.dims.begin(), spec.shape.dims.begin() + spec.shape.ndim);
    if (name == o.misshape) {
      v.pop_back();
      shape = {static_cast<int64_t>(v.size())};
    }
    if (o.dtype == "F32") {
      w.add_f32(o.prefix + name, shape, v);
    } else {
      std::vector<uint8_t> bytes(v.size() * 2);
      for (size_t i = 0; i < v.size(); ++i) {
        const uint16_t h = o.dtype == "F16" ? f32_to_f16(v[i]) : f32_to_bf16(v[i]);
        std::memcpy(bytes.data() + 2 * i, &h, 2);
      }
      w.add(o.prefix + name, o.dtype, shape, bytes);
    }
  }
  ASSERT_TRUE(testing::write_bytes((dir / "model.safetensors").string(), w.finish()));
  ASSERT_TRUE(testing::write_text((dir / "config.json").string(), hf_config_json(*config).dump(1)));
}

}  // namespace mms::vision_testing
