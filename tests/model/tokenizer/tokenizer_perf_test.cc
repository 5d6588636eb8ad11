// Encode speed on ~100 KB of text with the full Qwen2 vocabulary (GGUF). Prints the times; asserts only a
// generous bound (the machine is shared), the target being well under 100 ms.
#include <gtest/gtest.h>

#include <chrono>
#include <random>

#include "tokenizer_fixtures.h"

namespace mms::testing {
namespace {

constexpr size_t kTextBytes = 100 * 1024;

// English-like prose from a fixed list of common words, with punctuation, numbers and paragraphs.
std::string english_text(std::mt19937& rng) {
  static const char* kWords[] = {
      "the", "of", "and", "to", "in", "a", "is", "that", "for", "it", "as", "was", "with", "be", "by", "on",
      "not", "he", "I", "this", "are", "or", "his", "from", "at", "which", "but", "have", "an", "had", "they",
      "you", "were", "their", "one", "all", "we", "can", "her", "has", "there", "been", "if", "more", "when",
      "will", "would", "who", "so", "no", "model", "server", "request", "token", "latency", "throughput",
      "scheduler", "memory", "cache", "prefill", "decode", "image", "video", "encoder", "batch", "queue",
      "between", "because", "through", "however", "different", "important", "information", "government",
      "development", "understanding", "performance", "especially", "international", "responsibility",
      "Hugging", "Face", "transformer", "attention", "don't", "it's", "we'll", "they're", "Qwen", "Llama"};
  constexpr size_t kNumWords = sizeof(kWords) / sizeof(kWords[0]);
  std::string text;
  while (text.size() < kTextBytes) {
    int sentence = 5 + static_cast<int>(rng() % 20);
    for (int i = 0; i < sentence; ++i) {
      std::string w = kWords[rng() % kNumWords];
      if (i == 0) w[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(w[0])));
      text += w;
      if (rng() % 40 == 0) text += " " + std::to_string(rng() % 100000);
      text += (i + 1 == sentence) ? "." : (rng() % 8 == 0 ? ", " : " ");
    }
    text += rng() % 6 == 0 ? "\n\n" : " ";
  }
  return text;
}

// Random lowercase "words": nearly every pre-token is new, so the pre-token cache rarely helps.
std::string random_words(std::mt19937& rng) {
  std::string text;
  while (text.size() < kTextBytes) {
    int len = 2 + static_cast<int>(rng() % 9);
    for (int i = 0; i < len; ++i) text.push_back(static_cast<char>('a' + rng() % 26));
    text += rng() % 10 == 0 ? ". " : " ";
  }
  return text;
}

double encode_ms(const Tokenizer& tok, const std::string& text, size_t* n_tokens) {
  auto t0 = std::chrono::steady_clock::now();
  std::vector<int32_t> ids = tok.encode(text);
  auto t1 = std::chrono::steady_clock::now();
  *n_tokens = ids.size();
  return std::chrono::duration<double, std::milli>(t1 - t0).count();
}

TEST(TokenizerPerf, Encode100KB) {
  const Tokenizer* tok = fixture_tokenizer(TokSource::kFullGguf);
  ASSERT_NE(tok, nullptr);
  std::mt19937 rng(42);
  for (const auto& [name, text] : {std::pair<const char*, std::string>{"english-like", english_text(rng)},
                                   {"random words", random_words(rng)}}) {
    size_t n = 0;
    double first = encode_ms(*tok, text, &n);
    double best = first;
    for (int i = 0; i < 5; ++i) best = std::min(best, encode_ms(*tok, text, &n));
    std::printf("encode %zu bytes of %s text -> %zu tokens: first %.1f ms, best of 5 %.1f ms (%.1f MB/s)\n",
                text.size(), name, n, first, best, text.size() / best / 1e3);
    EXPECT_LT(first, 1000.0) << name;
    EXPECT_EQ(tok->decode(tok->encode(text)), text);
  }
}

}  // namespace
}  // namespace mms::testing
