// Standardization, stratified splits, generated data sets and the seeded random
// numbers under them.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <tapegrad/autodiff/support/error.hpp>
#include <tapegrad/models/data/generate.hpp>
#include <tapegrad/models/data/split.hpp>
#include <tapegrad/models/data/standardize.hpp>
#include <tapegrad/models/random.hpp>

namespace models = tapegrad::models;

TEST(Random, IsTheStandardEngineAndTheDocumentedTransforms) {
  // The C++ standard fixes the 10000th output of a default-seeded mt19937_64.
  std::mt19937_64 reference;
  reference.discard(9999);
  EXPECT_EQ(reference(), 9981545732273789042ull);
  models::Random r(5489);  // mt19937_64's default seed
  std::mt19937_64 same(5489);
  EXPECT_EQ(r.uniform(), static_cast<double>(same() >> 11) * 0x1.0p-53);
  models::Random a(7), b(7);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a.below(10), b.below(10));
  // below(n) covers 0 … n − 1 and nothing else.
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(a.below(7));
  EXPECT_EQ(seen, (std::set<std::uint64_t>{0, 1, 2, 3, 4, 5, 6}));
}

TEST(Standardizer, HandComputedMeanAndPopulationDeviation) {
  Eigen::MatrixXd x(4, 2);
  x << 1, 5, 2, 5, 3, 5, 6, 5;  // column 0: mean 3, variance (4 + 1 + 0 + 9) / 4 = 3.5
  const models::Standardizer s = models::Standardizer::fit(x);
  EXPECT_DOUBLE_EQ(s.mean(0), 3);
  EXPECT_DOUBLE_EQ(s.scale(0), std::sqrt(3.5));
  EXPECT_EQ(s.scale(1), 1);  // a constant column is not divided by zero
  const Eigen::MatrixXd z = s.apply(x);
  EXPECT_DOUBLE_EQ(z(3, 0), 3 / std::sqrt(3.5));
  EXPECT_EQ(z(0, 1), 0);
  EXPECT_THROW(s.apply(Eigen::MatrixXd::Zero(2, 3)), tapegrad::Error);
}

TEST(Split, StratifiedDisjointCompleteAndSeeded) {
  // 100 rows of class 0 and 20 of class 1, each row's feature its own index.
  models::Dataset d;
  d.features.resize(120, 1);
  for (int i = 0; i < 120; ++i) {
    d.features(i, 0) = i;
    d.labels.push_back(i < 100 ? 0 : 1);
  }
  d.class_names = {"a", "b"};
  const models::Split s = models::train_test_split(d, 0.2, 3);
  EXPECT_EQ(s.test.rows(), 24);
  EXPECT_EQ(std::count(s.test.labels.begin(), s.test.labels.end(), 1), 4);  // 20 % of 20
  EXPECT_EQ(std::count(s.train.labels.begin(), s.train.labels.end(), 1), 16);
  std::set<double> all;
  for (const models::Dataset* part : {&s.train, &s.test})
    for (Eigen::Index i = 0; i < part->rows(); ++i) {
      const double row = part->features(i, 0);
      EXPECT_TRUE(all.insert(row).second) << "row " << row << " in both parts";
      EXPECT_EQ(part->labels[static_cast<std::size_t>(i)], row < 100 ? 0 : 1);  // labels travel with rows
    }
  EXPECT_EQ(all.size(), 120u);
  const models::Split again = models::train_test_split(d, 0.2, 3);
  EXPECT_EQ(again.test.features, s.test.features);
  const models::Split other = models::train_test_split(d, 0.2, 4);
  EXPECT_NE(other.test.features, s.test.features);
  EXPECT_THROW(models::train_test_split(d, 1.0, 3), tapegrad::Error);
  EXPECT_THROW(models::train_test_split(d, 0.0, 3), tapegrad::Error);
}

TEST(Generate, XorMoonsAndSpiralsFollowTheirDefinitions) {
  const models::Dataset truth = models::xor_truth_table();
  for (Eigen::Index i = 0; i < 4; ++i)
    EXPECT_EQ(truth.labels[static_cast<std::size_t>(i)],
              (truth.features(i, 0) != truth.features(i, 1)) ? 1 : 0);
  const models::Dataset x = models::make_xor(200, 0.0, 1);
  for (Eigen::Index i = 0; i < x.rows(); ++i)
    EXPECT_EQ(x.labels[static_cast<std::size_t>(i)],
              (x.features(i, 0) > 0) != (x.features(i, 1) > 0) ? 1 : 0);
  // Noise-free moons lie on their circles: radius 1 around (0, 0) and (1, 0.5).
  const models::Dataset m = models::make_moons(101, 0.0, 1);
  for (Eigen::Index i = 0; i < m.rows(); ++i) {
    const double cx = m.labels[static_cast<std::size_t>(i)] == 0 ? 0 : 1;
    const double cy = m.labels[static_cast<std::size_t>(i)] == 0 ? 0 : 0.5;
    EXPECT_NEAR(std::hypot(m.features(i, 0) - cx, m.features(i, 1) - cy), 1.0, 1e-12);
  }
  EXPECT_EQ(std::count(m.labels.begin(), m.labels.end(), 0), 51);
  const models::Dataset s = models::make_spirals(300, 3, 0.0, 1);
  EXPECT_EQ(s.class_count(), 3);
  for (int k = 0; k < 3; ++k) EXPECT_EQ(std::count(s.labels.begin(), s.labels.end(), k), 100);
  EXPECT_LE(s.features.rowwise().norm().maxCoeff(), 1.0);
  EXPECT_EQ(models::make_moons(50, 0.2, 9).features, models::make_moons(50, 0.2, 9).features);
}
