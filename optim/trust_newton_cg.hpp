/// \file
/// Trust-region Newton-CG (scipy's method="trust-ncg"): Nocedal & Wright, Numerical Optimization, 2nd ed.,
/// Algorithm 4.1 around the CG–Steihaug subproblem solver of Algorithm 7.2. Beside the line-search NewtonCg:
/// the step length comes from a radius adapted by how well the quadratic model predicted f, and a direction
/// of negative curvature is followed to the region's edge instead of being dropped, so it leaves saddles.
///
/// One step() makes one move: the model m(p) = f + gᵀp + ½pᵀHp is minimized by conjugate gradients within
/// ‖p‖ ≤ Δ (stopped at the forcing tolerance ε = min(forcing, √‖g‖)·‖g‖, at the boundary, or at a direction
/// with dᵀHd ≤ 0, followed to the boundary point of lower m), f is evaluated at x + p and
/// ρ = (f(x) − f(x + p)) / (m(0) − m(p)) decides: Δ ← Δ/4 when ρ < 1/4, Δ ← min(2Δ, max_trust_radius) when
/// ρ > 3/4 and ‖p‖ = Δ, and the trial is accepted when ρ > eta. A rejected trial is solved again with the
/// smaller Δ within the same step() (scipy counts each trial as an iteration), so a step() always ends with x
/// moved, except when Δ falls below ε_mach·max(‖x‖, initial_trust_radius), the trial rounds to x, or the
/// model predicts no decrease: then x stays and minimize() reports Stalled. The last closure evaluation is at
/// the accepted point, so minimize()'s cache hands the next step its f and gradient.
///
/// Departures from scipy, each for a reason given where it is made: the model decrease is carried along the
/// CG iterations (no extra product per trial for m(p)); ρ is computed with Conn, Gould & Toint's guard
/// against rounding (Trust-Region Methods, 2000, §17.4.2), so a trial whose change in f is lost in f's
/// rounding is judged by the model rather than shrunk to nothing; a trial where f is NaN or +∞ counts
/// as ρ < 1/4; and CG stops after max_cg_iter iterations (0: 20·n) as NewtonCg's does. Against scipy 1.10's
/// trust-ncg on Rosenbrock from (−1.2, 1), (−1.5, 2), (2, 2), (2.5, −1.5) and the 10-D extended Rosenbrock,
/// the accepted iterates agree to 1.5e-14 (relative) with the same evaluations, for 52–59 % of scipy's
/// products.
///
/// forcing keeps the book's and scipy's 0.5 (NewtonCg defaults to 0.01). On those five problems 0.01 took
/// 23, 23, 14, 11, 23 steps instead of 27, 46, 22, 27, 44, and 27, 27, 16, 13, 27 evaluations instead of
/// 31, 54, 27, 30, 50, for 50, 51, 29, 26, 49 products instead of 46, 77, 39, 42, 62.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <utility>
#include <vector>

#include "second_order_optimizer.hpp"

namespace tapegrad::optim {

/// The options of TrustNewtonCg (scipy's names and defaults for trust-ncg, plus NewtonCg's CG options).
struct TrustNewtonCgOptions {
  double initial_trust_radius = 1;  ///< Δ₀, the radius of the first step (scipy: 1)
  double max_trust_radius = 1000;   ///< Δ never grows beyond this (scipy: 1000)
  double eta = 0.15;                ///< a trial is accepted when ρ > eta; in [0, 1/4) (scipy: 0.15)
  int max_cg_iter = 0;              ///< CG iterations per subproblem at most; 0: 20·n
  double forcing = 0.5;  ///< the cap on the forcing term: ε = min(forcing, √‖g‖)·‖g‖ (the book: 0.5)

