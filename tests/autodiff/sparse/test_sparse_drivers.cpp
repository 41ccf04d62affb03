// SparseHessian and SparseJacobian against the dense hessian() and jacobian() (1e-12
// relative) on functions of known structure, their colors against the known optima, and
// a branch that changes between construction and at(x).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <span>
#include <tapegrad/tapegrad.hpp>
#include <vector>

namespace tg = tapegrad;

namespace {

std::vector<double> random_coordinates(std::size_t n, std::mt19937& random, double lo = -1.2,
                                       double hi = 1.2) {
  std::uniform_real_distribution<double> u(lo, hi);
  std::vector<double> x(n);
  for (double& e : x) e = u(random);
  return x;
}

// |a - b| ≤ 1e-12 · max|b| entrywise, and a has no entry outside its pattern (Eigen
// sparse matrices hold only the pattern's).
void expect_equal_to_dense(const Eigen::SparseMatrix<double>& sparse, const Eigen::MatrixXd& dense,
                           const std::string& what) {
  ASSERT_EQ(sparse.rows(), dense.rows()) << what;
  ASSERT_EQ(sparse.cols(), dense.cols()) << what;
  const Eigen::MatrixXd s = Eigen::MatrixXd(sparse);
  const double scale = std::max(1.0, dense.cwiseAbs().maxCoeff());
  EXPECT_LE((s - dense).cwiseAbs().maxCoeff(), 1e-12 * scale) << what;
}

// `assembled`: whether H may come from the statements' local Hessians (every operand a
// statement is nonlinear in reaches at most 16 inputs), checked so (HessianAssembly::Always)
// and from the colored passes (Never); Auto assembles only where a row has more than 4 nonzeros,
// and then makes no coloring until one is asked for.
template <class F>
void expect_sparse_hessian_is_dense(F f, std::size_t n, const std::string& what, std::mt19937& random,
                                    bool assembled) {
  const std::vector<double> x0 = random_coordinates(n, random);
  tg::SparseHessian h(f, x0, {.assembly = tg::HessianAssembly::Always});
  EXPECT_EQ(h.from_local_hessians(), assembled) << what;
  tg::SparseHessian colored(f, x0, {.assembly = tg::HessianAssembly::Never});
  EXPECT_FALSE(colored.from_local_hessians()) << what;
  expect_equal_to_dense(colored.at(x0), tg::hessian(f, x0), what + " (colored)");
  std::size_t densest_row = 0;
  for (std::size_t i = 0; i < n; ++i) densest_row = std::max(densest_row, colored.pattern().row(i).size());
  tg::SparseHessian automatic(f, x0);
  EXPECT_EQ(automatic.from_local_hessians(), assembled && densest_row > 4) << what;
  expect_equal_to_dense(automatic.at(x0), tg::hessian(f, x0), what + " (Auto)");
  EXPECT_EQ(automatic.colors(), colored.colors()) << what << ": the coloring made when asked for";
  for (int point = 0; point < 3; ++point) {
    const std::vector<double> x = point == 0 ? x0 : random_coordinates(n, random);
    expect_equal_to_dense(h.at(x), tg::hessian(f, x), what);
  }
  tg::SparseHessian acyclic(
      f, x0, {.coloring = tg::SymmetricColoring::Acyclic, .assembly = tg::HessianAssembly::Never});
  EXPECT_LE(acyclic.colors(), h.colors()) << what;
  expect_equal_to_dense(acyclic.at(x0), tg::hessian(f, x0), what + " (acyclic)");
}

template <class F>
void expect_sparse_jacobian_is_dense(F f, std::size_t n, const std::string& what, std::mt19937& random) {
  const std::vector<double> x0 = random_coordinates(n, random);
  tg::SparseJacobian j(f, x0);
  for (int point = 0; point < 3; ++point) {
    const std::vector<double> x = point == 0 ? x0 : random_coordinates(n, random);
    expect_equal_to_dense(j.at(x), tg::jacobian(f, x), what);
  }
}

// Known structures, written generically.
auto rosenbrock = [](auto x) {
  using V = std::remove_cvref_t<decltype(x[0])>;
  V s = 0.0;
  for (std::size_t i = 0; i + 1 < x.size(); ++i) {
    V a = x[i + 1] - x[i] * x[i];  // a named temporary
    V b = 1.0 - x[i];
    s += 100.0 * a * a + b * b;
  }
  return s;
};
// Broyden's banded function, as a sum of squares: residual i reads x[i-5] … x[i+1].
template <class V, class X>
V broyden_residual(const X& x, std::size_t i) {
  const std::size_t n = x.size();
  V r = x[i] * (2.0 + 5.0 * x[i] * x[i]) + 1.0;
  for (std::size_t j = i >= 5 ? i - 5 : 0; j <= std::min(n - 1, i + 1); ++j)
    if (j != i) r = r - x[j] * (1.0 + x[j]);
  return r;
}
auto broyden_banded = [](auto x) {
  using V = std::remove_cvref_t<decltype(x[0])>;
  V s = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) s += tg::square(broyden_residual<V>(x, i));
  return s;
};
auto broyden_residuals = [](auto x) {
  using V = std::remove_cvref_t<decltype(x[0])>;
  std::vector<V> r;
  for (std::size_t i = 0; i < x.size(); ++i) r.push_back(broyden_residual<V>(x, i));
  return r;
};
// The energy of a 2-D grid (m × m, row-major): neighbours' squared differences and u⁴.
constexpr std::size_t grid = 7;
auto stencil_energy = [](auto u) {
  using V = std::remove_cvref_t<decltype(u[0])>;
  V e = 0.0;
  for (std::size_t i = 0; i < grid; ++i)
    for (std::size_t j = 0; j < grid; ++j) {
      const std::size_t k = i * grid + j;
      if (j + 1 < grid) e += tg::square(u[k + 1] - u[k]) * (1.0 + 0.1 * u[k]);
      if (i + 1 < grid) e += tg::square(u[k + grid] - u[k]) * (1.0 + 0.1 * u[k]);
      e += tg::pow(u[k], 4.0) * 0.25;
    }
  return e;
};
// The Bratu residuals on the same grid: a 5-point Laplacian plus λ·exp(u).
auto bratu_residuals = [](auto u) {
  using V = std::remove_cvref_t<decltype(u[0])>;
  std::vector<V> r;
  for (std::size_t i = 0; i < grid; ++i)
    for (std::size_t j = 0; j < grid; ++j) {
      const std::size_t k = i * grid + j;
      V v = 4.0 * u[k] - 5.0 * tg::exp(u[k]);
      if (j > 0) v -= u[k - 1];
      if (j + 1 < grid) v -= u[k + 1];
      if (i > 0) v -= u[k - grid];
      if (i + 1 < grid) v -= u[k + grid];
      r.push_back(v);
    }
  return r;
};
auto arrowhead = [](auto x) {
  using V = std::remove_cvref_t<decltype(x[0])>;
  V s = tg::square(x[0]);
  for (std::size_t i = 1; i < x.size(); ++i) s += tg::sin(x[0] * x[i]) + x[i] * x[i] * x[i];
  return s;
};
auto block_diagonal = [](auto x) {  // dense blocks of 4
  using V = std::remove_cvref_t<decltype(x[0])>;
  V s = 0.0;
  for (std::size_t b = 0; b + 3 < x.size(); b += 4)
    s += tg::exp(0.3 * (x[b] + x[b + 1] * x[b + 2] - x[b + 3]));
  return s;
};
auto separable = [](auto x) {
  using V = std::remove_cvref_t<decltype(x[0])>;
  V s = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) s += tg::log1p(x[i] * x[i]) + tg::cos(x[i]);
  return s;
};
auto shared_parameter = [](auto x) {  // every term reads the last entry: an arrowhead at the end
  using V = std::remove_cvref_t<decltype(x[0])>;
  const V& p = x[x.size() - 1];
  V s = 0.0;
  for (std::size_t i = 0; i + 1 < x.size(); ++i) s += tg::square(x[i] - p) / (1.0 + p * p);
  return s;
};
auto dense_coupling = [](auto x) {
  using V = std::remove_cvref_t<decltype(x[0])>;
  V t = 0.0;
  for (const auto& e : x) t += e;
  return tg::exp(0.2 * t) + x[0] * x[1];
};
auto pentadiagonal = [](auto x) {
  using V = std::remove_cvref_t<decltype(x[0])>;
  V s = 0.0;
  for (std::size_t i = 0; i + 2 < x.size(); ++i) s += tg::tanh(x[i] - 2.0 * x[i + 1] + x[i + 2] * x[i]);
  return s;
};

}  // namespace

