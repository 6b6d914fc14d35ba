#pragma once
// The bts command line: subcommands, exit codes (0 ok, 1 expectation failed, 2 bad input).

namespace bts::app {

int run_cli(int argc, char** argv);

}  // namespace bts::app
