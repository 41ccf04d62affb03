// Second derivatives of tensor graphs (forward over reverse on Dual tensors): the
// logistic-regression Hessian against its closed form, and a small network, every
// loss, the matrix product in each transposed form and the elementwise and shape
// operations against five-point differences of the double tape's gradient.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <tapegrad/tapegrad.hpp>
#include <vector>

namespace tg = tapegrad;
using Eigen::MatrixXd;

namespace {

template <class T>
tg::BasicTensor<T> data(const MatrixXd& m) {
  return tg::constant(tg::MatrixX<T>(m.template cast<T>()));
}

MatrixXd random_matrix(Eigen::Index rows, Eigen::Index cols, unsigned seed, double scale = 1.0) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-scale, scale);
  MatrixXd m(rows, cols);
  for (Eigen::Index e = 0; e < m.size(); ++e) m(e) = u(rng);
  return m;
}

// ∇f at the matrices x from the double tape, flat.
template <class F>
std::vector<double> tape_gradient(F& f, const std::vector<MatrixXd>& x) {
  tg::Tape tape;
  std::vector<tg::Parameter> parameters;
  for (const MatrixXd& m : x) parameters.emplace_back(m);
  std::vector<tg::Tensor> tensors;
  for (tg::Parameter& p : parameters) tensors.push_back(p.tensor());
  const tg::Var loss = f(std::span<const tg::Tensor>(tensors));
  tape.backward(loss);
  std::vector<double> g;
  for (const tg::Parameter& p : parameters) g.insert(g.end(), p.grad().data(), p.grad().data() + p.size());
  return g;
}

template <class F>
void expect_hessian_matches_gradient_differences(const char* what, F f, const std::vector<MatrixXd>& x) {
  const MatrixXd h = tg::tensor_hessian(f, x);
  const auto n = h.rows();
  std::vector<std::pair<std::size_t, Eigen::Index>> entries;  // (matrix, entry) of each flat index
  for (std::size_t m = 0; m < x.size(); ++m)
    for (Eigen::Index e = 0; e < x[m].size(); ++e) entries.emplace_back(m, e);
  ASSERT_EQ(static_cast<std::size_t>(n), entries.size());
  for (Eigen::Index j = 0; j < n; ++j) {
    const std::size_t m = entries[static_cast<std::size_t>(j)].first;
    const Eigen::Index e = entries[static_cast<std::size_t>(j)].second;
    const double step = 1e-3 * std::max(1.0, std::abs(x[m](e)));
    auto at = [&](double k) {
      std::vector<MatrixXd> p = x;
      p[m](e) += k * step;
      return tape_gradient(f, p);
    };
    const auto p1 = at(1), m1 = at(-1), p2 = at(2), m2 = at(-2);
    for (Eigen::Index i = 0; i < n; ++i) {
      const auto k = static_cast<std::size_t>(i);
      const double fd = (8 * (p1[k] - m1[k]) - (p2[k] - m2[k])) / (12 * step);
      EXPECT_NEAR(h(i, j), fd, 1e-6 * std::max(1.0, std::abs(fd))) << what << ": H(" << i << ", " << j << ")";
    }
  }
  EXPECT_EQ(h, h.transpose()) << what;
}

