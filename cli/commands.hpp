// The subcommands of `tapegrad`, listed once: each registers itself on the program's
// CLI11 App (its options and a callback that runs it) from a file of its own,
// NAME_command.cpp. main() adds every listed command, and names them all when a word is
// not one of them; CLI11's --help lists them with their descriptions. A callback
// reports bad input by throwing UsageError (exit code 2); main() prints it.
//
// A new command: its file (the build picks up every *_command.cpp) and one entry here.
#pragma once

#include <CLI/CLI.hpp>
#include <array>

namespace tapegrad::cli {

void add_grad_command(CLI::App& app);
void add_hessian_command(CLI::App& app);
void add_jacobian_command(CLI::App& app);
void add_minimize_command(CLI::App& app);
void add_solve_command(CLI::App& app);
void add_cost_command(CLI::App& app);
void add_train_command(CLI::App& app);
void add_predict_command(CLI::App& app);
void add_functions_command(CLI::App& app);

struct Command {
  const char* name;
  void (*add)(CLI::App& app);
};

inline constexpr std::array commands = {
    Command{"grad", add_grad_command},           Command{"hessian", add_hessian_command},
    Command{"jacobian", add_jacobian_command},   Command{"minimize", add_minimize_command},
    Command{"solve", add_solve_command},         Command{"cost", add_cost_command},
    Command{"train", add_train_command},         Command{"predict", add_predict_command},
    Command{"functions", add_functions_command},
};

}  // namespace tapegrad::cli
