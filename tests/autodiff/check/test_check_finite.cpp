// check_finite mode: the first operation whose value or local derivative is NaN or
// infinite stops the recording, named with its inputs (and for tensors the shapes and
// the first bad entry); in backward(), the first adjoint that becomes so. Expected
// messages are the IEEE results of the named operation at the named inputs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <tapegrad/tapegrad.hpp>

namespace tg = tapegrad;
using ::testing::HasSubstr;
using tg::Var;

namespace {

// The error thrown by `record`, which must be a NonFiniteError from `pass`.
template <class F>
std::string non_finite_message(F&& record, const std::string& pass) {
  try {
    record();
  } catch (const tg::NonFiniteError& e) {
    EXPECT_EQ(e.pass(), pass);
    return e.what();
  }
  ADD_FAILURE() << "no NonFiniteError";
  return "";
}

TEST(CheckFinite, NamesTheInnermostOperationWhoseValueWentBad) {
  tg::Tape tape({.check_finite = true});
  Var x = 0.0, y = 2.0;
  const Var before = y * y;
  const std::size_t statements = tape.num_nodes();
  const std::string m = non_finite_message([&] { [[maybe_unused]] Var z = y * tg::log(x) + 1.0; }, "forward");
  // log(0) = −inf is the first bad value; the product and the sum after it are not named.
  EXPECT_THAT(m, HasSubstr("log with x = 0: its value is -inf"));
  EXPECT_THAT(m, HasSubstr("((v2 * log(v1)) + 1)"));
  EXPECT_EQ(tape.num_nodes(), statements + 1);  // it stopped at that statement
  EXPECT_EQ(before.value(), 4.0);
}

TEST(CheckFinite, AFiniteValueWithAnInfiniteDerivativeIsCaughtInTheForwardPass) {
  tg::Tape tape({.check_finite = true});
  Var x = 0.0;
  const std::string m = non_finite_message([&] { [[maybe_unused]] Var z = tg::sqrt(x) * 3.0; }, "forward");
  EXPECT_THAT(m, HasSubstr("sqrt with x = 0: its derivative is inf (its value is 0)"));
}

TEST(CheckFinite, BinaryOperationsNameBothInputs) {
  tg::Tape tape({.check_finite = true});
  Var x = 0.0;
  EXPECT_THAT(non_finite_message([&] { [[maybe_unused]] Var z = x / x; }, "forward"),
              HasSubstr("/ with a = 0, b = 0: its value is NaN"));
  Var big = 0.5, small = 1e-320;  // 0.5 / 1e-320 = 5e319 overflows
  EXPECT_THAT(
      non_finite_message([&] { [[maybe_unused]] Var z = big / small + 1.0; }, "forward"),
      HasSubstr("/ with a = 0.5, b = 9.9998886718268301e-321: its value is inf; in v5 = ((v3 / v4) + 1)"));
}

TEST(CheckFinite, ANonFiniteInputIsRefusedWhereItIsCreated) {
  tg::Tape tape({.check_finite = true});
  EXPECT_THAT(non_finite_message([] { [[maybe_unused]] Var z = std::numeric_limits<double>::quiet_NaN(); },
                                 "forward"),
              HasSubstr("a new Var's value is NaN"));
  tg::Parameter p(Eigen::MatrixXd::Constant(2, 2, std::numeric_limits<double>::infinity()));
  EXPECT_THAT(non_finite_message([&] { p.tensor(); }, "forward"),
              HasSubstr("a Parameter gave inf at entry (0, 0)"));
}

TEST(CheckFinite, TensorValuesNameTheEntryTheShapesAndTheInputsThere) {
  tg::Tape tape({.check_finite = true});
  tg::Parameter w(Eigen::MatrixXd::Constant(2, 3, 1.0));
  w.value()(1, 2) = 0;
  EXPECT_THAT(non_finite_message([&] { tg::log(w.tensor()); }, "forward"),
              HasSubstr("log gave -inf at entry (1, 2) of its 2×3 result; inputs: #1 2×3 with 0 at (1, 2)"));
  EXPECT_THAT(non_finite_message([&] { tg::sqrt(w.tensor()); }, "forward"),
              HasSubstr("sqrt gave a derivative of inf at entry (1, 2) of its 2×3 result"));
  // A broadcast row: its entry under the bad one is (0, column).
  Eigen::MatrixXd row = Eigen::MatrixXd::Constant(1, 3, 2.0);
  row(0, 1) = 0;
  EXPECT_THAT(
      non_finite_message([&] { w.tensor() / tg::constant(row); }, "forward"),
      HasSubstr("/ gave inf at entry (0, 1) of its 2×3 result; inputs: #1 2×3 with 1 at (0, 1), #2 1×3 "
                "with 0 at (0, 1)"));
  // Data with a NaN is refused where it enters the tape.
  Eigen::MatrixXd b = Eigen::MatrixXd::Ones(3, 2);
  b(2, 1) = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THAT(non_finite_message([&] { tg::constant(b); }, "forward"),
              HasSubstr("constant gave NaN at entry (2, 1) of its 3×2 result"));
  // A product of finite inputs that overflows: 3 · 1e200 · 1e200.
  tg::Parameter big(Eigen::MatrixXd::Constant(2, 3, 1e200));
  EXPECT_THAT(
      non_finite_message(
          [&] { tg::matmul(big.tensor(), tg::constant(Eigen::MatrixXd::Constant(3, 2, 1e200))); }, "forward"),
      HasSubstr("matmul gave inf at entry (0, 0) of its 2×2 result; inputs: #1 2×3, all finite, #2 3×2, all "
                "finite"));
}

TEST(CheckFinite, LossesAndReductionsAreChecked) {
  tg::Tape tape({.check_finite = true});
  tg::Parameter w(Eigen::MatrixXd::Constant(2, 2, 1e200));
  EXPECT_THAT(
      non_finite_message([&] { tg::mse(w.tensor(), tg::constant(Eigen::MatrixXd::Zero(2, 2))); }, "forward"),
      HasSubstr("mse gave inf"));
  EXPECT_THAT(non_finite_message([&] { tg::sum(w.tensor() * 1e200); }, "forward"), HasSubstr("* gave inf"));
}

TEST(CheckFinite, TheBackwardPassNamesTheFirstAdjointThatOverflows) {
  tg::Tape tape({.check_finite = true});
  Var a = 3.0;
  const Var f = a * 1e10;  // d f/d a = 1e10; seeded with 1e300 that is 1e310
  EXPECT_THAT(non_finite_message([&] { tape.backward(f, 1e300); }, "backward"),
              HasSubstr("the adjoint of v1 (an input) became +inf"));

  tape.clear();
  tg::Parameter p(Eigen::MatrixXd::Ones(2, 2));
  const tg::Tensor product = tg::matmul(p.tensor(), tg::constant(Eigen::MatrixXd::Constant(2, 2, 1e200)));
  const Var s = tg::sum(product);
  // The product's adjoint is 1e300 everywhere, finite; p's is 2e500.
  EXPECT_THAT(non_finite_message([&] { tape.backward(s, 1e300); }, "backward"),
              HasSubstr("the adjoint of a Parameter (2×2) at entry (0, 0) became +inf"));
}

TEST(CheckFinite, IsOffByDefaultAndChangesNoResult) {
  auto run = [](tg::Tape::Options options) {
    tg::Tape tape(options);
    tg::Parameter w(Eigen::MatrixXd::Constant(2, 3, 0.5));
    Var x = 0.25;
    const Var f = tg::sum(tg::sigmoid(w.tensor() * x)) + tg::log(x) * x;
    tape.backward(f);
    return std::make_pair(f.value(), w.grad());
  };
  const auto plain = run({});
  const auto checked = run({.check_finite = true});
  EXPECT_EQ(plain.first, checked.first);
  EXPECT_EQ(plain.second, checked.second);

  tg::Tape tape;  // off: a NaN flows through silently
  Var x = -1.0;
  const Var y = tg::log(x) * 2.0;
  EXPECT_TRUE(std::isnan(y.value()));
}

}  // namespace
