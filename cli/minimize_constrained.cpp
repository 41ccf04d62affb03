#include "minimize_constrained.hpp"

#include <cmath>
#include <cstdio>
#include <limits>

#include "arguments.hpp"
#include "calculus.hpp"
#include "constraints.hpp"
#include "expression_list.hpp"
#include "limits.hpp"
#include "output.hpp"
#include "plural.hpp"
#include "point.hpp"
#if TAPEGRAD_CLI_WITH_IPOPT
#include "../optim/constrained/minimize_constrained.hpp"
#endif

namespace tapegrad::cli {

#if TAPEGRAD_CLI_WITH_IPOPT
namespace {

// The objective (first) and the general constraints, all reading their variables at the
// slots of one expression that has every variable: one set of inputs per point.
struct ConstrainedExpressions {
  Expression all;
  std::vector<Expression> parts;
};

ConstrainedExpressions expressions_of(Expression objective, std::vector<GeneralConstraint>& general,
                                      const std::map<std::string, std::size_t>& dimensions) {
  std::string every = "0 + (" + objective.text() + ")";
  for (const GeneralConstraint& c : general) every += " + (" + c.function.text() + ")";
  ConstrainedExpressions out{compile(every, dimensions), {std::move(objective)}};
  for (GeneralConstraint& c : general) out.parts.push_back(std::move(c.function));
  rebind_all(out.parts, out.all);
  return out;
}

std::vector<optim::IpoptOption> ipopt_options(const std::vector<std::string>& given) {
  std::vector<optim::IpoptOption> out;
  for (const std::string& g : given) {
    const std::size_t eq = g.find('=');
    if (eq == std::string::npos || eq == 0)
      throw UsageError("--ipopt '" + g + "': write NAME=VALUE, e.g. --ipopt mu_strategy=adaptive");
    out.push_back({trimmed(g.substr(0, eq)), trimmed(g.substr(eq + 1))});
  }
  return out;
}

}  // namespace
#endif

void run_constrained_minimize(const ConstrainedRequest& request) {
#if !TAPEGRAD_CLI_WITH_IPOPT
  (void)request;
  throw UsageError(
      "--subject-to needs IPOPT, which this build of tapegrad does not have: install it (sudo apt-get "
      "install "
      "coinor-libipopt-dev pkg-config) and build again");
#else
  // IPOPT writes its log to stdout, where it would come before the JSON and spoil it.
  if (request.trace && request.json)
    throw UsageError(
        "--trace with --json and --subject-to would put IPOPT's log before the JSON on stdout: write the "
        "log to a file with --ipopt output_file=FILE instead");
  const auto dimensions = dimensions_of(request.dims, "--dim", request.from, "--from");
  Expression objective = compile(expression_text(request.expression), dimensions);
  ConstraintList constraints = parse_constraints(expression_text(request.subject_to), dimensions);
  std::vector<std::string> texts;
  std::vector<double> c_lower, c_upper;
  for (const GeneralConstraint& c : constraints.general) {
    texts.push_back(c.text);
    c_lower.push_back(c.lower);
    c_upper.push_back(c.upper);
  }
  const ConstrainedExpressions e = expressions_of(std::move(objective), constraints.general, dimensions);
  if (e.all.scalars().empty() && e.all.vectors().empty())
    throw UsageError("the expression and the constraints have no variables to move");
  const CoordinateBounds bounds = coordinate_bounds(e.all, constraints.bounds);
  if (request.from.empty()) throw UsageError("--from is required (the start point)");
  const Point start = bind_point(e.all, request.from, "--from");
  const std::vector<double> x0 = start.flat();
  require_in_range(request.steps, 0, std::numeric_limits<int>::max(), "--steps");
  if (!(request.tolerance > 0)) throw UsageError("--tol-grad must be > 0 with --subject-to (IPOPT's tol)");
  if (!request.out.empty()) check_writable_file(request.out, "--out");

  ListInputs<Var> in;
  Evaluator<Var> evaluate;
  const auto f = [&](std::span<const Var> x) {
    in.assign(e.all, x);
    return evaluate(e.parts[0], in.inputs());
  };
  const auto c = [&](std::span<const Var> x) {
    in.assign(e.all, x);
    std::vector<Var> out;
    out.reserve(e.parts.size() - 1);
    for (std::size_t k = 1; k < e.parts.size(); ++k) out.push_back(evaluate(e.parts[k], in.inputs()));
    return out;
  };
  optim::ConstrainedOptions options;
  if (!constraints.bounds.empty()) {
    options.lower = bounds.lower;
    options.upper = bounds.upper;
  }
  options.constraint_lower = c_lower;
  options.constraint_upper = c_upper;
  options.tolerance = request.tolerance;
  options.max_iterations = request.steps;
  options.print_level = request.trace ? 5 : 0;
  options.ipopt = ipopt_options(request.ipopt);
  optim::ConstrainedResult r;
  try {
    r = constraints.general.empty() ? optim::minimize_bounded(f, x0, options)
                                    : optim::minimize_constrained(f, c, x0, options);
  } catch (const ExpressionError&) {
    throw;
  } catch (const Error& error) {
    throw UsageError(std::string("--subject-to: ") + error.what());
  }

  if (request.json) {
    Json multipliers = Json::array();
    for (std::size_t k = 0; k < texts.size(); ++k)
      multipliers.push_back({{"constraint", texts[k]}, {"multiplier", r.multipliers[k]}});
    print_json({{"x", point_json(e.all, start.with_flat(r.x))},
                {"f", r.f},
                {"status", optim::to_string(r.status)},
                {"optimal", r.optimal()},
                {"feasible", r.feasible()},
                {"constraint_violation", r.constraint_violation},
                {"iterations", r.iterations},
                {"multipliers", multipliers},
                {"solver_message", r.solver_message}});
    if (!request.out.empty()) write_entries(request.out, r.x, coordinate_name_of(e.all));
  } else {
    print_entries(r.x, coordinate_name_of(e.all), "", request.out);
    std::printf("f = %s\nstatus: %s\nconstraint violation = %s\niterations = %ld\n", number(r.f).c_str(),
                optim::to_string(r.status), number(r.constraint_violation).c_str(), r.iterations);
    for (std::size_t k = 0; k < texts.size(); ++k)
      std::printf("multiplier of %s: %s\n", texts[k].c_str(), number(r.multipliers[k]).c_str());
  }
  if (!r.optimal())
    throw RunFailed("no optimum: " + std::string(optim::to_string(r.status)) +
                    " (IPOPT: " + r.solver_message + ")");
#endif
}

}  // namespace tapegrad::cli
