// tapegrad minimize EXPR --from x1=1,x2=1 [--optimizer NAME …] [--steps N] [--trace]
//   [--restarts K --seed S --box lo,hi] [--tol-grad G] [--tol-f F] [--json] [--out FILE]
//   [--lr A,B,C: one run per rate] [--plot FILE.svg [--window x0,x1,y0,y1]]
// tapegrad minimize --residuals "r1; r2; …" --from … [--optimizer lm|NAME]: ½Σrᵢ², by
//   Levenberg–Marquardt (the default there) or any optimizer.
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>

#include "../autodiff/support/atomic_file.hpp"
#include "../optim/least_squares.hpp"
#include "../optim/minimize.hpp"
#include "../plot/path_chart.hpp"
#include "../plot/path_recorder.hpp"
#include "../plot/svg.hpp"
#include "calculus.hpp"
#include "commands.hpp"
#include "expression_list.hpp"
#include "limits.hpp"
#include "minimize_constrained.hpp"
#include "optimizer_flags.hpp"
#include "output.hpp"
#include "plural.hpp"

namespace tapegrad::cli {
namespace {

struct MinimizeOptions {
  std::string expression, residuals, from, dims, box, plot, window, out, subject_to;
  std::vector<std::string> ipopt;
  OptimizerFlags optimizer;
  long steps = 1000;
  std::optional<long> restarts;
  unsigned long seed = 0;
  double tol_grad = 1e-8, tol_f = 0;
  bool trace = false, json = false, optimizer_given = false;
};

// "r1; r2; …" as one Expression ½Σrᵢ² (for the optimizers; its variables are the point)
// and each rᵢ alone (for Levenberg–Marquardt; rebound to read its variables at the
// sum's slots, so one set of inputs serves them all).
struct Residuals {
  Expression sum_of_squares;
  std::vector<Expression> each;
};

Residuals compile_residuals(const std::string& text, const std::map<std::string, std::size_t>& dimensions) {
  Residuals out{compile("0", dimensions), {}};
  std::string sum = "0.5*(0";
  for (std::size_t begin = 0;;) {
    const std::size_t end = std::min(text.find(';', begin), text.size());
    const std::string part = text.substr(begin, end - begin);
    // Blank residuals (a trailing ';') are skipped, as solve skips blank equations.
    if (!trimmed(part).empty()) {
      try {
        out.each.push_back(compile(part, dimensions));
      } catch (const ExpressionError& e) {  // the column in the whole text
        throw ExpressionError(e.what(), text, e.column() + begin);
      }
      sum += " + (";
      sum += part;
      sum += ")^2";
    }
    if (end == text.size()) break;
    begin = end + 1;
  }
  if (out.each.empty()) throw UsageError("--residuals: no residuals (write \"r1; r2; …\")");
  out.sum_of_squares = compile(sum + ")", dimensions);
  rebind_all(out.each, out.sum_of_squares);
  return out;
}

Json result_json(const Expression& e, const Point& shape, const optim::MinimizeResult& r) {
  return {{"x", point_json(e, shape.with_flat(r.x))},
          {"f", r.f},
          {"steps", r.steps},
          {"evaluations", r.evaluations},
          {"grad_norm", r.gradient_norm},
          {"stop_reason", optim::to_string(r.reason)}};
}

// --out FILE with --json: the same "x = …" lines as without it, the JSON on stdout holding
// the point too (the file is what a script asked for, whichever way the result is printed).
void write_point(const Expression& e, const optim::MinimizeResult& r, const std::string& out_file) {
  if (!out_file.empty()) write_entries(out_file, r.x, coordinate_name_of(e));
}

// The point (a screenful of it; --out FILE all of it), f and how the run went.
void print_plain(const Expression& e, const optim::MinimizeResult& r, const std::string& out_file) {
  print_entries(r.x, coordinate_name_of(e), "", out_file);
  std::printf("f = %s\nsteps = %ld\nevaluations = %ld\n|grad| = %s\nstopped by: %s\n", number(r.f).c_str(),
              r.steps, r.evaluations, number(r.gradient_norm).c_str(), optim::to_string(r.reason));
}

// On a run that lasts, a line on stderr about once a second (never on stdout, where
// --json and the result go): the first after two seconds, or at once on a terminal.
struct Progress {
  using Clock = std::chrono::steady_clock;
  Clock::time_point start = Clock::now(), last = start;
  bool terminal = ::isatty(STDERR_FILENO) == 1;
  void on_step(const optim::StepReport& r) {
    if (r.step == 0) return;
    const Clock::time_point now = Clock::now();
    const double since_start = std::chrono::duration<double>(now - start).count(),
                 since_last = std::chrono::duration<double>(now - last).count();
    if (since_start < (terminal ? 0.5 : 2.0) || since_last < 1.0) return;
    last = now;
    std::fprintf(stderr, "step %ld  f = %s  |grad| = %s  (%.0f s)\n", r.step, number(r.f, 8).c_str(),
                 number(r.gradient_norm, 3).c_str(), since_start);
  }
};

// --trace: one JSON object per evaluation, step 0 being the start.
// One callback type whether or not --trace is given, so that each run function is
// compiled once, not once with and once without it.
struct Trace {
  const Expression* e;
  const Point* shape;
  bool enabled;
  // Whether step 0 checks the start's gradient (problem_of checks only its value: the run's
  // first evaluation has the gradient, so the expression is not recorded twice for it).
  bool check_start = false;
  void on_step(const optim::StepReport& r) const {
    if (check_start && r.step == 0) require_finite_gradient(*e, *shape, r.gradient);
    if (!enabled) return;
    print_json({{"step", r.step}, {"x", point_json(*e, shape->with_flat(r.x))}, {"f", r.f}});
    std::fflush(stdout);
  }
};

// --plot: every iterate of every run, kept only when a picture is wanted (a run of a
// million coordinates would otherwise keep them all).
struct PlotRecord {
  plot::PathRecorder* recorder;
  void on_step(const optim::StepReport& r) const {
    if (recorder != nullptr) recorder->on_step(r);
  }
  void on_end(const optim::MinimizeResult& r) const {
    if (recorder != nullptr) recorder->on_end(r);
  }
};

// "x0,x1" (one variable) or "x0,x1,y0,y1".
std::optional<std::array<double, 4>> parse_window(const std::string& text) {
  if (text.empty()) return std::nullopt;
  std::vector<double> v;
  for (std::size_t begin = 0;;) {
    const std::size_t end = std::min(text.find(',', begin), text.size());
    v.push_back(parse_number(text.substr(begin, end - begin), "--window"));
    if (end == text.size()) break;
    begin = end + 1;
  }
  if (v.size() != 2 && v.size() != 4)
    throw UsageError("--window: expected x0,x1 or x0,x1,y0,y1, got '" + text + "'");
  if (!(v[0] < v[1]) || (v.size() == 4 && !(v[2] < v[3])))
    throw UsageError("--window " + text + ": give x0 < x1 and y0 < y1");
  if (v.size() == 2) return std::array<double, 4>{v[0], v[1], 0, 0};
  return std::array<double, 4>{v[0], v[1], v[2], v[3]};
}

// The chart of the recorded runs: f drawn from the expression (one or two coordinates).
void write_plot(const MinimizeOptions& o, const Expression& e, std::vector<plot::Run> runs,
                std::vector<plot::Minimum> minima, bool f_panel) {
  plot::PathChart chart;
  chart.title = o.expression.empty() ? "½Σr²" : trimmed(o.expression).substr(0, 60);
  chart.names = coordinate_names(e);
  if (chart.names.size() <= 2)
    chart.f = [&e](std::span<const double> x) { return evaluate_flat<double>(e, x); };
  chart.runs = std::move(runs);
  chart.minima = std::move(minima);
  chart.window = parse_window(o.window);
  if (chart.window && chart.names.size() == 2 && (*chart.window)[2] == (*chart.window)[3])
    throw UsageError("--window: two variables need x0,x1,y0,y1");
  chart.f_panel = f_panel;
  plot::write_svg(o.plot, chart);
  std::fprintf(stderr, "wrote %s\n", o.plot.c_str());
}

// --lr A,B,C: the rates, when more than one is given.
std::vector<std::string> learning_rates(const OptimizerFlags& flags) {
  std::vector<std::string> rates;
  const std::optional<std::string> text = flags.value("lr");
  if (!text || text->find(',') == std::string::npos) return rates;
  for (std::size_t begin = 0;;) {
    const std::size_t end = std::min(text->find(',', begin), text->size());
    const std::string rate = trimmed(text->substr(begin, end - begin));
    parse_number(rate, "--lr");
    rates.push_back(rate);
    if (end == text->size()) break;
    begin = end + 1;
  }
  return rates;
}

// Why a run ended not finite, from the point where it did: a step out of f's domain
// (sqrt of a negative number), f unbounded below, or diverging steps.
std::string not_finite_message(const Expression& e, const Point& shape, const optim::MinimizeResult& r) {
  if (r.not_finite_at.empty())  // at the start (problem_of checks f and its gradient there)
    return "minimize: f or its gradient is not finite at the start";
  const std::string where = "step " + std::to_string(r.steps);
  if (!std::all_of(r.not_finite_at.begin(), r.not_finite_at.end(), [](double v) { return std::isfinite(v); }))
    return "minimize: " + where +
           " moved x to infinity or NaN: f is unbounded below or the steps diverge (the point above is the "
           "last "
           "finite one)";
  const NotFiniteReason why = why_not_finite(e, shape.with_flat(r.not_finite_at));
  const std::string detail = why.reason.empty()
                                 ? std::string()
                                 : ": " + why.reason +
                                       (why.column > 0 && why.reason.find("column") == std::string::npos
                                            ? " (column " + std::to_string(why.column) + ")"
                                            : std::string());
  if (why.value_is_negative)
    return "minimize: f is unbounded below: it fell to -infinity at " + where + detail +
           " (the point above is the last finite one)";
  if (why.value_is_nan)
    return "minimize: " + where + " left the domain of f" + detail +
           " (the point above is the last one inside it; a smaller --lr, or a start farther from the "
           "domain's edge, may stay inside)";
  return "minimize: f or its gradient is not finite after " + where + detail +
         ": f is unbounded below or the steps diverge (the point above is the last finite one)";
}

// A run that ended without a usable minimum (f unbounded below, a step out of f's domain,
// diverging, the optimizer stalled) is reported, then fails the command: exit code 1, not 0.
void require_success(const Expression& e, const Point& shape, const optim::MinimizeResult& r) {
  if (r.reason == optim::StopReason::NotFinite) throw RunFailed(not_finite_message(e, shape, r));
  if (r.reason == optim::StopReason::Diverged)
    throw RunFailed("minimize: diverged: f rose to " + number(r.f, 6) + " by step " +
                    std::to_string(r.steps) +
                    ", more than 10^4 times its scale above its start, and was still rising (a smaller "
                    "--lr converges where this one overshoots)");
  if (r.reason == optim::StopReason::Stalled)
    throw RunFailed(
        "minimize: the optimizer stopped moving before |grad| reached --tol-grad (for lbfgs: its "
        "--tolerance-grad and --tolerance-change; lower them, or raise --tol-grad)");
}

// Which method the flags ask for: Levenberg–Marquardt (on residuals) or an optimizer, and
// the learning rates of --lr A,B,C (none unless several). Every flag that does not fit
// the others is refused here, before anything is compiled.
struct Method {
  bool levenberg_marquardt = false;
  std::vector<std::string> rates;
};

// How many runs the flags ask for: one per --restarts start, one per --lr rate, else one.
std::size_t runs_of(const MinimizeOptions& o, const Method& m) {
  if (o.restarts) return static_cast<std::size_t>(*o.restarts);
  return std::max<std::size_t>(1, m.rates.size());
}

Method method_of(MinimizeOptions& o) {
  if (o.expression.empty() == o.residuals.empty())
    throw UsageError(o.expression.empty() ? "give the expression to minimize, or --residuals \"r1; r2; …\""
                                          : "give the expression or --residuals, not both");
  Method m;
  // Levenberg–Marquardt is the method for residuals, and only for them.
  m.levenberg_marquardt = o.optimizer.name() == "lm" || (!o.residuals.empty() && !o.optimizer_given);
  if (m.levenberg_marquardt && o.residuals.empty())
    throw UsageError(
        "--optimizer lm minimizes a sum of squares: give the residuals with --residuals \"r1; r2; …\"");
  if (m.levenberg_marquardt && !o.optimizer.given().empty())
    throw UsageError(o.optimizer.given().front() +
                     " does not apply to lm (Levenberg–Marquardt has no flags)");
  o.optimizer.default_for("lbfgs", "line-search", "strong-wolfe");
  // L-BFGS's own tolerances (PyTorch's 1e-7 and 1e-9) would end a run before the
  // --tol-grad the user asked for; here the user's tolerances decide.
  o.optimizer.default_for("lbfgs", "tolerance-grad", "0");
  o.optimizer.default_for("lbfgs", "tolerance-change", "0");
  // One L-BFGS iteration per step, so that --steps, --trace, --plot and the stopping
  // tests count iterations, not runs of up to 20 (same iterates: its state carries over).
  o.optimizer.default_for("lbfgs", "max-iter", "1");
  // With several --lr rates each run's optimizer is checked with its own rate.
  m.rates = learning_rates(o.optimizer);
  if (!m.levenberg_marquardt && m.rates.empty()) o.optimizer.validate();
  require_in_range(o.steps, 0, max_steps, "--steps");
  if (!m.rates.empty()) {
    if (m.levenberg_marquardt)
      throw UsageError("--lr A,B,C compares learning rates of an optimizer, not of lm");
    if (o.restarts)
      throw UsageError("--lr A,B,C runs once per rate from --from; it cannot be combined with --restarts");
    if (o.trace) throw UsageError("--trace follows one run; it cannot be combined with several --lr rates");
    // One file of one point; which rate's would be a guess, so the combination is refused
    // rather than the file silently left unwritten.
    if (!o.out.empty())
      throw UsageError(
          "--out writes the point of one run; with several --lr rates give one rate, or --json for every "
          "run's point");
  }
  if (!o.out.empty()) check_writable_file(o.out, "--out");  // before the run, which it would otherwise waste
  if (!o.window.empty() && o.plot.empty())
    throw UsageError("--window sets the axes of the --plot picture; give --plot FILE.svg too");
  parse_window(o.window);
  if (o.restarts) {
    if (m.levenberg_marquardt) throw UsageError("--restarts works with the optimizers, not with lm");
    require_in_range(*o.restarts, 1, max_restarts, "--restarts");
    if (o.box.empty()) throw UsageError("--restarts needs --box lo,hi: the box the starts are drawn from");
    if (o.trace) throw UsageError("--trace follows one run; it cannot be combined with --restarts");
  } else if (!o.box.empty()) {
    throw UsageError("--box is the box of --restarts' random starts; give --restarts K too");
  } else if (o.from.empty()) {
    throw UsageError("--from is required (the start point), unless --restarts draws the starts");
  }
  if (!o.plot.empty()) {
    plot::check_output_path(o.plot);  // before the run: a picture it could not write would waste it
    const std::size_t runs = runs_of(o, m);
    if (runs > plot::max_runs)
      throw UsageError("--plot draws at most " + std::to_string(plot::max_runs) + " runs; this asks for " +
                       std::to_string(runs));
  }
  return m;
}

// What is minimized: the expression (or ½Σrᵢ² with each rᵢ), the start and its flat form.
struct Problem {
  Residuals residuals;
  Point start;
  std::vector<double> x0;
  const Expression& f() const { return residuals.sum_of_squares; }
};

Problem problem_of(MinimizeOptions& o, const Method& method) {
  const auto dimensions = dimensions_of(o.dims, "--dim", o.from, "--from");
  Residuals residuals = o.residuals.empty()
                            ? Residuals{compile(expression_text(o.expression), dimensions), {}}
                            : compile_residuals(expression_text(o.residuals), dimensions);
  const Expression& e = residuals.sum_of_squares;
  if (e.scalars().empty() && e.vectors().empty()) throw UsageError("the expression has no variables to move");
  // With --restarts and no --from, the starts are all drawn; the point only gives the shape.
  Point start = o.restarts && o.from.empty() ? zero_point(e) : bind_point(e, o.from, "--from");
  std::vector<double> x0 = start.flat();
  // A dense Hessian is n² numbers: above the bound newton stores it sparse (Auto would
  // fall back to dense for a pattern it finds too full), and --hessian dense is refused.
  if (o.optimizer.name() == "newton" && static_cast<long long>(x0.size()) > max_hessian_coordinates) {
    if (o.optimizer.value("hessian").value_or("auto") == "dense")
      throw UsageError("--optimizer newton --hessian dense: the expression has " + std::to_string(x0.size()) +
                       " coordinates; a dense Hessian is formed for at most " +
                       std::to_string(max_hessian_coordinates) +
                       " (--hessian sparse, or newton-cg, which needs only Hessian-vector products)");
    o.optimizer.set("hessian", "sparse");
  }
  if (!o.plot.empty()) {  // the recorder keeps every iterate of every run
    const auto runs = static_cast<long long>(runs_of(o, method));
    const long long points = (o.steps + 1) * static_cast<long long>(x0.size() + 2) * runs;
    if (points > max_plotted_points)
      throw UsageError("--plot keeps every iterate: --steps " + std::to_string(o.steps) + " of " +
                       counted(static_cast<long long>(x0.size()), "coordinate") +
                       (o.restarts ? " from " + counted(runs, "start")
                        : runs > 1 ? " for " + counted(runs, "rate")
                                   : std::string()) +
                       " is " + std::to_string(points) + " numbers, at most " +
                       limit_text(max_plotted_points));
  }
  if (!o.restarts) {
    // A start outside the domain, or where the gradient is not finite, is the user's
    // error, said where (the rule of grad and hessian): the value here, at the operation
    // that leaves the domain; the gradient at the run's first step (Trace::check_start),
    // except for least squares, whose steps report another function's gradient.
    if (!method.levenberg_marquardt)
      checked_value(e, start);
    else
      require_finite_gradient(e, start, value_and_gradient(e, start).gradient);
  }
  return {std::move(residuals), std::move(start), std::move(x0)};
}

Parameter parameter_at(const std::vector<double>& x0) {
  return Parameter(Eigen::Map<const Eigen::VectorXd>(x0.data(), static_cast<Eigen::Index>(x0.size())));
}

// One result, as text or JSON, then exit code 1 if it is no usable minimum.
void report(const MinimizeOptions& o, const Problem& p, const optim::MinimizeResult& r) {
  if (o.json) {
    print_json(result_json(p.f(), p.start, r));
    write_point(p.f(), r, o.out);
  } else
    print_plain(p.f(), r, o.out);  // after the --trace lines, the summary
  require_success(p.f(), p.start, r);
}

void run_least_squares(const MinimizeOptions& o, const Problem& p, const optim::StopWhen& stop) {
  const Expression& e = p.f();
  ListInputs<Var> in;
  Evaluator<Var> evaluate;
  const auto r = [&](std::span<const Var> x) {
    in.assign(e, x);
    std::vector<Var> out;
    for (const Expression& one : p.residuals.each) out.push_back(evaluate(one, in.inputs()));
    return out;
  };
  plot::PathRecorder path;
  const optim::MinimizeResult result =
      optim::least_squares(r, p.x0, {}, stop, Trace{&e, &p.start, o.trace},
                           PlotRecord{o.plot.empty() ? nullptr : &path}, Progress{});
  if (!o.plot.empty()) write_plot(o, e, std::move(path.runs), {}, false);
  report(o, p, result);
}

// --lr A,B,C: one run per rate from the same start, side by side.
void run_each_rate(const MinimizeOptions& o, const Problem& p, ExpressionObjective& f,
                   const std::vector<std::string>& rates, const optim::StopWhen& stop) {
  const Expression& e = p.f();
  plot::PathRecorder path;
  const PlotRecord record{o.plot.empty() ? nullptr : &path};
  std::vector<optim::MinimizeResult> results;
  for (const std::string& rate : rates) {
    OptimizerFlags flags = o.optimizer;
    flags.set("lr", rate);
    flags.validate();
    Parameter x = parameter_at(p.x0);
    const std::unique_ptr<optim::Optimizer> optimizer = flags.make({x});
    results.push_back(optim::minimize(f, x, *optimizer, stop, Trace{&e, &p.start, false, results.empty()},
                                      record, Progress{}));
    if (!o.plot.empty()) path.runs.back().label = "lr " + rate;
  }
  if (!o.plot.empty()) write_plot(o, e, std::move(path.runs), {}, true);
  bool any_converged = false;  // some run ended at a usable point
  Json all = Json::array();
  for (std::size_t k = 0; k < rates.size(); ++k) {
    const optim::MinimizeResult& r = results[k];
    // As for one run: a failure is a run that diverged, left f's domain or stalled.
    any_converged =
        any_converged || (r.reason != optim::StopReason::NotFinite &&
                          r.reason != optim::StopReason::Stalled && r.reason != optim::StopReason::Diverged);
    if (o.json) {
      Json one = result_json(e, p.start, r);
      one["lr"] = parse_number(rates[k], "--lr");
      all.push_back(one);
    } else {
      std::printf("lr = %s: f = %s after %s, stopped by: %s\n", rates[k].c_str(), number(r.f).c_str(),
                  counted(r.steps, "step").c_str(), optim::to_string(r.reason));
    }
  }
  if (o.json) print_json(all);
  if (!any_converged) throw RunFailed("minimize: every learning rate diverged or stalled");
}

void run_once(MinimizeOptions& o, const Problem& p, ExpressionObjective& f, const optim::StopWhen& stop) {
  const Expression& e = p.f();
  plot::PathRecorder path;
  Parameter x = parameter_at(p.x0);
  const std::unique_ptr<optim::Optimizer> optimizer = o.optimizer.make({x});
  const optim::MinimizeResult r = optim::minimize(f, x, *optimizer, stop, Trace{&e, &p.start, o.trace, true},
                                                  PlotRecord{o.plot.empty() ? nullptr : &path}, Progress{});
  if (!o.plot.empty()) write_plot(o, e, std::move(path.runs), {}, false);
  report(o, p, r);
}

// --restarts K: K starts drawn in --box, the distinct minima they reach and the best.
void run_restarts(MinimizeOptions& o, const Problem& p, ExpressionObjective& f, const optim::StopWhen& stop) {
  const Expression& e = p.f();
  plot::PathRecorder path;
  const auto [lo, hi] = parse_box(o.box, "--box");
  const std::vector<double> lower(p.x0.size(), lo), upper(p.x0.size(), hi);
  const auto make = [&](Parameter& x) { return o.optimizer.make({x}); };
  const optim::RestartsResult r =
      optim::minimize_with_restarts(f, lower, upper, static_cast<int>(*o.restarts), o.seed, make, stop, 1e-4,
                                    PlotRecord{o.plot.empty() ? nullptr : &path});
  if (!o.plot.empty()) {
    std::vector<plot::Minimum> minima;
    for (const optim::LocalMinimum& m : r.minima) minima.push_back({m.result.x, m.result.f, m.found});
    write_plot(o, e, std::move(path.runs), std::move(minima), false);
  }
  // Starts that diverged or left the finite values reached no minimum: counted, not listed.
  const std::string failed =
      r.failed == 0 ? std::string() : counted(r.failed, "start") + " failed (diverged or not finite)";
  const auto require_some_minimum = [&] {
    if (r.minima.empty())
      throw RunFailed("minimize: every one of the " + counted(*o.restarts, "start") +
                      " failed: the runs diverged or left the finite values (a smaller --lr or another "
                      "--box may converge)");
    require_success(e, p.start, r.best);
  };
  if (o.json) {
    Json out = r.minima.empty() ? Json::object() : result_json(e, p.start, r.best);
    Json minima = Json::array();
    for (const optim::LocalMinimum& m : r.minima) {
      Json one = result_json(e, p.start, m.result);
      one["found"] = m.found;
      minima.push_back(one);
    }
    out["minima"] = minima;
    out["failed_starts"] = r.failed;
    print_json(out);
    if (!r.minima.empty()) write_point(e, r.best, o.out);
    require_some_minimum();
    return;
  }
  std::printf("%s from %s in [%s, %s]%s:\n",
              counted(static_cast<long long>(r.minima.size()), "distinct minimum", "distinct minima").c_str(),
              counted(*o.restarts, "start").c_str(), number(lo).c_str(), number(hi).c_str(),
              failed.empty() ? "" : ("; " + failed).c_str());
  const std::vector<std::string> names = coordinate_names(e);
  for (const optim::LocalMinimum& m : r.minima) {
    std::printf("  f = %s  found %s  at", number(m.result.f).c_str(), counted(m.found, "time").c_str());
    for (std::size_t k = 0; k < names.size(); ++k)
      std::printf(" %s=%s", names[k].c_str(), number(m.result.x[k]).c_str());
    std::printf("\n");
  }
  if (!r.minima.empty()) {
    std::printf("best:\n");
    print_plain(e, r.best, o.out);
  }
  require_some_minimum();
}

void run_minimize(MinimizeOptions& o) {
  const Method method = method_of(o);
  const Problem problem = problem_of(o, method);
  const optim::StopWhen stop{o.steps, o.tol_grad, o.tol_f};
  if (method.levenberg_marquardt) return run_least_squares(o, problem, stop);
  ExpressionObjective f(problem.f(), problem.start);
  if (!method.rates.empty()) return run_each_rate(o, problem, f, method.rates, stop);
  if (o.restarts) return run_restarts(o, problem, f, stop);
  run_once(o, problem, f, stop);
}

}  // namespace

void add_minimize_command(CLI::App& app) {
  auto o = std::make_shared<MinimizeOptions>();
  CLI::App* cmd = app.add_subcommand("minimize", "a local minimum of an expression, by any optimizer");
  cmd->add_option("expression", o->expression,
                  "e.g. \"100*(y - x^2)^2 + (1 - x)^2\"; - reads it from standard input, @file from a file");
  cmd->add_option(
      "--residuals", o->residuals,
      "instead of an expression: residuals \"r1; r2; …\", minimizing ½Σr² (by lm unless --optimizer "
      "says otherwise)");
  cmd->add_option(
      "--from", o->from,
      "the start: x=-1.5,y=2; a vector as x=[1,2,3], x[0]=1 or x=1 (every entry); @file reads them");
  cmd->add_option("--dim", o->dims,
                  "vector variables and their lengths: x=10 (a list in --from gives its own)");
  o->optimizer.add_to(*cmd, "lbfgs");
  cmd->add_option("--steps", o->steps, "optimizer steps at most (for lbfgs: iterations)")
      ->capture_default_str();
  cmd->add_option("--out", o->out,
                  "FILE: every coordinate of the result, one \"x = …\" line each (the output lists at most a "
                  "screenful)");
  cmd->add_option("--tol-grad", o->tol_grad, "stop when |grad| is at most this")->capture_default_str();
  cmd->add_option("--tol-f", o->tol_f, "stop when f changes by at most this in a step")
      ->capture_default_str();
  cmd->add_flag("--trace", o->trace,
                "print {\"step\": k, \"x\": {…}, \"f\": …} for every step, step 0 the start");
  cmd->add_option("--restarts", o->restarts, "run from this many random starts in --box");
  cmd->add_option("--seed", o->seed, "seed of the random starts")->capture_default_str();
  cmd->add_option("--box", o->box, "lo,hi: every coordinate of a random start is drawn from [lo, hi]");
  cmd->add_flag("--json", o->json, "one JSON object: {\"x\": {…}, \"f\": …, \"steps\": n, \"grad_norm\": …}");
  cmd->add_option(
      "--plot", o->plot,
      "FILE.svg: a picture of the path(s): one variable, the curve of f with the iterates; two, "
      "filled contours of f with the path; more, f and |grad| against the step. With --restarts "
      "every start's path and the minima; with --lr A,B,C one path per rate and f against the step");
  cmd->add_option("--window", o->window, "x0,x1,y0,y1: the axes of --plot (default: around the paths)");
  cmd->add_option("--subject-to", o->subject_to,
                  "constraints \"c1; c2; …\", each LHS = RHS, LHS <= RHS or LHS >= RHS (@file reads them); "
                  "one variable against a constant (x >= 0, x[2] <= 1, or a whole vector x >= 0) is a bound. "
                  "Solved by IPOPT");
  cmd->add_option("--ipopt", o->ipopt,
                  "NAME=VALUE: any IPOPT option, with --subject-to (e.g. mu_strategy=adaptive); repeatable");
  cmd->footer(
      "Without --optimizer: lbfgs with the strong-wolfe line search (lm with --residuals). newton, "
      "newton-cg and trust-ncg use the exact Hessian (newton-cg and trust-ncg through Hessian-vector "
      "products only). Any hyperparameter flag not given takes PyTorch's default for the "
      "chosen optimizer. With --subject-to, IPOPT's interior-point method with exact first and second "
      "derivatives: --steps bounds its iterations, --tol-grad is its tolerance, --trace prints its log.");
  cmd->callback([o, cmd] {
    o->optimizer_given = cmd->count("--optimizer") > 0;
    // Given, even as "": an empty list is refused by the constrained path, not run unconstrained.
    if (cmd->count("--subject-to") == 0) {
      if (!o->ipopt.empty()) throw UsageError("--ipopt sets options of IPOPT, which runs with --subject-to");
      return run_minimize(*o);
    }
    for (const char* flag :
         {"--residuals", "--optimizer", "--restarts", "--box", "--seed", "--tol-f", "--plot", "--window"})
      if (cmd->count(flag) > 0)
        throw UsageError(std::string(flag) + " does not apply with --subject-to (IPOPT minimizes it)");
    if (!o->optimizer.given().empty())
      throw UsageError(o->optimizer.given().front() +
                       " does not apply with --subject-to (IPOPT minimizes it)");
    if (o->expression.empty()) throw UsageError("give the expression to minimize");
    run_constrained_minimize({.expression = o->expression,
                              .subject_to = o->subject_to,
                              .from = o->from,
                              .dims = o->dims,
                              .out = o->out,
                              .steps = o->steps,
                              .tolerance = o->tol_grad,
                              .trace = o->trace,
                              .json = o->json,
                              .ipopt = o->ipopt});
  });
}

}  // namespace tapegrad::cli