TEST(SparseHessian, EqualsTheDenseHessianOnFunctionsOfKnownStructure) {
  std::mt19937 random(17);
  // Assembled: named temporaries squared (a * a), a residual built over seven statements
  // and squared, terms of one expression each.
  expect_sparse_hessian_is_dense(rosenbrock, 40, "rosenbrock", random, true);
  expect_sparse_hessian_is_dense(broyden_banded, 30, "broyden banded", random, true);
  expect_sparse_hessian_is_dense(stencil_energy, grid * grid, "stencil energy", random, true);
  expect_sparse_hessian_is_dense(arrowhead, 25, "arrowhead", random, true);
  expect_sparse_hessian_is_dense(block_diagonal, 24, "block diagonal", random, true);
  expect_sparse_hessian_is_dense(separable, 20, "separable", random, true);
  expect_sparse_hessian_is_dense(shared_parameter, 20, "shared parameter", random, true);
  expect_sparse_hessian_is_dense(pentadiagonal, 33, "pentadiagonal", random, true);
  expect_sparse_hessian_is_dense([](auto x) { return x[0] * 0.0 + 3.0; }, 4, "constant", random, true);
  // exp of a running sum over every unknown: assembled up to 16 unknowns, colored beyond.
  expect_sparse_hessian_is_dense(dense_coupling, 16, "dense, 16", random, true);
  expect_sparse_hessian_is_dense(dense_coupling, 17, "dense, 17", random, false);
}

