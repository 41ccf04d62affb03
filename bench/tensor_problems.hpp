// The vectorized forms of the ADBenchmark problems: the same functions and data as the
// scalar problems (problems.hpp), written once as plain Eigen code (t_f) and once with
// tapegrad Tensors (t_grad). The scalar problem is kept inside each, so its data is
// shared and its scalar-tape gradient is the reference the tensor gradient must match.
//
// Every problem's inputs are Parameters; `gradient()` flattens their gradients in the
// scalar problem's input order. Where an elementwise chain ends in a sum, `taped` writes
// it as one fused_sum (what a user after speed writes) and `unfused` writes it with one
// tensor operation per step (what a first version looks like); both are timed.
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <numbers>
#include <tapegrad/tapegrad.hpp>
#include <vector>

#include "problems.hpp"

namespace bench {

using Vector = Eigen::VectorXd;
using Matrix = Eigen::MatrixXd;

inline Eigen::Map<const Vector> as_vector(const std::vector<double>& v) {
  return {v.data(), static_cast<Eigen::Index>(v.size())};
}

// Concatenated gradients of `parameters`, in order.
inline std::vector<double> flat_gradient(const std::vector<tapegrad::Parameter>& parameters) {
  std::vector<double> g;
  for (const tapegrad::Parameter& p : parameters)
    g.insert(g.end(), p.grad().data(), p.grad().data() + p.size());
  return g;
}

struct VecSum {
  static constexpr const char* name = "sum";
  Sum scalar;
  std::vector<tapegrad::Parameter> parameters() const {
    return {tapegrad::Parameter(as_vector(scalar.inputs()))};
  }
  double plain(const std::vector<tapegrad::Parameter>& p) const { return p[0].value().sum(); }
  tapegrad::Var taped(std::vector<tapegrad::Parameter>& p) const { return tapegrad::sum(p[0].tensor()); }
};

struct VecLogSumExp {
  static constexpr const char* name = "log_sum_exp";
  LogSumExp scalar;
  std::vector<tapegrad::Parameter> parameters() const {
    return {tapegrad::Parameter(as_vector(scalar.inputs()))};
  }
  double plain(const std::vector<tapegrad::Parameter>& p) const {
    return std::log(p[0].value().array().exp().sum());
  }
  tapegrad::Var taped(std::vector<tapegrad::Parameter>& p) const {
    return tapegrad::log(tapegrad::fused_sum([](auto x) { return exp(x); }, p[0].tensor()));
  }
  tapegrad::Var unfused(std::vector<tapegrad::Parameter>& p) const {
    return tapegrad::log(tapegrad::sum(tapegrad::exp(p[0].tensor())));
  }
};

struct VecNormalLogPdf {
  static constexpr const char* name = "normal_log_pdf";
  NormalLogPdf scalar;
  Matrix y = as_vector(scalar.y);
  std::vector<tapegrad::Parameter> parameters() const {
    const std::vector<double> p = scalar.inputs();
    return {tapegrad::Parameter(p[0]), tapegrad::Parameter(p[1])};
  }
  double plain(const std::vector<tapegrad::Parameter>& p) const {
    const double mu = p[0].value()(0), sigma = p[1].value()(0);
    const double n = static_cast<double>(y.size());
    return -0.5 * (y.array() - mu).square().sum() / (sigma * sigma) - n * std::log(sigma) -
           0.5 * n * std::log(2 * std::numbers::pi);
  }
  tapegrad::Var taped(std::vector<tapegrad::Parameter>& p) const {
    namespace tg = tapegrad;
    const tg::Var mu = p[0].var(), sigma = p[1].var();
    const double n = static_cast<double>(y.size());
    const tg::Var z2 =
        tg::fused_sum([](auto yi, auto m) { return square(yi - m); }, tg::constant_view(y), mu);
    return -0.5 * z2 / tg::square(sigma) - n * tg::log(sigma) - 0.5 * n * std::log(2 * std::numbers::pi);
  }
  tapegrad::Var unfused(std::vector<tapegrad::Parameter>& p) const {
    namespace tg = tapegrad;
    const tg::Var mu = p[0].var(), sigma = p[1].var();
    const double n = static_cast<double>(y.size());
    const tg::Var z2 = tg::sum(tg::square(tg::constant_view(y) - mu));
    return -0.5 * z2 / tg::square(sigma) - n * tg::log(sigma) - 0.5 * n * std::log(2 * std::numbers::pi);
  }
};

struct VecRegression {
  static constexpr const char* name = "regression";
  Regression scalar;
  // The scalar problem's X is row-major n × k.
  Matrix X = Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
      scalar.X.data(), static_cast<Eigen::Index>(scalar.n), Regression::k);
  Matrix y = as_vector(scalar.y);
  std::vector<tapegrad::Parameter> parameters() const {
    const std::vector<double> p = scalar.inputs();
    return {tapegrad::Parameter(Eigen::Map<const Vector>(p.data(), Regression::k)),
            tapegrad::Parameter(p[Regression::k]), tapegrad::Parameter(p[Regression::k + 1])};
  }
  double plain(const std::vector<tapegrad::Parameter>& p) const {
    const double b = p[1].value()(0), sigma = p[2].value()(0);
    const double z2 = ((y - X * p[0].value()).array() - b).square().sum();
    const double prior = p[0].value().squaredNorm() + b * b;
    return -0.5 * z2 / (sigma * sigma) - static_cast<double>(y.size()) * std::log(sigma) - 0.5 * prior;
  }
  tapegrad::Var taped(std::vector<tapegrad::Parameter>& p) const {
    namespace tg = tapegrad;
    const tg::Tensor w = p[0].tensor();
    const tg::Var b = p[1].var(), sigma = p[2].var();
    const tg::Var z2 = tg::fused_sum([](auto yi, auto xw, auto bb) { return square(yi - xw - bb); },
                                     tg::constant_view(y), tg::matmul(tg::constant_view(X), w), b);
    const tg::Var prior = tg::fused_sum([](auto wi) { return square(wi); }, w) + tg::square(b);
    return -0.5 * z2 / tg::square(sigma) - static_cast<double>(y.size()) * tg::log(sigma) - 0.5 * prior;
  }
  tapegrad::Var unfused(std::vector<tapegrad::Parameter>& p) const {
    namespace tg = tapegrad;
    const tg::Tensor w = p[0].tensor();
    const tg::Var b = p[1].var(), sigma = p[2].var();
    const tg::Var z2 = tg::sum(tg::square(tg::constant_view(y) - tg::matmul(tg::constant_view(X), w) - b));
    const tg::Var prior = tg::sum(tg::square(w)) + tg::square(b);
    return -0.5 * z2 / tg::square(sigma) - static_cast<double>(y.size()) * tg::log(sigma) - 0.5 * prior;
  }
};

