// Subcommands of the mmserve binary. Each registers its options on a CLI11 subcommand and runs.
#pragma once

#include <cstdint>
#include <string>

namespace CLI {
class App;
}
namespace mms::bench {
struct BenchOptions;
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

// `mmserve bench` (tools/bench.cc): options straight into bench::BenchOptions.
void add_bench_options(CLI::App& app, bench::BenchOptions& opts);
int run_bench_command(bench::BenchOptions opts);

}  // namespace mms::tools
