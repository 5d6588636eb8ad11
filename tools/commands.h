// Subcommands of the mmserve binary. Each registers its options on a CLI11 subcommand and runs.
#pragma once

#include <cstdint>
#include <string>

namespace CLI {
class App;
}

namespace mms::tools {

struct GenerateArgs {
  std::string model;
  std::string prompt;
  std::string load_format = "auto";
  int n = 32;
  int random_prompt_len = 0;
  double temperature = 0.0;
  double top_p = 1.0;
  int64_t top_k = 0;
  uint64_t seed = 0;
  int threads = 0;
  bool ignore_eos = false;
};
void add_generate_options(CLI::App& app, GenerateArgs& args);
int run_generate(const GenerateArgs& args);

}  // namespace mms::tools
