// SparseCholesky and SparseLu on both libraries (SuiteSparse when this build has it, and
// Eigen's): solutions of Laplacian and diagonally dominant systems checked by their
// residual, the positive-definiteness test and its shift, singular matrices refused, the
// symbolic analysis reused while the pattern stays and redone when it changes, and misuse.
#include <gtest/gtest.h>

#include <Eigen/SparseCore>
#include <cmath>
#include <random>
#include <string>
#include <tapegrad/optim/linear/sparse_cholesky.hpp>
#include <tapegrad/optim/linear/sparse_lu.hpp>
#include <tapegrad/tapegrad.hpp>
#include <tuple>
#include <vector>

namespace opt = tapegrad::optim;

namespace {

using SparseMatrix = Eigen::SparseMatrix<double>;

// The libraries this build can factor with: Eigen's always, SuiteSparse's when found.
std::vector<opt::SparseSolverLibrary> linear_test_libraries() {
  std::vector<opt::SparseSolverLibrary> libraries{opt::SparseSolverLibrary::Eigen};
  if (opt::suitesparse_available()) libraries.push_back(opt::SparseSolverLibrary::SuiteSparse);
  return libraries;
}

// The 5-point Laplacian on an m×m grid (Dirichlet boundary): symmetric positive definite,
// its eigenvalues 4 − 2cos(iπ/(m+1)) − 2cos(jπ/(m+1)), all in (0, 8).
SparseMatrix five_point_laplacian(int m) {
  std::vector<Eigen::Triplet<double>> entries;
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < m; ++j) {
      const int k = i * m + j;
      entries.emplace_back(k, k, 4.0);
      if (i > 0) entries.emplace_back(k, k - m, -1.0);
      if (i + 1 < m) entries.emplace_back(k, k + m, -1.0);
      if (j > 0) entries.emplace_back(k, k - 1, -1.0);
      if (j + 1 < m) entries.emplace_back(k, k + 1, -1.0);
    }
  SparseMatrix a(m * m, m * m);
  a.setFromTriplets(entries.begin(), entries.end());
  return a;
}

// An unsymmetric sparse matrix with about `per_row` random off-diagonal entries in [-1, 1]
// per row and a diagonal larger than each row's sum of magnitudes: regular.
SparseMatrix random_diagonally_dominant(int n, int per_row, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> column(0, n - 1);
  std::uniform_real_distribution<double> value(-1, 1);
  std::vector<Eigen::Triplet<double>> entries;
  for (int i = 0; i < n; ++i) {
    double sum = 0;
    for (int k = 0; k < per_row; ++k) {
      const int j = column(rng);
      if (j == i) continue;
      const double v = value(rng);
      entries.emplace_back(i, j, v);
      sum += std::abs(v);
    }
    entries.emplace_back(i, i, sum + 1);
  }
  SparseMatrix a(n, n);
  a.setFromTriplets(entries.begin(), entries.end());  // repeated (i, j) are summed, still dominated
  return a;
}

Eigen::VectorXd linear_right_hand_side(Eigen::Index n) {
  Eigen::VectorXd b(n);
  for (Eigen::Index i = 0; i < n; ++i) b(i) = std::sin(0.1 * static_cast<double>(i)) + 0.5;
  return b;
}

double linear_relative_residual(const SparseMatrix& a, const Eigen::VectorXd& x, const Eigen::VectorXd& b) {
  return (a * x - b).norm() / b.norm();
}

SparseMatrix sparse_identity(Eigen::Index n) {
  SparseMatrix i(n, n);
  i.setIdentity();
  return i;
}

const char* linear_library_name(opt::SparseSolverLibrary library) {
  return library == opt::SparseSolverLibrary::Eigen ? "Eigen" : "SuiteSparse";
}

TEST(SparseCholesky, NamesTheLibraryItFactorsWith) {
  EXPECT_STREQ(opt::SparseCholesky(opt::SparseSolverLibrary::Eigen).library(), "Eigen SimplicialLLT");
  EXPECT_STREQ(opt::SparseLu(opt::SparseSolverLibrary::Eigen).library(), "Eigen SparseLU");
  if (opt::suitesparse_available()) {
    EXPECT_STREQ(opt::SparseCholesky().library(), "CHOLMOD");
    EXPECT_STREQ(opt::SparseLu().library(), "UMFPACK");
    EXPECT_STREQ(opt::SparseCholesky(opt::SparseSolverLibrary::SuiteSparse).library(), "CHOLMOD");
  } else {
    EXPECT_STREQ(opt::SparseCholesky().library(), "Eigen SimplicialLLT");
    EXPECT_THROW(opt::SparseCholesky{opt::SparseSolverLibrary::SuiteSparse}, tapegrad::Error);
    EXPECT_THROW(opt::SparseLu{opt::SparseSolverLibrary::SuiteSparse}, tapegrad::Error);
  }
}

