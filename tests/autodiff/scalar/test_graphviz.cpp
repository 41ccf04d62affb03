// Graphviz export: statements become nodes with their expression, value and adjoint;
// operands become edges labelled with the local partial.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tapegrad/tapegrad.hpp>

namespace tg = tapegrad;
using ::testing::HasSubstr;
using tg::Var;

namespace {

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(Dot, AnnotatedGraphShowsExpressionsValuesAdjointsAndPartials) {
  tg::Tape tape(tg::Tape::Options{.annotate = true});
  Var x1 = 1.0, x2 = 1.0;
  Var f = x1 * x1 + x2 * x2 + tg::abs(x1 + x2);
  tape.backward(f);
  const std::string dot = tg::to_dot(tape);
  EXPECT_THAT(dot, HasSubstr("digraph tape {"));
  EXPECT_THAT(dot, HasSubstr("v1 (input)"));
  EXPECT_THAT(dot, HasSubstr("v3 = (((v1 * v1) + (v2 * v2)) + abs((v1 + v2)))"));
  EXPECT_THAT(dot, HasSubstr("value = 4"));
  EXPECT_THAT(dot, HasSubstr("adjoint = 3"));
  EXPECT_EQ(count(dot, "->"), tape.num_operands());
  EXPECT_EQ(count(dot, "v1 -> v3 [label=\"1\"]"), 3u);  // ∂/∂x1 of x1·x1 (twice) and of |x1 + x2|
}

TEST(Dot, PlainTapeStillExportsStructure) {
  tg::Tape tape;
  Var x = 2.0;
  [[maybe_unused]] Var y = x * 3.0;
  const std::string dot = tg::to_dot(tape);
  EXPECT_THAT(dot, HasSubstr("v1 -> v2 [label=\"3\"]"));
  EXPECT_EQ(count(dot, "->"), 1u);
}

}  // namespace
