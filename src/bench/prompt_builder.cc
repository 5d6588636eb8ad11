// Corpus-based prompt construction.
#include "bench/prompt_builder.h"

#include <random>
#include <sstream>

namespace mms::bench {
namespace {

constexpr const char* kWords[] = {
    "the", "of", "and", "to", "in", "is", "that", "for", "it", "as", "was", "with", "be", "by", "on", "not",
    "he", "this", "are", "or", "his", "from", "at", "which", "but", "have", "an", "had", "they", "you",
    "were", "their", "one", "all", "we", "can", "her", "has", "there", "been", "if", "more", "when", "will",
    "would", "who", "so", "no", "time", "people", "year", "way", "day", "man", "thing", "woman", "life",
    "child", "world", "school", "state", "family", "student", "group", "country", "problem", "hand", "part",
    "place", "case", "week", "company", "system", "program", "question", "work", "government", "number",
    "night", "point", "home", "water", "room", "mother", "area", "money", "story", "fact", "month", "lot",
    "right", "study", "book", "eye", "job", "word", "business", "issue", "side", "kind", "head", "house",
    "service", "friend", "father", "power", "hour", "game", "line", "end", "member", "law", "car", "city",
    "community", "name", "president", "team", "minute", "idea", "kid", "body", "information", "back",
    "parent", "face", "others", "level", "office", "door", "health", "person", "art", "war", "history",
    "party", "result", "change", "morning", "reason", "research", "girl", "guy", "moment", "air", "teacher",
    "force", "education", "river", "mountain", "engine", "signal", "memory", "window", "garden", "light",
    "small", "large", "early", "young", "important", "few", "public", "bad", "same", "able", "quick",
    "bright", "quiet", "ancient", "careful", "strange", "simple", "open", "green", "cold", "heavy",
    "said", "made", "found", "gave", "told", "became", "left", "felt", "brought", "began", "kept", "held",
    "wrote", "stood", "heard", "let", "meant", "set", "met", "ran", "paid", "sat", "spoke", "lay", "led",
    "read", "grew", "lost", "fell", "sent", "built", "understood", "drew", "broke", "spent", "rose",
    "drove", "bought", "wore", "chose", "measured", "counted", "followed", "carried", "opened", "watched"};

std::string builtin_corpus() {
  std::mt19937_64 rng(20240601);
  std::uniform_int_distribution<size_t> pick(0, std::size(kWords) - 1);
  std::uniform_int_distribution<int> len(6, 16);
  std::string out;
  for (int s = 0; s < 3000; ++s) {
    int n = len(rng);
    for (int i = 0; i < n; ++i) {
      std::string w = kWords[pick(rng)];
      if (i == 0) w[0] = static_cast<char>(w[0] - 'a' + 'A');
      out += w;
      out += i + 1 == n ? ". " : (i % 7 == 6 ? ", " : " ");
    }
  }
  return out;
}

}  // namespace

PromptBuilder::PromptBuilder(const std::string& corpus, double chars_per_token)
    : chars_per_token_(chars_per_token) {
  std::istringstream in(corpus.empty() ? builtin_corpus() : corpus);
  std::string w;
  while (in >> w) words_.push_back(w);
  if (words_.empty()) words_.push_back("word");
}

std::string PromptBuilder::text(int64_t tokens, uint64_t seed) const {
  const size_t target = static_cast<size_t>(std::max<int64_t>(tokens, 0) * chars_per_token_);
  std::string out;
  out.reserve(target + 16);
  size_t i = static_cast<size_t>(std::mt19937_64(seed)() % words_.size());
  while (out.size() < target) {
    if (!out.empty()) out.push_back(' ');
    out += words_[i];
    i = (i + 1) % words_.size();
  }
  if (out.size() > target && target > 0) out.resize(target);
  return out;
}

std::string PromptBuilder::prompt_for(const TraceRequest& r, int64_t index) const {
  std::string out;
  int64_t left = r.input_tokens;
  for (size_t b = 0; b < r.prefix_blocks.size() && left > 0; ++b) {
    const int64_t n = std::min(left, kMooncakeBlockTokens);
    if (n < kMooncakeBlockTokens) break;  // a partial last block is unique to the request anyway
    out += text(n, 0x9E3779B97F4A7C15ull ^ static_cast<uint64_t>(r.prefix_blocks[b]));
    out += '\n';
    left -= n;
  }
  // Unique remainder, led by the request number so unrelated requests share no prefix by accident.
  std::string head = "Request " + std::to_string(index) + ". ";
  const int64_t head_tokens = static_cast<int64_t>(head.size() / chars_per_token_);
  out += head;
  out += text(std::max<int64_t>(left - head_tokens, 1), 0xA5A5A5A5ull + static_cast<uint64_t>(index) * 7919);
  return out;
}

}  // namespace mms::bench
