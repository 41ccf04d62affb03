// minimize_constrained()'s engine: IPOPT's TNLP interface over tapegrad's derivatives. The
// structures IPOPT asks for once (the constraint Jacobian's and the Lagrangian Hessian's
// lower triangle) are the patterns SparseJacobian and SparseHessian found at x0; the values
// at each iterate come from the same objects, so each evaluation costs a few sweeps,
// whatever n. Derivatives are computed once per point and kept: IPOPT asks for g and its
// Jacobian at the same x separately.
#include <IpIpoptApplication.hpp>
#include <IpSolveStatistics.hpp>
#include <IpTNLP.hpp>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "../../autodiff/replay/recorded_function.hpp"
#include "../../autodiff/scalar/gradient.hpp"
#include "../../autodiff/sparse/sparse_jacobian.hpp"
#include "minimize_constrained.hpp"

namespace tapegrad::optim {

namespace detail {
namespace {

using Ipopt::Index;
using Ipopt::Number;

constexpr double infinity = std::numeric_limits<double>::infinity();
// IPOPT's "no bound" (nlp_lower_bound_inf / nlp_upper_bound_inf).
constexpr double ipopt_infinity = 1e19;

double to_ipopt(double bound) { return std::clamp(bound, -ipopt_infinity, ipopt_infinity); }

bool all_finite(std::span<const double> v) {
  return std::all_of(v.begin(), v.end(), [](double e) { return std::isfinite(e); });
}

// The problem as IPOPT sees it, with the derivative objects that answer it.
class TapegradNlp final : public Ipopt::TNLP {
 public:
  TapegradNlp(const ConstrainedProblem& problem, std::span<const double> x0, std::vector<double> lower,
              std::vector<double> upper, std::vector<double> c_lower, std::vector<double> c_upper,
              std::optional<SparseJacobian> jacobian, bool exact_hessian)
      : problem_(problem),
        x0_(x0.begin(), x0.end()),
        lower_(std::move(lower)),
        upper_(std::move(upper)),
        c_lower_(std::move(c_lower)),
        c_upper_(std::move(c_upper)),
        jacobian_(std::move(jacobian)),
        m_(c_lower_.size()) {
    const std::size_t n = x0_.size();
    try {
      objective_.emplace(problem_.objective, x0);
    } catch (const NotReplayable&) {
      // f holds a custom_op: recorded afresh at every point (objective_at()).
    }
    if (jacobian_) jacobian_nonzeros_.resize(jacobian_->pattern().nonzeros());
    if (exact_hessian) {
      std::vector<double> weights(1 + m_, 0.0);
      weights[0] = 1;
      hessian_.emplace(problem_.lagrangian, problem_.lagrangian_wide, x0, weights, SparseHessianOptions{});
      hessian_nonzeros_.resize(hessian_->pattern().nonzeros());
      // IPOPT takes the lower triangle: the positions of those entries in the pattern's order,
      // and their rows and columns (the structure, asked once).
      const SparsityPattern& p = hessian_->pattern();
      for (std::size_t i = 0; i < n; ++i)
        for (std::size_t k = p.row_begin[i]; k < p.row_begin[i + 1]; ++k)
          if (p.columns[k] <= i) {
            lower_triangle_.push_back(k);
            hessian_rows_.push_back(static_cast<Index>(i));
            hessian_columns_.push_back(static_cast<Index>(p.columns[k]));
          }
      hessian_pattern_ = p;
    }
    if (jacobian_) {
      jacobian_pattern_ = jacobian_->pattern();
      result_.jacobian_colors = jacobian_->colors();
      result_.jacobian_nonzeros = jacobian_pattern_.nonzeros();
    }
    if (hessian_) {
      result_.hessian_colors = hessian_->from_local_hessians() ? 0 : hessian_->colors();
      result_.hessian_nonzeros = lower_triangle_.size();
    }
  }

  bool get_nlp_info(Index& n, Index& m, Index& nnz_jac_g, Index& nnz_h_lag, IndexStyleEnum& style) override {
    n = static_cast<Index>(x0_.size());
    m = static_cast<Index>(m_);
    nnz_jac_g = static_cast<Index>(jacobian_pattern_.nonzeros());
    nnz_h_lag = static_cast<Index>(lower_triangle_.size());
    style = C_STYLE;
    return true;
  }

