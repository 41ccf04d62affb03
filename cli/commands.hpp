// The subcommands of `tapegrad`, each registered on the program's CLI11 App with its
// options and a callback that runs it. A callback reports bad input by throwing
// UsageError (exit code 2); main() prints it.
#pragma once

#include <CLI/CLI.hpp>

namespace tapegrad::cli {

void add_grad_command(CLI::App& app);
void add_minimize_command(CLI::App& app);
void add_solve_command(CLI::App& app);
void add_cost_command(CLI::App& app);
void add_train_command(CLI::App& app);
void add_predict_command(CLI::App& app);

}  // namespace tapegrad::cli