// The Rosenbrock chain written one expression per term and with named temporaries
// (rosenbrock above), assembled from the statements' local Hessians, and colored: the same
// matrix and gradient every way, and the dense Hessian's. A constant Var made inside f (an
// input of the recording that is not one of x) is an operand the terms are nonlinear in,
// whose row of the Jacobian is zero; x[i] written twice is one operand.
TEST(SparseHessian, SumsOfSmallTermsAreAssembledFromLocalHessians) {
  auto one_expression = [](auto x) {
    using V = std::remove_cvref_t<decltype(x[0])>;
    const V c = 100.0;  // a Var on the tape when V is Var
    V s = 0.0;
    for (std::size_t i = 0; i + 1 < x.size(); ++i)
      s += c * tg::square(x[i + 1] - x[i] * x[i]) + tg::square(1.0 - x[i]);
    return s;
  };
  std::mt19937 random(23);
  const std::size_t n = 40;
  const std::vector<double> x0 = random_coordinates(n, random);
  const tg::SparseHessianOptions always{.assembly = tg::HessianAssembly::Always};
  tg::SparseHessian assembled(one_expression, x0, always), named(rosenbrock, x0, always),
      colored(rosenbrock, x0, {.assembly = tg::HessianAssembly::Never});
  EXPECT_TRUE(assembled.from_local_hessians());
  EXPECT_TRUE(named.from_local_hessians());
  EXPECT_FALSE(colored.from_local_hessians());
  ASSERT_EQ(assembled.pattern(), colored.pattern());
  ASSERT_EQ(named.pattern(), colored.pattern());
  const auto close = [](double a, double b) { return std::abs(a - b) <= 1e-12 * std::max(1.0, std::abs(b)); };
  for (int point = 0; point < 3; ++point) {
    const std::vector<double> x = point == 0 ? x0 : random_coordinates(n, random);
    std::vector<double> a, b, c, ga(n), gb(n), gc(n);
    const double fa = assembled.values(x, a, ga), fb = named.values(x, b, gb), fc = colored.values(x, c, gc);
    EXPECT_TRUE(close(fa, fc)) << fa << " " << fc;
    EXPECT_TRUE(close(fb, fc)) << fb << " " << fc;
    for (std::size_t k = 0; k < c.size(); ++k) {
      EXPECT_TRUE(close(a[k], c[k])) << k << ": " << a[k] << " " << c[k];
      EXPECT_TRUE(close(b[k], c[k])) << k << ": " << b[k] << " " << c[k];
    }
    for (std::size_t i = 0; i < n; ++i) {
      EXPECT_TRUE(close(ga[i], gc[i])) << i;
      EXPECT_TRUE(close(gb[i], gc[i])) << i;
    }
    expect_equal_to_dense(assembled.at(x), tg::hessian(one_expression, x), "one expression per term");
  }
  // Parameters are inputs too: weights on each term, set between evaluations.
  auto weighted = [](auto x, auto w) {
    using V = std::remove_cvref_t<decltype(x[0])>;
    V s = 0.0;
    for (std::size_t i = 0; i + 1 < x.size(); ++i)
      s += w[i] * x[i] * x[i] * x[i + 1] + tg::exp(w[i] * x[i + 1]);
    return s;
  };
  std::vector<double> w = random_coordinates(n - 1, random, 0.5, 2.0);
  tg::SparseHessian with_parameters(weighted, x0, w, always);
  EXPECT_TRUE(with_parameters.from_local_hessians());
  w = random_coordinates(n - 1, random, 0.5, 2.0);
  with_parameters.set_parameters(w);
  const std::vector<double> y = random_coordinates(n, random);
  expect_equal_to_dense(with_parameters.at(y),
                        tg::hessian(
                            [&](auto x) {
                              using V = std::remove_cvref_t<decltype(x[0])>;
                              std::vector<V> constant(w.begin(), w.end());
                              return weighted(x, std::span<const V>(constant));
                            },
                            y),
                        "weighted terms with new weights");
}

