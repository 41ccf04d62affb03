// tapegrad solve "LHS = RHS" --from x=1 [--max-iter N] [--json]: a root of one equation
// in one unknown, g(x) = LHS − RHS = 0. Newton's method on the tape's derivative; when a
// Newton step leaves the domain or does not shrink the residual, the root is bracketed
// (a sign change of g) and Newton continues inside the bracket, bisecting whenever it
// would step out. A Newton step that changes the sign of g brackets the root too.
//
// Multiple roots: at a root of multiplicity m Newton converges only linearly, its steps
// shrinking by (m − 1)/m. That rate, seen twice, suggests m (2 to 1000), and Schröder's
// step x' = x − m·g/g′ would land on the root. But the far field of ordinary roots shows
// the same rate (a degree-d polynomial far from its roots looks like (x − c)^d, c the
// mean of its roots), and exp(−1/x²) shrinks its steps steadily with no root at all. So
// the m-fold model g(y) = g(x)·((y − x')/(x − x'))^m is checked before the step is
// taken: at y = x' + (x − x')/2 it predicts g(x)·2^(−m), and on at 1/4, 1/8, … of the
// way, down to where the model's own error (the Newton correction at x'), g's rounding
// or underflow hide it; each must agree within 10%. If g changes sign between x and x',
// roots lie between: they are bracketed, not jumped over.
//
// What counts as a root (at every iterate, the start included):
//   (A) g(x) = 0 exactly where the slope g′(x) is a normal number, or
//   (B) the Newton correction m·g/g′ is negligible: at most 4ε·|x| (m the multiplicity
//       verified last, 1 if none);
//   both only if (R) the root's position is determined: g is rounded by about
//   ε·(|LHS| + |RHS|), which moves the root by σ = ε·(|LHS| + |RHS|)/|g′|; σ above
//   1e-8·max(|x|, 1) is refused (tanh(x) = 1 at x = 30: the sides agree only to
//   rounding, the slopes differ by 3.5e-26, so where they meet is not determined).
//   (A') g(x') = 0 exactly after a verified multiplicity step, whatever the slope: the
//       m-fold model located the root.
//   In a bracket, the bracket shrunk to a few units in the last place, provided |g|
//   there is at most the smaller |g| at the bracket's ends when it was found (or g's
//   rounding); otherwise the sign change is a pole (1/x = 0), not a root. (B) is held to
//   the same bound in a bracket: near a simple pole the Newton correction vanishes too.
// g = 0 with a zero or subnormal slope, no verified multiplicity step and no isolated
// zero (I: nonzero on both sides close by, growing away, as x² = 0 at x = 0) is refused:
// exp(x) = 0 underflows to 0 near x = −745, exp(−x²) near x = 27.3, and there a root
// cannot be told from underflow. There is no absolute tolerance on the residual:
// 1e-10·(x² − 2) is below 1e-12 well away from √2, and x² = −1e-20 has no real root.
//
// tapegrad solve "EQ1; EQ2; …" --from x=…,u=… [--dim u=N] [--method M] [--jacobian S]
// [--tol T] [--out FILE]: a root of n equations in n unknowns, scalars and vector entries
// (u[i]), by optim::solve: Newton with a line search then Levenberg–Marquardt, Powell's
// dogleg, or Newton–Krylov, J dense or sparse (optim/solve.hpp says what counts as a root
// there). The equations, from a file of 10⁶ as from the command line, are compiled and
// solved in solve_system.cpp; so is a single equation given --method, --jacobian or
// --tol, or one in a vector's entries.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <memory>

#include "../optim/solve/solve_options.hpp"
#include "calculus.hpp"
#include "commands.hpp"
#include "limits.hpp"
#include "output.hpp"
#include "plural.hpp"
#include "solve_system.hpp"