  bool get_bounds_info(Index n, Number* x_l, Number* x_u, Index m, Number* g_l, Number* g_u) override {
    for (Index i = 0; i < n; ++i) {
      x_l[i] = lower_.empty() ? -ipopt_infinity : to_ipopt(lower_[static_cast<std::size_t>(i)]);
      x_u[i] = upper_.empty() ? ipopt_infinity : to_ipopt(upper_[static_cast<std::size_t>(i)]);
    }
    for (Index i = 0; i < m; ++i) {
      g_l[i] = to_ipopt(c_lower_[static_cast<std::size_t>(i)]);
      g_u[i] = to_ipopt(c_upper_[static_cast<std::size_t>(i)]);
    }
    return true;
  }

  bool get_starting_point(Index n, bool init_x, Number* x, bool init_z, Number*, Number*, Index,
                          bool init_lambda, Number*) override {
    if (!init_x || init_z || init_lambda) return false;  // only x is given (IPOPT's default)
    std::copy(x0_.begin(), x0_.begin() + n, x);
    return true;
  }

  bool eval_f(Index n, const Number* x, bool, Number& value) override {
    return guarded([&] {
      objective_at({x, static_cast<std::size_t>(n)}, /*with_gradient=*/false);
      value = f_;
      return std::isfinite(value);
    });
  }
  bool eval_grad_f(Index n, const Number* x, bool, Number* gradient) override {
    return guarded([&] {
      objective_at({x, static_cast<std::size_t>(n)}, /*with_gradient=*/true);
      std::copy(gradient_.begin(), gradient_.end(), gradient);
      return all_finite(gradient_);
    });
  }
  bool eval_g(Index n, const Number* x, bool, Index, Number* g) override {
    return guarded([&] {
      if (!constraints_at({x, static_cast<std::size_t>(n)})) return false;
      std::copy(c_.begin(), c_.end(), g);
      return all_finite(c_);
    });
  }
  bool eval_jac_g(Index n, const Number* x, bool, Index, Index, Index* rows, Index* columns,
                  Number* values) override {
    if (values == nullptr) {  // the structure, asked once
      for (std::size_t i = 0; i < jacobian_pattern_.rows; ++i)
        for (std::size_t k = jacobian_pattern_.row_begin[i]; k < jacobian_pattern_.row_begin[i + 1]; ++k) {
          *rows++ = static_cast<Index>(i);
          *columns++ = static_cast<Index>(jacobian_pattern_.columns[k]);
        }
      return true;
    }
    return guarded([&] {
      if (!constraints_at({x, static_cast<std::size_t>(n)})) return false;
      std::copy(jacobian_nonzeros_.begin(), jacobian_nonzeros_.end(), values);
      return all_finite(jacobian_nonzeros_);
    });
  }
  bool eval_h(Index n, const Number* x, bool, Number sigma, Index m, const Number* lambda, bool, Index,
              Index* rows, Index* columns, Number* values) override {
    if (!hessian_) return false;
    if (values == nullptr) {
      std::copy(hessian_rows_.begin(), hessian_rows_.end(), rows);
      std::copy(hessian_columns_.begin(), hessian_columns_.end(), columns);
      return true;
    }
    return guarded([&] {
      weights_.assign(1, sigma);
      weights_.insert(weights_.end(), lambda, lambda + m);
      hessian_->set_parameters(weights_);
      const std::span<const double> at(x, static_cast<std::size_t>(n));
      ++result_.hessian_evaluations;
      if (!values_in_pattern(*hessian_, hessian_pattern_, hessian_nonzeros_,
                             [&](std::vector<double>& nonzeros) { hessian_->values(at, nonzeros); }))
        return false;
      for (std::size_t k = 0; k < lower_triangle_.size(); ++k)
        values[k] = hessian_nonzeros_[lower_triangle_[k]];
      return all_finite(hessian_nonzeros_);
    });
  }

  void finalize_solution(Ipopt::SolverReturn, Index n, const Number* x, const Number* z_l, const Number* z_u,
                         Index m, const Number*, const Number* lambda, Number, const Ipopt::IpoptData*,
                         Ipopt::IpoptCalculatedQuantities*) override {
    result_.x.assign(x, x + n);
    result_.multipliers.assign(lambda, lambda + m);
    result_.bound_multipliers_lower.assign(z_l, z_l + n);
    result_.bound_multipliers_upper.assign(z_u, z_u + n);
  }

