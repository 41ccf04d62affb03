// Matrix products in every transposed form, gradient-checked and against Eigen.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tensor_checks.hpp"

using namespace tensor_test;

namespace {

// ------------------------------------------------------------------- products

TEST(TensorOps, MatmulInEveryTransposedForm) {
  const std::vector<std::tuple<Eigen::Index, Eigen::Index, Eigen::Index>> mkn = {
      {1, 1, 1}, {1, 4, 1}, {4, 1, 3}, {3, 4, 2}, {5, 3, 1}, {1, 3, 4}};
  unsigned seed = 200;
  for (const auto& [m, k, n] : mkn) {
    const std::string dims =
        std::to_string(m) + "×" + std::to_string(k) + "·" + std::to_string(k) + "×" + std::to_string(n);
    const MatrixXd a = random_matrix(m, k, -1, 1, ++seed), b = random_matrix(k, n, -1, 1, ++seed);
    const MatrixXd at = a.transpose(), bt = b.transpose();
    expect_gradient("A B " + dims,
                    [](const std::vector<Tensor>& in) { return weighted(tg::matmul(in[0], in[1])); }, {a, b});
    expect_gradient(
        "Aᵀ B " + dims,
        [](const std::vector<Tensor>& in) { return weighted(tg::matmul(tg::transposed(in[0]), in[1])); },
        {at, b});
    expect_gradient(
        "A Bᵀ " + dims,
        [](const std::vector<Tensor>& in) { return weighted(tg::matmul(in[0], tg::transposed(in[1]))); },
        {a, bt});
    expect_gradient("Aᵀ Bᵀ " + dims,
                    [](const std::vector<Tensor>& in) {
                      return weighted(tg::matmul(tg::transposed(in[0]), tg::transposed(in[1])));
                    },
                    {at, bt});
  }
}

TEST(TensorOps, MatmulValueIsTheProduct) {
  tg::Tape tape;
  const MatrixXd a = random_matrix(3, 4, -1, 1, 1), b = random_matrix(2, 4, -1, 1, 2);
  const Tensor c = tg::matmul(tg::constant(a), tg::transposed(tg::constant(b)));
  EXPECT_TRUE(c.value().isApprox(a * b.transpose(), 1e-15));
}

}  // namespace
