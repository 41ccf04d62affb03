// tapegrad::Error: the "tapegrad: " prefix added once, and the parts of a message
// formatted without std::to_string.
#include <gtest/gtest.h>

#include <string>
#include <tapegrad/tapegrad.hpp>

namespace tg = tapegrad;

TEST(Error, AddsItsPrefixOnce) {
  const tg::Error e("Linear: in = 0 (must be ≥ 1)");
  EXPECT_STREQ(e.what(), "tapegrad: Linear: in = 0 (must be ≥ 1)");
  EXPECT_EQ(e.message(), "Linear: in = 0 (must be ≥ 1)");
  // Made from another error's text, it keeps one prefix.
  const tg::Error again(e.what());
  EXPECT_STREQ(again.what(), e.what());
  const tg::BranchChanged branch("replay: abs changed");
  EXPECT_STREQ(branch.what(), "tapegrad: replay: abs changed");
}

TEST(Error, FormatsNumbersAsTheShortestTextThatReadsBack) {
  const tg::Error e("Linear(", 3, "→", std::size_t{10}, "): a bias of ", -1.5, ", lr ", 0.1, " ", 1e-300, " ",
                    2.5f, " ", true, ' ', std::string("end"));
  EXPECT_STREQ(e.what(), "tapegrad: Linear(3→10): a bias of -1.5, lr 0.1 1e-300 2.5 true end");
  EXPECT_EQ(std::stod(std::string(tg::Error("", 0.1 + 0.2).message())), 0.1 + 0.2);
}