  // f, c and the violation at the result's x (x0 when IPOPT stopped before an iterate),
  // evaluated here rather than taken from IPOPT: a run that ends on an evaluation error
  // reports f = 0 and g unset.
  void evaluate_result() {
    if (result_.x.empty()) result_.x = x0_;
    const std::size_t n = x0_.size();
    result_.multipliers.resize(m_, 0.0);
    result_.bound_multipliers_lower.resize(n, 0.0);
    result_.bound_multipliers_upper.resize(n, 0.0);
    const std::span<const double> x(result_.x);
    result_.f = std::numeric_limits<double>::quiet_NaN();
    result_.constraints.assign(m_, std::numeric_limits<double>::quiet_NaN());
    const bool evaluated = guarded([&] {
      objective_at(x, /*with_gradient=*/false);
      result_.f = f_;
      if (!constraints_at(x)) return false;
      result_.constraints = c_;
      return true;
    });
    double violation = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (!lower_.empty()) violation = std::max(violation, lower_[i] - x[i]);
      if (!upper_.empty()) violation = std::max(violation, x[i] - upper_[i]);
    }
    for (std::size_t i = 0; i < m_; ++i)
      violation =
          std::max({violation, c_lower_[i] - result_.constraints[i], result_.constraints[i] - c_upper_[i]});
    if (!evaluated || std::isnan(violation) || !all_finite(result_.constraints)) violation = infinity;
    result_.constraint_violation = violation;
  }

  /// What the run found (x, multipliers, counts); the status is set by run_ipopt.
  const ConstrainedResult& result() const { return result_; }
  /// The first exception f or c threw inside a callback, to rethrow once IPOPT has returned.
  std::exception_ptr error() const { return error_; }

 private:
  // Runs one of IPOPT's callbacks: an exception from f or c is kept and rethrown once IPOPT
  // has returned (it must not cross IPOPT's C-style frames), and the callback reports failure.
  template <class Body>
  bool guarded(Body&& body) {
    if (error_) return false;
    try {
      return body();
    } catch (...) {
      error_ = std::current_exception();
      return false;
    }
  }

  // f at x, and ∇f too when `with_gradient`, each computed once per point. IPOPT asks for
  // f alone at the trial points of its line search, most of which it rejects: f is then
  // replayed without the reverse sweep, and ∇f swept when IPOPT asks for it at that point.
  void objective_at(std::span<const double> x, bool with_gradient) {
    const bool same_point = !objective_x_.empty() && std::equal(x.begin(), x.end(), objective_x_.begin());
    if (same_point && (gradient_known_ || !with_gradient)) return;
    if (!same_point) ++result_.objective_evaluations;
    gradient_.resize(x.size());
    if (objective_ && !with_gradient) {
      f_ = objective_->value(x);
      gradient_known_ = false;
    } else if (objective_) {
      f_ = objective_->gradient(x, gradient_);
      gradient_known_ = true;
      ++result_.gradient_evaluations;
    } else {
      Tape tape;
      std::vector<Var> vars(x.begin(), x.end());
      const Var y = problem_.objective(std::span<const Var>(vars));
      tapegrad::gradient(y, std::span<const Var>(vars), std::span<double>(gradient_));
      f_ = y.value();
      gradient_known_ = true;
      ++result_.gradient_evaluations;
    }
    objective_x_.assign(x.begin(), x.end());
  }

  // c and its Jacobian at x, computed once per point; false when a changed branch gave the
  // Jacobian a nonzero outside the structure IPOPT was given.
  bool constraints_at(std::span<const double> x) {
    if (!jacobian_) return true;
    if (!constraints_x_.empty() && std::equal(x.begin(), x.end(), constraints_x_.begin()))
      return jacobian_fits_;
    c_.resize(m_);
    jacobian_fits_ =
        values_in_pattern(*jacobian_, jacobian_pattern_, jacobian_nonzeros_,
                          [&](std::vector<double>& nonzeros) { jacobian_->values(x, nonzeros, c_); });
    ++result_.jacobian_evaluations;
    constraints_x_.assign(x.begin(), x.end());
    return jacobian_fits_;
  }