TEST(SparseHessian, ColorsAreTheKnownOptimaWithinOne) {
  const std::vector<double> x(grid * grid, 0.3);
  // Tridiagonal (a path): star 3, acyclic 2.
  EXPECT_LE(tg::SparseHessian(rosenbrock, x).colors(), 4u);
  EXPECT_LE(tg::SparseHessian(rosenbrock, x, {.coloring = tg::SymmetricColoring::Acyclic}).colors(), 3u);
  // A grid graph's star chromatic number is 5 (Fertin, Raspaud and Reed, 2004).
  EXPECT_LE(tg::SparseHessian(stencil_energy, x).colors(), 6u);
  EXPECT_EQ(tg::SparseHessian(arrowhead, x).colors(), 2u);
  EXPECT_EQ(tg::SparseHessian(block_diagonal, std::vector<double>(24, 0.1)).colors(), 4u);
  EXPECT_EQ(tg::SparseHessian(separable, x).colors(), 1u);
}

TEST(SparseHessian, ColorsDoNotGrowWithTheNumberOfUnknowns) {
  const std::size_t small = tg::SparseHessian(broyden_banded, std::vector<double>(50, 0.1)).colors();
  const std::size_t large = tg::SparseHessian(broyden_banded, std::vector<double>(5000, 0.1)).colors();
  EXPECT_EQ(small, large);
  EXPECT_LE(large, 13u);  // 2b + 1 for the half-bandwidth b = 6 of the sum of squares
}

TEST(SparseHessian, ABranchThatFlipsGivesTheNewPointsMatrix) {
  auto f = [](auto x) {
    using V = std::remove_cvref_t<decltype(x[0])>;
    V s = 0.0;
    for (std::size_t i = 0; i + 2 < x.size(); ++i)
      s += x[i] > 0.0 ? V(x[i] * x[i + 1]) : V(tg::sin(x[i] * x[i + 2]));
    return s;
  };
  std::vector<double> x0(10, 0.5), x1(10, 0.5);
  x1[3] = -0.5;
  tg::SparseHessian h(f, x0);
  EXPECT_EQ(h.patterns_found(), 1u);
  const Eigen::MatrixXd at_x1 = Eigen::MatrixXd(h.at(x1));
  EXPECT_EQ(h.patterns_found(), 2u);
  expect_equal_to_dense(h.at(x1), tg::hessian(f, x1), "after the flip");
  EXPECT_NE(at_x1(3, 5), 0.0);
  EXPECT_EQ(at_x1(3, 4), 0.0);
  expect_equal_to_dense(h.at(x0), tg::hessian(f, x0), "back");
  EXPECT_EQ(h.patterns_found(), 3u);
  EXPECT_TRUE(h.replays());
}

