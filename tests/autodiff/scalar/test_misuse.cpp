// Misuse is an error, not undefined behaviour: each one throws tapegrad::Error with a
// message that names what went wrong.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <tapegrad/tapegrad.hpp>
#include <thread>

namespace tg = tapegrad;
using ::testing::HasSubstr;
using tg::Var;

namespace {

template <class F>
std::string error_message(F&& f) {
  try {
    f();
  } catch (const tg::Error& e) {
    return e.what();
  }
  return "(no tapegrad::Error thrown)";
}

TEST(Misuse, VarFromAClearedTape) {
  tg::Tape tape;
  Var x = 1.0;
  tape.clear();
  Var y = 2.0;
  EXPECT_THAT(error_message([&] { (void)Var(x * y); }), HasSubstr("before a clear()"));
  EXPECT_THAT(error_message([&] { (void)x.adjoint(); }), HasSubstr("Var::adjoint"));
  EXPECT_THAT(error_message([&] { (void)tg::gradient(y, {x}); }), HasSubstr("not on the active tape"));
}

TEST(Misuse, VarFromADestroyedTape) {
  std::optional<Var> survivor;
  {
    tg::Tape short_lived;
    survivor = Var(3.0);
  }
  tg::Tape tape;
  Var y = 1.0;
  EXPECT_THAT(error_message([&] { (void)Var(*survivor + y); }), HasSubstr("another tape"));
}

TEST(Misuse, VarFromAnotherThreadsTape) {
  tg::Tape tape;
  Var mine = 1.0;
  std::optional<Var> theirs;
  std::string their_error;
  std::thread other([&] {
    tg::Tape other_tape;
    theirs = Var(2.0);
    their_error = error_message([&] { (void)Var(mine * 2); });  // ours, used on their thread
  });
  other.join();
  EXPECT_THAT(their_error, HasSubstr("another tape"));
  EXPECT_THAT(error_message([&] { (void)Var(*theirs * mine); }), HasSubstr("another tape"));
}

TEST(Misuse, NoActiveTape) {
  EXPECT_THAT(error_message([] { [[maybe_unused]] Var x = 1.0; }), HasSubstr("no Tape is active"));
}

TEST(Misuse, GradientWithRespectToSomethingNotOnTheTape) {
  tg::Tape tape;
  Var x = 1.0;
  Var f = x * x;
  Var constant;  // default-constructed: on no tape
  EXPECT_THAT(error_message([&] {
                (void)tg::gradient(f, {x, constant});
              }),
              HasSubstr("input 1 is a constant"));
  EXPECT_THAT(error_message([&] { (void)constant.adjoint(); }), HasSubstr("constant"));
}

TEST(Misuse, GradientOutputSizeMismatch) {
  tg::Tape tape;
  Var x = 1.0;
  std::vector<double> out(3);
  std::vector<Var> xs{x};
  EXPECT_THAT(error_message([&] { tg::gradient(x, std::span<const Var>(xs), std::span<double>(out)); }),
              HasSubstr("3 entries for 1 inputs"));
}

TEST(Misuse, RewindToAPositionFromBeforeClear) {
  tg::Tape tape;
  [[maybe_unused]] Var x = 1.0;
  const auto mark = tape.position();
  tape.clear();
  EXPECT_THAT(error_message([&] { tape.rewind(mark); }), HasSubstr("rewind"));
}

TEST(Misuse, BackwardOfAConstant) {
  tg::Tape tape;
  Var c;
  EXPECT_THAT(error_message([&] { tape.backward(c); }), HasSubstr("constant"));
}

}  // namespace