  // The nonzeros `evaluate` writes (into the std::vector it is given, which values() sizes to
  // the pattern at x), in the order of `known`, the pattern IPOPT was given. A branch that
  // changed at this point may have changed the pattern: then the entries IPOPT knows are
  // copied and the rest must be zero (false otherwise).
  template <class Sparse, class Evaluate>
  bool values_in_pattern(Sparse& sparse, const SparsityPattern& known, std::vector<double>& out,
                         Evaluate&& evaluate) {
    // While no branch has changed, the values are in IPOPT's order: straight into `out`.
    std::vector<double>& buffer = sparse.patterns_found() == 1 ? out : scratch_;
    evaluate(buffer);
    const SparsityPattern& now = sparse.pattern();
    if (sparse.patterns_found() == 1 || now == known) {
      if (&buffer != &out) out.swap(buffer);
      return true;
    }
    if (&buffer == &out) out.swap(scratch_);  // the branch changed at this very point
    out.assign(known.nonzeros(), 0.0);
    for (std::size_t i = 0; i < now.rows; ++i)
      for (std::size_t k = now.row_begin[i]; k < now.row_begin[i + 1]; ++k) {
        const auto row = known.row(i);
        const auto it = std::lower_bound(row.begin(), row.end(), now.columns[k]);
        if (it == row.end() || *it != now.columns[k]) {
          if (scratch_[k] != 0) return false;
          continue;
        }
        out[known.row_begin[i] + static_cast<std::size_t>(it - row.begin())] = scratch_[k];
      }
    return true;
  }

  const ConstrainedProblem& problem_;
  std::vector<double> x0_, lower_, upper_, c_lower_, c_upper_;
  std::optional<RecordedFunction> objective_;
  bool gradient_known_ = false;  // gradient_ holds ∇f at objective_x_
  std::optional<SparseJacobian> jacobian_;
  std::optional<SparseHessian> hessian_;
  std::size_t m_;
  SparsityPattern jacobian_pattern_, hessian_pattern_;
  std::vector<std::size_t> lower_triangle_;
  std::vector<Index> hessian_rows_, hessian_columns_;

