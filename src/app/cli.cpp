#include "app/cli.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

#include "app/bench_command.hpp"
#include "app/run_command.hpp"
#include "app/simulate_command.hpp"

namespace bts::app {

int run_cli(int argc, char** argv) {
  CLI::App app{"bts - the BTS E5~E20-DS5 intelligent battery system in software"};
  app.set_version_flag("--version", std::string("bts ") + BTS_VERSION);
  app.require_subcommand(0, 1);
  int exit_code = 0;
  add_simulate_command(app, exit_code);
  add_run_command(app, exit_code);
  add_bench_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // --help and --version end here with success; anything else is bad input (exit 2).
    return app.exit(error) == 0 ? 0 : 2;
  }
  if (app.get_subcommands().empty()) std::cout << app.help();
  return exit_code;
}

}  // namespace bts::app