TEST(SparseHessian, ValuesWritesThePatternsOrderAndTheGradient) {
  std::mt19937 random(5);
  const std::vector<double> x = random_coordinates(30, random);
  tg::SparseHessian h(rosenbrock, x);
  std::vector<double> nonzeros(h.pattern().nonzeros()), gradient(30);
  const double value = h.values(x, nonzeros, gradient);
  tg::Tape tape;
  std::vector<tg::Var> xs(x.begin(), x.end());
  const tg::Var y = rosenbrock(std::span<const tg::Var>(xs));
  EXPECT_EQ(value, y.value());
  const std::vector<double> g = tg::gradient(y, xs);
  for (std::size_t i = 0; i < 30; ++i) EXPECT_NEAR(gradient[i], g[i], 1e-12 * std::max(1.0, std::abs(g[i])));
  const Eigen::MatrixXd dense = tg::hessian(rosenbrock, x);
  for (std::size_t i = 0; i < 30; ++i) {
    const auto row = h.pattern().row(i);
    for (std::size_t k = 0; k < row.size(); ++k)
      EXPECT_NEAR(nonzeros[h.pattern().row_begin[i] + k], dense(static_cast<Eigen::Index>(i), row[k]), 1e-10);
  }
  std::vector<double> wrong(nonzeros.size() + 1);
  EXPECT_THROW(h.values(x, std::span<double>(wrong)), tg::Error);
  // A std::vector is sized to the pattern instead.
  EXPECT_EQ(h.values(x, wrong), value);
  EXPECT_EQ(wrong, nonzeros);
  EXPECT_THROW(h.at(std::vector<double>(29, 0.0)), tg::Error);
}

// Σᵢ₌₀⁷ (xᵢ > 0 ? xᵢxᵢ₊₁ : sin(xᵢxᵢ₊₂)) at x = 0.5 couples (i, i+1) for i = 0 … 7: 16
// nonzeros. With x₃ = −0.5 term 3 is sin(x₃x₅): (3, 4) goes, (3, 3), (5, 5) and (3, 5)
// come, 18 nonzeros, and with u = x₃x₅ = −0.25: ∂²/∂x₃∂x₅ = cos u − sin(u)·x₃x₅ =
// cos 0.25 − 0.25 sin 0.25, ∂²/∂x₃² = −sin(u)·x₅² = 0.25 sin 0.25, and f = 6·0.25 + x₂x₃
// + sin u = 1.25 − sin 0.25.
TEST(SparseHessian, ValuesSizesAVectorToThePatternAtThePoint) {
  auto f = [](auto x) {
    using V = std::remove_cvref_t<decltype(x[0])>;
    V s = 0.0;
    for (std::size_t i = 0; i + 2 < x.size(); ++i)
      s += x[i] > 0.0 ? V(x[i] * x[i + 1]) : V(tg::sin(x[i] * x[i + 2]));
    return s;
  };
  std::vector<double> x0(10, 0.5), x1(10, 0.5);
  x1[3] = -0.5;
  tg::SparseHessian h(f, x0);
  std::vector<double> nonzeros(h.pattern().nonzeros()), gradient(10);
  ASSERT_EQ(nonzeros.size(), 16u);
  const double value = h.values(x1, nonzeros, gradient);
  EXPECT_EQ(h.patterns_found(), 2u);
  ASSERT_EQ(nonzeros.size(), 18u);
  EXPECT_NEAR(value, 1.25 - std::sin(0.25), 1e-15);
  const Eigen::MatrixXd at_x1 = Eigen::MatrixXd(h.matrix(nonzeros));
  EXPECT_NEAR(at_x1(3, 5), std::cos(0.25) - 0.25 * std::sin(0.25), 1e-15);
  EXPECT_NEAR(at_x1(3, 3), 0.25 * std::sin(0.25), 1e-15);
  EXPECT_NEAR(at_x1(5, 5), 0.25 * std::sin(0.25), 1e-15);
  EXPECT_EQ(at_x1(3, 4), 0.0);
  EXPECT_EQ(at_x1(0, 1), 1.0);
  expect_equal_to_dense(h.matrix(nonzeros), tg::hessian(f, x1), "the vector resized");
  h.values(x0, nonzeros);
  ASSERT_EQ(nonzeros.size(), 16u);
  expect_equal_to_dense(h.matrix(nonzeros), tg::hessian(f, x0), "and back");
}

TEST(SparseHessian, TensorRecordingsAreRecordedAfreshOnDuals) {
  auto f = [](auto x) {
    using V = std::remove_cvref_t<decltype(x[0])>;
    const V s = tg::sum(tg::exp(tg::as_tensor(V(x[0] * x[1]))));
    return s + x[2] * x[3] + tg::sin(x[1]);
  };
  const std::vector<double> x{0.1, 0.2, 0.3, 0.4};
  tg::SparseHessian h(f, x);
  EXPECT_FALSE(h.replays());
  expect_equal_to_dense(h.at(x), tg::hessian(f, x), "tensors");
  const std::vector<double> y{-0.3, 0.5, 0.7, -0.2};
  expect_equal_to_dense(h.at(y), tg::hessian(f, y), "tensors at another point");
}

