// Transpose, rows, concat and reshape: gradients, and where each entry goes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tensor_checks.hpp"

using namespace tensor_test;

namespace {

// --------------------------------------------------------------- shape moves

TEST(TensorOps, TransposeRowsConcatReshape) {
  const MatrixXd x = random_matrix(4, 3, -1, 1, 400), y = random_matrix(2, 3, -1, 1, 401),
                 z = random_matrix(4, 2, -1, 1, 402);
  expect_gradient("transpose", [](const std::vector<Tensor>& in) { return weighted(tg::transpose(in[0])); },
                  {x});
  expect_gradient("rows with repeats",
                  [](const std::vector<Tensor>& in) {
                    return weighted(tg::rows(in[0], std::vector<int>{3, 0, 3, 1, 3}));
                  },
                  {x});
  expect_gradient("concat rows",
                  [](const std::vector<Tensor>& in) {
                    return weighted(tg::square(tg::concat({in[0], in[1]}, tg::Axis::Rows)));
                  },
                  {x, y});
  expect_gradient("concat columns",
                  [](const std::vector<Tensor>& in) {
                    return weighted(tg::square(tg::concat({in[0], in[1], in[0]}, tg::Axis::Cols)));
                  },
                  {x, z});
  expect_gradient("reshape",
                  [](const std::vector<Tensor>& in) { return weighted(tg::exp(tg::reshape(in[0], 2, 6))); },
                  {x});
}

TEST(TensorOps, ShapeMovesPlaceEntriesAsDocumented) {
  tg::Tape tape;
  MatrixXd x(3, 2);
  x << 1, 2, 3, 4, 5, 6;
  const Tensor t = tg::constant(x);
  const Tensor picked = tg::rows(t, std::vector<int>{2, 0});
  EXPECT_EQ(picked.value()(0, 1), 6.0);
  EXPECT_EQ(picked.value()(1, 0), 1.0);
  const Tensor stacked = tg::concat({t, t}, tg::Axis::Rows);
  EXPECT_EQ(stacked.rows(), 6);
  EXPECT_EQ(stacked.value()(4, 1), 4.0);
  const Tensor side = tg::concat({t, t}, tg::Axis::Cols);
  EXPECT_EQ(side.cols(), 4);
  EXPECT_EQ(side.value()(2, 3), 6.0);
  const Tensor flat = tg::reshape(t, 1, 6);  // column-major: 1 3 5 2 4 6
  EXPECT_EQ(flat.value()(0, 1), 3.0);
  EXPECT_EQ(tg::transpose(t).value()(1, 2), 6.0);
}

}  // namespace
