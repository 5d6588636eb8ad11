// Writes the fuzzers' seed corpora: small valid GGUF files (every metadata type, nested arrays, a tiny
// qwen2 decoder with tensors, a quantized tensor) and safetensors files. Usage: fuzz_seeds <out_dir>.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "testing/gguf_writer.h"
#include "testing/safetensors_writer.h"

namespace {

using mms::testing::GgufWriter;
using mms::testing::SafetensorsWriter;

std::vector<float> ramp(size_t n) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = 0.01f * static_cast<float>(i % 17);
  return v;
}

std::vector<uint8_t> every_type_gguf(uint32_t version, uint32_t alignment) {
  GgufWriter w(version, alignment);
  w.add_scalar<uint8_t>("u8", GgufWriter::kU8, 1);
  w.add_scalar<int8_t>("i8", GgufWriter::kI8, -1);
  w.add_scalar<uint16_t>("u16", GgufWriter::kU16, 2);
  w.add_scalar<int16_t>("i16", GgufWriter::kI16, -2);
  w.add_scalar<uint32_t>("u32", GgufWriter::kU32, 3);
  w.add_scalar<int32_t>("i32", GgufWriter::kI32, -3);
  w.add_scalar<float>("f32", GgufWriter::kF32, 1e-6f);
  w.add_scalar<uint8_t>("bool", GgufWriter::kBool, 1);
  w.add_string("str", "hello");
  w.add_scalar<uint64_t>("u64", GgufWriter::kU64, 4);
  w.add_scalar<int64_t>("i64", GgufWriter::kI64, -4);
  w.add_scalar<double>("f64", GgufWriter::kF64, 0.5);
  w.add_array<int32_t>("arr.i32", GgufWriter::kI32, {1, 2, 3});
  w.add_array<float>("arr.f32", GgufWriter::kF32, {1.f, 2.f});
  w.add_string_array("arr.str", {"a", "bc", ""});
  w.add_nested_u32_array("arr.nested", {{1}, {2, 3}});
  w.add_f32_tensor("t", {4, 2}, ramp(8));
  w.add_tensor("q", 8, {32}, std::vector<uint8_t>(34, 1));  // Q8_0
  return w.finish();
}

std::vector<uint8_t> tiny_qwen2_gguf() {
  const uint64_t H = 8, F = 16, V = 6, L = 1, nH = 2, nKV = 1, D = H / nH;
  GgufWriter w;
  w.add_string("general.architecture", "qwen2");
  w.add_scalar<uint32_t>("qwen2.context_length", GgufWriter::kU32, 64);
  w.add_scalar<uint32_t>("qwen2.embedding_length", GgufWriter::kU32, H);
  w.add_scalar<uint32_t>("qwen2.block_count", GgufWriter::kU32, L);
  w.add_scalar<uint32_t>("qwen2.feed_forward_length", GgufWriter::kU32, F);
  w.add_scalar<uint32_t>("qwen2.attention.head_count", GgufWriter::kU32, nH);
  w.add_scalar<uint32_t>("qwen2.attention.head_count_kv", GgufWriter::kU32, nKV);
  w.add_scalar<float>("qwen2.rope.freq_base", GgufWriter::kF32, 1e6f);
  w.add_scalar<float>("qwen2.attention.layer_norm_rms_epsilon", GgufWriter::kF32, 1e-6f);
  w.add_string_array("tokenizer.ggml.tokens", {"a", "b", "c", "d", "<s>", "</s>"});
  w.add_scalar<uint32_t>("tokenizer.ggml.bos_token_id", GgufWriter::kU32, 4);
  w.add_scalar<uint32_t>("tokenizer.ggml.eos_token_id", GgufWriter::kU32, 5);
  w.add_f32_tensor("token_embd.weight", {H, V}, ramp(H * V));
  w.add_f32_tensor("output_norm.weight", {H}, ramp(H));
  w.add_f32_tensor("blk.0.attn_norm.weight", {H}, ramp(H));
  w.add_f32_tensor("blk.0.attn_q.weight", {H, nH * D}, ramp(H * nH * D));
  w.add_f32_tensor("blk.0.attn_q.bias", {nH * D}, ramp(nH * D));
  w.add_f32_tensor("blk.0.attn_k.weight", {H, nKV * D}, ramp(H * nKV * D));
  w.add_f32_tensor("blk.0.attn_k.bias", {nKV * D}, ramp(nKV * D));
  w.add_f32_tensor("blk.0.attn_v.weight", {H, nKV * D}, ramp(H * nKV * D));
  w.add_f32_tensor("blk.0.attn_v.bias", {nKV * D}, ramp(nKV * D));
  w.add_f32_tensor("blk.0.attn_output.weight", {nH * D, H}, ramp(H * nH * D));
  w.add_f32_tensor("blk.0.ffn_norm.weight", {H}, ramp(H));
  w.add_f32_tensor("blk.0.ffn_gate.weight", {H, F}, ramp(H * F));
  w.add_f32_tensor("blk.0.ffn_up.weight", {H, F}, ramp(H * F));
  w.add_f32_tensor("blk.0.ffn_down.weight", {F, H}, ramp(H * F));
  return w.finish();
}

std::vector<uint8_t> small_safetensors(bool metadata) {
  SafetensorsWriter w;
  if (metadata) w.set_metadata("{\"format\":\"pt\"}");
  w.add_f32("model.embed_tokens.weight", {3, 2}, ramp(6));
  w.add("model.norm.weight", "BF16", {2}, {0x80, 0x3f, 0x80, 0x3f});
  w.add("h", "F16", {1, 2}, {0x00, 0x3c, 0x00, 0xc0});
  w.add("ids", "I64", {1}, std::vector<uint8_t>(8, 0));
  w.add("empty", "F32", {0}, {});
  return w.finish();
}

bool write(const std::filesystem::path& p, const std::vector<uint8_t>& bytes) {
  if (!mms::testing::write_bytes(p.string(), bytes)) {
    std::fprintf(stderr, "cannot write %s\n", p.c_str());
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <out_dir>\n", argv[0]);
    return 2;
  }
  namespace fs = std::filesystem;
  const fs::path out(argv[1]);
  fs::create_directories(out / "gguf");
  fs::create_directories(out / "safetensors");
  bool ok = write(out / "gguf" / "every_type_v3.gguf", every_type_gguf(3, 32)) &&
            write(out / "gguf" / "every_type_v2_align64.gguf", every_type_gguf(2, 64)) &&
            write(out / "gguf" / "tiny_qwen2.gguf", tiny_qwen2_gguf()) &&
            write(out / "safetensors" / "small.safetensors", small_safetensors(true)) &&
            write(out / "safetensors" / "small_nometa.safetensors", small_safetensors(false));
  return ok ? 0 : 1;
}