TEST(SparseJacobian, EqualsTheDenseJacobianOnFunctionsOfKnownStructure) {
  std::mt19937 random(23);
  expect_sparse_jacobian_is_dense(broyden_residuals, 40, "broyden banded", random);
  expect_sparse_jacobian_is_dense(bratu_residuals, grid * grid, "bratu", random);
  auto tridiagonal = [](auto x) {
    using V = std::remove_cvref_t<decltype(x[0])>;
    std::vector<V> r;
    for (std::size_t i = 0; i < x.size(); ++i) {
      V v = (3.0 - 2.0 * x[i]) * x[i] + 1.0;
      if (i > 0) v -= x[i - 1];
      if (i + 1 < x.size()) v -= 2.0 * x[i + 1];
      r.push_back(v);
    }
    return r;
  };
  expect_sparse_jacobian_is_dense(tridiagonal, 25, "tridiagonal", random);
  auto more_outputs = [](auto x) {  // 3 rows per input, an input-free row, and a row that is an input
    using V = std::remove_cvref_t<decltype(x[0])>;
    std::vector<V> r;
    for (std::size_t i = 0; i < x.size(); ++i) {
      r.push_back(tg::exp(x[i]));
      r.push_back(x[i] * x[(i + 1) % x.size()]);
      r.push_back(tg::atan(x[i] - x[(i + 3) % x.size()]));
    }
    r.push_back(V(1.5));
    r.push_back(x[2]);
    return r;
  };
  expect_sparse_jacobian_is_dense(more_outputs, 9, "more outputs than inputs", random);
}

TEST(SparseJacobian, ColorsAreTheKnownOptima) {
  const std::vector<double> x(grid * grid, 0.2);
  EXPECT_EQ(tg::SparseJacobian(broyden_residuals, std::vector<double>(100, 0.1)).colors(), 7u);  // 5 + 1 + 1
  EXPECT_EQ(tg::SparseJacobian(bratu_residuals, x).colors(), 5u);
}

TEST(SparseJacobian, ValuesAndABranchThatFlips) {
  auto f = [](auto x) {
    using V = std::remove_cvref_t<decltype(x[0])>;
    std::vector<V> r;
    for (std::size_t i = 0; i + 1 < x.size(); ++i)
      r.push_back(x[i] < 0.0 ? V(x[i] * x[i + 1]) : V(x[i] * 2.0));
    return r;
  };
  std::vector<double> x0(8, 1.0), x1(8, 1.0);
  x1[4] = -1.0;
  tg::SparseJacobian j(f, x0);
  EXPECT_EQ(j.pattern().nonzeros(), 7u);
  expect_equal_to_dense(j.at(x1), tg::jacobian(f, x1), "after the flip");
  EXPECT_EQ(j.patterns_found(), 2u);
  EXPECT_EQ(j.pattern().nonzeros(), 8u);
  std::vector<double> nonzeros(j.pattern().nonzeros()), value(7);
  j.values(x1, nonzeros, value);
  EXPECT_EQ(value[4], -1.0);
  EXPECT_EQ(value[0], 2.0);
}

