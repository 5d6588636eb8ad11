#include "model/gguf/gguf_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "testing/gguf_writer.h"
#include "testing/test_data.h"

namespace mms::gguf {
namespace {

using mms::testing::GgufWriter;
using ::testing::HasSubstr;

StatusOr<std::unique_ptr<GgufFile>> parse_bytes(const std::vector<uint8_t>& b, std::string name = "mem.gguf") {
  return GgufFile::parse(std::span<const uint8_t>(b.data(), b.size()), std::move(name));
}

std::vector<uint8_t> every_type_file(uint32_t version, uint32_t alignment) {
  GgufWriter w(version, alignment);
  w.add_scalar<uint8_t>("t.u8", GgufWriter::kU8, 200);
  w.add_scalar<int8_t>("t.i8", GgufWriter::kI8, -100);
  w.add_scalar<uint16_t>("t.u16", GgufWriter::kU16, 60000);
  w.add_scalar<int16_t>("t.i16", GgufWriter::kI16, -30000);
  w.add_scalar<uint32_t>("t.u32", GgufWriter::kU32, 4000000000u);
  w.add_scalar<int32_t>("t.i32", GgufWriter::kI32, -2000000000);
  w.add_scalar<float>("t.f32", GgufWriter::kF32, 1e-6f);
  w.add_scalar<uint8_t>("t.bool", GgufWriter::kBool, 1);
  w.add_string("t.string", "héllo wörld");
  w.add_scalar<uint64_t>("t.u64", GgufWriter::kU64, 1ull << 62);
  w.add_scalar<int64_t>("t.i64", GgufWriter::kI64, -(1ll << 60));
  w.add_scalar<double>("t.f64", GgufWriter::kF64, 0.1);
  w.add_scalar<uint64_t>("t.u64_huge", GgufWriter::kU64, ~0ull);
  w.add_array<int32_t>("t.arr_i32", GgufWriter::kI32, {4, 6, -6, 0});
  w.add_array<uint16_t>("t.arr_u16", GgufWriter::kU16, {1, 65535});
  w.add_array<float>("t.arr_f32", GgufWriter::kF32, {0.5f, 1e-5f});
  w.add_array<double>("t.arr_f64", GgufWriter::kF64, {2.5});
  w.add_array<uint8_t>("t.arr_bool", GgufWriter::kBool, {1, 0, 1});
  w.add_string_array("t.arr_str", {"a", "", "Ġthe", "<|im_end|>"});
  w.add_array<int32_t>("t.arr_empty", GgufWriter::kI32, {});
  w.add_nested_u32_array("t.arr_nested", {{1, 2}, {}, {3}});
  w.add_f32_tensor("w", {3, 2}, {1, 2, 3, 4, 5, 6});
  w.add_f32_tensor("b", {5}, {7, 8, 9, 10, 11});
  return w.finish();
}

class GgufEveryType : public ::testing::TestWithParam<std::pair<uint32_t, uint32_t>> {};

TEST_P(GgufEveryType, RoundTrips) {
  auto [version, alignment] = GetParam();
  std::vector<uint8_t> bytes = every_type_file(version, alignment);
  auto f = parse_bytes(bytes);
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  const GgufFile& g = **f;
  EXPECT_EQ(g.version(), version);
  EXPECT_EQ(g.alignment(), alignment);
  EXPECT_EQ(*g.get_int("t.u8"), 200);
  EXPECT_EQ(*g.get_int("t.i8"), -100);
  EXPECT_EQ(*g.get_int("t.u16"), 60000);
  EXPECT_EQ(*g.get_int("t.i16"), -30000);
  EXPECT_EQ(*g.get_int("t.u32"), 4000000000ll);
  EXPECT_EQ(*g.get_int("t.i32"), -2000000000);
  EXPECT_EQ(*g.get_float("t.f32"), 1e-6);  // shortest decimal form of the f32
  EXPECT_EQ(*g.get_bool("t.bool"), true);
  EXPECT_EQ(*g.get_string("t.string"), "héllo wörld");
  EXPECT_EQ(*g.get_int("t.u64"), 1ll << 62);
  EXPECT_EQ(*g.get_int("t.i64"), -(1ll << 60));
  EXPECT_EQ(*g.get_float("t.f64"), 0.1);
  EXPECT_EQ(g.get_int("t.u64_huge").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*g.get_int_array("t.arr_i32"), (std::vector<int64_t>{4, 6, -6, 0}));
  EXPECT_EQ(*g.get_int_array("t.arr_u16"), (std::vector<int64_t>{1, 65535}));
  EXPECT_EQ(*g.get_float_array("t.arr_f32"), (std::vector<double>{0.5, 1e-5}));
  EXPECT_EQ(*g.get_float_array("t.arr_f64"), (std::vector<double>{2.5}));
  EXPECT_EQ(g.array_type_of("t.arr_bool"), ValueType::kBool);
  EXPECT_EQ(g.array_length("t.arr_bool"), 3u);
  EXPECT_EQ(*g.get_string_array("t.arr_str"), (std::vector<std::string_view>{"a", "", "Ġthe", "<|im_end|>"}));
  EXPECT_TRUE(g.get_int_array("t.arr_empty")->empty());
  // Arrays of arrays parse (and are skipped past correctly: later keys and tensors still read).
  EXPECT_EQ(g.type_of("t.arr_nested"), ValueType::kArray);
  EXPECT_EQ(g.array_type_of("t.arr_nested"), ValueType::kArray);
  EXPECT_EQ(g.array_length("t.arr_nested"), 3u);
  EXPECT_EQ(g.get_int_array("t.arr_nested").status().code(), StatusCode::kInvalidArgument);

  const size_t n_keys = alignment == 32 ? 21 : 22;
  EXPECT_EQ(g.keys().size(), n_keys);
  EXPECT_EQ(g.keys()[alignment == 32 ? 0 : 1], "t.u8");  // file order

  ASSERT_EQ(g.tensors().size(), 2u);
  const TensorInfo* w = g.find_tensor("w");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ((w->data - bytes.data()) % alignment, 0);
  auto t = w->tensor();
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->shape, (Shape{2, 3}));
  EXPECT_EQ(t->dtype, DType::kF32);
  EXPECT_EQ(t->as<float>()[5], 6.f);
  const TensorInfo* b = g.find_tensor("b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->offset % alignment, 0u);
  EXPECT_EQ(b->tensor()->as<float>()[4], 11.f);
  EXPECT_EQ(g.find_tensor("nope"), nullptr);
}

INSTANTIATE_TEST_SUITE_P(Versions, GgufEveryType,
                         ::testing::Values(std::make_pair(3u, 32u), std::make_pair(2u, 32u),
                                           std::make_pair(3u, 64u), std::make_pair(3u, 8u)));

TEST(GgufFile, GetterErrorsNameFileAndKey) {
  auto bytes = every_type_file(3, 32);
  auto f = parse_bytes(bytes, "x.gguf");
  ASSERT_TRUE(f.ok());
  Status s = (*f)->get_int("missing.key").status();
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("x.gguf"));
  EXPECT_THAT(s.message(), HasSubstr("missing.key"));
  s = (*f)->get_int("t.string").status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("t.string"));
  EXPECT_THAT(s.message(), HasSubstr("string"));
  EXPECT_FALSE((*f)->get_float("t.u8").ok());
  EXPECT_FALSE((*f)->get_bool("t.u8").ok());
  EXPECT_FALSE((*f)->get_string("t.arr_str").ok());
  EXPECT_FALSE((*f)->get_string_array("t.arr_i32").ok());
  EXPECT_EQ(*(*f)->get_int_or("absent", 7), 7);
  EXPECT_EQ(*(*f)->get_float_or("absent", 2.5), 2.5);
  EXPECT_FALSE((*f)->get_int_or("t.string", 7).ok());
}

