#include "app/cli.hpp"

int main(int argc, char** argv) { return bts::app::run_cli(argc, argv); }
