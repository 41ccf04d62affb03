// The `tapegrad` program: differentiate, minimize, solve, measure and train from text.
// Exit codes: 0 success; 2 bad usage or input (one line on stderr; an expression error
// also shows the expression with a caret under the place); 1 a computation that did
// not succeed (a diverged run) or anything unexpected. With --json anywhere on the
// command line, an error is one JSON object on stderr: {"error": …, "where": …}.
// Columns count characters (code points) from 1. A byte of a message that is not
// UTF-8 (a file name, a value typed in another encoding) is shown as \xNN, so every
// message is valid UTF-8 and every JSON document can be written.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "../autodiff/support/utf8.hpp"
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
    message = tapegrad::detail::printable_utf8(message);
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
      std::fprintf(stderr, "%s\n", j.dump(-1, ' ', false, cli::Json::error_handler_t::replace).c_str());
    } else {
      std::fprintf(stderr, "tapegrad: %s\n%s", message.c_str(), detail.c_str());
    }
  }
};

// How many terminal cells a character takes: 0 for combining marks and zero-width
// characters, 2 for the wide East Asian ranges and emoji, else 1 (an invalid byte is
// shown as one replacement character). What the caret needs, not all of Unicode's table.
int display_width(char32_t c) {
  if ((c >= 0x0300 && c <= 0x036F) || (c >= 0x200B && c <= 0x200F) || c == 0xFEFF ||
      (c >= 0xFE00 && c <= 0xFE0F))
    return 0;
  if ((c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0xA4CF && c != 0x303F) ||
      (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFE30 && c <= 0xFE4F) ||
      (c >= 0xFF00 && c <= 0xFF60) || (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x1F300 && c <= 0x1FAFF) ||
      (c >= 0x20000 && c <= 0x3FFFD))
    return 2;
  return 1;
}

// An expression error's column (a byte column in the text) in characters; a leading
// byte-order mark, which an editor does not show, is not counted.
std::size_t character_column(const cli::ExpressionError& e) {
  return tapegrad::detail::character_column(e.text(), e.column());
}

// The expression with a caret under the column, when it is short and printable. A byte
// that is not UTF-8 is shown as U+FFFD, and the caret is indented by the cells the
// characters before it take, so that it stands under a multi-byte or wide character.
std::string caret_lines(const cli::ExpressionError& e) {
  const std::string_view text = e.text();
  if (text.size() > 200 || e.column() == 0 || e.column() > text.size() + 1) return "";
  std::string shown;
  std::size_t indent = 0;
  for (std::size_t k = 0; k < text.size();) {
    const tapegrad::detail::Utf8Char c = tapegrad::detail::decode_utf8(text.substr(k));
    if (c.length == 1 && (c.code_point < 0x20 || c.code_point == 0x7F)) return "";
    const std::size_t length = c.length == 0 ? 1 : c.length;
    shown += c.length == 0 ? std::string("\xEF\xBF\xBD") : std::string(text.substr(k, length));
    if (k + 1 < e.column())
      indent += c.length == 0 ? 1 : static_cast<std::size_t>(display_width(c.code_point));
    k += length;
  }
  return "  " + shown + "\n  " + std::string(indent, ' ') + "^\n";
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
  // The name itself (after "--", which ends the options) is no suggestion.
  return near.empty() || near == wrong ? "" : "; did you mean " + near + "?";
}

// The arguments no option took ("--betas 0.9 0.99", or words a missing pair of quotes
// split off) as the user wrote them, whole: an option the command does not have, with the
// nearest one it has, or the stray words.
std::string unexpected(const CLI::App& app) {
  std::vector<std::string> words = app.remaining(true);
  for (std::string& word : words)
    if (word.rfind(' ', 0) == 0) word.erase(0, 1);  // the space main() put before "-x^2"
  std::string command = "tapegrad";
  for (const CLI::App* sub : app.get_subcommands()) command += " " + sub->get_name();
  std::string all;
  for (const std::string& word : words)
    all += (all.empty() ? "" : " ") + (word.find(' ') == std::string::npos ? word : "\"" + word + "\"");
  if (!words.empty() && words.front().rfind("--", 0) == 0 && words.front().size() > 2) {
    const std::string option = words.front().substr(0, words.front().find('='));
    return option + " is not an option of " + command + suggestion_for(app, {option}) +
           " (unexpected: " + all + "; see " + command + " --help)";
  }
  // A stray word with a space in it was quoted already: a second expression, not a split one.
  const bool quoted = std::any_of(words.begin(), words.end(), [](const std::string& word) {
    return word.find(' ') != std::string::npos;
  });
  return "unexpected argument" + std::string(words.size() == 1 ? " " : "s ") + all +
         (quoted ? " (" + command + " takes one expression; see "
                 : " (an expression with spaces goes in quotes, as \"x^2 + y\"; see ") +
         command + " --help)";
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
    if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) return errors.report(2, unexpected(app));
    return errors.report(2, std::string(e.what()) + " (see tapegrad --help)");
  } catch (const cli::ExpressionError& e) {
    const std::size_t column = character_column(e);
    return errors.report(2, std::string(e.what()) + " (column " + std::to_string(column) + ")",
                         cli::Json{{"column", column}}, caret_lines(e));
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