TEST(SparseCholesky, SolvesALaplacianFromEitherTriangleOrBoth) {
  const SparseMatrix a = five_point_laplacian(20);
  const SparseMatrix lower = a.triangularView<Eigen::Lower>();
  const Eigen::VectorXd b = linear_right_hand_side(a.rows());
  for (const auto library : linear_test_libraries()) {
    SCOPED_TRACE(linear_library_name(library));
    opt::SparseCholesky both(library), lower_only(library);
    ASSERT_TRUE(both.factor(a));
    ASSERT_TRUE(lower_only.factor(lower));
    const Eigen::VectorXd x = both.solve(b);
    // The condition number is below 8 / (8 sin²(π/42)) ≈ 180: a backward-stable solve
    // leaves a residual near 1e-16 · 180.
    EXPECT_LT(linear_relative_residual(a, x, b), 1e-13);
    EXPECT_LT((lower_only.solve(b) - x).norm(), 1e-12 * x.norm());
  }
}

TEST(SparseCholesky, RefusesAnIndefiniteMatrixAndFactorsItShifted) {
  // The Laplacian's eigenvalues lie in (0, 8): minus 5I some are negative; minus 5I plus
  // a shift of 6, all lie in (1, 9).
  const SparseMatrix a = five_point_laplacian(10);
  const SparseMatrix indefinite = a - 5 * sparse_identity(a.rows());
  const Eigen::VectorXd b = linear_right_hand_side(a.rows());
  for (const auto library : linear_test_libraries()) {
    SCOPED_TRACE(linear_library_name(library));
    opt::SparseCholesky cholesky(library);
    EXPECT_FALSE(cholesky.factor(indefinite));
    EXPECT_THROW(cholesky.solve(b), tapegrad::Error);
    ASSERT_TRUE(cholesky.factor(indefinite, 6.0));
    const SparseMatrix shifted = indefinite + 6 * sparse_identity(a.rows());
    EXPECT_LT(linear_relative_residual(shifted, cholesky.solve(b), b), 1e-13);
    // A matrix with a NaN, and one whose every eigenvalue is negative, are refused.
    SparseMatrix with_nan = a;
    with_nan.coeffRef(3, 3) = std::nan("");
    EXPECT_FALSE(cholesky.factor(with_nan));
    EXPECT_FALSE(cholesky.factor(a, -8.0));  // every eigenvalue of A − 8I is negative
  }
}

TEST(SparseCholesky, ShiftsADiagonalThePatternDoesNotHold) {
  // [[0, 1], [1, 0]] stores no diagonal entry and is indefinite; shifted by 2 it is
  // [[2, 1], [1, 2]], whose inverse (1/3)[[2, −1], [−1, 2]] takes (1, 2) to (0, 1).
  SparseMatrix a(2, 2);
  a.insert(0, 1) = 1;
  a.insert(1, 0) = 1;
  a.makeCompressed();
  for (const auto library : linear_test_libraries()) {
    SCOPED_TRACE(linear_library_name(library));
    opt::SparseCholesky cholesky(library);
    EXPECT_FALSE(cholesky.factor(a));
    ASSERT_TRUE(cholesky.factor(a, 2.0));
    const Eigen::VectorXd x = cholesky.solve(Eigen::Vector2d{1, 2});
    EXPECT_NEAR(x(0), 0.0, 1e-15);
    EXPECT_NEAR(x(1), 1.0, 1e-15);
  }
}

TEST(SparseCholesky, AnalyzesAPatternOnceAndAgainWhenItChanges) {
  const SparseMatrix a = five_point_laplacian(8);
  const Eigen::VectorXd b = linear_right_hand_side(a.rows());
  for (const auto library : linear_test_libraries()) {
    SCOPED_TRACE(linear_library_name(library));
    opt::SparseCholesky cholesky(library);
    EXPECT_EQ(cholesky.analyses(), 0u);
    ASSERT_TRUE(cholesky.factor(a));
    ASSERT_TRUE(cholesky.factor(2 * a, 0.5));  // same pattern, other values
    EXPECT_EQ(cholesky.analyses(), 1u);
    const SparseMatrix scaled = 2 * a + 0.5 * sparse_identity(a.rows());
    EXPECT_LT(linear_relative_residual(scaled, cholesky.solve(b), b), 1e-13);
    // A new entry pair (0, 5) and (5, 0): a new pattern, analyzed again, solved right.
    SparseMatrix other = a;
    other.coeffRef(5, 0) = -0.5;
    other.coeffRef(0, 5) = -0.5;
    other.makeCompressed();
    ASSERT_TRUE(cholesky.factor(other));
    EXPECT_EQ(cholesky.analyses(), 2u);
    EXPECT_LT(linear_relative_residual(other, cholesky.solve(b), b), 1e-13);
    ASSERT_TRUE(cholesky.factor(other));
    EXPECT_EQ(cholesky.analyses(), 2u);
  }
}