// rᵢ = xᵢ < 0 ? xᵢxᵢ₊₁ : 2xᵢ: at x = 1 the diagonal 2, 7 nonzeros; with x₄ = −1 row 4 is
// (∂/∂x₄, ∂/∂x₅) of x₄x₅ = (x₅, x₄) = (1, −1), 8 nonzeros.
TEST(SparseJacobian, ValuesSizesAVectorToThePatternAtThePoint) {
  auto f = [](auto x) {
    using V = std::remove_cvref_t<decltype(x[0])>;
    std::vector<V> r;
    for (std::size_t i = 0; i + 1 < x.size(); ++i)
      r.push_back(x[i] < 0.0 ? V(x[i] * x[i + 1]) : V(x[i] * 2.0));
    return r;
  };
  std::vector<double> x0(8, 1.0), x1(8, 1.0);
  x1[4] = -1.0;
  tg::SparseJacobian j(f, x0);
  std::vector<double> nonzeros(j.pattern().nonzeros()), value(7);
  ASSERT_EQ(nonzeros.size(), 7u);
  EXPECT_THROW(j.values(x1, std::span<double>(nonzeros)), tg::Error);
  j.values(x0, nonzeros);  // the pattern of x0 again
  j.values(x1, nonzeros, value);
  ASSERT_EQ(nonzeros.size(), 8u);
  EXPECT_EQ(value[4], -1.0);
  const Eigen::MatrixXd at_x1 = Eigen::MatrixXd(j.matrix(nonzeros));
  for (Eigen::Index i = 0; i < 7; ++i) EXPECT_EQ(at_x1(i, i), i == 4 ? 1.0 : 2.0) << i;
  EXPECT_EQ(at_x1(4, 5), -1.0);
  expect_equal_to_dense(j.matrix(nonzeros), tg::jacobian(f, x1), "the vector resized");
  j.values(x0, nonzeros);
  ASSERT_EQ(nonzeros.size(), 7u);
  for (const double e : nonzeros) EXPECT_EQ(e, 2.0);
}

TEST(SparseJacobian, TensorRecordingsAreSweptPerRow) {
  auto f = [](auto x) {
    using V = std::remove_cvref_t<decltype(x[0])>;
    std::vector<V> r;
    r.push_back(tg::sum(tg::exp(tg::as_tensor(V(x[0] * x[1])))));
    r.push_back(x[2] * x[1]);
    return r;
  };
  // The dense reference in reverse mode on a tape of its own (f takes Vars only).
  auto dense = [&](const std::vector<double>& at) {
    tg::Tape tape;
    std::vector<tg::Var> xs(at.begin(), at.end());
    return tg::jacobian(f(std::span<const tg::Var>(xs)), xs);
  };
  const std::vector<double> x{0.1, 0.2, 0.3};
  tg::SparseJacobian j(f, x);
  expect_equal_to_dense(j.at(x), dense(x), "tensors");
  const std::vector<double> y{0.4, -0.2, 0.9};
  expect_equal_to_dense(j.at(y), dense(y), "tensors at another point");
}

TEST(SparseJacobian, ADenseRowIsEvaluatedByReverseSweeps) {
  // Σx² couples every column with every other: n colors for 2 rows, so J comes from
  // reverse sweeps carrying both rows.
  auto f = [](auto x) {
    using V = std::remove_cvref_t<decltype(x[0])>;
    V s = 0.0;
    for (const auto& e : x) s += e * e;
    return std::vector<V>{s, x[0] - x[1] * x[2]};
  };
  std::mt19937 random(29);
  expect_sparse_jacobian_is_dense(f, 50, "a dense row", random);
  EXPECT_EQ(tg::SparseJacobian(f, std::vector<double>(50, 1.0)).colors(), 50u);
}

TEST(SparseHessian, APatternOverTheLimitLeavesTheLastRecordingWhole) {
  // Local where x[0] > 0; (Σx)² — a dense Hessian of n² entries — where it is not.
  auto f = [](auto x) {
    using V = std::remove_cvref_t<decltype(x[0])>;
    V s = 0.0;
    if (x[0] > 0.0) {
      for (std::size_t i = 0; i + 1 < x.size(); ++i) s += x[i] * x[i + 1];
      return s;
    }
    for (const auto& e : x) s += e;
    return V(s * s);
  };
  std::vector<double> x0(200, 0.5), x1(200, 0.5);
  x1[0] = -0.5;
  tg::SparseHessian h(f, x0, {.max_nonzeros = 1000});
  EXPECT_THROW(h.at(x1), tg::Error);
  EXPECT_EQ(h.patterns_found(), 1u);
  expect_equal_to_dense(h.at(x0), tg::hessian(f, x0), "after the refused pattern");
}

