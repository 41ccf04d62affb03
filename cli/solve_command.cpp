// tapegrad solve "LHS = RHS" --from x=1 [--max-iter N] [--json]: a root of one equation
// in one unknown. Newton's method on the tape's derivative; when a Newton step leaves
// the domain or does not shrink the residual, the root is bracketed (a sign change of
// LHS − RHS) and Newton continues inside the bracket, bisecting whenever it would step
// out, so it converges whenever a bracket is found.
//
// tapegrad solve "EQ1; EQ2; …" --from x=…,y=…: a root of n equations in n unknowns by
// optim::solve (Newton on the tape's Jacobian with a line search, then
// Levenberg–Marquardt if Newton stalls).
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "../optim/solve.hpp"
#include "calculus.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace tapegrad::cli {
namespace {

struct SolveOptions {
  std::string equation, from;
  long max_iter = 100;
  bool json = false;
};

// g(x) = lhs(x) − rhs(x) and g′(x), both through the tape.
class Residual {
 public:
  Residual(Expression lhs, Expression rhs) : lhs_(std::move(lhs)), rhs_(std::move(rhs)) {}

  struct At {
    double g = NAN, slope = NAN;
    bool finite() const { return std::isfinite(g); }
  };
  At operator()(double x) const {
    At out;
    try {
      const ValueAndGradient l = side(lhs_, x), r = side(rhs_, x);
      out.g = l.value - r.value;
      out.slope = (l.gradient.empty() ? 0.0 : l.gradient[0]) - (r.gradient.empty() ? 0.0 : r.gradient[0]);
    } catch (const ExpressionError&) {
      // Outside the domain: g stays NaN and the search steps back.
    }
    return out;
  }
  // The same, with a domain error reported at its column (for the start point).
  void check_start(double x) const {
    side(lhs_, x);
    side(rhs_, x);
  }

