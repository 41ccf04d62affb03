// The CG–Steihaug subproblem of trust-region Newton-CG on its own: the Newton step inside
// the region, the boundary along the first direction and along negative curvature, a zero
// gradient, the Cauchy decrease at every step of random problems, and a solve again with a
// smaller radius from the kept products. Expected values are derived in the comments.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <tapegrad/tapegrad.hpp>
#include <vector>

#include "trust_model.hpp"

namespace tg = tapegrad;
namespace opt = tapegrad::optim;

using trust_region_tests::trust_model_decrease;

namespace {

// The Cauchy point's decrease (Nocedal & Wright, (4.11)–(4.12)): along −g, to the boundary
// or to the model's minimum along −g; every CG–Steihaug step decreases the model at least as much.
double trust_cauchy_decrease(const Eigen::VectorXd& g, const Eigen::MatrixXd& h, double radius) {
  const double g_norm = g.norm(), ghg = g.dot(h * g);
  const double tau = ghg <= 0 ? 1.0 : std::min(std::pow(g_norm, 3) / (radius * ghg), 1.0);
  return trust_model_decrease(g, h, -tau * radius / g_norm * g);
}

// A random symmetric n×n matrix with entries in [−1, 1], shifted by `shift` times I (so some are
// positive definite and most are not), and a random gradient: drawn in that order.
struct RandomModel {
  Eigen::MatrixXd h;
  Eigen::VectorXd g;
};
RandomModel random_model(std::mt19937_64& rng, int n, std::uniform_real_distribution<double>& entry,
                         std::uniform_real_distribution<double>& shift) {
  Eigen::MatrixXd a(n, n);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) a(i, j) = entry(rng);
  RandomModel m;
  m.h = 0.5 * (a + a.transpose()) + shift(rng) * Eigen::MatrixXd::Identity(n, n);
  m.g.resize(n);
  for (int i = 0; i < n; ++i) m.g(i) = entry(rng);
  return m;
}

opt::detail::SteihaugStep trust_subproblem(const Eigen::MatrixXd& h, const Eigen::VectorXd& g, double radius,
                                           double forcing = 0.5) {
  return opt::detail::steihaug_cg([&](const Eigen::VectorXd& v, Eigen::VectorXd& hv) { hv = h * v; }, g,
                                  radius, forcing, 100);
}

TEST(SteihaugCg, ReturnsTheNewtonStepWhenItLiesInsideTheRegion) {
  const Eigen::Matrix3d h{{4, 1, 0.5}, {1, 3, -0.2}, {0.5, -0.2, 2}};
  const Eigen::Vector3d g{1, -2, 0.5};
  const Eigen::Vector3d newton = -h.llt().solve(g);
  const opt::detail::SteihaugStep s = trust_subproblem(h, g, 10 * newton.norm(), 1e-12);
  EXPECT_FALSE(s.on_boundary);
  EXPECT_FALSE(s.negative_curvature);
  EXPECT_LE(s.products, 3);  // CG is exact on 3 unknowns in 3 iterations
  EXPECT_LE((s.p - newton).norm(), 1e-14 * newton.norm());
  // At the Newton step the model falls by ½gᵀH⁻¹g.
  EXPECT_NEAR(s.model_decrease, 0.5 * g.dot(h.llt().solve(g)), 1e-14);
}

TEST(SteihaugCg, StopsOnTheBoundaryAlongTheFirstDirection) {
  // H = 2I, g = (4, 0): the Newton step (−2, 0) lies outside Δ = 1, so CG's first iterate
  // crosses the boundary and the step is (−1, 0): m falls by 4 − ½·2·1 = 3.
  const opt::detail::SteihaugStep s =
      trust_subproblem(2 * Eigen::Matrix2d::Identity(), Eigen::Vector2d{4, 0}, 1);
  EXPECT_TRUE(s.on_boundary);
  EXPECT_FALSE(s.negative_curvature);
  EXPECT_EQ(s.products, 1);
  EXPECT_EQ(s.p, Eigen::Vector2d(-1, 0));
  EXPECT_DOUBLE_EQ(s.model_decrease, 3);
}

TEST(SteihaugCg, FollowsNegativeCurvatureToTheBoundary) {
  // H = diag(1, −1), g = (0, 1): −g is a direction of negative curvature, so the step is
  // Δ·(−g)/‖g‖ = (0, −½) for Δ = ½, where m falls by ½ + ½·½² = 0.625 (the other boundary point,
  // (0, ½), would raise g's term: m falls by only −½ + ⅛ there).
  const opt::detail::SteihaugStep s =
      trust_subproblem(Eigen::Vector2d(1, -1).asDiagonal(), Eigen::Vector2d{0, 1}, 0.5);
  EXPECT_TRUE(s.on_boundary);
  EXPECT_TRUE(s.negative_curvature);
  EXPECT_EQ(s.products, 1);
  EXPECT_EQ(s.p, Eigen::Vector2d(0, -0.5));
  EXPECT_DOUBLE_EQ(s.model_decrease, 0.625);
}

TEST(SteihaugCg, AZeroGradientGivesAZeroStepWithoutProducts) {
  const opt::detail::SteihaugStep s =
      trust_subproblem(Eigen::Matrix2d::Identity(), Eigen::Vector2d::Zero(), 1);
  EXPECT_EQ(s.p, Eigen::Vector2d::Zero());
  EXPECT_EQ(s.model_decrease, 0);
  EXPECT_EQ(s.products, 0);
}

