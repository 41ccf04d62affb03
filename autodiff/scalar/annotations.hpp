/// \file
/// What an annotating tape keeps beside its recording (Tape::Options::annotate, and
/// check_finite): each statement's value and the text of its expression, for graph
/// export (graphviz.hpp) and for naming a statement in check_finite's reports.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tapegrad::detail {

template <class T>
class Annotations {
 public:
  void annotate(std::uint32_t s, const T& value, std::string label) {
    if (values_.size() <= s) {
      values_.resize(s + 1, T(0));
      labels_.resize(s + 1);
    }
    values_[s] = value;
    labels_[s] = std::move(label);
  }
  // Null when the tape was not annotating as statement s was recorded.
  const std::string* label(std::uint32_t s) const { return s < labels_.size() ? &labels_[s] : nullptr; }
  const T* value(std::uint32_t s) const { return s < values_.size() ? &values_[s] : nullptr; }

  // The values and labels kept (their text included).
  std::size_t bytes_in_use() const noexcept {
    std::size_t bytes = values_.size() * sizeof(T) + labels_.size() * sizeof(std::string);
    for (const std::string& label : labels_) bytes += label.capacity();
    return bytes;
  }
  void truncate(std::size_t statements) {
    values_.resize(std::min(values_.size(), statements));
    labels_.resize(std::min(labels_.size(), statements));
  }
  void clear() {
    values_.clear();
    labels_.clear();
  }

 private:
  std::vector<T> values_;
  std::vector<std::string> labels_;
};

}  // namespace tapegrad::detail
