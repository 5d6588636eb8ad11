// The single `mmserve` binary: subcommands serve | generate | bench.
#include <CLI/CLI.hpp>

#include "bench/bench_runner.h"
#include "common/openmp_env.h"
#include "tools/commands.h"

int main(int argc, char** argv) {
  mms::ensure_openmp_wait_policy(argv);
  CLI::App app{"mmserve: serving multimodal LLMs"};
  app.require_subcommand(1);
  mms::tools::GenerateArgs gen;
  CLI::App* g = app.add_subcommand("generate", "Generate a continuation of a prompt");
  mms::tools::add_generate_options(*g, gen);
  mms::tools::ServeArgs serve;
  CLI::App* s = app.add_subcommand("serve", "Serve a model behind an OpenAI-compatible HTTP API");
  mms::tools::add_serve_options(*s, serve);
  mms::bench::BenchOptions bench;
  CLI::App* b = app.add_subcommand("bench", "Load an OpenAI-compatible server and report latency, SLO goodput");
  mms::tools::add_bench_options(*b, bench);
  CLI11_PARSE(app, argc, argv);
  if (s->parsed()) return mms::tools::run_serve(serve);
  if (g->parsed()) return mms::tools::run_generate(gen);
  if (b->parsed()) return mms::tools::run_bench_command(bench);
  return 1;
}