TEST(SparseCholesky, RefusesMisuse) {
  for (const auto library : linear_test_libraries()) {
    SCOPED_TRACE(linear_library_name(library));
    opt::SparseCholesky cholesky(library);
    EXPECT_THROW(cholesky.solve(Eigen::VectorXd::Ones(3)), tapegrad::Error);  // nothing factored
    EXPECT_THROW(cholesky.factor(SparseMatrix(3, 4)), tapegrad::Error);
    ASSERT_TRUE(cholesky.factor(five_point_laplacian(3)));
    EXPECT_THROW(cholesky.solve(Eigen::VectorXd::Ones(4)), tapegrad::Error);
    opt::SparseCholesky moved = std::move(cholesky);
    EXPECT_EQ(moved.solve(Eigen::VectorXd::Ones(9)).size(), 9);
  }
}

TEST(SparseLu, SolvesAnUnsymmetricDiagonallyDominantSystem) {
  const SparseMatrix a = random_diagonally_dominant(400, 5, 7);
  const Eigen::VectorXd b = linear_right_hand_side(a.rows());
  ASSERT_FALSE(a.isApprox(SparseMatrix(a.transpose())));
  for (const auto library : linear_test_libraries()) {
    SCOPED_TRACE(linear_library_name(library));
    opt::SparseLu lu(library);
    ASSERT_TRUE(lu.factor(a));
    // Diagonal dominance bounds ‖A⁻¹‖∞ by 1 (the margin): the residual is rounding.
    EXPECT_LT(linear_relative_residual(a, lu.solve(b), b), 1e-14);
  }
}

TEST(SparseLu, RefusesSingularMatrices) {
  // Rows 1 and 2 equal: elimination leaves an exact zero. Column 2 empty: structurally singular.
  SparseMatrix equal_rows(3, 3), empty_column(3, 3);
  for (const auto& [i, j, v] : std::vector<std::tuple<int, int, double>>{
           {0, 0, 2}, {0, 1, 1}, {1, 0, 1}, {1, 1, 3}, {1, 2, 1}, {2, 0, 1}, {2, 1, 3}, {2, 2, 1}})
    equal_rows.insert(i, j) = v;
  for (const auto& [i, j, v] :
       std::vector<std::tuple<int, int, double>>{{0, 0, 2}, {0, 1, 1}, {1, 0, 1}, {1, 1, 3}, {2, 1, 1}})
    empty_column.insert(i, j) = v;
  equal_rows.makeCompressed();
  empty_column.makeCompressed();
  for (const auto library : linear_test_libraries()) {
    SCOPED_TRACE(linear_library_name(library));
    opt::SparseLu lu(library);
    EXPECT_FALSE(lu.factor(equal_rows));
    EXPECT_THROW(lu.solve(Eigen::VectorXd::Ones(3)), tapegrad::Error);
    EXPECT_FALSE(lu.factor(empty_column));
    // Row 2 changed to (1, 3, 2): regular again (determinant 2·(6 − 3) − 1·(2 − 1) + 0 = 5).
    equal_rows.coeffRef(2, 2) = 2;
    ASSERT_TRUE(lu.factor(equal_rows));
    const Eigen::Vector3d b{1, 2, 3};
    EXPECT_LT(linear_relative_residual(equal_rows, lu.solve(b), b), 1e-15);
    equal_rows.coeffRef(2, 2) = 1;
  }
}

TEST(SparseLu, AnalyzesAPatternOnceAndAgainWhenItChanges) {
  const SparseMatrix a = random_diagonally_dominant(200, 4, 11);
  const Eigen::VectorXd b = linear_right_hand_side(a.rows());
  for (const auto library : linear_test_libraries()) {
    SCOPED_TRACE(linear_library_name(library));
    opt::SparseLu lu(library);
    ASSERT_TRUE(lu.factor(a));
    const SparseMatrix scaled = 3 * a;
    ASSERT_TRUE(lu.factor(scaled));
    EXPECT_EQ(lu.analyses(), 1u);
    EXPECT_LT(linear_relative_residual(scaled, lu.solve(b), b), 1e-14);
    const SparseMatrix other = random_diagonally_dominant(200, 4, 12);
    ASSERT_TRUE(lu.factor(other));
    EXPECT_EQ(lu.analyses(), 2u);
    EXPECT_LT(linear_relative_residual(other, lu.solve(b), b), 1e-14);
  }
}

TEST(SparseLu, RefusesMisuse) {
  for (const auto library : linear_test_libraries()) {
    SCOPED_TRACE(linear_library_name(library));
    opt::SparseLu lu(library);
    EXPECT_THROW(lu.solve(Eigen::VectorXd::Ones(3)), tapegrad::Error);
    EXPECT_THROW(lu.factor(SparseMatrix(2, 3)), tapegrad::Error);
    ASSERT_TRUE(lu.factor(random_diagonally_dominant(5, 2, 1)));
    EXPECT_THROW(lu.solve(Eigen::VectorXd::Ones(6)), tapegrad::Error);
  }
}

}  // namespace
