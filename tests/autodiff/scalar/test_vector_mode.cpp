// Vector mode: Dual<double, N> carries N tangents by the same rules as Dual<double>, so
// every tangent of a wide pass must equal the single-tangent pass along the same
// direction bit for bit; and the functions built on it (jvp and hvp with matrices of
// directions, the dense Hessian in ⌈n/8⌉ sweeps, jacobian() in both modes) must equal
// their one-direction forms.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <tapegrad/tapegrad.hpp>
#include <vector>

namespace tg = tapegrad;

namespace {

// Rosenbrock's chain with a few rules of every kind in each term, written generically.
auto chain_function = [](auto x) {
  using V = std::remove_cvref_t<decltype(x[0])>;
  V s = 0.0;
  for (std::size_t i = 0; i + 1 < x.size(); ++i) {
    V a = x[i + 1] - x[i] * x[i];
    s = s + 100.0 * a * a + tg::square(1.0 - x[i]) + tg::sin(x[i] * x[i + 1]) / (2.0 + tg::cos(x[i]));
  }
  return s + tg::exp(x[0] * 0.1) * tg::tanh(x[x.size() - 1]);
};

std::vector<double> random_vector(std::size_t n, std::mt19937& random) {
  std::uniform_real_distribution<double> u(-1.5, 1.5);
  std::vector<double> v(n);
  for (double& e : v) e = u(random);
  return v;
}

Eigen::MatrixXd random_matrix(std::size_t rows, std::size_t cols, std::mt19937& random) {
  Eigen::MatrixXd m(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols));
  std::uniform_real_distribution<double> u(-1, 1);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = u(random);
  return m;
}

std::vector<double> column(const Eigen::MatrixXd& m, Eigen::Index j) {
  return std::vector<double>(m.col(j).data(), m.col(j).data() + m.rows());
}

}  // namespace

TEST(VectorMode, EveryTangentOfAWideDualIsTheNarrowDualsAlongItsDirection) {
  // Every rule, through the generated functions: exp(sin(x) * y) / hypot(x, y) + …
  auto f = [](const auto& x, const auto& y) {
    using D = std::remove_cvref_t<decltype(x)>;
    return tg::exp(tg::sin(x) * y) / tg::hypot(x, y) + tg::pow(tg::abs(x) + 1.0, y) - tg::atan2(y, x) +
           tg::clamp(x * y, D(-0.3), D(0.3)) + tg::lgamma(y * y + 1.0) + tg::max(x, y) * tg::sigmoid(x - y);
  };
  using W = tg::Dual<double, 3>;
  const double x = 0.7, y = -0.4;
  const std::array<double, 3> dx{1.0, 0.0, 0.25}, dy{0.0, 1.0, -2.0};
  const W wide = f(W(x, dx), W(y, dy));
  for (int k = 0; k < 3; ++k) {
    const tg::Dual<double> narrow = f(tg::Dual<double>(x, dx[static_cast<std::size_t>(k)]),
                                      tg::Dual<double>(y, dy[static_cast<std::size_t>(k)]));
    EXPECT_EQ(wide.value(), narrow.value());
    EXPECT_EQ(wide.tangent(k), narrow.tangent()) << "tangent " << k;
  }
}

TEST(VectorMode, ZeroTangentsTakeNoNaNFromAnInfinitePartial) {
  // pow(x, 2) at x < 0: ∂/∂b = y·log(x) is NaN, but b's tangents are all zero.
  using W = tg::Dual<double, 4>;
  const W r = tg::pow(W(-2.0, {1.0, 0.0, 3.0, 0.0}), W(2.0));
  EXPECT_EQ(r.value(), 4.0);
  EXPECT_EQ(r.tangent(0), -4.0);
  EXPECT_EQ(r.tangent(1), 0.0);
  EXPECT_EQ(r.tangent(2), -12.0);
  EXPECT_FALSE(std::isnan(r.tangent(3)));
}

