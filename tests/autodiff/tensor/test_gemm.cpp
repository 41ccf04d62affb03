// The matrix products behind matmul (gemm.hpp): every transposition, assigned and
// accumulated, at sizes on both sides of the point where a product moves from Eigen's
// kernels to OpenBLAS, against a plain triple loop in double precision; and the thread
// switch.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <Eigen/Core>
#include <array>
#include <cstring>
#include <random>
#include <tapegrad/autodiff/support/error.hpp>
#include <tapegrad/autodiff/tensor/gemm.hpp>

namespace tg = tapegrad;

namespace {

template <class T>
using MatrixOf = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;

template <class T>
MatrixOf<T> random_of(Eigen::Index rows, Eigen::Index cols, unsigned seed) {
  std::mt19937 generator(seed);
  std::uniform_real_distribution<double> uniform(-1, 1);
  MatrixOf<T> m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = static_cast<T>(uniform(generator));
  return m;
}

// C(i, j) = Σ_k op(A)(i, k)·op(B)(k, j), summed in double.
template <class T>
Eigen::MatrixXd triple_loop(const MatrixOf<T>& a, bool transpose_a, const MatrixOf<T>& b, bool transpose_b) {
  const Eigen::MatrixXd A = a.template cast<double>(), B = b.template cast<double>();
  const Eigen::MatrixXd opA = transpose_a ? Eigen::MatrixXd(A.transpose()) : A;
  const Eigen::MatrixXd opB = transpose_b ? Eigen::MatrixXd(B.transpose()) : B;
  Eigen::MatrixXd c = Eigen::MatrixXd::Zero(opA.rows(), opB.cols());
  for (Eigen::Index i = 0; i < c.rows(); ++i)
    for (Eigen::Index j = 0; j < c.cols(); ++j)
      for (Eigen::Index k = 0; k < opA.cols(); ++k) c(i, j) += opA(i, k) * opB(k, j);
  return c;
}

// The largest absolute entry (0 for an empty matrix, where Eigen's maxCoeff is undefined).
double largest_magnitude(const Eigen::MatrixXd& m) { return m.size() == 0 ? 0.0 : m.cwiseAbs().maxCoeff(); }

template <class T>
void check_every_transposition(Eigen::Index m, Eigen::Index n, Eigen::Index k, double tolerance) {
  for (const bool transpose_a : {false, true})
    for (const bool transpose_b : {false, true}) {
      SCOPED_TRACE(::testing::Message()
                   << m << "×" << k << "·" << k << "×" << n << " transposed " << transpose_a << transpose_b);
      const MatrixOf<T> a = transpose_a ? random_of<T>(k, m, 1) : random_of<T>(m, k, 1);
      const MatrixOf<T> b = transpose_b ? random_of<T>(n, k, 2) : random_of<T>(k, n, 2);
      const Eigen::MatrixXd expected = triple_loop(a, transpose_a, b, transpose_b);
      const tg::detail::GemmOperand<T> left{a.data(), a.rows(), a.cols(), transpose_a};
      const tg::detail::GemmOperand<T> right{b.data(), b.rows(), b.cols(), transpose_b};

      MatrixOf<T> c = MatrixOf<T>::Constant(m, n, T(7));  // overwritten
      tg::detail::gemm(left, right, c.data(), false);
      EXPECT_LE(largest_magnitude(c.template cast<double>() - expected), tolerance * static_cast<double>(k));

      const MatrixOf<T> start = random_of<T>(m, n, 3);
      c = start;  // added to
      tg::detail::gemm(left, right, c.data(), true);
      EXPECT_LE(largest_magnitude(c.template cast<double>() - start.template cast<double>() - expected),
                tolerance * static_cast<double>(k));
    }
}

// 3×5×4 stays on Eigen everywhere; 40×30×50 goes to OpenBLAS in the portable build; 100³
// goes to it in every build when two threads are allowed.
TEST(Gemm, EveryTranspositionMatchesATripleLoopInFloatAndDouble) {
  for (const auto& [m, n, k] : {std::array<Eigen::Index, 3>{3, 4, 5}, {40, 30, 50}, {100, 100, 100}}) {
    check_every_transposition<double>(m, n, k, 1e-14);
    check_every_transposition<float>(m, n, k, 1e-6);
  }
}

TEST(Gemm, EmptyProductsAreHandled) {
  check_every_transposition<double>(0, 3, 4, 0);
  check_every_transposition<double>(3, 0, 4, 0);
  // k = 0: the product is zero, so C is zeroed or left as it was.
  check_every_transposition<float>(3, 4, 0, 0);
}

// With a fixed thread count, the same product gives the same bits every time.
TEST(Gemm, AFixedThreadCountGivesTheSameBitsEveryRun) {
  const int threads_before = tg::matmul_threads();
  tg::set_matmul_threads(2);
  const MatrixOf<float> a = random_of<float>(128, 300, 4), b = random_of<float>(300, 200, 5);
  const tg::detail::GemmOperand<float> left{a.data(), a.rows(), a.cols(), false};
  const tg::detail::GemmOperand<float> right{b.data(), b.rows(), b.cols(), false};
  MatrixOf<float> first(128, 200), again(128, 200);
  tg::detail::gemm(left, right, first.data(), false);
  for (int run = 0; run < 5; ++run) {
    tg::detail::gemm(left, right, again.data(), false);
    ASSERT_EQ(std::memcmp(first.data(), again.data(), sizeof(float) * static_cast<std::size_t>(first.size())),
              0);
  }
  tg::set_matmul_threads(threads_before);
}

TEST(Gemm, ThreadCountIsSetAndChecked) {
  const int threads_before = tg::matmul_threads();
  EXPECT_GE(threads_before, 1);
  tg::set_matmul_threads(1);
  EXPECT_EQ(tg::matmul_threads(), 1);
  EXPECT_THAT([] { tg::set_matmul_threads(0); },
              ::testing::ThrowsMessage<tg::Error>(::testing::HasSubstr("set_matmul_threads: 0 threads")));
  tg::set_matmul_threads(threads_before);
  EXPECT_EQ(tg::matmul_threads(), tg::matmul_uses_openblas() ? threads_before : 1);
}

}  // namespace