  /// Visits every option as (name, field): how state_dict() and the command line's flags find them.
  template <class Self, class Visit>
  static void fields(Self& o, Visit&& v) {
    v("initial_trust_radius", o.initial_trust_radius), v("max_trust_radius", o.max_trust_radius),
        v("eta", o.eta), v("max_cg_iter", o.max_cg_iter), v("forcing", o.forcing);
  }
};

namespace detail {

/// What steihaug_cg() returns: the step and what ended it.
struct SteihaugStep {
  /// The step p, ‖p‖ ≤ Δ.
  Eigen::VectorXd p;
  /// m(0) − m(p) = −(gᵀp + ½pᵀHp), carried along the CG iterations (no product of its own).
  double model_decrease = 0;
  /// True when ‖p‖ = Δ: CG crossed the boundary or met non-positive curvature.
  bool on_boundary = false;
  /// True when a direction d with dᵀHd ≤ 0 (or not a number) ended CG.
  bool negative_curvature = false;
  /// Hessian-vector products made (one per CG iteration whose product was not kept from an earlier solve).
  long products = 0;
};

/// The products H·d of one subproblem's CG iterations, in order, kept for solving it again with the same g
/// and H and a smaller radius (after a rejected trial): CG from p = 0 makes the same directions, bit for bit,
/// whatever the radius, and with a smaller one it stops no later (its iterates' norms grow, Nocedal & Wright,
/// Theorem 7.3), so solving again makes no product while the kept ones last. Holds the first `capacity`
/// iterations' products.
struct SteihaugProducts {
  /// H·d of CG iterations 0, 1, … of the subproblem.
  std::vector<Eigen::VectorXd> hd;
  /// The most products kept (a bound on the memory: capacity·n doubles).
  std::size_t capacity = 0;
};

/// The two roots ta ≤ tb of ‖z + t·d‖ = Δ for ‖z‖ ≤ Δ (so ta ≤ 0 ≤ tb), in the form that does not subtract
/// nearly equal numbers (Golub & Van Loan, Matrix Computations, on the quadratic formula).
inline std::pair<double, double> boundary_roots(const Eigen::VectorXd& z, const Eigen::VectorXd& d,
                                                double radius) {
  const double a = d.squaredNorm(), b = 2 * z.dot(d), c = z.squaredNorm() - radius * radius;
  // c ≤ 0 up to rounding, so the discriminant is ≥ 0 up to rounding.
  const double root = std::sqrt(std::max(b * b - 4 * a * c, 0.0));
  const double aux = b + std::copysign(root, b);
  if (aux == 0) return {0.0, 0.0};  // z on the boundary and d tangent to it
  const double t1 = -aux / (2 * a), t2 = -2 * c / aux;
  return {std::min(t1, t2), std::max(t1, t2)};
}

/// CG–Steihaug (Nocedal & Wright, Algorithm 7.2): minimizes gᵀp + ½pᵀHp over ‖p‖ ≤ `radius` by conjugate
/// gradients from p = 0, H known through `product(v, hv)` (hv = H·v). Stops when the residual falls below
/// min(forcing, √‖g‖)·‖g‖, when an iterate would leave the region (then the boundary point along the
/// direction, t ≥ 0), when dᵀHd ≤ 0 (then whichever of the two boundary points along d has the lower model
/// value, as scipy), or after `max_iterations` (then the iterate so far). With g = 0 the step is 0. With
/// `kept`, the products of the iterations it holds are taken from it rather than made again, and those made
/// are added to it (up to its capacity): `kept` must come from solves with this g and H only.
template <class Product>
SteihaugStep steihaug_cg(Product&& product, const Eigen::VectorXd& g, double radius, double forcing,
                         long max_iterations, SteihaugProducts* kept = nullptr) {
  const Eigen::Index n = g.size();
  SteihaugStep out;
  out.p = Eigen::VectorXd::Zero(n);
  const double g_norm = g.norm();
  if (!(g_norm > 0)) return out;
  const double tolerance = std::min(forcing, std::sqrt(g_norm)) * g_norm;
  // z: the iterate, r = Hz + g: the model's gradient at z (CG's residual), d: the direction, q = m(z) − m(0).
  Eigen::VectorXd z = Eigen::VectorXd::Zero(n), r = g, d = -g, hd(n);
  double rr = r.squaredNorm(), q = 0;
  // m(z + t·d) − m(0) = q + t·rᵀd + ½t²·dᵀHd: what lets the decrease be known without another product.
  const auto model_at = [&](double t, double rd, double dhd) { return q + t * rd + 0.5 * t * t * dhd; };
  for (long j = 0; j < max_iterations; ++j) {
    const auto iteration = static_cast<std::size_t>(j);
    if (kept != nullptr && iteration < kept->hd.size()) {
      hd = kept->hd[iteration];
    } else {
      product(d, hd);
      out.products += 1;
      if (kept != nullptr && kept->hd.size() < kept->capacity) kept->hd.push_back(hd);
    }
    const double dhd = d.dot(hd), rd = r.dot(d);
    if (!(dhd > 0)) {
      const auto [ta, tb] = boundary_roots(z, d, radius);
      const double qa = model_at(ta, rd, dhd), qb = model_at(tb, rd, dhd);
      const double t = qa < qb ? ta : tb;
      out.p = z + t * d;
      out.model_decrease = -(qa < qb ? qa : qb);
      out.on_boundary = out.negative_curvature = true;
      return out;
    }
    const double alpha = rr / dhd;
    if ((z + alpha * d).norm() >= radius) {
      const double tb = boundary_roots(z, d, radius).second;
      out.p = z + tb * d;
      out.model_decrease = -model_at(tb, rd, dhd);
      out.on_boundary = true;
      return out;
    }
    q = model_at(alpha, rd, dhd);
    z += alpha * d;
    r += alpha * hd;
    const double rr_next = r.squaredNorm();
    if (std::sqrt(rr_next) < tolerance) break;
    d = -r + (rr_next / rr) * d;
    rr = rr_next;
  }
  out.p = std::move(z);
  out.model_decrease = -q;
  return out;
}

/// Algorithm 4.1's ρ with Conn, Gould & Toint's guard (Trust-Region Methods, §17.4.2): both reductions are
/// raised by δ = 10·ε_mach·|f|, the size of f's own rounding. Where they are far above it ρ is the book's
/// (to within δ relative to the predicted reduction); where the predicted reduction is lost in f's rounding,
/// the computed actual one is noise and ρ tends to 1 instead of to noise over a tiny number. NaN when f at
/// the trial is NaN.
inline double reduction_ratio(double f, double f_trial, double predicted_reduction) {
  const double delta = 10 * std::numeric_limits<double>::epsilon() * std::abs(f);
  return (f - f_trial + delta) / (predicted_reduction + delta);
}

}  // namespace detail

/// Trust-region Newton-CG (scipy's method="trust-ncg"; Nocedal & Wright's Algorithm 4.1 with CG–Steihaug,
/// Algorithm 7.2): each step minimizes the quadratic model within the trust radius Δ by conjugate gradients
/// on Hessian-vector products, and Δ follows how well the model predicted f. Unlike the line-search NewtonCg
/// it follows directions of negative curvature to the region's edge, so it leaves saddle points, and it never
/// needs the Hessian to be positive definite. Each step() ends with x moved to an accepted trial point
/// (rejected trials are solved again with Δ/4 inside it).
///
/// It has no learning rate of its own: the trust radius is its step-length scale, so learning_rate() is the
/// radius the next step starts from and set_learning_rate() sets it (0 < Δ ≤ max_trust_radius). On the
/// command line the radius is --initial-trust-radius; --lr does not apply.
class TrustNewtonCg : public CurvatureOptimizer<TrustNewtonCg, TrustNewtonCgOptions> {
 public:
  /// The name in messages and state_dict() keys.
  static constexpr const char* name = "TrustNewtonCg";
  /// The optimizer's name on the command line (`--optimizer trust-ncg`, scipy's).
  static constexpr const char* command_line_name = "trust-ncg";
  /// The products of one subproblem's CG iterations kept for the next trial of the same step() at most
  /// hold this many doubles (16 MiB): all of them up to n = 10⁵ with max_cg_iter ≤ 20, fewer beyond.
  static constexpr std::size_t kept_product_entries = std::size_t{1} << 21;
  using CurvatureOptimizer::step;

