// tapegrad solve "LHS = RHS" --from x=1 [--max-iter N] [--json]: a root of one equation
// in one unknown. Newton's method on the tape's derivative; when a Newton step leaves
// the domain or does not shrink the residual, the root is bracketed (a sign change of
// LHS − RHS) and Newton continues inside the bracket, bisecting whenever it would step
// out, so it converges whenever a bracket is found. At a root of multiplicity m Newton
// converges only linearly, its steps shrinking by (m − 1)/m: that rate, seen twice, gives
// m and the step is taken m times (Schröder's modified Newton), which converges fast again.
//
// What counts as a root: the residual is exactly 0 where the derivative is not (a simple
// root), or the residual is at most 1e-12 (or exactly 0) and the iterates are converging
// to the point: the last step was at most 0.9 times the one before, or came from the
// multiplicity just found. A residual that gets small while the steps keep their length
// is an asymptote, not a root: exp(x) = 0 from x = 1 steps by −1 until exp underflows to
// 0 at x = −746, where the derivative is 0 too; that is reported as no root. A start
// where the residual is exactly 0 is taken as a root.
//
// tapegrad solve "EQ1; EQ2; …" --from x=…,y=…: a root of n equations in n unknowns by
// optim::solve (Newton on the tape's Jacobian with a line search, then
// Levenberg–Marquardt if Newton stalls).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <memory>

#include "../optim/solve.hpp"
#include "calculus.hpp"
#include "commands.hpp"
#include "limits.hpp"
#include "output.hpp"
#include "plural.hpp"

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
  double x = NAN, residual = NAN;  // the root, or the point of smallest residual found
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

// The residual at most this is a root when the iterates converge to it (see above).
constexpr double residual_tolerance = 1e-12;

Root solve(const Residual& g, double x, long max_iter) {
  Root root;
  Residual::At gx = g(x);
  double a = 0, b = 0;  // the bracket, once root.bracketed
  double best_x = x, best_g = gx.g;
  // The lengths of the last Newton steps taken (outside a bracket) and their ratios,
  // for the convergence test and the multiplicity.
  double last_step = NAN, ratio = NAN, previous_ratio = NAN;
  bool converging = false;  // the last step shrank, or came from a detected multiplicity
  const auto accept = [&] {
    if (gx.g == 0 && (gx.slope != 0 || converging || root.iterations == 0)) return true;
    return std::abs(gx.g) <= residual_tolerance && converging;
  };
  for (; root.iterations < max_iter; ++root.iterations) {
    if (accept()) {
      root.converged = true;
      break;
    }
    if (gx.g == 0) {  // zero only by underflow: the derivative is 0 and the steps keep their size
      root.failure = "the residual underflows to 0 at " + number(x) +
                     " but that is no root: the derivative is 0 there too and Newton's steps were not "
                     "shrinking (the two sides approach each other without meeting)";
      break;
    }
    double newton = x - gx.g / gx.slope;
    bool multiple = false;
    // The same linear rate twice: a root of multiplicity m = 1/(1 − rate).
    if (!root.bracketed && std::isfinite(ratio) && std::isfinite(previous_ratio) && ratio > 0.3 &&
        ratio < 0.95 && std::abs(ratio - previous_ratio) <= 0.02 * ratio) {
      const double m = std::round(1 / (1 - ratio));
      if (m >= 2) {
        newton = x - m * gx.g / gx.slope;
        multiple = true;
      }
    }
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
      converging = true;  // the bracket shrinks around a sign change
    } else {
      const double step = std::abs(next - x);
      previous_ratio = ratio;
      ratio = step / last_step;
      last_step = step;
      converging = multiple || ratio <= 0.9;
      if (multiple) ratio = previous_ratio = NAN;  // a new rate from here on
    }
    // Converged: the step, or the bracket, is down to a few units in the last place.
    const double tiny = 4 * std::numeric_limits<double>::epsilon() * std::max(std::abs(next), 1e-300);
    const bool done = std::abs(next - x) <= tiny || (root.bracketed && b - a <= tiny);
    x = next;
    gx = gn;
    if (std::abs(gx.g) < std::abs(best_g)) best_x = x, best_g = gx.g;
    if (done || accept()) {
      ++root.iterations;
      root.converged = true;
      break;
    }
  }
  if (!root.converged && root.failure.empty())
    root.failure = "not converged within " + counted(max_iter, "iteration") + " (raise --max-iter)";
  root.x = root.converged ? x : best_x;
  root.residual = root.converged ? gx.g : best_g;
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