TEST(SteihaugCg, EveryStepStaysInTheRegionAndDecreasesTheModelAtLeastAsTheCauchyPoint) {
  // Random symmetric matrices, shifted so that some are positive definite and most are not.
  std::mt19937_64 rng(20240537);
  std::uniform_real_distribution<double> entry(-1, 1), shift(-1, 2),
      log_radius(std::log(0.01), std::log(10.0));
  int boundary = 0, negative = 0, interior = 0;
  for (int trial = 0; trial < 300; ++trial) {
    const RandomModel model = random_model(rng, 5, entry, shift);
    const Eigen::MatrixXd& h = model.h;
    const Eigen::VectorXd& g = model.g;
    const double radius = std::exp(log_radius(rng)), forcing = trial % 2 ? 0.5 : 1e-8;
    const opt::detail::SteihaugStep s = trust_subproblem(h, g, radius, forcing);
    SCOPED_TRACE("trial " + std::to_string(trial));
    EXPECT_LE(s.p.norm(), radius * (1 + 1e-12));
    // The decrease carried along the iterations is the model's own.
    const double decrease = trust_model_decrease(g, h, s.p);
    EXPECT_NEAR(s.model_decrease, decrease, 1e-12 * std::max(1.0, std::abs(decrease)));
    EXPECT_GE(s.model_decrease, trust_cauchy_decrease(g, h, radius) * (1 - 1e-12));
    if (s.on_boundary) {
      ++boundary;
      EXPECT_NEAR(s.p.norm(), radius, 1e-12 * radius);
    } else {
      // Inside, CG stopped at the forcing tolerance: ‖Hp + g‖ < min(forcing, √‖g‖)·‖g‖.
      ++interior;
      EXPECT_LE((h * s.p + g).norm(), std::min(forcing, std::sqrt(g.norm())) * g.norm() + 1e-12);
    }
    negative += s.negative_curvature;
  }
  // Every way CG–Steihaug ends was seen.
  EXPECT_GT(boundary, 0);
  EXPECT_GT(negative, 0);
  EXPECT_GT(interior, 0);
}

TEST(SteihaugCg, ASolveAgainWithASmallerRadiusTakesItsProductsFromTheFirstAndEndsTheSame) {
  // CG from p = 0 makes the same directions whatever the radius, and its iterates' norms grow
  // (Nocedal & Wright, Theorem 7.3), so a smaller radius stops it no later: solved again with Δ/4
  // from the first solve's products, the step is the one a solve from scratch gives, bit for bit,
  // and no product is made.
  std::mt19937_64 rng(20240611);
  std::uniform_real_distribution<double> entry(-1, 1), shift(-1, 2);
  int solved_again = 0;
  for (int trial = 0; trial < 100; ++trial) {
    const RandomModel model = random_model(rng, 6, entry, shift);
    const Eigen::MatrixXd& h = model.h;
    const Eigen::VectorXd& g = model.g;
    long made = 0;
    const auto product = [&](const Eigen::VectorXd& v, Eigen::VectorXd& hv) { hv = h * v, ++made; };
    opt::detail::SteihaugProducts kept{{}, 100};
    const opt::detail::SteihaugStep first = opt::detail::steihaug_cg(product, g, 2.0, 1e-8, 100, &kept);
    EXPECT_EQ(first.products, made);
    EXPECT_EQ(kept.hd.size(), static_cast<std::size_t>(made));
    const opt::detail::SteihaugStep again = opt::detail::steihaug_cg(product, g, 0.5, 1e-8, 100, &kept);
    const opt::detail::SteihaugStep fresh = opt::detail::steihaug_cg(product, g, 0.5, 1e-8, 100);
    SCOPED_TRACE("trial " + std::to_string(trial));
    EXPECT_EQ(again.products, 0);
    EXPECT_EQ(again.p, fresh.p);
    EXPECT_EQ(again.model_decrease, fresh.model_decrease);
    EXPECT_EQ(again.on_boundary, fresh.on_boundary);
    EXPECT_EQ(again.negative_curvature, fresh.negative_curvature);
    solved_again += fresh.products > 0;
  }
  EXPECT_GT(solved_again, 0);
}

TEST(SteihaugCg, KeepsNoMoreProductsThanItsCapacity) {
  // H = diag(1, 2, 3, 4), g = (1, 1, 1, 1): CG needs 4 iterations (4 distinct eigenvalues) to reach
  // the Newton step −(1, ½, ⅓, ¼), whose norm ≈ 1.19 lies inside Δ = 10.
  const Eigen::Vector4d diagonal(1, 2, 3, 4);
  long made = 0;
  const auto product = [&](const Eigen::VectorXd& v, Eigen::VectorXd& hv) {
    hv = diagonal.cwiseProduct(v), ++made;
  };
  opt::detail::SteihaugProducts kept{{}, 2};
  const opt::detail::SteihaugStep s =
      opt::detail::steihaug_cg(product, Eigen::Vector4d::Ones(), 10, 1e-12, 100, &kept);
  EXPECT_EQ(s.products, 4);
  EXPECT_EQ(kept.hd.size(), 2u);
  // Solved again, the first two products are the kept ones, the last two made again.
  made = 0;
  const opt::detail::SteihaugStep again =
      opt::detail::steihaug_cg(product, Eigen::Vector4d::Ones(), 10, 1e-12, 100, &kept);
  EXPECT_EQ(again.products, 2);
  EXPECT_EQ(made, 2);
  EXPECT_EQ(again.p, s.p);
  EXPECT_LE((s.p - Eigen::Vector4d(-1, -0.5, -1.0 / 3, -0.25)).norm(), 1e-14);
}

}  // namespace
