// The `tapegrad` program: differentiate, minimize, solve, measure and train from text.
// Exit codes: 0 success, 2 bad usage or input (one line on stderr; an expression error
// also shows the expression with a caret under the place), 1 anything unexpected.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "calculus.hpp"
#include "commands.hpp"

namespace cli = tapegrad::cli;

namespace {

void print_expression_error(const cli::ExpressionError& e) {
  std::fprintf(stderr, "tapegrad: %s (column %zu)\n", e.what(), e.column());
  // The caret line is only useful for a short, printable expression.
  const std::string& text = e.text();
  if (text.size() > 200 || e.column() > text.size() + 1) return;
  for (char c : text)
    if (static_cast<unsigned char>(c) < 0x20) return;
  std::fprintf(stderr, "  %s\n  %*s^\n", text.c_str(), static_cast<int>(e.column() - 1), "");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tapegrad: exact gradients, minimization, roots and training from the command line",
               "tapegrad"};
  app.require_subcommand(1, 1);
  std::string names;
  for (const cli::Command& command : cli::commands) {
    command.add(app);
    names += (names.empty() ? "" : ", ") + std::string(command.name);
  }
  // CLI11 would only say that a subcommand is required; name the word it did not know.
  if (argc > 1 && argv[1][0] != '-') {
    bool known = false;
    for (const CLI::App* sub : app.get_subcommands({})) known = known || sub->check_name(argv[1]);
    if (!known) {
      std::fprintf(stderr, "tapegrad: unknown command '%s' (commands: %s)\n", argv[1], names.c_str());
      return 2;
    }
  }
  // We have no short options but -h, so an argument like "-x^2" is an expression that
  // starts with a minus; a leading space keeps CLI11 from reading it as an option (the
  // parser skips spaces).
  std::vector<std::string> args(argv + 1, argv + argc);
  for (std::string& a : args)
    if (a.size() > 1 && a[0] == '-' && a[1] != '-' && a != "-h") a.insert(0, " ");
  std::reverse(args.begin(), args.end());  // CLI11 takes the arguments last first
  try {
    app.parse(args);
    return 0;
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    std::fprintf(stderr, "tapegrad: %s (see tapegrad --help)\n", e.what());
    return 2;
  } catch (const cli::ExpressionError& e) {
    print_expression_error(e);
    return 2;
  } catch (
      const tapegrad::Error& e) {  // bad input found by the library: a CSV, a model file, a hyperparameter
    std::string message = e.what();
    if (message.rfind("tapegrad: ", 0) == 0) message.erase(0, 10);
    std::fprintf(stderr, "tapegrad: %s\n", message.c_str());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tapegrad: internal error: %s\n", e.what());
    return 1;
  }
}
