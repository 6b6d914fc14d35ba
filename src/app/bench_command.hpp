#pragma once
// `bts bench`: the project's accuracy benchmarks, each printing one JSON object.
namespace CLI {
class App;
}

namespace bts::app {

/// Adds the subcommand to the program; the callback stores its exit code in exit_code.
void add_bench_command(CLI::App& app, int& exit_code);

}  // namespace bts::app