TEST(GgufFile, HalfTypesAndQuantizedRejection) {
  GgufWriter w;
  w.add_tensor("h", 1, {4}, std::vector<uint8_t>(8, 0));
  w.add_tensor("bf", 30, {2, 2}, std::vector<uint8_t>(8, 0));
  w.add_tensor("blk.0.ffn_down.weight", 12, {256, 2}, std::vector<uint8_t>(2 * 144, 0));  // Q4_K
  w.add_tensor("q8", 8, {64}, std::vector<uint8_t>(2 * 34, 0));                            // Q8_0
  auto bytes = w.finish();
  auto f = parse_bytes(bytes);
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  EXPECT_EQ((*f)->find_tensor("h")->tensor()->dtype, DType::kF16);
  EXPECT_EQ((*f)->find_tensor("bf")->tensor()->dtype, DType::kBF16);
  const TensorInfo* q = (*f)->find_tensor("blk.0.ffn_down.weight");
  EXPECT_EQ(q->nbytes, 288u);
  Status s = q->tensor().status();
  EXPECT_EQ(s.code(), StatusCode::kUnimplemented);
  EXPECT_THAT(s.message(), HasSubstr("Q4_K"));
  EXPECT_THAT(s.message(), HasSubstr("blk.0.ffn_down.weight"));
  EXPECT_THAT((*f)->find_tensor("q8")->tensor().status().message(), HasSubstr("Q8_0"));
}

