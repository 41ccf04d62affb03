/// \file
/// Model files: a model's architecture, weights, loss, input standardization and names
/// in one versioned JSON document with a checksum, written atomically. Weights are
/// written as shortest round-trip decimals, so a loaded model predicts bit for bit what
/// the saved one did. A truncated, corrupted, altered or mismatched file is refused with
/// an error that says what is wrong; nothing is half-loaded.
#pragma once

#include <filesystem>
#include <string>
#include <variant>

#include "model.hpp"

namespace tapegrad::models {

/// The model file format's version, written in every file and checked when one is read.
inline constexpr int model_file_version = 1;

/// Writes `model` to `path` as a versioned JSON file, atomically: its layers and weights
/// (exact: floats and doubles written to round-trip), loss, input standardization and the
/// feature, class and label names. Throws tapegrad::Error when the model holds a Module
/// that is not built in, or a weight that is NaN or infinite (a diverged model), or the
/// file cannot be written; an existing file is then left as it was.
///
/// \snippet test_doc_examples.cpp save_model
template <class T>
void save_model(const BasicModel<T>& model, const std::filesystem::path& path);
/// The JSON text save_model() writes.
template <class T>
std::string model_to_json(const BasicModel<T>& model);

/// Reads a model save_model() wrote; it predicts exactly as the saved one did. Throws
/// tapegrad::Error naming the file and the problem. A model saved in the other scalar type
/// is refused (converting would change its predictions).
template <class T>
BasicModel<T> load_model(const std::filesystem::path& path);
/// A model from the JSON text save_model() writes; `source` names it in errors. Throws as load_model() does.
template <class T>
BasicModel<T> model_from_json(const std::string& text, const std::string& source);

/// A model file of either scalar type, loaded as it was saved (for tools such as
/// `tapegrad predict` that take whatever a program wrote).
using AnyModel = std::variant<BasicModel<float>, BasicModel<double>>;
/// Loads a model file of either scalar type; throws tapegrad::Error naming the file and the problem.
AnyModel load_any_model(const std::filesystem::path& path);

}  // namespace tapegrad::models
