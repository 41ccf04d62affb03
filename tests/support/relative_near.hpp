// Two vectors equal entry by entry to a relative tolerance (absolute below 1), with the
// entry named when they are not: the comparison of a gradient with its reference.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

template <class T>
void expect_relatively_near(const std::vector<T>& got, const std::vector<T>& want, double tolerance) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], tolerance * std::max(1.0, std::abs(static_cast<double>(want[i]))))
        << "entry " << i;
}