TEST(GgufFile, TypeNames) {
  EXPECT_EQ(ggml_type_name(0), "F32");
  EXPECT_EQ(ggml_type_name(2), "Q4_0");
  EXPECT_EQ(ggml_type_name(8), "Q8_0");
  EXPECT_EQ(ggml_type_name(14), "Q6_K");
  EXPECT_EQ(ggml_type_name(30), "BF16");
  EXPECT_THAT(ggml_type_name(4), HasSubstr("unknown"));
  EXPECT_THAT(ggml_type_name(1000), HasSubstr("1000"));
  EXPECT_EQ(value_type_name(ValueType::kF64), "f64");
}

TEST(GgufFile, EveryTruncationIsAnError) {
  auto bytes = every_type_file(3, 32);
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    std::vector<uint8_t> b(bytes.begin(), bytes.begin() + cut);
    auto f = parse_bytes(b, "cut.gguf");
    ASSERT_FALSE(f.ok()) << "cut at " << cut;
    EXPECT_THAT(f.status().message(), HasSubstr("cut.gguf"));
  }
}

TEST(GgufFile, RandomByteCorruptionNeverCrashes) {
  auto bytes = every_type_file(3, 32);
  std::mt19937 rng(42);
  int ok = 0;
  for (int i = 0; i < 3000; ++i) {
    auto b = bytes;
    for (int k = 0; k < 3; ++k) b[rng() % b.size()] = static_cast<uint8_t>(rng());
    auto f = parse_bytes(b);
    if (f.ok()) {
      ++ok;
      for (const auto& key : (*f)->keys()) {
        (void)(*f)->get_int(key);
        (void)(*f)->get_string_array(key);
        (void)(*f)->get_float_array(key);
      }
      for (const auto& t : (*f)->tensors()) (void)t.tensor();
    }
  }
  SUCCEED() << ok << " corrupted files still parsed";
}

// Writes a u64 at a byte offset (little-endian).
void poke_u64(std::vector<uint8_t>* b, size_t at, uint64_t v) { std::memcpy(b->data() + at, &v, 8); }
void poke_u32(std::vector<uint8_t>* b, size_t at, uint32_t v) { std::memcpy(b->data() + at, &v, 4); }