TEST(VectorMode, JvpWithAMatrixOfDirectionsEqualsOneDirectionAtATime) {
  std::mt19937 random(7);
  auto f = [](auto x) {
    using V = std::remove_cvref_t<decltype(x[0])>;
    std::vector<V> out;
    for (std::size_t i = 0; i + 1 < x.size(); ++i)
      out.push_back(x[i] * tg::exp(x[i + 1]) - tg::log1p(x[i] * x[i]));
    return out;
  };
  const std::vector<double> x = random_vector(6, random);
  for (const std::size_t k : {0, 1, 7, 8, 9, 19}) {
    const Eigen::MatrixXd v = random_matrix(6, k, random);
    const tg::JacobianMatrixProduct wide = tg::jvp(f, x, v);
    ASSERT_EQ(wide.derivative.rows(), 5);
    ASSERT_EQ(wide.derivative.cols(), static_cast<Eigen::Index>(k));
    for (Eigen::Index j = 0; j < v.cols(); ++j) {
      const tg::JacobianVectorProduct one = tg::jvp(f, x, column(v, j));
      EXPECT_EQ(wide.value, one.value);
      for (Eigen::Index i = 0; i < 5; ++i)
        EXPECT_EQ(wide.derivative(i, j), one.derivative[static_cast<std::size_t>(i)]);
    }
  }
  EXPECT_THROW(tg::jvp(f, x, Eigen::MatrixXd(5, 2)), tg::Error);
}

TEST(VectorMode, HvpWithAMatrixOfDirectionsEqualsOneProductAtATime) {
  std::mt19937 random(11);
  const std::vector<double> x = random_vector(13, random);
  const Eigen::MatrixXd v = random_matrix(13, 11, random);
  const Eigen::MatrixXd hv = tg::hvp(chain_function, x, v);
  for (Eigen::Index j = 0; j < v.cols(); ++j) {
    const std::vector<double> one = tg::hvp(chain_function, x, column(v, j));
    for (Eigen::Index i = 0; i < hv.rows(); ++i) EXPECT_EQ(hv(i, j), one[static_cast<std::size_t>(i)]);
  }
}

TEST(VectorMode, DenseHessianInWideSweepsEqualsNProducts) {
  std::mt19937 random(3);
  for (const std::size_t n : {1, 2, 8, 9, 17}) {
    const std::vector<double> x = random_vector(n, random);
    const auto size = static_cast<Eigen::Index>(n);
    const Eigen::MatrixXd wide = tg::hvp(chain_function, x, Eigen::MatrixXd::Identity(size, size));
    const Eigen::MatrixXd products = tg::hessian(chain_function, x);  // n products, symmetrized
    const Eigen::MatrixXd symmetric = (wide + wide.transpose()) / 2;
    EXPECT_EQ(symmetric, products) << "n = " << n;
  }
}

TEST(VectorMode, JacobianInBothModesAndInReverseBlocksAgreeWithRowByRowGradients) {
  std::mt19937 random(5);
  auto f = [](auto x) {
    using V = std::remove_cvref_t<decltype(x[0])>;
    std::vector<V> out;
    for (std::size_t i = 0; i < 37; ++i)
      out.push_back(tg::sin(x[i % x.size()]) * x[(i * 7 + 1) % x.size()] + 1.0 * i);
    out.push_back(V(2.5));  // a constant output: a zero row
    return out;
  };
  for (const std::size_t n : {3, 20}) {
    const std::vector<double> x = random_vector(n, random);
    const Eigen::MatrixXd forward = tg::jacobian(f, x, tg::JacobianMode::Forward);
    const Eigen::MatrixXd reverse = tg::jacobian(f, x, tg::JacobianMode::Reverse);
    ASSERT_EQ(forward.rows(), 38);
    EXPECT_EQ(forward, reverse);
    // Row by row, one gradient each, on one recording.
    tg::Tape tape;
    std::vector<tg::Var> xs(x.begin(), x.end());
    const std::vector<tg::Var> ys = f(std::span<const tg::Var>(xs));
    for (std::size_t i = 0; i < ys.size(); ++i) {
      const std::vector<double> g = tg::gradient(ys[i], xs);
      for (std::size_t j = 0; j < n; ++j)
        EXPECT_EQ(reverse(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)), g[j]);
    }
  }
}

TEST(VectorMode, ReverseJacobianOfOutputsThatAreInputsOrRepeated) {
  tg::Tape tape;
  tg::Var x = 2.0, y = 3.0;
  tg::Var p = x * y;
  const std::vector<tg::Var> outputs{p, x, p, y * y, tg::Var(1.0)};
  const Eigen::MatrixXd j = tg::jacobian(outputs, std::vector<tg::Var>{x, y});
  Eigen::MatrixXd expected(5, 2);
  expected << 3, 2, 1, 0, 3, 2, 0, 6, 0, 0;
  EXPECT_EQ(j, expected);
}
