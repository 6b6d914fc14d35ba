#include "app/cli.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

namespace bts::app {

int run_cli(int argc, char** argv) {
  CLI::App app{"bts - the BTS E5~E20-DS5 intelligent battery system in software"};
  app.set_version_flag("--version", std::string("bts ") + BTS_VERSION);
  app.require_subcommand(0, 1);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error) == 0 ? 0 : 2;
  }
  if (app.get_subcommands().empty()) {
    std::cout << app.help();
  }
  return 0;
}

}  // namespace bts::app
