// tapegrad hessian EXPR --at x=1,y=2 [--dim x=N] [--json]: the value, the gradient and
// the Hessian, by forward over reverse (one Hessian-vector product per coordinate).
#include <memory>

#include "calculus.hpp"
#include "commands.hpp"
#include "limits.hpp"
#include "output.hpp"

namespace tapegrad::cli {
namespace {

struct HessianOptions {
  std::string expression, at, dims;
  bool json = false;
};

void run_hessian(const HessianOptions& o) {
  const Expression e = compile(expression_text(o.expression), dimensions_of(o.dims, "--dim", o.at, "--at"));
  // n² entries and n sweeps: refused before either is made.
  long long coordinates = static_cast<long long>(e.scalars().size());
  for (std::size_t v = 0; v < e.vectors().size(); ++v) coordinates += static_cast<long long>(e.dimension(v));
  if (coordinates > max_hessian_coordinates)
    throw UsageError("hessian: the expression has " + std::to_string(coordinates) +
                     " coordinates; a dense Hessian is computed for at most " +
                     std::to_string(max_hessian_coordinates));
  const Point point = bind_point(e, o.at, "--at");
  const ValueGradientHessian r = value_gradient_hessian(e, point);
  require_finite_gradient(e, point, r.gradient);
  require_finite_hessian(e, point, r.hessian);
  const std::vector<std::string> names = coordinate_names(e);
  if (o.json) {
    // Keyed by coordinate name (x, or x[3] for a vector entry) at both levels.
    Json gradient = Json::object(), hessian = Json::object();
    for (std::size_t i = 0; i < names.size(); ++i) {
      gradient[names[i]] = r.gradient[i];
      Json row = Json::object();
      for (std::size_t j = 0; j < names.size(); ++j)
        row[names[j]] = r.hessian(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j));
      hessian[names[i]] = row;
    }
    print_json({{"value", r.value}, {"gradient", gradient}, {"hessian", hessian}});
    return;
  }
  std::printf("f = %s\n", number(r.value).c_str());
  for (std::size_t k = 0; k < names.size(); ++k)
    std::printf("df/d%s = %s\n", names[k].c_str(), number(r.gradient[k]).c_str());
  for (std::size_t i = 0; i < names.size(); ++i)
    for (std::size_t j = 0; j < names.size(); ++j)
      std::printf("d2f/d%s d%s = %s\n", names[i].c_str(), names[j].c_str(),
                  number(r.hessian(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j))).c_str());
}

}  // namespace

void add_hessian_command(CLI::App& app) {
  auto o = std::make_shared<HessianOptions>();
  CLI::App* cmd =
      app.add_subcommand("hessian", "the value, gradient and Hessian of an expression at a point");
  cmd->add_option("expression", o->expression,
                  "e.g. \"100*(y - x^2)^2 + (1 - x)^2\"; - reads it from standard input, @file from a file")
      ->required();
  cmd->add_option("--at", o->at, "the point: x=1,y=2 (a vector variable takes one value for every entry)");
  cmd->add_option("--dim", o->dims, "vector variables and their lengths: x=10");
  cmd->add_flag(
      "--json", o->json,
      "one JSON object: {\"value\": …, \"gradient\": {\"x\": …}, \"hessian\": {\"x\": {\"x\": …, …}, …}}");
  cmd->callback([o] { run_hessian(*o); });
}

}  // namespace tapegrad::cli
