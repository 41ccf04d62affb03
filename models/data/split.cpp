#include "split.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "../../autodiff/support/error.hpp"
#include "../random.hpp"

namespace tapegrad::models {

Split train_test_split(const Dataset& data, double test_fraction, std::uint64_t seed) {
  if (!(test_fraction > 0 && test_fraction < 1))
    throw Error("train_test_split: the test fraction " + std::to_string(test_fraction) +
                " must be strictly between 0 and 1");
  data.validate();
  Random random(seed);
  // The groups split separately: one per class, or all rows for regression.
  std::vector<std::vector<Eigen::Index>> groups(data.task == Task::Classify ? data.class_names.size() : 1);
  for (Eigen::Index r = 0; r < data.rows(); ++r)
    groups[data.task == Task::Classify ? static_cast<std::size_t>(data.labels[static_cast<std::size_t>(r)])
                                       : 0]
        .push_back(r);
  std::vector<Eigen::Index> train, test;
  for (std::vector<Eigen::Index>& group : groups) {
    random.shuffle(std::span<Eigen::Index>(group));
    auto n_test = static_cast<std::size_t>(std::lround(test_fraction * static_cast<double>(group.size())));
    if (group.size() >= 2) n_test = std::clamp<std::size_t>(n_test, 1, group.size() - 1);
    test.insert(test.end(), group.begin(), group.begin() + static_cast<std::ptrdiff_t>(n_test));
    train.insert(train.end(), group.begin() + static_cast<std::ptrdiff_t>(n_test), group.end());
  }
  if (train.empty() || test.empty()) {
    // Classes of one row cannot be shared between the parts: with as many classes as
    // rows, the label is most likely a continuous target, not a class.
    const auto single = static_cast<std::size_t>(
        std::count_if(groups.begin(), groups.end(), [](const auto& group) { return group.size() == 1; }));
    if (data.task == Task::Classify && 2 * single > groups.size())
      throw Error("train_test_split: " + std::to_string(single) + " of the " + std::to_string(groups.size()) +
                  " classes have a single row, which a stratified split cannot put in both the training and "
                  "the test part; a label with about as many values as rows is a number to regress, not a "
                  "class");
    throw Error("train_test_split: " + std::to_string(data.rows()) +
                " rows are too few to split with test fraction " + std::to_string(test_fraction));
  }
  // Interleave the classes, so neither part is ordered by class.
  random.shuffle(std::span<Eigen::Index>(train));
  random.shuffle(std::span<Eigen::Index>(test));
  return {data.subset(train), data.subset(test)};
}

}  // namespace tapegrad::models