  /// Optimizes all of `parameters` as one flat vector; throws tapegrad::Error when an option is out of range.
  TrustNewtonCg(std::vector<ParameterRef> parameters, TrustNewtonCgOptions options = {})
      : CurvatureOptimizer(std::move(parameters), options), radius_(options_.initial_trust_radius) {}

  /// Throws tapegrad::Error naming the option out of range (scipy's rules, and NewtonCg's for the CG
  /// options).
  static void validate(const TrustNewtonCgOptions& o) {
    require(o.initial_trust_radius > 0 && std::isfinite(o.initial_trust_radius), name, "initial_trust_radius",
            o.initial_trust_radius, "must be > 0 and finite");
    require(o.max_trust_radius > 0 && std::isfinite(o.max_trust_radius), name, "max_trust_radius",
            o.max_trust_radius, "must be > 0 and finite");
    if (!(o.initial_trust_radius < o.max_trust_radius))
      throw Error(name, ": initial_trust_radius = ", o.initial_trust_radius,
                  " must be < max_trust_radius = ", o.max_trust_radius);
    require(o.eta >= 0 && o.eta < 0.25, name, "eta", o.eta, "must be in [0, 0.25)");
    require(o.max_cg_iter >= 0, name, "max_cg_iter", o.max_cg_iter, "must be >= 0 (0: 20·n)");
    require(o.forcing > 0 && o.forcing < 1, name, "forcing", o.forcing, "must be in (0, 1)");
  }