// A Lagrangian σ f(x) + Σ λᵢ cᵢ(x) with σ, λ as parameters: the Hessian in x at new
// weights equals the dense Hessian of the same function with those weights written in as
// constants, without finding the pattern again; a weight that switches a branch records
// again at the new weights.
TEST(SparseHessian, ParametersChangeTheValuesButNotThePattern) {
  auto lagrangian = [](auto x, auto w) {
    using V = std::remove_cvref_t<decltype(x[0])>;
    V objective = 0.0;
    for (std::size_t i = 0; i + 1 < x.size(); ++i) objective += x[i] * x[i] * x[i + 1];
    V l = w[0] * objective;
    for (std::size_t i = 0; i + 1 < x.size(); ++i) l += w[i + 1] * tg::exp(x[i] - x[i + 1]);
    // A weight compared: the branch is recorded and replayed like any other.
    l += w[0] > 0.0 ? V(x[0] * x[x.size() - 1]) : V(tg::sin(x[0]));
    return l;
  };
  const std::size_t n = 8;
  const auto with_weights = [&](std::vector<double> w) {
    return [w, &lagrangian](auto x) {
      using V = std::remove_cvref_t<decltype(x[0])>;
      std::vector<V> constant(w.begin(), w.end());
      return lagrangian(x, std::span<const V>(constant));
    };
  };
  std::mt19937 random(41);
  const std::vector<double> x = random_coordinates(n, random);
  std::vector<double> w(n, 1.0);
  tg::SparseHessian h(lagrangian, x, w);
  EXPECT_EQ(h.parameter_count(), n);
  expect_equal_to_dense(h.at(x), tg::hessian(with_weights(w), x), "the first weights");
  // x₀ and x₇ meet only in w₀ > 0's term x₀·x₇ (the others couple neighbours): ∂²/∂x₀∂x₇ = 1.
  EXPECT_EQ(Eigen::MatrixXd(h.at(x))(0, n - 1), 1.0);
  for (double& e : w) e = std::uniform_real_distribution<double>(0.1, 3)(random);
  h.set_parameters(w);
  const std::vector<double> y = random_coordinates(n, random);
  expect_equal_to_dense(h.at(y), tg::hessian(with_weights(w), y), "new weights at a new point");
  EXPECT_EQ(h.patterns_found(), 1u);
  w[0] = -1;  // the branch on w[0] flips: x[0]·x[n−1] is replaced by sin(x[0])
  h.set_parameters(w);
  const Eigen::MatrixXd flipped = Eigen::MatrixXd(h.at(y));
  expect_equal_to_dense(h.at(y), tg::hessian(with_weights(w), y), "after the flip");
  EXPECT_EQ(flipped(0, n - 1), 0.0);
  EXPECT_EQ(h.patterns_found(), 2u);
  EXPECT_THROW(h.set_parameters(std::vector<double>(n + 1)), tg::Error);
}

// A partial that is not finite reaches only the rows that run through it, as in a sweep of
// one row: x^c's partial in c, log(x)·x^c, is NaN at x < 0, and must not turn the other
// rows' 0 · NaN into NaN. F = (x^2 + y^2, x + y) at (−0.5, 1) with the exponents Vars:
// J = [[2x, 2y], [1, 1]] = [[−1, 2], [1, 1]]; and with the exponent an input, the row of
// F₂ = y stays (0, 0, 1) though ∂(x^c)/∂c is NaN.
TEST(SparseJacobian, ANonFinitePartialReachesOnlyItsOwnRows) {
  auto f = [](auto v) {
    using V = std::remove_cvref_t<decltype(v[0])>;
    const V two = 2.0;
    return std::vector<V>{tg::pow(v[0], two) + tg::pow(v[1], two), v[0] + v[1]};
  };
  const std::vector<double> at{-0.5, 1.0};
  const Eigen::MatrixXd sparse = Eigen::MatrixXd(tg::SparseJacobian(f, at).at(at));
  EXPECT_EQ(sparse(0, 0), -1.0);
  EXPECT_EQ(sparse(0, 1), 2.0);
  EXPECT_EQ(sparse(1, 0), 1.0);
  EXPECT_EQ(sparse(1, 1), 1.0);

  tg::Tape tape;
  std::vector<tg::Var> v{-0.5, 1.0, 2.0};  // x, y, c
  const std::vector<tg::Var> ys{tg::pow(v[0], v[2]), v[1]};
  const Eigen::MatrixXd j = tg::jacobian(std::span<const tg::Var>(ys), std::span<const tg::Var>(v));
  EXPECT_EQ(j(0, 0), -1.0);          // c·x^(c−1)
  EXPECT_TRUE(std::isnan(j(0, 2)));  // log(−0.5)·x^c
  EXPECT_EQ(j(1, 0), 0.0);
  EXPECT_EQ(j(1, 1), 1.0);
  EXPECT_EQ(j(1, 2), 0.0);
}
