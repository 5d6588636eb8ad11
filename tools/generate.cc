#include <CLI/CLI.hpp>

#include <cstdio>

#include "tools/commands.h"

namespace mms::tools {

void add_generate_options(CLI::App& app, GenerateArgs& a) {
  app.add_option("--model,-m", a.model, "GGUF file or Hugging Face checkpoint directory")->required();
  app.add_option("--prompt,-p", a.prompt, "Prompt text (special tokens such as <|im_start|> are parsed)")->required();
  app.add_option("-n,--max-tokens", a.n, "Number of tokens to generate");
  app.add_option("--load-format", a.load_format, "auto | dummy (random weights from config.json)");
  app.add_option("--temperature", a.temperature, "0 = greedy");
  app.add_option("--top-p", a.top_p, "Nucleus sampling threshold");
  app.add_option("--top-k", a.top_k, "Top-k sampling (0 = off)");
  app.add_option("--seed", a.seed, "Sampling seed");
  app.add_option("--threads,-t", a.threads, "Compute threads (0 = all cores)");
  app.add_flag("--ignore-eos", a.ignore_eos, "Keep generating past end-of-sequence tokens");
}

int run_generate(const GenerateArgs&) {
  std::fprintf(stderr, "generate: not built yet\n");
  return 1;
}

}  // namespace mms::tools
