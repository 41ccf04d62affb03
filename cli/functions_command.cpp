// tapegrad functions: every function an expression may call, with its arguments, from
// the autodiff rules' lists (so it is never out of date), plus sum(…).
#include <cstdio>
#include <memory>

#include "commands.hpp"
#include "functions.hpp"
#include "output.hpp"

namespace tapegrad::cli {
namespace {

void run_functions(bool json) {
  static constexpr const char* arguments[] = {"", "x", "a, b", "x, lo, hi"};
  Json all = Json::array();
  for (const OperationInfo& op : operation_table) {
    if (!op.called_by_name) continue;
    const std::string call = std::string(op.name) + "(" + arguments[op.arity] + ")";
    if (json)
      all.push_back({{"name", op.name}, {"arguments", op.arity}});
    else
      std::printf("%s\n", call.c_str());
  }
  if (json) {
    print_json({{"functions", all}});
    return;
  }
  std::printf("sum(body)   the body added over every index of the vectors it mentions\n");
}

}  // namespace

void add_functions_command(CLI::App& app) {
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("functions", "list the functions an expression may call");
  cmd->add_flag("--json", *json, "one JSON object: {\"functions\": [{\"name\": …, \"arguments\": n}, …]}");
  cmd->callback([json] { run_functions(*json); });
}

}  // namespace tapegrad::cli
