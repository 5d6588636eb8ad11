// The single `mmserve` binary: subcommands serve | generate | bench (as they land).
#include <CLI/CLI.hpp>

#include "tools/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"mmserve: serving multimodal LLMs"};
  app.require_subcommand(1);
  mms::tools::GenerateArgs gen;
  CLI::App* g = app.add_subcommand("generate", "Generate a continuation of a prompt");
  mms::tools::add_generate_options(*g, gen);
  CLI11_PARSE(app, argc, argv);
  if (g->parsed()) return mms::tools::run_generate(gen);
  return 1;
}