 private:
  ValueAndGradient side(const Expression& e, double x) const {
    Point p;
    if (!e.scalars().empty()) p.scalars = {x};
    return value_and_gradient(e, p);
  }
  Expression lhs_, rhs_;
};

struct Root {
  double x = NAN, residual = NAN;
  long iterations = 0;
  bool bracketed = false;
  bool converged = false;
  std::string failure;  // why it stopped, when not converged
};

// Looks outwards from x for a point where g has the other sign.
bool find_bracket(const Residual& g, double x, double gx, double& a, double& b) {
  double step = std::max(1e-3, 1e-3 * std::abs(x));
  for (int k = 0; k < 200 && std::isfinite(step); ++k, step *= 1.6) {
    for (double sign : {+1.0, -1.0}) {
      const double y = x + sign * step;
      const Residual::At gy = g(y);
      if (gy.finite() && (gy.g == 0 || std::signbit(gy.g) != std::signbit(gx))) {
        a = std::min(x, y);
        b = std::max(x, y);
        return true;
      }
    }
  }
  return false;
}

Root solve(const Residual& g, double x, long max_iter) {
  Root root;
  Residual::At gx = g(x);
  double a = 0, b = 0;  // the bracket, once root.bracketed
  for (; root.iterations < max_iter; ++root.iterations) {
    if (gx.g == 0) {
      root.converged = true;
      break;
    }
    const double newton = x - gx.g / gx.slope;
    double next;
    if (root.bracketed) {
      next = std::isfinite(newton) && newton > a && newton < b ? newton : 0.5 * (a + b);
    } else {
      const Residual::At trial = g(newton);
      if (std::isfinite(newton) && trial.finite() && std::abs(trial.g) <= std::abs(gx.g)) {
        next = newton;
      } else {
        if (!find_bracket(g, x, gx.g, a, b)) {
          root.failure = "Newton's method stalled at " + number(x) +
                         " and the two sides never cross near it (no sign change found)";
          break;
        }
        root.bracketed = true;
        next = 0.5 * (a + b);
      }
    }
    const Residual::At gn = g(next);
    if (!gn.finite()) {
      root.failure = "the equation is not defined at " + number(next);
      break;
    }
    if (root.bracketed) {
      const Residual::At ga = g(a);
      (std::signbit(ga.g) == std::signbit(gn.g) ? a : b) = next;
    }
    // Converged: the step, or the bracket, is down to a few units in the last place.
    const double tiny = 4 * std::numeric_limits<double>::epsilon() * std::max(std::abs(next), 1e-300);
    const bool done = std::abs(next - x) <= tiny || (root.bracketed && b - a <= tiny);
    x = next;
    gx = gn;
    if (done || gx.g == 0) {
      ++root.iterations;
      root.converged = true;
      break;
    }
  }
  if (!root.converged && root.failure.empty())
    root.failure = "not converged within " + std::to_string(max_iter) + " iterations (raise --max-iter)";
  root.x = x;
  root.residual = gx.g;
  return root;
}

// One equation "LHS = RHS" at [begin, end) of the whole text, each side compiled
// alone; an error's column is that of the whole text.
struct Equation {
  Expression lhs, rhs;
  std::string lhs_text, rhs_text;
  std::size_t lhs_offset = 0, rhs_offset = 0;  // where each side starts in the whole text
};

Equation parse_equation(const std::string& text, std::size_t begin, std::size_t end) {
  const std::size_t eq = text.find('=', begin);
  if (eq == std::string::npos || eq >= end)
    throw ExpressionError("syntax error: an equation needs '=' (write LHS = RHS, e.g. x^2 = 2)", text,
                          end + 1);
  const std::size_t second = text.find('=', eq + 1);
  if (second != std::string::npos && second < end)
    throw ExpressionError("syntax error: more than one '=' in one equation (separate equations with ';')",
                          text, second + 1);
  const auto side = [&](std::size_t from, std::size_t to) {
    try {
      return compile(text.substr(from, to - from));
    } catch (const ExpressionError& e) {
      throw ExpressionError(e.what(), text, e.column() + from);
    }
  };
  Equation out{side(begin, eq),
               side(eq + 1, end),
               text.substr(begin, eq - begin),
               text.substr(eq + 1, end - eq - 1),
               begin,
               eq + 1};
  if (!out.lhs.vectors().empty() || !out.rhs.vectors().empty())
    throw UsageError("solve takes scalar unknowns only");
  return out;
}

// A system "EQ1; EQ2; …": optim::solve over the unknowns in name order.
void run_system(const std::string& text, const std::vector<Equation>& equations, const SolveOptions& o) {
  std::vector<std::string> unknowns;
  for (const Equation& q : equations)
    for (const auto* side : {&q.lhs, &q.rhs})
      for (const std::string& v : side->scalars())
        if (std::find(unknowns.begin(), unknowns.end(), v) == unknowns.end()) unknowns.push_back(v);
  std::sort(unknowns.begin(), unknowns.end());
  if (unknowns.size() > equations.size())
    throw UsageError(
        std::to_string(equations.size()) + " equations in " + std::to_string(unknowns.size()) +
        " unknowns: solve needs as many equations as unknowns (for fewer, minimize --residuals)");
  if (unknowns.size() < equations.size())
    throw UsageError(
        std::to_string(equations.size()) + " equations in " + std::to_string(unknowns.size()) +
        " unknowns: more equations than unknowns (for a least-squares fit, minimize --residuals)");
  const auto start_values = parse_assignments(o.from, "--from");
  std::vector<double> x0(unknowns.size(), NAN);
  for (const auto& [name, value] : start_values) {
    const auto it = std::find(unknowns.begin(), unknowns.end(), name);
    if (it == unknowns.end()) throw UsageError("--from: '" + name + "' is not an unknown of the equations");
    x0[static_cast<std::size_t>(it - unknowns.begin())] = value;
  }
  for (std::size_t k = 0; k < unknowns.size(); ++k)
    if (std::isnan(x0[k])) throw UsageError("--from: give a start for " + unknowns[k]);
  if (o.max_iter < 1) throw UsageError("--max-iter must be at least 1");

  // Each side reads its own variables, picked out of the unknowns by name.
  const auto side_at = [&](const Expression& e, std::span<const Var> x) {
    std::vector<Var> scalars;
    for (const std::string& name : e.scalars())
      scalars.push_back(
          x[static_cast<std::size_t>(std::find(unknowns.begin(), unknowns.end(), name) - unknowns.begin())]);
    return Evaluator<Var>()(e, Inputs<Var>{scalars, {}});
  };
  const auto residuals = [&](std::span<const Var> x) {
    std::vector<Var> r;
    for (const Equation& q : equations) r.emplace_back(side_at(q.lhs, x) - side_at(q.rhs, x));
    return r;
  };
  // A start outside an equation's domain is the user's error, said where.
  for (const Equation& q : equations) {
    for (const auto& [side, offset] : {std::pair{&q.lhs, q.lhs_offset}, std::pair{&q.rhs, q.rhs_offset}}) {
      Point p;
      for (const std::string& name : side->scalars())
        p.scalars.push_back(x0[static_cast<std::size_t>(std::find(unknowns.begin(), unknowns.end(), name) -
                                                        unknowns.begin())]);
      try {
        checked_value(*side, p);
      } catch (const ExpressionError& e) {
        throw ExpressionError(std::string(e.what()) + " at the start", text, e.column() + offset);
      }
    }
  }
  const optim::SolveResult r =
      optim::solve(residuals, x0, {.tolerance = 1e-12, .max_iterations = o.max_iter});
  if (o.json) {
    Json x = Json::object();
    for (std::size_t k = 0; k < unknowns.size(); ++k) x[unknowns[k]] = r.x[k];
    print_json({{"x", x}, {"residual", r.residual_norm}, {"iterations", r.iterations}, {"method", r.method}});
  } else {
    for (std::size_t k = 0; k < unknowns.size(); ++k)
      std::printf("%s = %s\n", unknowns[k].c_str(), number(r.x[k]).c_str());
    std::printf("residual = %s\niterations = %ld (%s)\n", number(r.residual_norm).c_str(), r.iterations,
                r.method.c_str());
  }
  if (!r.converged())
    throw RunFailed(std::string("solve: no root found: ") + optim::to_string(r.reason) +
                    "; |F| = " + number(r.residual_norm) + " at the point above, the best found");
}

void run_solve(const SolveOptions& o) {
  const std::string equation = expression_text(o.equation);
  std::vector<Equation> equations;
  for (std::size_t begin = 0;;) {
    const std::size_t end = std::min(equation.find(';', begin), equation.size());
    if (!trimmed(equation.substr(begin, end - begin)).empty())
      equations.push_back(parse_equation(equation, begin, end));
    if (end == equation.size()) break;
    begin = end + 1;
  }
  if (equations.empty()) parse_equation(equation, 0, equation.size());  // says what is missing
  if (equations.size() > 1) return run_system(equation, equations, o);
  Expression lhs = std::move(equations[0].lhs), rhs = std::move(equations[0].rhs);
  const std::string& rhs_text = equations[0].rhs_text;
  const std::size_t eq = equations[0].rhs_offset - 1;
  std::vector<std::string> unknowns = lhs.scalars();
  for (const std::string& v : rhs.scalars())
    if (std::find(unknowns.begin(), unknowns.end(), v) == unknowns.end()) unknowns.push_back(v);
  if (unknowns.size() != 1)
    throw UsageError("solve needs exactly one unknown; the equation has " + std::to_string(unknowns.size()) +
                     " (for a system, separate the equations with ';')");
  const auto start = parse_assignments(o.from, "--from");
  if (start.size() != 1 || start[0].first != unknowns[0])
    throw UsageError("--from: give the start of " + unknowns[0] + " only (--from " + unknowns[0] + "=…)");
  if (o.max_iter < 1) throw UsageError("--max-iter must be at least 1");

  const Residual g(std::move(lhs), std::move(rhs));
  try {
    g.check_start(start[0].second);
  } catch (const ExpressionError& e) {
    const std::size_t offset = e.text() == rhs_text ? eq + 1 : 0;
    throw ExpressionError(
        std::string(e.what()) + " at the start " + unknowns[0] + " = " + number(start[0].second), equation,
        e.column() + offset);
  }
  const Root root = solve(g, start[0].second, o.max_iter);
  if (!root.converged)
    throw UsageError("no root found from " + unknowns[0] + " = " + number(start[0].second) + ": " +
                     root.failure);
  if (o.json) {
    print_json({{"x", {{unknowns[0], root.x}}},
                {"residual", root.residual},
                {"iterations", root.iterations},
                {"method", root.bracketed ? "newton+bisection" : "newton"}});
  } else {
    std::printf("%s = %s\nresidual = %s\niterations = %ld (%s)\n", unknowns[0].c_str(),
                number(root.x).c_str(), number(root.residual).c_str(), root.iterations,
                root.bracketed ? "newton+bisection" : "newton");
  }
}

}  // namespace

void add_solve_command(CLI::App& app) {
  auto o = std::make_shared<SolveOptions>();
  CLI::App* cmd = app.add_subcommand(
      "solve", "a root of one equation (Newton, with bracketing) or of a system \"EQ1; EQ2\"");
  cmd->add_option(
         "equation", o->equation,
         "e.g. \"x^7 + x^3 - 25 + exp(x) + log(x + x^2) + 1/x = 0\", or a system \"1e4*x*y = 1; exp(-x) + "
         "exp(-y) = 1.0001\"; - reads it from standard input, @file from a file")
      ->required();
  cmd->add_option("--from", o->from, "the start: x=1 (a system: every unknown, x=0,y=1)")->required();
  cmd->add_option("--max-iter", o->max_iter, "iterations at most")->capture_default_str();
  cmd->add_flag("--json", o->json, "one JSON object: {\"x\": {…}, \"residual\": …, \"iterations\": n, …}");
  cmd->callback([o] { run_solve(*o); });
}

}  // namespace tapegrad::cli
