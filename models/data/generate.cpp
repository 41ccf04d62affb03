#include "generate.hpp"

#include <cmath>
#include <numbers>
#include <string>

#include "../../autodiff/support/error.hpp"
#include "../random.hpp"

namespace tapegrad::models {
namespace {

Dataset two_feature_classes(std::size_t points, std::vector<std::string> class_names, const char* source) {
  if (points == 0) throw Error(std::string("") + source + ": no points requested");
  Dataset d;
  d.task = Task::Classify;
  d.features.resize(static_cast<Eigen::Index>(points), 2);
  d.labels.resize(points);
  d.feature_names = {"x", "y"};
  d.class_names = std::move(class_names);
  d.label_name = "class";
  d.source = source;
  return d;
}

}  // namespace

Dataset xor_truth_table() {
  Dataset d = two_feature_classes(4, {"0", "1"}, "xor");
  d.features << 0, 0, 0, 1, 1, 0, 1, 1;
  d.labels = {0, 1, 1, 0};
  return d;
}

Dataset make_xor(std::size_t points, double noise, std::uint64_t seed) {
  Dataset d = two_feature_classes(points, {"0", "1"}, "xor");
  Random random(seed);
  for (Eigen::Index i = 0; i < d.rows(); ++i) {
    const double x = random.uniform(-1, 1), y = random.uniform(-1, 1);
    d.labels[static_cast<std::size_t>(i)] = (x > 0) != (y > 0) ? 1 : 0;
    d.features(i, 0) = x + noise * random.normal();
    d.features(i, 1) = y + noise * random.normal();
  }
  return d;
}

Dataset make_moons(std::size_t points, double noise, std::uint64_t seed) {
  Dataset d = two_feature_classes(points, {"0", "1"}, "moons");
  Random random(seed);
  const std::size_t outer = points / 2 + points % 2;
  for (Eigen::Index i = 0; i < d.rows(); ++i) {
    const bool upper = static_cast<std::size_t>(i) < outer;
    const std::size_t k = upper ? static_cast<std::size_t>(i) : static_cast<std::size_t>(i) - outer;
    const std::size_t count = upper ? outer : points - outer;
    const double t =
        count > 1 ? std::numbers::pi * static_cast<double>(k) / static_cast<double>(count - 1) : 0.0;
    d.features(i, 0) = (upper ? std::cos(t) : 1 - std::cos(t)) + noise * random.normal();
    d.features(i, 1) = (upper ? std::sin(t) : 0.5 - std::sin(t)) + noise * random.normal();
    d.labels[static_cast<std::size_t>(i)] = upper ? 0 : 1;
  }
  return d;
}

Dataset make_spirals(std::size_t points, int classes, double noise, std::uint64_t seed) {
  if (classes < 2) throw Error("make_spirals: " + std::to_string(classes) + " classes (need at least 2)");
  std::vector<std::string> names;
  for (int c = 0; c < classes; ++c) names.push_back(std::to_string(c));
  Dataset d = two_feature_classes(points, std::move(names), "spirals");
  Random random(seed);
  const std::size_t per_arm =
      (points + static_cast<std::size_t>(classes) - 1) / static_cast<std::size_t>(classes);
  for (Eigen::Index i = 0; i < d.rows(); ++i) {
    const auto arm = static_cast<int>(static_cast<std::size_t>(i) / per_arm);
    const double r =
        (static_cast<double>(static_cast<std::size_t>(i) % per_arm) + 0.5) / static_cast<double>(per_arm);
    const double angle =
        2 * std::numbers::pi * (arm / static_cast<double>(classes) + 0.75 * r) + noise * random.normal();
    d.features(i, 0) = r * std::cos(angle);
    d.features(i, 1) = r * std::sin(angle);
    d.labels[static_cast<std::size_t>(i)] = arm;
  }
  return d;
}

}  // namespace tapegrad::models
