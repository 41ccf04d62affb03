// Sums, means and dot products: gradients, values and shapes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tensor_checks.hpp"

using namespace tensor_test;

namespace {

// ----------------------------------------------------------------- reductions

TEST(TensorOps, SumMeanAndDot) {
  unsigned seed = 300;
  for (const Shape& s : shapes) {
    const MatrixXd x = random_matrix(s.rows, s.cols, -1, 1, ++seed);
    const MatrixXd y = random_matrix(s.rows, s.cols, -1, 1, ++seed);
    expect_gradient(name("sum", s), [](const std::vector<Tensor>& in) { return tg::sum(tg::square(in[0])); },
                    {x});
    expect_gradient(name("mean", s), [](const std::vector<Tensor>& in) { return tg::mean(tg::exp(in[0])); },
                    {x});
    expect_gradient(name("sum over rows", s),
                    [](const std::vector<Tensor>& in) { return weighted(tg::sum(in[0], tg::Axis::Rows)); },
                    {x});
    expect_gradient(name("sum over columns", s),
                    [](const std::vector<Tensor>& in) { return weighted(tg::sum(in[0], tg::Axis::Cols)); },
                    {x});
    expect_gradient(name("mean over rows", s),
                    [](const std::vector<Tensor>& in) { return weighted(tg::mean(in[0], tg::Axis::Rows)); },
                    {x});
    expect_gradient(name("mean over columns", s),
                    [](const std::vector<Tensor>& in) { return weighted(tg::mean(in[0], tg::Axis::Cols)); },
                    {x});
    expect_gradient(name("dot", s), [](const std::vector<Tensor>& in) { return tg::dot(in[0], in[1]); },
                    {x, y});
  }
}

TEST(TensorOps, ReductionValuesAndShapes) {
  tg::Tape tape;
  MatrixXd x(2, 3);
  x << 1, 2, 3, 4, 5, 6;
  const Tensor t = tg::constant(x);
  EXPECT_EQ(tg::sum(t).value(), 21.0);
  EXPECT_EQ(tg::mean(t).value(), 3.5);
  const Tensor rows = tg::sum(t, tg::Axis::Rows);
  ASSERT_EQ(rows.rows(), 1);
  ASSERT_EQ(rows.cols(), 3);
  EXPECT_EQ(rows.value()(0, 2), 9.0);
  const Tensor cols = tg::mean(t, tg::Axis::Cols);
  ASSERT_EQ(cols.rows(), 2);
  ASSERT_EQ(cols.cols(), 1);
  EXPECT_EQ(cols.value()(1, 0), 5.0);
  EXPECT_EQ(tg::dot(t, t).value(), 91.0);
}

}  // namespace