TEST(GgufFile, BogusCountsAreRejectedWithoutHugeAllocations) {
  auto good = every_type_file(3, 32);
  auto b = good;
  poke_u64(&b, 8, 1ull << 60);  // n_tensors
  EXPECT_EQ(parse_bytes(b).status().code(), StatusCode::kOutOfRange);
  b = good;
  poke_u64(&b, 16, ~0ull);  // n_kv
  EXPECT_EQ(parse_bytes(b).status().code(), StatusCode::kOutOfRange);

  GgufWriter w;
  w.add_raw("big.array", GgufWriter::kArray, {8, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f});
  auto s = parse_bytes(w.finish()).status();
  EXPECT_EQ(s.code(), StatusCode::kOutOfRange);
  EXPECT_THAT(s.message(), HasSubstr("big.array"));

  GgufWriter w2;
  w2.add_raw("big.string", GgufWriter::kString, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 'x'});
  s = parse_bytes(w2.finish()).status();
  EXPECT_THAT(s.message(), HasSubstr("big.string"));

  GgufWriter w3;
  w3.add_raw("bad.type", 13, {0});
  EXPECT_THAT(parse_bytes(w3.finish()).status().message(), HasSubstr("bad.type"));

  // Arrays nested without end.
  std::vector<uint8_t> deep;
  for (int i = 0; i < 64; ++i) deep.insert(deep.end(), {9, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0});
  GgufWriter w4;
  w4.add_raw("deep", GgufWriter::kArray, deep);
  EXPECT_FALSE(parse_bytes(w4.finish()).ok());
}

TEST(GgufFile, HeaderAndTensorInfoErrors) {
  auto good = every_type_file(3, 32);
  auto b = good;
  b[0] = 'X';
  EXPECT_THAT(parse_bytes(b).status().message(), HasSubstr("magic"));
  b = good;
  poke_u32(&b, 4, 1);
  EXPECT_EQ(parse_bytes(b).status().code(), StatusCode::kUnimplemented);
  poke_u32(&b, 4, 0x03000000u);
  EXPECT_THAT(parse_bytes(b).status().message(), HasSubstr("big-endian"));
  poke_u32(&b, 4, 7);
  EXPECT_FALSE(parse_bytes(b).ok());

  GgufWriter dims;
  dims.add_tensor("five_dims", 0, {1, 1, 1, 1, 1}, std::vector<uint8_t>(4));
  EXPECT_THAT(parse_bytes(dims.finish()).status().message(), HasSubstr("five_dims"));

  GgufWriter unk;
  unk.add_tensor("odd_type", 4, {32}, std::vector<uint8_t>(64));
  EXPECT_THAT(parse_bytes(unk.finish()).status().message(), HasSubstr("odd_type"));

  GgufWriter block;
  block.add_tensor("q_rows", 2, {33}, std::vector<uint8_t>(64));  // Q4_0 rows must be multiples of 32
  EXPECT_THAT(parse_bytes(block.finish()).status().message(), HasSubstr("q_rows"));

  GgufWriter big;
  big.add_tensor("huge", 0, {1ull << 40, 1ull << 40}, {});
  EXPECT_THAT(parse_bytes(big.finish()).status().message(), HasSubstr("huge"));

  GgufWriter past;
  past.add_tensor("short", 0, {16}, std::vector<uint8_t>(32));  // 64 bytes declared, 32 present
  auto s = parse_bytes(past.finish()).status();
  EXPECT_EQ(s.code(), StatusCode::kOutOfRange);
  EXPECT_THAT(s.message(), HasSubstr("short"));

  GgufWriter dup;
  dup.add_f32_tensor("same", {1}, {1});
  dup.add_f32_tensor("same", {1}, {2});
  EXPECT_THAT(parse_bytes(dup.finish()).status().message(), HasSubstr("duplicate tensor"));

  GgufWriter dupk;
  dupk.add_string("k", "a");
  dupk.add_string("k", "b");
  EXPECT_THAT(parse_bytes(dupk.finish()).status().message(), HasSubstr("duplicate key"));

  GgufWriter align;
  align.add_scalar<uint32_t>("general.alignment", GgufWriter::kU32, 48);
  EXPECT_THAT(parse_bytes(align.finish()).status().message(), HasSubstr("general.alignment"));
  GgufWriter align_type;
  align_type.add_scalar<uint64_t>("general.alignment", GgufWriter::kU64, 64);
  EXPECT_THAT(parse_bytes(align_type.finish()).status().message(), HasSubstr("general.alignment"));
}

