#include <nlohmann/json.hpp>
#include <string>

#include "../../models/model_file.hpp"
#include "../support/model_checksum.hpp"
#include "targets.hpp"

namespace tapegrad::fuzz {

namespace {

template <class T>
void load_and_predict(const std::string& text) {
  try {
    models::BasicModel<T> model = models::model_from_json<T>(text, "fuzz.json");
    const auto features = static_cast<Eigen::Index>(model.feature_names().size());
    if (features > 0 && features <= 1000) model.predict(Eigen::MatrixXd::Constant(2, features, 0.5));
  } catch (const Error&) {
  }
}

}  // namespace

// The document with its checksum made to match (the model file's FNV-1a over the
// compact dump of everything else). Without it nearly every mutation stops at the
// checksum, and the checks behind it (shapes, layer kinds, names, numbers) would go
// unfuzzed. Empty when the text is not a JSON object.
std::string with_matching_checksum(const std::string& text) {
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
  return doc.is_object() ? testing::with_recomputed_checksum(std::move(doc)) : "";
}

void model_file_input(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  load_and_predict<float>(text);
  load_and_predict<double>(text);
  const std::string repaired = with_matching_checksum(text);
  if (!repaired.empty()) {
    load_and_predict<float>(repaired);
    load_and_predict<double>(repaired);
  }
}

}  // namespace tapegrad::fuzz
