// The benchmark problems, each written once as ordinary scalar code over a scalar type
// S: double gives t_f, tapegrad::Var the gradient, adouble / Sacado's ADvar the peers,
// Counted the operation count. Each problem also carries a hand-written adjoint where
// one is in the bench (t_hand).
//
// The ADBenchmark set (sum, prod, log_sum_exp, normal_log_pdf, regression,
// stochastic_volatility) follows ADBenchmark's definitions; the worked examples are the
// two-variable f, a squared residual, Rosenbrock and a sigmoid layer.
#pragma once

#include <cmath>
#include <numbers>
#include <random>
#include <string>
#include <tapegrad/tapegrad.hpp>
#include <vector>

namespace bench {

// Squares and sigmoids as each library's user writes them: tapegrad has its own
// functions (one statement, exact partials); other types get the plain formula.
template <class X>
decltype(auto) sq(const X& x) {
  return x * x;
}
template <tapegrad::Expression E>
auto sq(const E& x) {
  return tapegrad::square(x);
}
template <class X>
decltype(auto) sigmoid_of(const X& x) {
  using std::exp;
  return 1.0 / (1.0 + exp(-x));
}
template <tapegrad::Expression E>
auto sigmoid_of(const E& x) {
  return tapegrad::sigmoid(x);
}

inline std::vector<double> uniform(std::size_t n, double lo, double hi, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<double> v(n);
  for (double& x : v) x = dist(rng);
  return v;
}

struct Sum {
  static constexpr const char* name = "sum";
  std::size_t n;
  std::vector<double> inputs() const { return uniform(n, -1, 1, 1); }
  template <class S>
  S operator()(const S* x) const {
    S f = x[0];
    for (std::size_t i = 1; i < n; ++i) f += x[i];
    return f;
  }
  double hand(const double* x, double* g) const {
    double f = 0;
    for (std::size_t i = 0; i < n; ++i) {
      f += x[i];
      g[i] = 1;
    }
    return f;
  }
};

struct Prod {
  static constexpr const char* name = "prod";
  std::size_t n;
  std::vector<double> inputs() const { return uniform(n, 0.999, 1.001, 2); }
  template <class S>
  S operator()(const S* x) const {
    S f = x[0];
    for (std::size_t i = 1; i < n; ++i) f *= x[i];
    return f;
  }
  // Prefix products forward, suffix products backward: g_i = Π_{j≠i} x_j, no division.
  double hand(const double* x, double* g) const {
    double prefix = 1;
    for (std::size_t i = 0; i < n; ++i) {
      g[i] = prefix;
      prefix *= x[i];
    }
    double suffix = 1;
    for (std::size_t i = n; i-- > 0;) {
      g[i] *= suffix;
      suffix *= x[i];
    }
    return prefix;
  }
};

struct LogSumExp {
  static constexpr const char* name = "log_sum_exp";
  std::size_t n;
  std::vector<double> inputs() const { return uniform(n, -1, 1, 3); }
  template <class S>
  S operator()(const S* x) const {
    using std::exp, std::log;
    S s = exp(x[0]);
    for (std::size_t i = 1; i < n; ++i) s += exp(x[i]);
    return log(s);
  }
  double hand(const double* x, double* g) const {
    double s = 0;
    for (std::size_t i = 0; i < n; ++i) {
      g[i] = std::exp(x[i]);
      s += g[i];
    }
    const double inv = 1 / s;
    for (std::size_t i = 0; i < n; ++i) g[i] *= inv;
    return std::log(s);
  }
};

// log N(y | mu, sigma) summed over the data, with respect to (mu, sigma).
struct NormalLogPdf {
  static constexpr const char* name = "normal_log_pdf";
  std::size_t n;
  std::vector<double> y = uniform(n, -1, 1, 4);
  std::vector<double> inputs() const { return {0.1, 1.3}; }
  template <class S>
  S operator()(const S* p) const {
    using std::log;
    const S& mu = p[0];
    const S& sigma = p[1];
    S z2 = sq(y[0] - mu);
    for (std::size_t i = 1; i < n; ++i) z2 += sq(y[i] - mu);
    return -0.5 * z2 / (sigma * sigma) - static_cast<double>(n) * log(sigma) -
           0.5 * static_cast<double>(n) * std::log(2 * std::numbers::pi);
  }
  double hand(const double* p, double* g) const {
    const double mu = p[0], sigma = p[1];
    double s1 = 0, s2 = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double d = y[i] - mu;
      s1 += d;
      s2 += d * d;
    }
    const double inv_var = 1 / (sigma * sigma);
    g[0] = s1 * inv_var;
    g[1] = s2 * inv_var / sigma - static_cast<double>(n) / sigma;
    return -0.5 * s2 * inv_var - static_cast<double>(n) * std::log(sigma) -
           0.5 * static_cast<double>(n) * std::log(2 * std::numbers::pi);
  }
};