  std::vector<double> objective_x_, gradient_, constraints_x_, c_, jacobian_nonzeros_, hessian_nonzeros_,
      weights_, scratch_;
  double f_ = 0;
  bool jacobian_fits_ = true;
  ConstrainedResult result_;
  std::exception_ptr error_;
};

void check_bounds(const char* what, std::span<const double> lo, std::span<const double> hi, std::size_t size,
                  const char* lower_name, const char* upper_name) {
  if (lo.size() != size || hi.size() != size)
    throw Error("minimize_constrained: ", lower_name, " has ", lo.size(), " entries and ", upper_name, " ",
                hi.size(), ", for ", size, " ", what, size == 1 ? "" : "s");
  for (std::size_t i = 0; i < size; ++i) {
    if (std::isnan(lo[i]) || std::isnan(hi[i]))
      throw Error("minimize_constrained: a bound of ", what, " ", i, " is NaN");
    if (lo[i] > hi[i])
      throw Error("minimize_constrained: ", what, " ", i, " has lower bound ", lo[i],
                  " above its upper bound ", hi[i]);
  }
}

// What each of IPOPT's return statuses means here, with IPOPT's own words for it.
struct StatusMeaning {
  Ipopt::ApplicationReturnStatus ipopt;
  ConstrainedStatus status;
  const char* message;
};
constexpr StatusMeaning status_meanings[] = {
    {Ipopt::Solve_Succeeded, ConstrainedStatus::Optimal, "Optimal Solution Found"},
    {Ipopt::Solved_To_Acceptable_Level, ConstrainedStatus::Acceptable, "Solved To Acceptable Level"},
    {Ipopt::Infeasible_Problem_Detected, ConstrainedStatus::Infeasible,
     "Converged to a point of local infeasibility. Problem may be infeasible"},
    {Ipopt::Search_Direction_Becomes_Too_Small, ConstrainedStatus::Failed,
     "Search Direction is becoming Too Small"},
    {Ipopt::Diverging_Iterates, ConstrainedStatus::Diverging,
     "Iterates diverging; problem might be unbounded"},
    {Ipopt::User_Requested_Stop, ConstrainedStatus::Failed,
     "Stopping optimization at current point as requested by user"},
    {Ipopt::Feasible_Point_Found, ConstrainedStatus::Failed, "Feasible point found"},
    {Ipopt::Maximum_Iterations_Exceeded, ConstrainedStatus::MaxIterations,
     "Maximum Number of Iterations Exceeded"},
    {Ipopt::Restoration_Failed, ConstrainedStatus::Failed, "Restoration Failed"},
    {Ipopt::Error_In_Step_Computation, ConstrainedStatus::Failed,
     "Error in step computation (regularization becomes too large?)"},
    {Ipopt::Maximum_CpuTime_Exceeded, ConstrainedStatus::Failed, "Maximum CPU time exceeded"},
    {Ipopt::Not_Enough_Degrees_Of_Freedom, ConstrainedStatus::Failed,
     "Problem has too few degrees of freedom"},
    {Ipopt::Invalid_Problem_Definition, ConstrainedStatus::Failed,
     "Problem has inconsistent variable bounds or constraint sides"},
    {Ipopt::Invalid_Option, ConstrainedStatus::Failed, "Invalid option"},
    {Ipopt::Invalid_Number_Detected, ConstrainedStatus::NotFinite,
     "Invalid number in NLP function or derivative detected"},
    {Ipopt::Insufficient_Memory, ConstrainedStatus::Failed, "Not enough memory"}};

// The meaning of `status`; the statuses not listed are IPOPT's internal errors.
StatusMeaning meaning_of(Ipopt::ApplicationReturnStatus status) {
  for (const StatusMeaning& m : status_meanings)
    if (m.ipopt == status) return m;
  return {status, ConstrainedStatus::Failed, "IPOPT stopped with an internal error"};
}

// Sets one option, converting the text to the option's registered type; checked against
// the option's own range or list first, so that a bad value is this function's error and
// nothing of IPOPT's is printed.
void set_option(Ipopt::IpoptApplication& app, const IpoptOption& option) {
  const Ipopt::SmartPtr<const Ipopt::RegisteredOption> registered = app.RegOptions()->GetOption(option.name);
  if (!Ipopt::IsValid(registered))
    throw Error("minimize_constrained: IPOPT has no option named '", option.name, "'");
  const auto refuse = [&](const std::string& takes) {
    return Error("minimize_constrained: IPOPT's option '", option.name, "' (", registered->ShortDescription(),
                 ") takes ", takes, "; '", option.value, "' is not one");
  };
  char* end = nullptr;
  switch (registered->Type()) {
    case Ipopt::OT_Number: {
      const double v = std::strtod(option.value.c_str(), &end);
      if (option.value.empty() || *end != '\0' || !registered->IsValidNumberSetting(v))
        throw refuse("a number in its range");
      app.Options()->SetNumericValue(option.name, v);
      return;
    }
    case Ipopt::OT_Integer: {
      const long v = std::strtol(option.value.c_str(), &end, 10);
      if (option.value.empty() || *end != '\0' || v < std::numeric_limits<Index>::min() ||
          v > std::numeric_limits<Index>::max() || !registered->IsValidIntegerSetting(static_cast<Index>(v)))
        throw refuse("an integer in its range");
      app.Options()->SetIntegerValue(option.name, static_cast<Index>(v));
      return;
    }
    default: {
      if (!registered->IsValidStringSetting(option.value)) {
        std::string valid;
        for (const auto& entry : registered->GetValidStrings())
          valid += (valid.empty() ? "" : ", ") + entry.value_;
        throw refuse("one of: " + valid);
      }
      app.Options()->SetStringValue(option.name, option.value);
    }
  }
}

// Whether the KKT matrix of a problem whose constraint Jacobian has `pattern` has a dense row by
// AMD's own test (Amestoy, Davis & Duff: more than 10√N entries, N the matrix's order, and at
// least 16): a constraint on many unknowns (a row of J), or an unknown in many constraints (a
// column).
bool kkt_has_dense_row(const SparsityPattern& pattern, std::size_t kkt_order) {
  const double dense = std::max(16.0, 10 * std::sqrt(static_cast<double>(kkt_order)));
  std::vector<std::size_t> in_column(pattern.cols, 0);
  for (std::size_t i = 0; i < pattern.rows; ++i) {
    if (static_cast<double>(pattern.row(i).size()) > dense) return true;
    for (const std::uint32_t j : pattern.row(i)) ++in_column[j];
  }
  return std::any_of(in_column.begin(), in_column.end(),
                     [dense](std::size_t count) { return static_cast<double>(count) > dense; });
}

}  // namespace

ConstrainedResult run_ipopt(const ConstrainedProblem& problem, std::span<const double> x0,
                            const ConstrainedOptions& options) {
  const std::size_t n = x0.size();
  if (n == 0) throw Error("minimize_constrained: no unknowns");
  for (std::size_t i = 0; i < n; ++i)
    if (!std::isfinite(x0[i])) throw Error("minimize_constrained: x0[", i, "] = ", x0[i], " is not finite");
  std::vector<double> lower = options.lower, upper = options.upper;
  if (!lower.empty() || !upper.empty()) {
    if (lower.empty()) lower.assign(n, -infinity);
    if (upper.empty()) upper.assign(n, infinity);
    check_bounds("unknown", lower, upper, n, "lower", "upper");
  }
  if (options.max_iterations < 0 || options.max_iterations > std::numeric_limits<Index>::max())
    throw Error("minimize_constrained: max_iterations = ", options.max_iterations, " is out of range");
  if (!(options.tolerance > 0))
    throw Error("minimize_constrained: tolerance = ", options.tolerance, " must be > 0");

  std::optional<SparseJacobian> jacobian;
  std::size_t m = 0;
  if (problem.constraints) {
    jacobian.emplace(problem.constraints, x0);
    m = jacobian->rows();
  }
  std::vector<double> c_lower = options.constraint_lower, c_upper = options.constraint_upper;
  if (c_lower.empty() && c_upper.empty()) {
    c_lower.assign(m, 0.0);
    c_upper.assign(m, 0.0);
  }
  check_bounds("constraint", c_lower, c_upper, m, "constraint_lower", "constraint_upper");

  Ipopt::SmartPtr<Ipopt::IpoptApplication> app = IpoptApplicationFactory();
  app->Options()->SetIntegerValue("print_level", options.print_level);
  app->Options()->SetStringValue("sb", "yes");  // no banner
  app->Options()->SetNumericValue("tol", options.tolerance);
  app->Options()->SetIntegerValue("max_iter", static_cast<Index>(options.max_iterations));
  if (!options.exact_hessian) app->Options()->SetStringValue("hessian_approximation", "limited-memory");
  // MUMPS's automatic fill-reducing ordering fills a KKT matrix with a dense row without bound
  // (sum(x) = c on 10⁵ unknowns asked 91 GB, and IPOPT went to restoration and failed), where
  // AMD sets dense rows aside and orders the rest (the same problem in 5 s). IPOPT's choice
  // otherwise; an ipopt option given wins either way.
  if (jacobian && kkt_has_dense_row(jacobian->pattern(), n + m) &&
      Ipopt::IsValid(app->RegOptions()->GetOption("mumps_pivot_order")))
    app->Options()->SetIntegerValue("mumps_pivot_order", 0);  // 0: AMD
  for (const IpoptOption& option : options.ipopt) set_option(*app, option);
  // No options file: a stray ipopt.opt in the working directory must not change a run.
  const Ipopt::ApplicationReturnStatus initialized = app->Initialize("");
  if (initialized != Ipopt::Solve_Succeeded)
    throw Error("minimize_constrained: IPOPT could not start: ", meaning_of(initialized).message);
  // What IPOPT will use, whichever of exact_hessian and the options said it: with an
  // approximation it never asks for the Hessian, which then is neither recorded nor colored.
  std::string hessian_approximation;
  app->Options()->GetStringValue("hessian_approximation", hessian_approximation, "");

  auto* nlp = new TapegradNlp(problem, x0, std::move(lower), std::move(upper), std::move(c_lower),
                              std::move(c_upper), std::move(jacobian), hessian_approximation == "exact");
  const Ipopt::SmartPtr<Ipopt::TNLP> owner = nlp;
  const Ipopt::ApplicationReturnStatus status = app->OptimizeTNLP(owner);
  if (nlp->error()) std::rethrow_exception(nlp->error());
  nlp->evaluate_result();
  if (nlp->error()) std::rethrow_exception(nlp->error());
  ConstrainedResult result = nlp->result();
  const StatusMeaning meaning = meaning_of(status);
  result.status = meaning.status;
  result.solver_message = meaning.message;
  if (Ipopt::IsValid(app->Statistics())) result.iterations = app->Statistics()->IterationCount();
  return result;
}

}  // namespace detail
}  // namespace tapegrad::optim
