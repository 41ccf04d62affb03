// The `tapegrad` program: differentiate, minimize, solve, measure and train from text.
// Exit codes: 0 success; 2 bad usage or input (one line on stderr; an expression error
// also shows the expression with a caret under the place); 1 a computation that did
// not succeed (a diverged run) or anything unexpected. With --json anywhere on the
// command line, an error is one JSON object on stderr: {"error": …, "where": …}.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "calculus.hpp"
#include "commands.hpp"
#include "output.hpp"
#include "process_group.hpp"
#if TAPEGRAD_CLI_WITH_MPI
#include <memory>

#include "../autodiff/parallel/mpi_communicator.hpp"
#endif

namespace cli = tapegrad::cli;

namespace {

struct ErrorReport {
  bool json = false;
  // Under mpirun, the message names the process, and the whole job ends: the other
  // processes would otherwise wait for this one in their next gather.
  int report(int exit_code, std::string message, const cli::Json& where = nullptr,
             const std::string& detail = "") const {
    if (message.rfind("tapegrad: ", 0) == 0) message.erase(0, 10);
    tapegrad::Communicator* group = cli::process_group();
    if (group != nullptr && group->size() > 1)
      message = "process " + std::to_string(group->rank()) + " of " + std::to_string(group->size()) + ": " +
                message;
    print(exit_code, message, where, detail);
    if (group != nullptr && group->size() > 1) {
      std::fflush(stderr);
      group->abort(exit_code);
    }
    return exit_code;
  }
  void print(int exit_code, const std::string& message, const cli::Json& where,
             const std::string& detail) const {
    if (json) {
      cli::Json j{{"error", message}, {"where", where}, {"exit_code", exit_code}};
      std::fprintf(stderr, "%s\n", j.dump().c_str());
    } else {
      std::fprintf(stderr, "tapegrad: %s\n%s", message.c_str(), detail.c_str());
    }
  }
};

// The expression with a caret under the column, when it is short and printable.
std::string caret_lines(const cli::ExpressionError& e) {
  const std::string& text = e.text();
  if (text.size() > 200 || e.column() > text.size() + 1) return "";
  for (char c : text)
    if (static_cast<unsigned char>(c) < 0x20) return "";
  return "  " + text + "\n  " + std::string(e.column() - 1, ' ') + "^\n";
}

// "--lr2" → "did you mean --lr?" among the options of the command that was run.
std::string suggestion_for(const CLI::App& app, const std::vector<std::string>& extras) {
  const CLI::App* command = nullptr;
  for (const CLI::App* sub : app.get_subcommands()) command = sub;
  if (command == nullptr || extras.empty()) return "";
  const std::string wrong = extras.front();
  if (wrong.rfind("--", 0) != 0) return "";
  std::vector<std::string> names;
  for (const CLI::Option* option : command->get_options())
    for (const std::string& name : option->get_lnames()) names.push_back("--" + name);
  const std::string near = cli::closest_name(wrong.substr(0, wrong.find('=')), names);
  return near.empty() ? "" : "; did you mean " + near + "?";
}

}  // namespace

int main(int argc, char** argv) {
#if TAPEGRAD_CLI_WITH_MPI
  // Started by mpirun: every process runs the command; train shares its work among them.
  std::unique_ptr<tapegrad::MpiSession> mpi;
  std::unique_ptr<tapegrad::MpiCommunicator> group;
  if (tapegrad::launched_by_mpi()) {
    mpi = std::make_unique<tapegrad::MpiSession>(argc, argv);
    group = std::make_unique<tapegrad::MpiCommunicator>();
    cli::process_group() = group.get();
    // Results are printed once, by rank 0; errors by whichever process meets them.
    if (group->rank() != 0 && std::freopen("/dev/null", "w", stdout) == nullptr) return 1;
  }
#endif
  CLI::App app{"tapegrad: exact gradients, minimization, roots and training from the command line",
               "tapegrad"};
  app.set_version_flag("--version", std::string("tapegrad ") + TAPEGRAD_VERSION);
  app.require_subcommand(1, 1);
  std::vector<std::string> args(argv + 1, argv + argc);
  ErrorReport errors{std::find(args.begin(), args.end(), "--json") != args.end()};
  std::string names;
  std::vector<std::string> command_names;
  for (const cli::Command& command : cli::commands) {
    command.add(app);
    names += (names.empty() ? "" : ", ") + std::string(command.name);
    command_names.emplace_back(command.name);
  }
  // CLI11 would only say that a subcommand is required; name the word it did not know.
  if (argc > 1 && argv[1][0] != '-') {
    bool known = false;
    for (const CLI::App* sub : app.get_subcommands({})) known = known || sub->check_name(argv[1]);
    if (!known) {
      const std::string near = cli::closest_name(argv[1], command_names);
      return errors.report(2, std::string("unknown command '") + argv[1] + "'" +
                                  (near.empty() ? "" : "; did you mean " + near + "?") +
                                  " (commands: " + names + ")");
    }
  }
  // We have no short options but -h, so an argument like "-x^2" is an expression that
  // starts with a minus; a leading space keeps CLI11 from reading it as an option (the
  // parser skips spaces).
  for (std::string& a : args)
    if (a.size() > 1 && a[0] == '-' && a[1] != '-' && a != "-h") a.insert(0, " ");
  std::reverse(args.begin(), args.end());  // CLI11 takes the arguments last first
  try {
    app.parse(args);
    return 0;
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    // An option the command does not have: suggest the nearest one it has.
    std::string hint;
    if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
      std::vector<std::string> extras;
      std::istringstream words(e.what());
      for (std::string word; words >> word;)
        if (word.rfind("--", 0) == 0) extras.push_back(word);
      hint = suggestion_for(app, extras);
    }
    return errors.report(2, std::string(e.what()) + hint + " (see tapegrad --help)");
  } catch (const cli::ExpressionError& e) {
    return errors.report(2, std::string(e.what()) + " (column " + std::to_string(e.column()) + ")",
                         cli::Json{{"column", e.column()}}, caret_lines(e));
  } catch (const cli::RunFailed& e) {
    return errors.report(1, e.what());
  } catch (
      const tapegrad::Error& e) {  // bad input found by the library: a CSV, a model file, a hyperparameter
    return errors.report(2, e.what());
  } catch (const std::filesystem::filesystem_error& e) {  // a path given on the command line
    return errors.report(2, e.code().message() + ": " + e.path1().string());
  } catch (const std::exception& e) {
    return errors.report(1, std::string("internal error: ") + e.what());
  }
}
