#include "model/safetensors/safetensors_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "testing/safetensors_writer.h"
#include "testing/test_data.h"

namespace mms::safetensors {
namespace {

using mms::testing::SafetensorsWriter;
using ::testing::HasSubstr;

StatusOr<std::unique_ptr<SafetensorsFile>> parse_bytes(const std::vector<uint8_t>& b,
                                                       std::string name = "mem.safetensors") {
  return SafetensorsFile::parse(std::span<const uint8_t>(b.data(), b.size()), std::move(name));
}

std::vector<uint8_t> small_file() {
  SafetensorsWriter w;
  w.set_metadata("{\"format\":\"pt\"}");
  w.add_f32("a", {2, 3}, {1, 2, 3, 4, 5, 6});
  w.add("h", "F16", {2}, {0x00, 0x3c, 0x00, 0xc0});  // 1.0, -2.0
  w.add("b", "BF16", {1}, {0x80, 0x3f});             // 1.0
  w.add("ids", "I64", {1}, std::vector<uint8_t>(8, 0));
  w.add("empty", "F32", {0, 4}, {});
  return w.finish();
}

TEST(SafetensorsFile, ParsesEntries) {
  auto bytes = small_file();
  auto f = parse_bytes(bytes);
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  EXPECT_EQ((*f)->tensors().size(), 5u);  // __metadata__ ignored
  auto a = (*f)->get("a");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->shape, (Shape{2, 3}));
  EXPECT_EQ(a->dtype, DType::kF32);
  EXPECT_EQ(a->as<float>()[5], 6.f);
  // In place: the view points into the caller's bytes.
  EXPECT_GE(static_cast<const uint8_t*>(a->data), bytes.data());
  EXPECT_LT(static_cast<const uint8_t*>(a->data), bytes.data() + bytes.size());
  auto h = (*f)->get("h");
  EXPECT_EQ(h->dtype, DType::kF16);
  EXPECT_EQ(f16_to_f32(h->as<uint16_t>()[1]), -2.f);
  EXPECT_EQ(bf16_to_f32((*f)->get("b")->as<uint16_t>()[0]), 1.f);
  EXPECT_EQ((*f)->get("empty")->numel(), 0);

  Status s = (*f)->get("ids").status();
  EXPECT_EQ(s.code(), StatusCode::kUnimplemented);
  EXPECT_THAT(s.message(), HasSubstr("'ids'"));
  EXPECT_THAT(s.message(), HasSubstr("I64"));
  s = (*f)->get("nope").status();
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("mem.safetensors"));
}

Status parse_entry(const std::string& entry_json, size_t data_bytes, const std::string& name = "t") {
  SafetensorsWriter w;
  w.add_raw_entry(name, entry_json);
  w.add_data(std::vector<uint8_t>(data_bytes, 0));
  return parse_bytes(w.finish(), "bad.safetensors").status();
}

TEST(SafetensorsFile, BadEntriesNameTheTensor) {
  struct Case {
    std::string json;
    StatusCode code;
  };
  const std::vector<Case> cases = {
      {R"({"dtype":"F32","shape":[4],"data_offsets":[0,32]})", StatusCode::kOutOfRange},    // past the end
      {R"({"dtype":"F32","shape":[4],"data_offsets":[8,0]})", StatusCode::kInvalidArgument},  // reversed
      {R"({"dtype":"F32","shape":[4],"data_offsets":[0,12]})", StatusCode::kInvalidArgument}, // size mismatch
      {R"({"dtype":"F32","shape":[-4],"data_offsets":[0,16]})", StatusCode::kInvalidArgument},
      {R"({"dtype":"F32","shape":[4.5],"data_offsets":[0,16]})", StatusCode::kInvalidArgument},
      {R"({"dtype":"F32","shape":[4],"data_offsets":[0]})", StatusCode::kInvalidArgument},
      {R"({"dtype":"F32","shape":[4],"data_offsets":[-1,16]})", StatusCode::kInvalidArgument},
      {R"({"dtype":"F32","shape":[4]})", StatusCode::kInvalidArgument},
      {R"({"dtype":"Q4","shape":[4],"data_offsets":[0,16]})", StatusCode::kUnimplemented},
      {R"({"dtype":7,"shape":[4],"data_offsets":[0,16]})", StatusCode::kInvalidArgument},
      {R"({"shape":[4],"data_offsets":[0,16]})", StatusCode::kInvalidArgument},
      {R"({"dtype":"F32","shape":4,"data_offsets":[0,16]})", StatusCode::kInvalidArgument},
      {R"({"dtype":"F32","shape":[1,1,1,1,1,4],"data_offsets":[0,16]})", StatusCode::kInvalidArgument},
      {R"({"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,16]})",
       StatusCode::kInvalidArgument},
      {R"([1,2])", StatusCode::kInvalidArgument},
  };
  for (const Case& c : cases) {
    Status s = parse_entry(c.json, 16, "model.layers.0.bad");
    EXPECT_EQ(s.code(), c.code) << c.json << " -> " << s.to_string();
    EXPECT_THAT(s.message(), HasSubstr("model.layers.0.bad")) << c.json;
    EXPECT_THAT(s.message(), HasSubstr("bad.safetensors")) << c.json;
  }
  EXPECT_THAT(parse_entry(R"({"dtype":"Q4","shape":[4],"data_offsets":[0,16]})", 16).message(),
              HasSubstr("Q4"));
  EXPECT_TRUE(parse_entry(R"({"dtype":"F32","shape":[4],"data_offsets":[0,16]})", 16).ok());
}

