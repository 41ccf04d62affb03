// tapegrad functions: every function an expression may call, with its arguments, from
// the autodiff rules' lists (so it is never out of date), plus sum(…), prod(…) and len(…).
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
  std::printf(
      "sum(i = a..b: body)   the body added for each whole number i from a to b (0 when b < a);\n"
      "                      the body reads x[i], x[i+1], x[2*i], … and i itself; sums nest\n"
      "prod(i = a..b: body)  the same, multiplied (1 when b < a)\n"
      "sum(body)             the body added over every index of the vectors it names bare\n"
      "prod(body)            the same, multiplied\n"
      "len(x)                the length of the vector x (a bound may use it: 0..len(x)-1)\n");
}

}  // namespace

void add_functions_command(CLI::App& app) {
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("functions", "list the functions an expression may call");
  cmd->add_flag("--json", *json, "one JSON object: {\"functions\": [{\"name\": …, \"arguments\": n}, …]}");
  cmd->callback([json] { run_functions(*json); });
}

}  // namespace tapegrad::cli