TEST(GgufFile, MisalignedTensorOffset) {
  GgufWriter w;
  w.add_f32_tensor("a", {1}, {1});
  w.add_f32_tensor("b", {1}, {2});
  auto bytes = w.finish();
  auto f = parse_bytes(bytes);
  ASSERT_TRUE(f.ok());
  // Find b's offset field: it is the last u64 before the padding of the tensor-info block.
  const TensorInfo* b = (*f)->find_tensor("b");
  ASSERT_EQ(b->offset, 32u);
  size_t at = 0;
  for (size_t i = 0; i + 8 <= bytes.size(); ++i) {
    uint64_t v;
    std::memcpy(&v, bytes.data() + i, 8);
    if (v == 32 && i > 24) at = i;  // last occurrence in the header
    if (i > 200) break;
  }
  ASSERT_GT(at, 0u);
  poke_u64(&bytes, at, 4);
  auto s = parse_bytes(bytes).status();
  EXPECT_THAT(s.message(), HasSubstr("'b'"));
  EXPECT_THAT(s.message(), HasSubstr("alignment"));
}

TEST(GgufFile, OpensFixtureModel) {
  const std::string path = mms::testing::test_data("tiny-qwen2-f32.gguf");
  auto f = GgufFile::open(path);
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  const GgufFile& g = **f;
  EXPECT_EQ(g.version(), 3u);
  EXPECT_EQ(*g.get_string("general.architecture"), "qwen2");
  EXPECT_EQ(*g.get_int("qwen2.block_count"), 4);
  EXPECT_EQ(*g.get_float("qwen2.attention.layer_norm_rms_epsilon"), 1e-6);
  EXPECT_EQ(g.get_string_array("tokenizer.ggml.tokens")->size(), 2112u);
  EXPECT_EQ(g.get_string_array("tokenizer.ggml.tokens")->front(), "!");
  EXPECT_EQ(g.tensors().size(), 50u);
  auto emb = g.find_tensor("token_embd.weight")->tensor();
  ASSERT_TRUE(emb.ok());
  EXPECT_EQ(emb->shape, (Shape{2112, 256}));
  EXPECT_EQ(reinterpret_cast<uintptr_t>(emb->data) % 32, 0u);
}

TEST(GgufFile, TruncatedFixtureAtManyCutPoints) {
  auto m = MappedFile::open(mms::testing::test_data("tiny-qwen2-f32.gguf"));
  ASSERT_TRUE(m.ok());
  const auto all = (*m)->bytes();
  std::mt19937 rng(7);
  std::vector<size_t> cuts = {0, 3, 4, 8, 23, 24, all.size() - 1};
  for (int i = 0; i < 300; ++i) cuts.push_back(rng() % 62400);  // header region
  for (int i = 0; i < 50; ++i) cuts.push_back(rng() % all.size());
  for (size_t cut : cuts) {
    auto f = GgufFile::parse(all.subspan(0, cut), "tiny.gguf");
    EXPECT_FALSE(f.ok()) << "cut at " << cut;
    if (!f.ok()) {
      EXPECT_THAT(f.status().message(), HasSubstr("tiny.gguf"));
    }
  }
}

TEST(GgufFile, MissingFile) {
  auto f = GgufFile::open("/nonexistent/model.gguf");
  EXPECT_EQ(f.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(f.status().message(), HasSubstr("/nonexistent/model.gguf"));
}

}  // namespace
}  // namespace mms::gguf

namespace mms::gguf {
namespace {

TEST(GgufFile, OpensVocabOnlyFileWithoutTensors) {
  auto f = GgufFile::open(mms::testing::test_data("tokenizer/qwen2-vocab-only.gguf"));
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  EXPECT_TRUE((*f)->tensors().empty());
  EXPECT_EQ((*f)->get_string_array("tokenizer.ggml.tokens")->size(), 151936u);
  EXPECT_EQ((*f)->get_string_array("tokenizer.ggml.merges")->size(), 151387u);
  EXPECT_EQ((*f)->get_int_array("tokenizer.ggml.token_type")->size(), 151936u);
}

}  // namespace
}  // namespace mms::gguf