TEST(TensorHessian, OfLogisticRegressionIsTheClosedForm) {
  // mean bce_with_logits(Xw, y): ∇ = Xᵀ(p − y)/n, H = Xᵀ diag(p(1 − p)) X / n, p = σ(Xw).
  const MatrixXd features = random_matrix(20, 3, 1);
  MatrixXd labels(20, 1);
  for (int i = 0; i < 20; ++i) labels(i) = features(i, 0) + 0.5 * features(i, 1) > 0 ? 1 : 0;
  const MatrixXd w = random_matrix(3, 1, 2);
  auto loss = [&](auto params) {
    using T = typename std::remove_cvref_t<decltype(params[0])>::value_type;
    return tg::bce_with_logits(tg::matmul(data<T>(features), params[0]), data<T>(labels));
  };
  const MatrixXd h = tg::tensor_hessian(loss, {w});
  const Eigen::ArrayXd p = 1 / (1 + (-(features * w).array()).exp());
  const MatrixXd expected = features.transpose() * (p * (1 - p)).matrix().asDiagonal() * features / 20;
  EXPECT_LE((h - expected).cwiseAbs().maxCoeff(), 1e-14);
  // H·v from one product agrees with the dense Hessian.
  const MatrixXd v = random_matrix(3, 1, 3);
  const std::vector<MatrixXd> hv = tg::tensor_hvp(loss, {w}, {v});
  EXPECT_LE((hv[0] - expected * v).cwiseAbs().maxCoeff(), 1e-14);
}

TEST(TensorHessian, OfASmallNetworkMatchesDifferencesOfTheGradient) {
  // 5 samples, 3 features, 4 tanh units, 2 classes, softmax cross-entropy: 26 weights.
  const MatrixXd features = random_matrix(5, 3, 4);
  const std::vector<int> classes{0, 1, 1, 0, 1};
  auto loss = [&](auto p) {
    using T = typename std::remove_cvref_t<decltype(p[0])>::value_type;
    const auto hidden = tg::tanh(tg::matmul(data<T>(features), p[0]) + p[1]);
    return tg::softmax_cross_entropy(tg::matmul(hidden, p[2]) + p[3], std::span<const int>(classes));
  };
  expect_hessian_matches_gradient_differences(
      "tanh network", loss,
      {random_matrix(3, 4, 5), random_matrix(1, 4, 6), random_matrix(4, 2, 7), random_matrix(1, 2, 8)});
}

TEST(TensorHessian, EveryLossAndTheMatrixProductInEachForm) {
  const MatrixXd a = random_matrix(3, 2, 9), target = random_matrix(3, 2, 10, 0.4).array() + 0.5;
  const std::vector<MatrixXd> x{random_matrix(3, 2, 11), random_matrix(2, 2, 12)};
  expect_hessian_matches_gradient_differences(
      "mse of matmul",
      [&](auto p) {
        using T = typename std::remove_cvref_t<decltype(p[0])>::value_type;
        return tg::mse(tg::matmul(p[0], p[1]), data<T>(target));
      },
      x);
  expect_hessian_matches_gradient_differences(
      "A Bᵀ, Aᵀ B, Aᵀ Bᵀ",
      [&](auto p) {
        using T = typename std::remove_cvref_t<decltype(p[0])>::value_type;
        const auto ab = tg::matmul(p[0], tg::transposed(p[1]));         // 3×2
        const auto atb = tg::matmul(tg::transposed(p[0]), data<T>(a));  // 2×2
        const auto atbt = tg::matmul(tg::transposed(p[1]), tg::transposed(p[1]));
        return tg::sum(tg::square(ab)) + tg::sum(atb * tg::matmul(atbt, p[1]));
      },
      x);
  expect_hessian_matches_gradient_differences(
      "binary_cross_entropy of sigmoid",
      [&](auto p) {
        using T = typename std::remove_cvref_t<decltype(p[0])>::value_type;
        return tg::binary_cross_entropy(tg::sigmoid(tg::matmul(p[0], p[1])), data<T>(target));
      },
      x);
  expect_hessian_matches_gradient_differences(
      "log_softmax, exp, log, sqrt, relu",
      [&](auto p) {
        using T = typename std::remove_cvref_t<decltype(p[0])>::value_type;
        const auto z = tg::matmul(p[0], p[1]);
        return tg::sum(tg::log_softmax(z) * data<T>(a)) + tg::mean(tg::sqrt(tg::exp(z) + 1.0)) +
               tg::sum(tg::log(tg::square(z) + 1.0)) + tg::sum(tg::relu(z) * z);
      },
      x);
}

}  // namespace
