#include "point.hpp"

#include <algorithm>

#include "arguments.hpp"

namespace tapegrad::cli {

std::vector<double> Point::flat() const {
  std::vector<double> x = scalars;
  for (const std::vector<double>& v : vectors) x.insert(x.end(), v.begin(), v.end());
  return x;
}

Point Point::with_flat(std::span<const double> x) const {
  Point p = *this;
  std::size_t k = 0;
  for (double& s : p.scalars) s = x[k++];
  for (std::vector<double>& v : p.vectors)
    for (double& entry : v) entry = x[k++];
  return p;
}

Point bind_point(const Expression& e, const std::vector<std::pair<std::string, double>>& values,
                 const std::string& flag) {
  const auto value_of = [&](const std::string& name) {
    const auto it =
        std::find_if(values.begin(), values.end(), [&](const auto& v) { return v.first == name; });
    if (it == values.end()) throw UsageError(flag + ": no value for the variable " + name);
    return it->second;
  };
  Point p;
  for (const std::string& name : e.scalars()) p.scalars.push_back(value_of(name));
  for (std::size_t v = 0; v < e.vectors().size(); ++v)
    p.vectors.emplace_back(e.dimension(v), value_of(e.vectors()[v]));
  for (const auto& [name, unused] : values) {
    const bool known = std::find(e.scalars().begin(), e.scalars().end(), name) != e.scalars().end() ||
                       std::find(e.vectors().begin(), e.vectors().end(), name) != e.vectors().end();
    if (!known) throw UsageError(flag + ": " + name + " is not a variable of the expression");
  }
  return p;
}

}  // namespace tapegrad::cli