// The latent log-volatilities follow h_t − μ = φ (h_{t−1} − μ) + σ h_std_t, a linear
// recurrence (tapegrad::linear_recurrence); everything else is elementwise.
struct VecStochasticVolatility {
  static constexpr const char* name = "stochastic_volatility";
  StochasticVolatility scalar;
  Matrix y_squared = as_vector(scalar.y).array().square().matrix();
  std::vector<tapegrad::Parameter> parameters() const {
    const std::vector<double> p = scalar.inputs();
    const std::size_t n = scalar.n;
    return {tapegrad::Parameter(Eigen::Map<const Vector>(p.data(), static_cast<Eigen::Index>(n))),
            tapegrad::Parameter(p[n]), tapegrad::Parameter(p[n + 1]), tapegrad::Parameter(p[n + 2])};
  }
  // Σ_t [−½ y_t² e^{−h_t} − ½ h_t] is the sum of −½ (y_t / stddev_t)² − log stddev_t.
  double plain(const std::vector<tapegrad::Parameter>& p) const {
    const Vector& h_std = p[0].value();
    const double phi = p[1].value()(0), sigma = p[2].value()(0), mu = p[3].value()(0);
    const Eigen::Index n = h_std.size();
    Vector h(n);
    double u = h_std(0) * sigma / std::sqrt(1 - phi * phi);
    h(0) = u;
    for (Eigen::Index t = 1; t < n; ++t) h(t) = u = sigma * h_std(t) + phi * u;
    h.array() += mu;
    const double lp =
        -0.5 * h_std.squaredNorm() - 0.5 * (y_squared.array() * (-h.array()).exp()).sum() - 0.5 * h.sum();
    return lp - std::log(5.0 * (1.0 + (sigma / 5) * (sigma / 5))) -
           std::log(10.0 * (1.0 + (mu / 10) * (mu / 10))) - std::log(2.0);
  }
  // The taped function with `likelihood(h_std, h)`, the part that is elementwise.
  template <class Likelihood>
  tapegrad::Var taped_with(std::vector<tapegrad::Parameter>& p, Likelihood likelihood) const {
    namespace tg = tapegrad;
    const tg::Tensor h_std = p[0].tensor();
    const tg::Var phi = p[1].var(), sigma = p[2].var(), mu = p[3].var();
    const Eigen::Index n = h_std.rows();
    // The first innovation is scaled by the stationary standard deviation.
    const tg::Tensor scale = tg::concat({tg::as_tensor(tg::Var(sigma / tg::sqrt(1.0 - tg::square(phi)))),
                                         tg::full<double>(n - 1, 1, 1.0) * sigma},
                                        tg::Axis::Rows);
    const tg::Tensor h = tg::linear_recurrence(h_std * scale, phi) + mu;
    const tg::Var lp = likelihood(h_std, h);
    return lp - tg::log(5.0 * (1.0 + tg::square(sigma / 5.0))) -
           tg::log(10.0 * (1.0 + tg::square(mu / 10.0))) - std::log(2.0);
  }
  tapegrad::Var taped(std::vector<tapegrad::Parameter>& p) const {
    namespace tg = tapegrad;
    return taped_with(p, [&](const tg::Tensor& h_std, const tg::Tensor& h) {
      return -0.5 * tg::fused_sum([](auto e) { return square(e); }, h_std) -
             0.5 * tg::fused_sum([](auto y2, auto ht) { return y2 * exp(-ht) + ht; },
                                 tg::constant_view(y_squared), h);
    });
  }
  tapegrad::Var unfused(std::vector<tapegrad::Parameter>& p) const {
    namespace tg = tapegrad;
    return taped_with(p, [&](const tg::Tensor& h_std, const tg::Tensor& h) {
      return -0.5 * tg::sum(tg::square(h_std)) - 0.5 * tg::sum(tg::constant_view(y_squared) * tg::exp(-h)) -
             0.5 * tg::sum(h);
    });
  }
};