  /// One move: trials from x until one is accepted (see the file's comment). The products are taken at the
  /// parameters' values, so x is restored before each new subproblem; a rejected trial's subproblem is solved
  /// again from the products it made (detail::SteihaugProducts). Returns f at x before the step.
  double step(const Closure& closure, const Curvature& curvature) override {
    const double f = closure();
    const Eigen::VectorXd g = parameters_.gradient();
    const Eigen::VectorXd x = parameters_.values();
    const long max_iterations =
        options_.max_cg_iter > 0 ? options_.max_cg_iter : 20 * static_cast<long>(x.size());
    const double radius_floor =
        std::numeric_limits<double>::epsilon() * std::max(x.norm(), options_.initial_trust_radius);
    detail::SteihaugProducts kept;
    const auto n = static_cast<std::size_t>(x.size());
    kept.capacity = std::min(static_cast<std::size_t>(max_iterations),
                             kept_product_entries / std::max<std::size_t>(n, 1));
    for (;;) {
      const detail::SteihaugStep s = detail::steihaug_cg(curvature.hessian_vector_product, g, radius_,
                                                         options_.forcing, max_iterations, &kept);
      products_ += s.products;
      // In exact arithmetic the model decreases whenever g ≠ 0; when even that is lost in rounding (or the
      // products are not finite) no trial can be judged, and x stays.
      if (!(s.model_decrease > 0)) return f;
      parameters_.set_values(x + s.p);
      if (parameters_.values() == x) return f;  // the step is below x's rounding: nothing can move it
      const double rho = detail::reduction_ratio(f, closure(), s.model_decrease);
      if (!(rho >= 0.25))  // also a trial where f is NaN: out of f's domain, so look closer
        radius_ *= 0.25;
      else if (rho > 0.75 && s.on_boundary)
        radius_ = std::min(2 * radius_, options_.max_trust_radius);
      if (rho > options_.eta) {
        boundary_steps_ += s.on_boundary;
        indefinite_steps_ += s.negative_curvature;
        return f;
      }
      rejected_steps_ += 1;
      parameters_.set_values(x);
      if (radius_ < radius_floor) return f;
    }
  }

  /// \copydoc tapegrad::optim::Optimizer::state_dict
  StateDict state_dict() const override {
    StateDict dict = CurvatureOptimizer::state_dict();
    dict.entries["state.trust_radius"] = {radius_};
    dict.entries["state.rejected_steps"] = {static_cast<double>(rejected_steps_)};
    dict.entries["state.boundary_steps"] = {static_cast<double>(boundary_steps_)};
    return dict;
  }
  /// \copydoc tapegrad::optim::Optimizer::load_state_dict
  void load_state_dict(const StateDict& dict) override {
    const SavedState saved = read_state(dict);
    const double radius = dict.scalar("state.trust_radius");
    check_radius(radius, saved.options, "state.trust_radius");
    const long rejected = saved_count(dict, "state.rejected_steps"),
               boundary = saved_count(dict, "state.boundary_steps");
    keep(saved);
    radius_ = radius, rejected_steps_ = rejected, boundary_steps_ = boundary;
  }

  /// The trust radius the next step starts from (the method's step-length scale; see the class comment).
  double learning_rate(std::size_t) const override { return radius_; }
  /// Sets the trust radius the next step starts from; throws tapegrad::Error unless 0 < lr ≤
  /// max_trust_radius.
  void set_learning_rate(std::size_t, double lr) override {
    check_radius(lr, options_, "lr (the trust radius)");
    radius_ = lr;
  }

  /// The trust radius Δ the next step starts from.
  double trust_radius() const { return radius_; }
  /// Trial points refused (ρ ≤ eta) over the optimizer's life; each cost one evaluation of f.
  long rejected_steps() const { return rejected_steps_; }
  /// Accepted steps of length Δ (CG stopped at the boundary or at negative curvature).
  long boundary_steps() const { return boundary_steps_; }

 private:
  static void check_radius(double radius, const TrustNewtonCgOptions& o, const char* what) {
    if (!(radius > 0 && radius <= o.max_trust_radius))
      throw Error(name, ": ", what, " = ", radius, " must be in (0, max_trust_radius = ", o.max_trust_radius,
                  "]");
  }

  double radius_;
  long rejected_steps_ = 0, boundary_steps_ = 0;
};

}  // namespace tapegrad::optim
