#pragma once
// `bts simulate`: run a system for a duration and write the results to a directory.
namespace CLI {
class App;
}

namespace bts::app {

/// Adds the subcommand to the program; the callback stores its exit code in exit_code.
void add_simulate_command(CLI::App& app, int& exit_code);

}  // namespace bts::app
