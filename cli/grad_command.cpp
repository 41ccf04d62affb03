// tapegrad grad EXPR --at x1=1,x2=1 [--dim x=N] [--json]: the value and the gradient.
#include <memory>

#include "calculus.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace tapegrad::cli {
namespace {

struct GradOptions {
  std::string expression, at, dims;
  bool json = false;
};

void run_grad(const GradOptions& o) {
  const Expression e = compile(expression_text(o.expression), parse_dimensions(o.dims, "--dim"));
  const Point point = bind_point(e, o.at, "--at");
  const ValueAndGradient r = value_and_gradient(e, point);
  if (o.json) {
    Json gradient = Json::object();
    std::size_t k = 0;
    for (const std::string& name : e.scalars()) gradient[name] = r.gradient[k++];
    for (std::size_t v = 0; v < e.vectors().size(); ++v) {
      Json entries = Json::array();
      for (std::size_t i = 0; i < e.dimension(v); ++i) entries.push_back(r.gradient[k++]);
      gradient[e.vectors()[v]] = entries;
    }
    print_json({{"value", r.value}, {"gradient", gradient}});
    return;
  }
  std::printf("f = %s\n", number(r.value).c_str());
  const std::vector<std::string> names = coordinate_names(e);
  for (std::size_t k = 0; k < names.size(); ++k)
    std::printf("df/d%s = %s\n", names[k].c_str(), number(r.gradient[k]).c_str());
}

}  // namespace

void add_grad_command(CLI::App& app) {
  auto o = std::make_shared<GradOptions>();
  CLI::App* grad = app.add_subcommand("grad", "the value and gradient of an expression at a point");
  grad->add_option("expression", o->expression,
                   "e.g. \"x1*x1 + x2*x2 + abs(x1 + x2)\"; - reads it from standard input, @file from a file")
      ->required();
  grad->add_option("--at", o->at, "the point: x1=1,x2=1 (a vector variable takes one value for every entry)");
  grad->add_option("--dim", o->dims, "vector variables and their lengths: x=1000");
  grad->add_flag("--json", o->json, "one JSON object: {\"value\": …, \"gradient\": {…}}");
  grad->callback([o] { run_grad(*o); });
}

}  // namespace tapegrad::cli
