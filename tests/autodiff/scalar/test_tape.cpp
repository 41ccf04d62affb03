// The tape itself: the worked example, shared subexpressions, long chains, reuse of
// memory, nested recording with rewind, dynamic graphs from C++ control flow, Jacobians.
#include <gtest/gtest.h>

#include <cmath>
#include <tapegrad/tapegrad.hpp>
#include <vector>

namespace tg = tapegrad;
using tg::Var;

namespace {

// f(x1, x2) = x1² + x2² + |x1 + x2|; by hand at (1, 1): f = 4, ∇f = (2x1 + 1, 2x2 + 1) = (3, 3).
TEST(WorkedExample, ValueGradientAndOneStep) {
  tg::Tape tape;
  Var x1 = 1.0, x2 = 1.0;
  Var f = x1 * x1 + x2 * x2 + tg::abs(x1 + x2);
  EXPECT_EQ(f.value(), 4.0);
  const std::vector<double> g = tg::gradient(f, {x1, x2});
  EXPECT_EQ(g, (std::vector<double>{3.0, 3.0}));
  const double lr = 0.001;
  EXPECT_DOUBLE_EQ(x1.value() - lr * g[0], 0.997);
  EXPECT_DOUBLE_EQ(x2.value() - lr * g[1], 0.997);
}

TEST(WorkedExample, BackwardAccumulatesAdjoints) {
  tg::Tape tape;
  Var x1 = 1.0, x2 = 1.0;
  Var f = x1 * x1 + x2 * x2 + tg::abs(x1 + x2);
  tape.backward(f);
  EXPECT_EQ(x1.adjoint(), 3.0);
  EXPECT_EQ(x2.adjoint(), 3.0);
  EXPECT_EQ(f.adjoint(), 1.0);
  // A seed scales every adjoint; a second backward starts from zero again.
  tape.backward(f, 2.0);
  EXPECT_EQ(x1.adjoint(), 6.0);
}

// The whole expression is one statement: 2 leaves + 1 statement, 6 operands
// (x1, x1, x2, x2, x1, x2): 3·4 bytes of statement ends + slot 0, 6·12 bytes of operands.
TEST(WorkedExample, TapeSizeIsAsDocumented) {
  tg::Tape tape;
  Var x1 = 1.0, x2 = 1.0;
  [[maybe_unused]] Var f = x1 * x1 + x2 * x2 + tg::abs(x1 + x2);
  EXPECT_EQ(tape.num_nodes(), 3u);
  EXPECT_EQ(tape.num_operands(), 6u);
  EXPECT_EQ(tape.bytes_in_use(), 4 * 4u + 6 * 12u);
  // A sweep adds an adjoint per statement (slot 0 included): 8 bytes each, in use until
  // the next clear(); the recording itself stays the same size.
  tape.backward(f);
  EXPECT_EQ(tape.recording_bytes(), 4 * 4u + 6 * 12u);
  EXPECT_EQ(tape.bytes_in_use(), 4 * 4u + 6 * 12u + 4 * 8u);
  tape.clear();
  EXPECT_EQ(tape.bytes_in_use(), 4u);  // slot 0's statement end
}

// y = x² is used by many later statements. f = y² + 3y + Σ_{k=1..1000} k·y
// df/dx = (2y + 3 + 500500)·2x.
TEST(SharedSubexpression, OneNodeUsedByMany) {
  tg::Tape tape;
  Var x = 1.5;
  Var y = x * x;
  Var f = y * y + 3 * y;
  for (int k = 1; k <= 1000; ++k) f += k * y;
  const double yv = 2.25;
  EXPECT_NEAR(tg::gradient(f, {x})[0], (2 * yv + 3 + 500500) * 3.0, 1e-9);
  // The same shared node reached through two branches of one expression.
  Var g = tg::sin(y) * tg::cos(y);
  EXPECT_NEAR(tg::gradient(g, {x})[0], std::cos(2 * yv) * 3.0, 1e-14);
}

// A chain of 10⁶ statements y ← y·a: dy/dx = a^N. The sweep is a loop, not recursion.
TEST(LongChain, MillionOperationsWithoutRecursion) {
  tg::Tape tape;
  const int n = 1'000'000;
  const double a = 1.0000001;
  Var x = 1.0;
  Var y = x;
  for (int i = 0; i < n; ++i) y = y * a;
  EXPECT_EQ(tape.num_nodes(), static_cast<std::size_t>(n) + 1);
  EXPECT_NEAR(tg::gradient(y, {x})[0], std::pow(a, n), 1e-9);
  tape.backward(y);
  EXPECT_NEAR(x.adjoint(), std::pow(a, n), 1e-9);
}

// 1000 record/clear cycles: the arena reaches its size in the first and never grows.
TEST(Memory, RecordClearCyclesDoNotGrow) {
  tg::Tape tape;
  std::size_t reserved_after_first = 0;
  for (int cycle = 0; cycle < 1000; ++cycle) {
    tape.clear();
    Var x = 0.5, y = 1.5;
    Var f = 0.0;
    for (int i = 0; i < 200; ++i) f += tg::sin(x * i) * y + tg::exp(-y * x);
    tape.backward(f);
    if (cycle == 0) reserved_after_first = tape.bytes_reserved();
    ASSERT_EQ(tape.bytes_reserved(), reserved_after_first) << "cycle " << cycle;
  }
  EXPECT_GT(reserved_after_first, 0u);
}

// Nested recording: take the gradient of an inner computation, rewind it away, and the
// outer recording continues undisturbed.
TEST(NestedRecording, RewindRestoresTheOuterRecording) {
  tg::Tape tape;
  Var x = 2.0;
  Var outer = tg::sin(x) * x;  // d/dx = cos(x)·x + sin(x)
  const std::size_t nodes_before = tape.num_nodes();

  const tg::TapePosition mark = tape.position();
  Var inner = x * x * x;  // d/dx = 3x² = 12
  EXPECT_EQ(tg::gradient(inner, {x})[0], 12.0);
  tape.rewind(mark);
  EXPECT_EQ(tape.num_nodes(), nodes_before);

  Var f = outer + x;  // continues after the rewind
  EXPECT_NEAR(tg::gradient(f, {x})[0], std::cos(2.0) * 2 + std::sin(2.0) + 1, 1e-15);
  EXPECT_THROW((void)Var(inner + 1), tg::Error);  // inner was discarded
}

TEST(NestedRecording, RewindsNestAndStaleVarsStayDetected) {
  tg::Tape tape;
  Var x = 3.0;
  const auto m1 = tape.position();
  Var a = x * 2;
  const auto m2 = tape.position();
  Var b = a * 2;
  tape.rewind(m2);
  EXPECT_THROW((void)Var(b + 1), tg::Error);
  Var c = a * 5;  // takes the slot b had
  EXPECT_EQ(tg::gradient(c, {x})[0], 10.0);
  EXPECT_THROW((void)Var(b + 1), tg::Error);  // still stale although its slot is reused
  tape.rewind(m1);
  EXPECT_THROW((void)Var(a + 1), tg::Error);
  EXPECT_THROW((void)Var(c + 1), tg::Error);
  EXPECT_EQ(Var(x * 4).value(), 12.0);
  EXPECT_THROW(tape.rewind(m2), tg::Error);  // m2 lies past the rewind
}

// Gradient inside a loop of rewinds (as a line search or inner solver would do).
TEST(NestedRecording, ManyInnerGradients) {
  tg::Tape tape;
  Var x = 0.7;
  const auto mark = tape.position();
  for (int i = 1; i <= 100; ++i) {
    Var inner = tg::pow(x, static_cast<double>(i));
    EXPECT_NEAR(tg::gradient(inner, {x})[0], i * std::pow(0.7, i - 1), 1e-13);
    tape.rewind(mark);
  }
  EXPECT_EQ(tape.num_nodes(), 1u);
}

// C++ control flow on values builds the graph of the branch taken.
TEST(DynamicGraphs, BranchesAndLoopsOnValues) {
  tg::Tape tape;
  auto piecewise = [](const Var& x) { return x > 0 ? Var(x * x) : Var(-3 * x); };
  Var p = 2.0, q = -2.0;
  EXPECT_EQ(tg::gradient(piecewise(p), {p})[0], 4.0);
  EXPECT_EQ(tg::gradient(piecewise(q), {q})[0], -3.0);

  Var x = 100.0;  // halve until below 1: 100/128, derivative 1/128
  Var y = x;
  int halvings = 0;
  while (y >= 1) {
    y = y / 2;
    ++halvings;
  }
  EXPECT_EQ(halvings, 7);
  EXPECT_EQ(tg::gradient(y, {x})[0], 1.0 / 128);
  EXPECT_TRUE(x == 100.0 && 100.0 == x && x != y && y < x && 1 > y && x >= x);
}

// Default-constructed Vars are constants on no tape: accumulation needs no leaf.
TEST(Constants, DefaultVarIsAConstantZero) {
  tg::Tape tape;
  Var x = 2.0;
  Var sum;
  for (int i = 0; i < 3; ++i) sum += x * x;
  EXPECT_EQ(sum.value(), 12.0);
  EXPECT_EQ(tg::gradient(sum, {x})[0], 12.0);
  Var unused;
  EXPECT_EQ(tg::gradient(unused, {x})[0], 0.0);  // a constant output depends on nothing
}

// J = [[y, x], [cos x, 2y]] for f1 = x·y, f2 = sin(x) + y².
TEST(Jacobian, MatchesHandDerivation) {
  tg::Tape tape;
  Var x = 0.3, y = -1.2;
  Var f1 = x * y;
  Var f2 = tg::sin(x) + y * y;
  const Eigen::MatrixXd j = tg::jacobian({f1, f2}, {x, y});
  ASSERT_EQ(j.rows(), 2);
  ASSERT_EQ(j.cols(), 2);
  EXPECT_EQ(j(0, 0), -1.2);
  EXPECT_EQ(j(0, 1), 0.3);
  EXPECT_DOUBLE_EQ(j(1, 0), std::cos(0.3));
  EXPECT_DOUBLE_EQ(j(1, 1), -2.4);
}

// An input recorded after the output cannot influence it.
TEST(Gradient, InputsRecordedAfterTheOutputHaveZeroGradient) {
  tg::Tape tape;
  Var x = 1.0;
  Var f = x * 3;
  Var later = 5.0;
  const auto g = tg::gradient(f, {later, x});
  EXPECT_EQ(g[0], 0.0);
  EXPECT_EQ(g[1], 3.0);
}

// Tapes nest like scopes; the enclosing one is active again afterwards.
TEST(TapeScopes, InnerTapeIsActiveOnlyWhileItLives) {
  tg::Tape outer;
  Var x = 1.0;
  {
    tg::Tape inner;
    EXPECT_EQ(tg::Tape::active(), &inner);
    Var y = 2.0;
    EXPECT_EQ(tg::gradient(Var(y * y), {y})[0], 4.0);
  }
  EXPECT_EQ(tg::Tape::active(), &outer);
  EXPECT_EQ(tg::gradient(Var(x * 5), {x})[0], 5.0);
}

}  // namespace
