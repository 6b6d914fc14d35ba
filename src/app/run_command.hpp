#pragma once
// `bts run`: the system live, paced to the wall clock, with a real inverter or tool on CAN.
namespace CLI {
class App;
}

namespace bts::app {

/// Adds the subcommand to the program; the callback stores its exit code in exit_code.
void add_run_command(CLI::App& app, int& exit_code);

}  // namespace bts::app
