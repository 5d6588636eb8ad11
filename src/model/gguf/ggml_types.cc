#include "model/gguf/ggml_types.h"

#include <array>
#include <string>

#include "model/gguf/gguf_file.h"

namespace mms::gguf {
namespace {

constexpr int64_t kQK = 32;    // QK4_0 .. QK8_1, IQ4_NL, MXFP4
constexpr int64_t kQKK = 256;  // QK_K: k-quants and i-quants

// Indexed by ggml_type (ggml.h). Empty names mark removed ids.
constexpr std::array<GgmlTypeTraits, 40> kTypes = {{
    {"F32", 1, 4},          // 0
    {"F16", 1, 2},          // 1
    {"Q4_0", kQK, 18},      // 2
    {"Q4_1", kQK, 20},      // 3
    {"", 0, 0},             // 4  (Q4_2, removed)
    {"", 0, 0},             // 5  (Q4_3, removed)
    {"Q5_0", kQK, 22},      // 6
    {"Q5_1", kQK, 24},      // 7
    {"Q8_0", kQK, 34},      // 8
    {"Q8_1", kQK, 36},      // 9
    {"Q2_K", kQKK, 84},     // 10
    {"Q3_K", kQKK, 110},    // 11
    {"Q4_K", kQKK, 144},    // 12
    {"Q5_K", kQKK, 176},    // 13
    {"Q6_K", kQKK, 210},    // 14
    {"Q8_K", kQKK, 292},    // 15
    {"IQ2_XXS", kQKK, 66},  // 16
    {"IQ2_XS", kQKK, 74},   // 17
    {"IQ3_XXS", kQKK, 98},  // 18
    {"IQ1_S", kQKK, 50},    // 19
    {"IQ4_NL", kQK, 18},    // 20
    {"IQ3_S", kQKK, 110},   // 21
    {"IQ2_S", kQKK, 82},    // 22
    {"IQ4_XS", kQKK, 136},  // 23
    {"I8", 1, 1},           // 24
    {"I16", 1, 2},          // 25
    {"I32", 1, 4},          // 26
    {"I64", 1, 8},          // 27
    {"F64", 1, 8},          // 28
    {"IQ1_M", kQKK, 56},    // 29
    {"BF16", 1, 2},         // 30
    {"", 0, 0},             // 31 (Q4_0_4_4, removed)
    {"", 0, 0},             // 32 (Q4_0_4_8, removed)
    {"", 0, 0},             // 33 (Q4_0_8_8, removed)
    {"TQ1_0", kQKK, 54},    // 34
    {"TQ2_0", kQKK, 66},    // 35
    {"", 0, 0},             // 36 (IQ4_NL_4_4, removed)
    {"", 0, 0},             // 37 (IQ4_NL_4_8, removed)
    {"", 0, 0},             // 38 (IQ4_NL_8_8, removed)
    {"MXFP4", kQK, 17},     // 39
}};

}  // namespace

std::optional<GgmlTypeTraits> ggml_type_traits(uint32_t ggml_type) {
  if (ggml_type >= kTypes.size() || kTypes[ggml_type].name.empty()) return std::nullopt;
  return kTypes[ggml_type];
}

std::string ggml_type_name(uint32_t ggml_type) {
  auto t = ggml_type_traits(ggml_type);
  if (!t) return "unknown ggml type " + std::to_string(ggml_type);
  return std::string(t->name);
}

std::string_view value_type_name(ValueType t) {
  switch (t) {
    case ValueType::kU8: return "u8";
    case ValueType::kI8: return "i8";
    case ValueType::kU16: return "u16";
    case ValueType::kI16: return "i16";
    case ValueType::kU32: return "u32";
    case ValueType::kI32: return "i32";
    case ValueType::kF32: return "f32";
    case ValueType::kBool: return "bool";
    case ValueType::kString: return "string";
    case ValueType::kArray: return "array";
    case ValueType::kU64: return "u64";
    case ValueType::kI64: return "i64";
    case ValueType::kF64: return "f64";
  }
  return "unknown";
}

}  // namespace mms::gguf
