// fused() and fused_sum(): gradient-checked against finite differences at every
// broadcast, across block boundaries, with Vars, numbers and constants as inputs; equal
// to the same expression written with the unfused operations; replayed, checked for
// non-finite partials, and rejecting shapes that do not broadcast.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

#include "tensor_checks.hpp"

using namespace tensor_test;

namespace {

// A chain of most kinds of rule: array forms (exp, square, sigmoid, / and *), scalar
// fallbacks (pow, max, clamp, atan2), numbers on either side.
auto chain = [](auto a, auto b, auto c) {
  return exp(-square(a - b) / 4.0) * sigmoid(c) + pow(square(b) + 1.0, 0.75) - 2.0 * max(a * c, 0.1) +
         clamp(c, -0.5, 0.5) * atan2(a, square(b) + 0.5);
};
// The same without clamp, which tensors have no unfused form of.
auto comparable_chain = [](auto a, auto b, auto c) {
  return exp(-square(a - b) / 4.0) * sigmoid(c) + pow(square(b) + 1.0, 0.75) - 2.0 * max(a * c, 0.1) +
         c * atan2(a, square(b) + 0.5);
};
Tensor unfused_chain(const Tensor& a, const Tensor& b, const Tensor& c) {
  return tg::exp(-tg::square(a - b) / 4.0) * tg::sigmoid(c) + tg::pow(tg::square(b) + 1.0, 0.75) -
         2.0 * tg::max(a * c, 0.1) + c * tg::atan2(a, tg::square(b) + 0.5);
}

struct Broadcast3 {
  Shape a, b, c;
};
// Full shapes, rows, columns and scalars against each other; 150 rows cross the 64-entry
// blocks of double lanes.
const std::vector<Broadcast3> broadcasts = {
    {{3, 4}, {3, 4}, {3, 4}}, {{3, 4}, {1, 4}, {3, 1}},     {{1, 1}, {5, 2}, {1, 1}},
    {{1, 6}, {4, 1}, {1, 1}}, {{150, 2}, {150, 1}, {1, 2}}, {{1, 1}, {1, 1}, {1, 1}},
};

TEST(Fused, TensorGradientAtEveryBroadcast) {
  unsigned seed = 10;
  for (const Broadcast3& s : broadcasts) {
    const std::vector<MatrixXd> x = {random_matrix(s.a.rows, s.a.cols, -1.5, 1.5, ++seed),
                                     random_matrix(s.b.rows, s.b.cols, -1.5, 1.5, ++seed),
                                     random_matrix(s.c.rows, s.c.cols, -1.5, 1.5, ++seed)};
    expect_gradient(
        name("fused chain", s.a),
        [](const std::vector<Tensor>& in) { return weighted(tg::fused(chain, in[0], in[1], in[2])); }, x);
    expect_gradient(
        name("fused_sum chain", s.a),
        [](const std::vector<Tensor>& in) { return tg::fused_sum(chain, in[0], in[1], in[2]); }, x);
  }
}

TEST(Fused, EqualsTheUnfusedOperations) {
  tg::Tape tape;
  const MatrixXd a = random_matrix(150, 3, -1.5, 1.5, 1), b = random_matrix(150, 1, -1.5, 1.5, 2),
                 c = random_matrix(1, 3, -1.5, 1.5, 3);
  tg::Parameter pa(a), pb(b), pc(c);
  const Tensor fused = tg::fused(comparable_chain, pa.tensor(), pb.tensor(), pc.tensor());
  const Tensor unfused = unfused_chain(pa.tensor(), pb.tensor(), pc.tensor());
  // Same rules, same order of operations: the same bits.
  EXPECT_EQ(fused.value(), unfused.value());

  const MatrixXd w = random_matrix(150, 3, 0.5, 1.5, 4);
  auto gradients = [&](const Tensor& t) {
    pa.zero_grad();
    pb.zero_grad();
    pc.zero_grad();
    tape.backward(tg::dot(t, tg::constant(w)));
    return std::vector<MatrixXd>{pa.grad(), pb.grad(), pc.grad()};
  };
  const std::vector<MatrixXd> g_fused = gradients(fused), g_unfused = gradients(unfused);
  for (std::size_t k = 0; k < 3; ++k) EXPECT_TRUE(g_fused[k].isApprox(g_unfused[k], 1e-13)) << "input " << k;
}

// log N(y | mu, sigma) summed: the gradient against its closed form.
TEST(Fused, NormalLogDensityWithScalarVars) {
  tg::Tape tape;
  const MatrixXd y = random_matrix(1000, 1, -2, 4, 5);
  const tg::Var mu(0.7), sigma(1.3);
  const tg::Var z2 = tg::fused_sum([](auto yi, auto m, auto s) { return square((yi - m) / s); },
                                   tg::constant_view(y), mu, sigma);
  const std::vector<double> g = tg::gradient(z2, {mu, sigma});
  const Eigen::ArrayXd r = (y.array() - 0.7) / 1.3;
  EXPECT_NEAR(z2.value(), r.square().sum(), 1e-12 * r.square().sum());
  EXPECT_NEAR(g[0], -2.0 / 1.3 * r.sum(), 1e-12 * std::abs(r.sum()) + 1e-12);
  EXPECT_NEAR(g[1], -2.0 / 1.3 * r.square().sum(), 1e-12 * r.square().sum());
}

TEST(Fused, NumbersAndConstantsNeedNoGradient) {
  tg::Tape tape;
  const MatrixXd x = random_matrix(4, 3, -1, 1, 6);
  const Tensor constant = tg::fused([](auto u, auto v) { return u * v + 1.0; }, tg::constant(x), 2.5);
  EXPECT_FALSE(constant.requires_grad());
  EXPECT_EQ(constant.value(), (x.array() * 2.5 + 1.0).matrix());
  tg::Parameter p(x);
  // An input the function never reads gets a zero gradient.
  tape.backward(tg::fused_sum([](auto u, auto) { return 3.0 * u; }, tg::constant(x), p.tensor()));
  EXPECT_EQ(p.grad(), MatrixXd::Zero(4, 3));
  p.zero_grad();
  tape.backward(tg::sum(tg::fused([](auto u, auto) { return 3.0 * u; }, tg::constant(x), p.tensor())));
  EXPECT_EQ(p.grad(), MatrixXd::Zero(4, 3));
}

TEST(Fused, FloatBlocksAndUnderflowAreExact) {
  tg::FloatTape tape;
  Eigen::MatrixXf x = Eigen::MatrixXf::Constant(300, 1, -1000.0f);
  x(7) = 1.0f;
  tg::FloatParameter p(x);
  const tg::FloatTensor e = tg::fused([](auto u) { return exp(u); }, p.tensor());
  for (Eigen::Index k = 0; k < x.size(); ++k) EXPECT_EQ(e.value()(k), std::exp(x(k))) << k;
  tape.backward(tg::sum(e));
  for (Eigen::Index k = 0; k < x.size(); ++k) EXPECT_EQ(p.grad()(k), std::exp(x(k))) << k;
}

TEST(Fused, ReplaysAtNewParameterValues) {
  const MatrixXd y = random_matrix(200, 2, -1, 1, 8);
  tg::Parameter w(random_matrix(1, 2, 0.5, 1.5, 9));
  auto f = [&] {
    return tg::fused_sum([](auto yi, auto wi) { return log(1.0 + square(yi * wi - 0.3)); },
                         tg::constant_view(y), w.tensor());
  };
  tg::ReplayTape replayable;
  const tg::Var recorded = f();
  w.value() *= 1.7;
  replayable.replay();
  w.zero_grad();
  replayable.backward(recorded);
  const MatrixXd replayed_grad = w.grad();
  const double replayed_value = replayable.replayed_value(recorded.index());

  tg::Tape fresh;
  const tg::Var again = f();
  w.zero_grad();
  fresh.backward(again);
  EXPECT_EQ(replayed_value, again.value());
  EXPECT_EQ(replayed_grad, w.grad());
}

TEST(Fused, CheckFiniteNamesTheInfinitePartial) {
  tg::Tape tape({.check_finite = true});
  MatrixXd x = MatrixXd::Constant(3, 2, 1.0);
  x(1, 1) = 0.0;  // sqrt(0) is finite, its derivative is not
  tg::Parameter p(x);
  try {
    (void)tg::fused([](auto u) { return sqrt(u); }, p.tensor());
    FAIL() << "no NonFiniteError";
  } catch (const tg::NonFiniteError& e) {
    EXPECT_THAT(e.what(), testing::HasSubstr("fused"));
    EXPECT_THAT(e.what(), testing::HasSubstr("derivative with respect to #1"));
    EXPECT_THAT(e.what(), testing::HasSubstr("(1, 1)"));
  }
}

TEST(Fused, ShapesThatDoNotBroadcastAreRejected) {
  tg::Tape tape;
  const Tensor a = tg::constant(MatrixXd::Ones(3, 2)), b = tg::constant(MatrixXd::Ones(4, 2));
  try {
    (void)tg::fused([](auto u, auto v) { return u + v; }, a, b);
    FAIL() << "no error";
  } catch (const tg::Error& e) {
    EXPECT_THAT(e.what(), testing::HasSubstr("fused: input #2 (4×2)"));
    EXPECT_THAT(e.what(), testing::HasSubstr("3×2"));
  }
}

}  // namespace