// Linear regression log-likelihood with standard-normal priors on w and b:
// inputs (w_1..w_K, b, sigma), data X (n × K) and y (n).
struct Regression {
  static constexpr const char* name = "regression";
  static constexpr std::size_t k = 10;
  std::size_t n;
  std::vector<double> X = uniform(n * k, -1, 1, 5);
  std::vector<double> y = uniform(n, -1, 1, 6);
  std::vector<double> inputs() const {
    std::vector<double> p = uniform(k + 1, -1, 1, 7);
    p.push_back(1.2);
    return p;
  }
  template <class S>
  S operator()(const S* p) const {
    using std::log;
    const S* w = p;
    const S& b = p[k];
    const S& sigma = p[k + 1];
    S z2 = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      S mu = b;
      for (std::size_t j = 0; j < k; ++j) mu += X[i * k + j] * w[j];
      z2 += sq(y[i] - mu);
    }
    S prior = sq(b);
    for (std::size_t j = 0; j < k; ++j) prior += sq(w[j]);
    return -0.5 * z2 / (sigma * sigma) - static_cast<double>(n) * log(sigma) - 0.5 * prior;
  }
  double hand(const double* p, double* g) const {
    const double* w = p;
    const double b = p[k], sigma = p[k + 1];
    const double inv_var = 1 / (sigma * sigma);
    double z2 = 0, sum_r = 0;
    for (std::size_t j = 0; j < k + 2; ++j) g[j] = 0;
    for (std::size_t i = 0; i < n; ++i) {
      double mu = b;
      for (std::size_t j = 0; j < k; ++j) mu += X[i * k + j] * w[j];
      const double r = y[i] - mu;
      z2 += r * r;
      sum_r += r;
      for (std::size_t j = 0; j < k; ++j) g[j] += r * X[i * k + j];
    }
    double prior = b * b;
    for (std::size_t j = 0; j < k; ++j) {
      prior += w[j] * w[j];
      g[j] = g[j] * inv_var - w[j];
    }
    g[k] = sum_r * inv_var - b;
    g[k + 1] = z2 * inv_var / sigma - static_cast<double>(n) / sigma;
    return -0.5 * z2 * inv_var - static_cast<double>(n) * std::log(sigma) - 0.5 * prior;
  }
};

// Stochastic volatility log density: inputs (h_std_1..h_std_n, phi, sigma, mu).
struct StochasticVolatility {
  static constexpr const char* name = "stochastic_volatility";
  std::size_t n;
  std::vector<double> y = uniform(n, -1, 1, 8);
  std::vector<double> inputs() const {
    std::vector<double> p = uniform(n, -1, 1, 9);
    p.push_back(0.4);   // phi
    p.push_back(0.7);   // sigma
    p.push_back(-0.2);  // mu
    return p;
  }
  template <class S>
  S operator()(const S* p) const {
    using std::exp, std::log, std::sqrt;
    const S* h_std = p;
    const S& phi = p[n];
    const S& sigma = p[n + 1];
    const S& mu = p[n + 2];
    S h = h_std[0] * sigma / sqrt(1.0 - phi * phi) + mu;
    S lp = -0.5 * sq(h_std[0]);
    for (std::size_t i = 0;; ++i) {
      S stddev = exp(0.5 * h);
      lp += -0.5 * sq(y[i] / stddev) - log(stddev);
      if (i + 1 == n) break;
      lp += -0.5 * sq(h_std[i + 1]);
      h = h_std[i + 1] * sigma + mu + phi * (h - mu);
    }
    // Cauchy(0, 5) on sigma and Cauchy(0, 10) on mu; uniform(-1, 1) on phi is -log 2.
    lp += -log(5.0 * (1.0 + sq(sigma / 5.0))) - log(10.0 * (1.0 + sq(mu / 10.0)));
    return lp - std::log(2.0);
  }
};