// When the text uses e or pi as a name: they are the constants, not unknowns, which is
// why a count of unknowns may be one short of what the user meant.
std::string constants_note(const std::string& text) {
  std::vector<std::string> used;
  for (std::size_t k = 0; k < text.size();) {
    const auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
    if (!word(text[k])) {
      ++k;
      continue;
    }
    std::size_t end = k;
    while (end < text.size() && word(text[end])) ++end;
    const std::string name = text.substr(k, end - k);
    // A name starts a word (1e5's e is part of a number).
    const bool in_number =
        k > 0 && (std::isdigit(static_cast<unsigned char>(text[k - 1])) || text[k - 1] == '.');
    if ((name == "e" || name == "pi") && !in_number &&
        std::find(used.begin(), used.end(), name) == used.end())
      used.push_back(name);
    k = end;
  }
  if (used.empty()) return "";
  const std::string names = used.size() == 2 ? "e and pi are" : used[0] + " is";
  return "; " + names + " the constant" + (used.size() == 2 ? "s" : "") +
         " of that name, not an unknown (call the unknown something else)";
}

// A system "EQ1; EQ2; …": optim::solve over the unknowns in name order.
void run_system(const std::string& text, const std::vector<Equation>& equations, const SolveOptions& o) {
  std::vector<std::string> unknowns;
  for (const Equation& q : equations)
    for (const auto* side : {&q.lhs, &q.rhs})
      for (const std::string& v : side->scalars())
        if (std::find(unknowns.begin(), unknowns.end(), v) == unknowns.end()) unknowns.push_back(v);
  std::sort(unknowns.begin(), unknowns.end());
  const std::string count = counted(static_cast<long long>(equations.size()), "equation") + " in " +
                            counted(static_cast<long long>(unknowns.size()), "unknown");
  if (unknowns.size() > equations.size())
    throw UsageError(count + ": solve needs as many equations as unknowns (for fewer, minimize --residuals)" +
                     constants_note(text));
  if (unknowns.size() < equations.size())
    throw UsageError(count +
                     ": more equations than unknowns (for a least-squares fit, minimize --residuals)" +
                     constants_note(text));
  const auto start_values = parse_assignments(o.from, "--from");
  std::vector<double> x0(unknowns.size(), NAN);
  for (const auto& [name, value] : start_values) {
    const auto it = std::find(unknowns.begin(), unknowns.end(), name);
    if (it == unknowns.end())
      throw UsageError("--from: '" + name + "' is not an unknown of the equations" +
                       (name == "e" || name == "pi" ? " (" + name + " is the constant " + name +
                                                          " in expressions; call the unknown something else)"
                                                    : std::string()));
    x0[static_cast<std::size_t>(it - unknowns.begin())] = value;
  }
  for (std::size_t k = 0; k < unknowns.size(); ++k)
    if (std::isnan(x0[k])) throw UsageError("--from: give a start for " + unknowns[k]);

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
    print_json({{"x", x},
                {"residual", r.residual_norm},
                {"iterations", r.iterations},
                {"method", r.method},
                {"converged", r.converged()}});
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
  require_in_range(o.max_iter, 1, max_steps, "--max-iter");
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
                     " (for a system, separate the equations with ';')" + constants_note(equation));
  const auto start = parse_assignments(o.from, "--from");
  if (start.size() != 1 || start[0].first != unknowns[0])
    throw UsageError("--from: give the start of " + unknowns[0] + " only (--from " + unknowns[0] + "=…)");

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
  // The root, or the best point found and its residual, as a system reports them.
  if (o.json) {
    print_json({{"x", {{unknowns[0], root.x}}},
                {"residual", root.residual},
                {"iterations", root.iterations},
                {"method", root.bracketed ? "newton+bisection" : "newton"},
                {"converged", root.converged}});
  } else {
    std::printf("%s = %s\nresidual = %s\niterations = %ld (%s)\n", unknowns[0].c_str(),
                number(root.x).c_str(), number(root.residual).c_str(), root.iterations,
                root.bracketed ? "newton+bisection" : "newton");
  }
  if (!root.converged)
    throw RunFailed("solve: no root found from " + unknowns[0] + " = " + number(start[0].second) + ": " +
                    root.failure + "; the point above is the best found (smallest residual)");
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