namespace tapegrad::cli {
namespace {

// g(x) = lhs(x) − rhs(x) and g′(x), both through the tape, and |lhs| + |rhs|, the size
// g's rounding error goes with.
class Residual {
 public:
  Residual(Expression lhs, Expression rhs) : lhs_(std::move(lhs)), rhs_(std::move(rhs)) {}

  struct At {
    double g = NAN, slope = NAN, scale = NAN;
    bool finite() const { return std::isfinite(g); }
  };
  At operator()(double x) const {
    At out;
    if (!std::isfinite(x)) return out;
    try {
      const ValueAndGradient l = side(lhs_, x), r = side(rhs_, x);
      out.g = l.value - r.value;
      out.slope = (l.gradient.empty() ? 0.0 : l.gradient[0]) - (r.gradient.empty() ? 0.0 : r.gradient[0]);
      out.scale = std::abs(l.value) + std::abs(r.value);
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

constexpr double eps = std::numeric_limits<double>::epsilon();
constexpr double smallest_normal = std::numeric_limits<double>::min();
// Newton's steps shrink by 0.999 at a root of multiplicity 1000; beyond that the rate
// cannot be told from a stall.
constexpr double max_multiplicity = 1000;

bool opposite_signs(double u, double v) { return u != 0 && v != 0 && std::signbit(u) != std::signbit(v); }

// Looks outwards from x for a point y where g is 0 or has the other sign.
bool find_bracket(const Residual& g, double x, double gx, double& y, Residual::At& gy) {
  double step = std::max(1e-3, 1e-3 * std::abs(x));
  for (int k = 0; k < 200 && std::isfinite(step); ++k, step *= 1.6) {
    for (double sign : {+1.0, -1.0}) {
      y = x + sign * step;
      gy = g(y);
      if (gy.finite() && (gy.g == 0 || opposite_signs(gy.g, gx))) return true;
    }
  }
  return false;
}

// The multiplicity two Newton step ratios agree on (m = 1/(1 − ratio), an integer from
// 2 to max_multiplicity), or 0.
double multiplicity(double ratio, double previous_ratio) {
  if (!(ratio > 0.3 && ratio < 1 && previous_ratio > 0.3 && previous_ratio < 1)) return 0;
  const double m = 1 / (1 - ratio), previous_m = 1 / (1 - previous_ratio), rounded = std::round(m);
  if (rounded < 2 || rounded > max_multiplicity) return 0;
  return std::abs(m - previous_m) <= 0.05 * m && std::abs(m - rounded) <= 0.2 ? rounded : 0;
}

// Whether g between x and the Schröder step x' follows the m-fold model
// g(y) = g(x)·((y − x')/(x − x'))^m (see the header): at y = x' + q·(x − x'),
// q = 1/2, 1/4, …, the actual g(y) is within 10% of g(x)·q^m. The halving stops where
// the model cannot be told from what it leaves out: within 10 Newton corrections of
// x' (the model's own error), below g's rounding, near underflow.
bool follows_multiple_root(const Residual& g, double x, const Residual::At& gx, double x_m,
                           const Residual::At& gm, double m) {
  const double model_error = gm.g == 0 ? 0 : std::abs(m * gm.g / gm.slope);
  const double span = x - x_m;
  double q = 0.5;
  for (int k = 1; k <= 64; ++k, q *= 0.5) {
    if (k > 1 && !(std::abs(q * span) > 10 * model_error && std::abs(q * span) > 4 * eps * std::abs(x_m)))
      break;
    // Near underflow g has lost its digits; the midpoint, at least, must be checked.
    const double predicted = gx.g * std::pow(q, m);
    if (std::abs(predicted) < 1e3 * smallest_normal) return k > 1;
    const Residual::At gy = g(x_m + q * span);
    if (!gy.finite()) return false;
    if (k > 1 && std::abs(predicted) <= 64 * eps * gy.scale) break;
    if (!(std::abs(gy.g / predicted - 1) <= 0.1)) return false;
  }
  return true;
}

// Whether x is a root, by the rules (A), (B), (R), (A') and the underflow refusal of the
// header: root, or refused with the reason, or neither (go on). `limit` is the residual
// a root may have: inside a bracket, the smaller |g| at its ends when found; near a
// simple pole, 1/(x − 1) = 0, the Newton correction −(x − 1) vanishes as at a root, but
// the residual there is far above that.
struct Judgement {
  bool root = false;
  std::string refused;
};
// (I) g = 0 with no slope, as at the start x = 0 of x² = 0: a root when the zero is
// isolated — g nonzero a little way off on both sides and growing further off, as
// (x − r)^m does. Underflow is zero on a whole stretch or on one side (exp(x) = 0 near
// −745), so it is not.
bool isolated_zero(const Residual& g, double x) {
  const double h = std::ldexp(std::max(std::abs(x), std::ldexp(1.0, -20)), -20);
  for (double side : {-1.0, 1.0}) {
    const Residual::At near = g(x + side * h), far = g(x + 2 * side * h);
    if (!near.finite() || !far.finite() || near.g == 0 || std::abs(far.g) < std::abs(near.g)) return false;
  }
  return true;
}

Judgement judge(const Residual& g, double x, const Residual::At& gx, double m, bool after_multiple_step,
                double limit) {
  if (gx.g == 0 && after_multiple_step) return {true, ""};
  const bool normal_slope = std::isfinite(gx.slope) && std::abs(gx.slope) >= smallest_normal;
  if (gx.g == 0 && !normal_slope) {
    if (isolated_zero(g, x)) return {true, ""};
    return {false, "the residual underflows to 0 near x = " + number(x) +
                       ": a root cannot be told from underflow there"};
  }
  // An infinite slope makes any correction look negligible (1/x near its pole).
  const double correction = std::isfinite(gx.slope) ? m * std::abs(gx.g / gx.slope) : INFINITY;
  if (!(gx.g == 0 || correction <= 4 * eps * std::abs(x) + 4 * smallest_normal)) return {};
  if (std::abs(gx.g) > std::max(limit, 8 * eps * gx.scale))
    return {false,
            "the sign change at x = " + number(x) + " is a pole (the residual grows toward it), not a root"};
  const double uncertainty = eps * gx.scale / std::abs(gx.slope);
  if (uncertainty > 1e-8 * std::max(std::abs(x), 1.0))
    return {false, "the two sides agree to rounding at x = " + number(x) +
                       " but their slopes differ by only " + number(std::abs(gx.slope)) +
                       ": where they meet is not determined"};
  return {true, ""};
}

Root solve(const Residual& g, double x, long max_iter) {
  Root root;
  Residual::At gx = g(x);
  double best_x = x, best_g = gx.g;
  // The bracket [a, b] once root.bracketed, g(a) and g(b) of opposite signs, and the
  // smaller |g| at its ends when it was found: g falls to 0 at a root inside but grows
  // toward a pole, and an end that happens to lie near the pole (1/(x − 1) = 0 bracketed
  // from far off) makes the larger |g| no test at all.
  double a = 0, b = 0, bound = 0;
  Residual::At ga, gb;
  const auto enclose = [&](double u, const Residual::At& gu, double v, const Residual::At& gv) {
    root.bracketed = true;
    a = std::min(u, v);
    b = std::max(u, v);
    ga = u < v ? gu : gv;
    gb = u < v ? gv : gu;
    bound = std::min(std::abs(gu.g), std::abs(gv.g));
  };
  double m = 1;                      // the multiplicity verified last
  bool after_multiple_step = false;  // x came from a verified multiplicity step
  // The lengths of the last plain Newton steps (outside a bracket) and their ratios.
  double last_step = NAN, ratio = NAN, previous_ratio = NAN;
  while (gx.finite()) {
    const Judgement verdict = judge(g, x, gx, m, after_multiple_step, root.bracketed ? bound : INFINITY);
    if (verdict.root) {
      root.converged = true;
      break;
    }
    if (!verdict.refused.empty()) {
      root.failure = verdict.refused;
      break;
    }
    if (root.bracketed && (b - a <= 4 * eps * std::max(std::abs(a), std::abs(b)) + 4 * smallest_normal ||
                           !(0.5 * (a + b) > a && 0.5 * (a + b) < b))) {
      // The bracket is down to a few units in the last place: its end of smaller residual.
      const bool at_a = std::abs(ga.g) <= std::abs(gb.g);
      x = at_a ? a : b;
      gx = at_a ? ga : gb;
      // A root's residual may also be its rounding, when an end was found that close.
      if (std::abs(gx.g) <= std::max(bound, 8 * eps * gx.scale))
        root.converged = true;
      else
        root.failure =
            "the sign change at x = " + number(x) + " is a pole (the residual grows toward it), not a root";
      break;
    }
    if (root.iterations >= max_iter) {
      root.failure = "not converged within " + counted(max_iter, "iteration") + " (raise --max-iter)";
      break;
    }
    const double newton = x - gx.g / gx.slope;
    double next = NAN;
    Residual::At gn;
    bool multiple_step = false;
    if (root.bracketed) {
      next = newton > a && newton < b ? newton : 0.5 * (a + b);
      gn = g(next);
    } else {
      if (const double mt = multiplicity(ratio, previous_ratio); mt >= 2) {
        const double x_m = x - mt * gx.g / gx.slope;
        const Residual::At gm = g(x_m);
        if (gm.finite() && opposite_signs(gm.g, gx.g)) {
          enclose(x, gx, x_m, gm);
          next = newton > a && newton < b ? newton : 0.5 * (a + b);
          gn = g(next);
        } else if (gm.finite() && follows_multiple_root(g, x, gx, x_m, gm, mt)) {
          next = x_m;
          gn = gm;
          m = mt;
          multiple_step = true;
        }
      }
      if (!root.bracketed && !multiple_step) {
        const Residual::At trial = g(newton);
        if (trial.finite() && opposite_signs(trial.g, gx.g)) {
          enclose(x, gx, newton, trial);
          next = newton;
          gn = trial;
        } else if (trial.finite() && std::abs(trial.g) <= std::abs(gx.g)) {
          next = newton;
          gn = trial;
        } else {
          double y;
          Residual::At gy;
          if (!find_bracket(g, x, gx.g, y, gy)) {
            root.failure = "Newton's method stalled at " + number(x) +
                           " and the two sides never cross near it (no sign change found)";
            break;
          }
          if (gy.g == 0) {
            next = y;
            gn = gy;
          } else {
            enclose(x, gx, y, gy);
            next = 0.5 * (a + b);
            gn = g(next);
          }
        }
      }
    }
    if (!gn.finite()) {
      // Inside a sign change whose residual has grown past its ends' the sign change is
      // a pole that g overflows at (1/x = 0), not a gap in the domain.
      const bool pole = root.bracketed && std::max(std::abs(ga.g), std::abs(gb.g)) > bound;
      root.failure = pole ? "the sign change at x = " + number(next) +
                                " is a pole (the residual grows toward it), not a root"
                          : "the equation is not defined at " + number(next);
      break;
    }
    if (root.bracketed && next > a && next < b) {
      if (std::signbit(gn.g) == std::signbit(ga.g))
        a = next, ga = gn;
      else
        b = next, gb = gn;
    }
    if (!root.bracketed) {
      if (multiple_step) {
        last_step = ratio = previous_ratio = NAN;  // a new rate from here on
      } else {
        const double step = std::abs(next - x);
        previous_ratio = ratio;
        ratio = step / last_step;
        last_step = step;
      }
    }
    after_multiple_step = multiple_step;
    x = next;
    gx = gn;
    ++root.iterations;
    if (std::abs(gx.g) < std::abs(best_g)) best_x = x, best_g = gx.g;
  }
  if (!root.converged && root.failure.empty()) root.failure = "the equation is not defined at " + number(x);
  root.x = root.converged ? x : best_x;
  root.residual = root.converged ? gx.g : best_g;
  return root;
}

void run_solve(const SolveFlags& o) {
  require_in_range(o.max_iter, 1, max_steps, "--max-iter");
  if (!o.out.empty()) check_writable_file(o.out, "--out");
  const std::string text = expression_text(o.equations);
  const std::vector<EquationSpan> equations = split_equations(text);
  const std::map<std::string, std::size_t> dimensions = dimensions_of(o.dims, "--dim", o.from, "--from");
  if (equations.size() > 1 || o.system_flags_given) return solve_system(text, equations, dimensions, o);
  const EquationSpan& q = equations[0];
  Expression lhs = compile_side(text, q.begin, q.lhs_end, dimensions),
             rhs = compile_side(text, q.rhs_begin, q.end, dimensions);
  // One equation in a vector's entries is a system (of one unknown when the vector has one).
  if (!lhs.vectors().empty() || !rhs.vectors().empty()) return solve_system(text, equations, dimensions, o);
  const std::string rhs_text = rhs.text();
  std::vector<std::string> unknowns = lhs.scalars();
  for (const std::string& v : rhs.scalars())
    if (std::find(unknowns.begin(), unknowns.end(), v) == unknowns.end()) unknowns.push_back(v);
  if (unknowns.size() != 1)
    throw UsageError("solve needs exactly one unknown; the equation has " + std::to_string(unknowns.size()) +
                     " (for a system, separate the equations with ';')" + constants_note(text));
  const auto start = parse_assignments(o.from, "--from");
  if (start.size() != 1 || start[0].first != unknowns[0])
    throw UsageError("--from: give the start of " + unknowns[0] + " only (--from " + unknowns[0] + "=…)");

  const Residual g(std::move(lhs), std::move(rhs));
  try {
    g.check_start(start[0].second);
  } catch (const ExpressionError& e) {
    const std::size_t offset = e.text() == rhs_text ? q.rhs_begin : q.begin;
    throw error_at(
        text, std::string(e.message()) + " at the start " + unknowns[0] + " = " + number(start[0].second),
        e.column() + offset);
  }
  const Root root = solve(g, start[0].second, o.max_iter);
  if (!o.out.empty()) {
    const double x[] = {root.x};
    write_entries(o.out, x, [&unknowns](std::size_t) { return unknowns[0]; });
  }
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
  auto o = std::make_shared<SolveFlags>();
  CLI::App* cmd = app.add_subcommand(
      "solve",
      "a root of one equation (Newton, with bracketing) or of a system \"EQ1; EQ2; …\" in scalar and vector "
      "unknowns (Newton, dogleg or Newton–Krylov)");
  cmd->add_option(
         "equations", o->equations,
         "e.g. \"x^7 + x^3 - 25 + exp(x) + log(x + x^2) + 1/x = 0\", a system \"1e4*x*y = 1; exp(-x) + "
         "exp(-y) = 1.0001\", or equations in a vector's entries \"u[0] + u[1] = 3; u[0] - u[1] = 1\" "
         "(sum, prod and len as in grad); - reads them from standard input, @file from a file (up to 256 "
         "MiB), where a line break separates equations too, except inside parentheses")
      ->required();
  cmd->add_option("--from", o->from,
                  "the start: x=1 (a system: every unknown, x=0,y=1; a vector takes one value for every "
                  "entry u=0, a list u=[1,2] or entries u[0]=1); @file reads it from a file, such as the "
                  "one --out writes")
      ->required();
  cmd->add_option("--dim", o->dims, "vector unknowns and their lengths, where no value gives one: u=10000");
  CLI::Option* method =
      cmd->add_option(
             "--method", o->method,
             "how a system is solved: newton (a line search, then Levenberg–Marquardt where it "
             "cannot go on), dogleg (Powell's, in a trust region), newton-krylov (GMRES on J·v "
             "products, no Jacobian stored: for the largest systems), or auto (newton, or "
             "newton-krylov above " +
                 limit_text(static_cast<long long>(optim::solve_krylov_above_unknowns)) + " unknowns or " +
                 limit_text(static_cast<long long>(optim::solve_krylov_above_nonzeros)) + " nonzeros of J)")
          ->capture_default_str();
  CLI::Option* jacobian =
      cmd->add_option("--jacobian", o->jacobian,
                      "how newton and dogleg store J: dense (at most " +
                          std::to_string(max_hessian_coordinates) +
                          " unknowns), sparse (its nonzeros, factored by sparse LU), or auto (dense up to " +
                          std::to_string(optim::solve_dense_up_to) +
                          " unknowns, sparse above unless J's pattern " + "fills more than " +
                          std::to_string(static_cast<int>(100 * optim::solve_dense_above_density)) +
                          "% of it, up to " + std::to_string(optim::solve_dense_at_most) + " unknowns)")
          ->capture_default_str();
  CLI::Option* tolerance =
      cmd->add_option("--tol", o->tolerance,
                      "a system's root has |F|₂ (the 2-norm of LHS − RHS over the equations) at most this; "
                      "one equation in one unknown is solved to rounding instead")
          ->capture_default_str();
  cmd->add_option("--max-iter", o->max_iter, "iterations at most")->capture_default_str();
  CLI::Option* restart =
      cmd->add_option("--krylov-restart", o->krylov_restart,
                      "newton-krylov: GMRES's restart length (it keeps this many vectors plus one)")
          ->capture_default_str();
  CLI::Option* krylov_iterations = cmd->add_option("--krylov-max-iter", o->krylov_max_iter,
                                                   "newton-krylov: GMRES iterations at most per step")
                                       ->capture_default_str();
  CLI::Option* preconditioner =
      cmd->add_option("--preconditioner", o->preconditioner,
                      "newton-krylov: none, or ilu: an incomplete LU of J (J's nonzeros and the factors' "
                      "are stored, a few times J's count; GMRES then takes tens of iterations a step where "
                      "it takes thousands without, on a grid's equations)")
          ->capture_default_str();
  CLI::Option* reuse =
      cmd->add_option("--preconditioner-reuse", o->preconditioner_reuse,
                      "newton-krylov: one incomplete LU serves at most N steps (1: a new one at each); one "
                      "made at an earlier step that leaves GMRES short of its tolerance is made anew")
          ->capture_default_str();
  cmd->add_option("--out", o->out,
                  "write the root (or the best point found) to FILE, one \"name = value\" line per unknown "
                  "(u[3] = … for a vector's entries), which --from @FILE reads back; the output lists at "
                  "most a screenful of entries (the first and last, and their norms)");
  cmd->add_flag(
      "--json", o->json,
      "one JSON object: {\"x\": {\"x\": …, \"u\": [every entry]}, \"residual\": …, \"iterations\": n, "
      "\"method\", \"linear_solver\", \"evaluations\", \"jacobian_evaluations\", "
      "\"linear_iterations\" (GMRES's, newton-krylov), \"preconditioner_setups\", \"converged\"}");
  cmd->callback([o, method, jacobian, tolerance, restart, krylov_iterations, preconditioner, reuse] {
    o->krylov_flag = restart->count() > 0             ? "--krylov-restart"
                     : krylov_iterations->count() > 0 ? "--krylov-max-iter"
                     : preconditioner->count() > 0    ? "--preconditioner"
                     : reuse->count() > 0             ? "--preconditioner-reuse"
                                                      : "";
    o->preconditioner_reuse_given = reuse->count() > 0;
    o->system_flags_given =
        method->count() + jacobian->count() + tolerance->count() > 0 || !o->krylov_flag.empty();
    run_solve(*o);
  });
}

}  // namespace tapegrad::cli