TEST(SafetensorsFile, OverlappingDataIsRejected) {
  SafetensorsWriter w;
  w.add_raw_entry("x", R"({"dtype":"F32","shape":[4],"data_offsets":[0,16]})");
  w.add_raw_entry("y", R"({"dtype":"F32","shape":[2],"data_offsets":[8,16]})");
  w.add_data(std::vector<uint8_t>(16, 0));
  Status s = parse_bytes(w.finish()).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("overlaps"));
  EXPECT_THAT(s.message(), HasSubstr("'x'"));
  EXPECT_THAT(s.message(), HasSubstr("'y'"));
}

TEST(SafetensorsFile, BadHeaders) {
  EXPECT_FALSE(parse_bytes({1, 2, 3}).ok());
  std::vector<uint8_t> b = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, '{', '}'};
  EXPECT_EQ(parse_bytes(b).status().code(), StatusCode::kOutOfRange);
  b = {4, 0, 0, 0, 0, 0, 0, 0, '{', '"', 'a', 0};
  EXPECT_THAT(parse_bytes(b).status().message(), HasSubstr("JSON"));
  b = {2, 0, 0, 0, 0, 0, 0, 0, '[', ']'};
  EXPECT_THAT(parse_bytes(b).status().message(), HasSubstr("object"));
  b = {2, 0, 0, 0, 0, 0, 0, 0, '{', '}'};
  EXPECT_TRUE(parse_bytes(b).ok());
  // Deeply nested JSON does not overflow the stack (and __metadata__ is ignored whatever it holds).
  std::string deep(200000, '[');
  deep += std::string(200000, ']');
  SafetensorsWriter w;
  w.set_metadata(deep);
  EXPECT_TRUE(parse_bytes(w.finish()).ok());
  SafetensorsWriter w2;
  w2.add_raw_entry("deep", deep);
  EXPECT_THAT(parse_bytes(w2.finish()).status().message(), HasSubstr("'deep'"));
}

TEST(SafetensorsFile, EveryTruncationIsAnError) {
  auto bytes = small_file();
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    std::vector<uint8_t> b(bytes.begin(), bytes.begin() + cut);
    auto f = parse_bytes(b, "cut.safetensors");
    ASSERT_FALSE(f.ok()) << "cut at " << cut;
    EXPECT_THAT(f.status().message(), HasSubstr("cut.safetensors"));
  }
}

TEST(SafetensorsFile, RandomCorruptionNeverCrashes) {
  auto bytes = small_file();
  std::mt19937 rng(3);
  for (int i = 0; i < 3000; ++i) {
    auto b = bytes;
    for (int k = 0; k < 2; ++k) b[rng() % b.size()] = static_cast<uint8_t>(rng());
    auto f = parse_bytes(b);
    if (f.ok()) {
      for (const auto& e : (*f)->tensors()) {
        auto t = (*f)->tensor(e);
        if (t.ok()) {
          ASSERT_LE(static_cast<const uint8_t*>(t->data) + t->nbytes(), b.data() + b.size());
        }
      }
    }
  }
}

TEST(SafetensorsFile, OpensFixture) {
  auto f = SafetensorsFile::open(mms::testing::test_data("tiny-qwen2-hf/model.safetensors"));
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  EXPECT_EQ((*f)->tensors().size(), 50u);
  auto t = (*f)->get("model.layers.0.mlp.down_proj.weight");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->shape, (Shape{256, 704}));
}

}  // namespace
}  // namespace mms::safetensors