// f = Σ_ij (A·B)_ij for n × n matrices A and B. Its gradient has a closed form
// (dA = 1·Bᵀ, dB = Aᵀ·1), the reference here since there is no scalar twin.
struct MatrixProduct {
  static constexpr const char* name = "matrix_product";
  std::size_t n;
  mutable Matrix product = {};
  std::vector<tapegrad::Parameter> parameters() const {
    const auto size = static_cast<Eigen::Index>(n);
    const std::vector<double> a = uniform(n * n, -1, 1, 13), b = uniform(n * n, -1, 1, 14);
    return {tapegrad::Parameter(Eigen::Map<const Matrix>(a.data(), size, size)),
            tapegrad::Parameter(Eigen::Map<const Matrix>(b.data(), size, size))};
  }
  // The product's buffer is allocated once, as a careful user of Eigen would, and the
  // product runs through the gemm that matmul uses (the same BLAS and threads), so the
  // ratio is the tape's overhead, not a difference of GEMM kernels.
  double plain(const std::vector<tapegrad::Parameter>& p) const {
    product.resize(p[0].rows(), p[1].cols());
    using Operand = tapegrad::detail::GemmOperand<double>;
    tapegrad::detail::gemm(Operand{p[0].value().data(), p[0].rows(), p[0].cols(), false},
                           Operand{p[1].value().data(), p[1].rows(), p[1].cols(), false}, product.data(),
                           false);
    return product.sum();
  }
  tapegrad::Var taped(std::vector<tapegrad::Parameter>& p) const {
    return tapegrad::sum(tapegrad::matmul(p[0].tensor(), p[1].tensor()));
  }
  std::vector<double> reference_gradient() const {
    const std::vector<tapegrad::Parameter> p = parameters();
    const Matrix ones = Matrix::Ones(p[0].rows(), p[0].cols());
    const Matrix dA = ones * p[1].value().transpose(), dB = p[0].value().transpose() * ones;
    std::vector<double> g(dA.data(), dA.data() + dA.size());
    g.insert(g.end(), dB.data(), dB.data() + dB.size());
    return g;
  }
};

}  // namespace bench