// f(x1, x2) = x1² + x2² + |x1 + x2| at (1, 1).
struct TwoVariable {
  static constexpr const char* name = "f(x1,x2)";
  std::size_t n = 2;
  std::vector<double> inputs() const { return {1.0, 1.0}; }
  template <class S>
  S operator()(const S* x) const {
    using std::fabs;
    return x[0] * x[0] + x[1] * x[1] + fabs(x[0] + x[1]);
  }
  double hand(const double* x, double* g) const {
    const double s = x[0] + x[1];
    const double sign = s > 0 ? 1.0 : (s < 0 ? -1.0 : 0.0);
    g[0] = 2 * x[0] + sign;
    g[1] = 2 * x[1] + sign;
    return x[0] * x[0] + x[1] * x[1] + std::fabs(s);
  }
};

// (g(x))² with g(x) = x⁷ + x³ − 25 + eˣ + log(x + x²) + 1/x, at x = 1.4786.
struct Residual {
  static constexpr const char* name = "residual²";
  std::size_t n = 1;
  std::vector<double> inputs() const { return {1.4786}; }
  template <class S>
  S operator()(const S* p) const {
    using std::exp, std::log, std::pow;
    const S& x = p[0];
    S g = pow(x, 7.0) + pow(x, 3.0) - 25.0 + exp(x) + log(x + x * x) + 1.0 / x;
    return g * g;
  }
  double hand(const double* p, double* grad) const {
    const double x = p[0], x2 = x * x, x3 = x2 * x, x6 = x3 * x3, ex = std::exp(x);
    const double g = x6 * x + x3 - 25 + ex + std::log(x + x2) + 1 / x;
    const double dg = 7 * x6 + 3 * x2 + ex + (1 + 2 * x) / (x + x2) - 1 / x2;
    grad[0] = 2 * g * dg;
    return g * g;
  }
};

struct Rosenbrock {
  static constexpr const char* name = "rosenbrock";
  std::size_t n;
  std::vector<double> inputs() const { return uniform(n, -1.5, 1.5, 10); }
  template <class S>
  S operator()(const S* x) const {
    S f = 100.0 * sq(x[1] - sq(x[0])) + sq(1.0 - x[0]);
    for (std::size_t i = 1; i + 1 < n; ++i) f += 100.0 * sq(x[i + 1] - sq(x[i])) + sq(1.0 - x[i]);
    return f;
  }
  double hand(const double* x, double* g) const {
    double f = 0;
    for (std::size_t i = 0; i < n; ++i) g[i] = 0;
    for (std::size_t i = 0; i + 1 < n; ++i) {
      const double r = x[i + 1] - x[i] * x[i];
      const double s = 1 - x[i];
      f += 100 * r * r + s * s;
      g[i] += -400 * r * x[i] - 2 * s;
      g[i + 1] += 200 * r;
    }
    return f;
  }
};

// Rosenbrock as it is often written: the loop body in named temporaries, so that each
// term records three statements of different shapes rather than one expression (the
// replay's periodic blocks, replay/detail/periodic_blocks.hpp). The same function and
// hand adjoint as Rosenbrock.
struct RosenbrockTemporaries : Rosenbrock {
  static constexpr const char* name = "rosenbrock_temporaries";
  template <class S>
  S operator()(const S* x) const {
    S f = 0.0;
    for (std::size_t i = 0; i + 1 < n; ++i) {
      S a = x[i + 1] - x[i] * x[i];
      S b = 1.0 - x[i];
      f += 100.0 * a * a + b * b;
    }
    return f;
  }
};

// Σ_j sigmoid((W x)_j), with respect to W (n × n); x is data.
struct SigmoidLayer {
  static constexpr const char* name = "sigmoid_layer";
  std::size_t n;
  std::vector<double> x = uniform(n, -1, 1, 11);
  std::vector<double> inputs() const { return uniform(n * n, -0.2, 0.2, 12); }
  template <class S>
  S operator()(const S* w) const {
    S f = 0.0;
    for (std::size_t j = 0; j < n; ++j) {
      S a = w[j * n] * x[0];
      for (std::size_t k = 1; k < n; ++k) a += w[j * n + k] * x[k];
      f += sigmoid_of(a);
    }
    return f;
  }
  double hand(const double* w, double* g) const {
    double f = 0;
    for (std::size_t j = 0; j < n; ++j) {
      double a = 0;
      for (std::size_t k = 0; k < n; ++k) a += w[j * n + k] * x[k];
      const double s = 1 / (1 + std::exp(-a));
      f += s;
      const double ds = s * (1 - s);
      for (std::size_t k = 0; k < n; ++k) g[j * n + k] = ds * x[k];
    }
    return f;
  }
};

}  // namespace bench
