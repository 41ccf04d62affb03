// What a tape says it holds (stats(), peak_bytes()) and its memory budget
// (Options::max_bytes): byte counts derived from the documented layout, 4 bytes per
// statement end and 4 + 8 per operand of a double tape.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tapegrad/tapegrad.hpp>
#include <vector>

namespace tg = tapegrad;
using tg::Var;

namespace {

constexpr std::size_t statement_end_bytes = 4;
constexpr std::size_t operand_bytes = 12;

TEST(TapeStats, PartsAddUpToTheBytesInUse) {
  tg::Tape tape;
  const Var x = 2.0, y = 3.0;
  const Var f = x * y + tg::sin(x);  // one statement, operands x, y, x
  [[maybe_unused]] const tg::Tensor t = tg::constant(Eigen::MatrixXd::Ones(4, 4));
  tape.backward(f);
  const tg::TapeStats s = tape.stats();
  EXPECT_EQ(s.statements, 4u);  // x, y, f, the tensor
  EXPECT_EQ(s.operands, 3u);
  EXPECT_EQ(s.operand_bytes, 5 * statement_end_bytes + 3 * operand_bytes);  // slot 0 has an end too
  EXPECT_GE(s.tensor_bytes, 16 * sizeof(double));
  EXPECT_EQ(s.adjoint_bytes, 5 * sizeof(double));
  EXPECT_EQ(s.bytes_in_use, s.operand_bytes + s.tensor_bytes + s.custom_bytes + s.adjoint_bytes +
                                s.annotation_bytes + s.observer_bytes);
  EXPECT_EQ(s.bytes_in_use, tape.bytes_in_use());
  EXPECT_GE(s.bytes_reserved, s.operand_bytes + s.tensor_bytes);
}

TEST(TapeStats, PeakIsTheMostEverHeld) {
  tg::Tape tape;
  Var x = 1.0;
  for (int i = 0; i < 1000; ++i) x = x * 1.001 + 0.5;  // 1001 statements, 1000 operands
  const std::size_t big = tape.bytes_in_use();
  EXPECT_EQ(big, 1002 * statement_end_bytes + 1000 * operand_bytes);
  tape.clear();
  const Var y = 2.0;
  [[maybe_unused]] const Var z = y * y;
  EXPECT_LT(tape.bytes_in_use(), big);
  EXPECT_EQ(tape.peak_bytes(), big);
  EXPECT_EQ(tape.stats().peak_bytes, big);
  tape.reset_peak();
  EXPECT_EQ(tape.peak_bytes(), tape.bytes_in_use());
  // A rewind notes the peak before it drops what was recorded after the position.
  const tg::TapePosition position = tape.position();
  Var w = z;
  for (int i = 0; i < 100; ++i) w = w + 1.0;
  const std::size_t before_rewind = tape.bytes_in_use();
  tape.rewind(position);
  EXPECT_EQ(tape.peak_bytes(), before_rewind);
}

TEST(TapeStats, CheckpointsCountWhatTheyKeep) {
  tg::Tape tape;
  std::vector<Var> x;
  for (int i = 0; i < 50; ++i) x.emplace_back(1.0 + i);
  const std::size_t before = tape.stats().custom_bytes;
  tg::checkpointed_loop(100, x,
                        [](std::span<const Var> u, std::size_t) {
                          std::vector<Var> next(u.begin(), u.end());
                          for (Var& v : next) v = v * 0.99;
                          return next;
                        },
                        {.snapshots = 8});
  EXPECT_GE(tape.stats().custom_bytes - before, 8 * 50 * sizeof(double));  // eight states of 50
}

// Each statement x = x * 1.001 + 0.5 holds one statement end and one operand: 16 bytes.
// With a budget, the statement that would pass it is refused and not recorded.
TEST(TapeBudget, RefusesTheStatementThatWouldPassIt) {
  for (const std::size_t budget : {std::size_t{4096}, std::size_t{1} << 20}) {
    SCOPED_TRACE(budget);
    tg::Tape tape({.max_bytes = budget});
    EXPECT_EQ(tape.max_bytes(), budget);
    Var x = 1.0;
    std::size_t recorded = 0;
    try {
      for (;; ++recorded) x = x * 1.001 + 0.5;
    } catch (const tg::Error& e) {
      EXPECT_THAT(e.what(), testing::HasSubstr("memory budget"));
      EXPECT_THAT(e.what(), testing::HasSubstr("checkpointed_loop"));
    }
    const std::size_t held = tape.bytes_in_use();
    EXPECT_EQ(held, 2 * statement_end_bytes + recorded * (statement_end_bytes + operand_bytes));  // slot 0, x
    EXPECT_LE(held, budget);
    EXPECT_GT(held + statement_end_bytes + operand_bytes, budget);
    // The tape is as it was before the refused statement: it sweeps, and records after clear().
    EXPECT_GT(tg::gradient(x, {x})[0], 0.0);
    tape.clear();
    const Var y = 2.0;
    EXPECT_EQ(tg::gradient(y * y, {y})[0], 4.0);
  }
}

TEST(TapeBudget, StatementsWithoutOperandsAndTensorsAreCounted) {
  {
    tg::Tape tape({.max_bytes = 1000});
    std::vector<Var> leaves;
    EXPECT_THROW(for (int i = 0; i < 1000; ++i) leaves.emplace_back(1.0), tg::Error);
    EXPECT_LE(tape.bytes_in_use(), 1000u);
    EXPECT_EQ(tape.num_nodes(), leaves.size());
  }
  tg::Tape tape({.max_bytes = std::size_t{1} << 20});
  EXPECT_THAT([] { tg::constant(Eigen::MatrixXd::Ones(1000, 1000)); },  // 8 MB
              testing::ThrowsMessage<tg::Error>(testing::HasSubstr("memory budget")));
}

TEST(TapeBudget, ALargeBudgetChangesNothing) {
  const auto record = [](tg::Tape& tape) {
    Var x = 0.5;
    for (int i = 0; i < 5000; ++i) x = tg::sin(x) + 0.25 * x;
    return std::pair{x.value(), tape.bytes_in_use()};
  };
  tg::Tape plain;
  const auto without = record(plain);
  tg::Tape budgeted({.max_bytes = std::size_t{1} << 30});
  EXPECT_EQ(record(budgeted), without);
}

}  // namespace
