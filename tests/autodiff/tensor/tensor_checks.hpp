// Helpers of the tensor operation tests: random matrices, a weighted reduction to a Var
// (so every entry of an output's adjoint differs), and the gradient check every test
// uses — five-point finite differences in double, relative error at most 1e-7, at
// random shapes including 1×1, 1×n and n×1.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <tapegrad/autodiff/check/tensor_gradient.hpp>
#include <tapegrad/tapegrad.hpp>
#include <vector>

namespace tensor_test {

namespace tg = tapegrad;
using Eigen::MatrixXd;
using tg::Tensor;
using tg::Var;

inline constexpr double max_relative_error = 1e-7;

inline MatrixXd random_matrix(Eigen::Index rows, Eigen::Index cols, double lo, double hi, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  MatrixXd m(rows, cols);
  for (Eigen::Index k = 0; k < m.size(); ++k) m(k) = dist(rng);
  return m;
}

// Random entries with |x| ≥ gap, for functions with a kink at 0.
inline MatrixXd away_from_zero(Eigen::Index rows, Eigen::Index cols, double gap, unsigned seed) {
  MatrixXd m = random_matrix(rows, cols, gap, 2.0, seed);
  for (Eigen::Index k = 0; k < m.size(); k += 2) m(k) = -m(k);
  return m;
}

// Σ w∘t with weights fixed by t's shape.
inline Var weighted(const Tensor& t) {
  return tg::dot(t,
                 tg::constant(random_matrix(t.rows(), t.cols(), 0.5, 1.5, 1000 + 37 * t.rows() + t.cols())));
}

using TensorFn = std::function<Var(const std::vector<Tensor>&)>;

inline void expect_gradient(const std::string& what, const TensorFn& f, const std::vector<MatrixXd>& inputs) {
  const tg::TensorGradientCheck check = tg::check_tensor_gradient(f, inputs);
  EXPECT_LE(check.max_rel_error, max_relative_error) << what;
  EXPECT_TRUE(std::isfinite(check.value)) << what;
}

struct Shape {
  Eigen::Index rows, cols;
};
inline const std::vector<Shape> shapes = {{1, 1}, {1, 5}, {4, 1}, {3, 4}, {6, 2}};

inline std::string name(const char* op, const Shape& s) {
  return std::string(op) + " at " + std::to_string(s.rows) + "×" + std::to_string(s.cols);
}

}  // namespace tensor_test
