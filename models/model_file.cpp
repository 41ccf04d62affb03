#include "model_file.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>

#include "../autodiff/support/atomic_file.hpp"
#include "../autodiff/support/json_document.hpp"
#include "../autodiff/support/utf8.hpp"

namespace tapegrad::models {
namespace {

using detail::Json;
using Reader = detail::JsonReader;

// Version 1 is the first; a later one adds its conversion from the one before to open().
constexpr detail::FileFormat model_format{
    .what = "model", .name = "tapegrad-model", .version = model_file_version, .oldest_readable = 1};

template <class T>
constexpr const char* scalar_name() {
  return std::is_same_v<T, float> ? "float" : "double";
}

template <class T>
Json matrix_json(const MatrixX<T>& m, const std::string& what) {
  Json values = Json::array();
  for (Eigen::Index i = 0; i < m.rows(); ++i)
    for (Eigen::Index j = 0; j < m.cols(); ++j) {
      const double v = static_cast<double>(m(i, j));
      if (!std::isfinite(v))
        throw Error("save_model: " + what + " holds " + std::to_string(v) + " at (" + std::to_string(i) +
                    ", " + std::to_string(j) + "): the model diverged, refusing to save it");
      values.push_back(v);
    }
  return {{"rows", m.rows()}, {"cols", m.cols()}, {"values", values}};  // row by row
}

template <class T>
MatrixX<T> matrix_of(const Reader& at, const Json& object, const std::string& where) {
  const detail::JsonMatrix<T> m = at.matrix<T>(object, where);
  return Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
      m.values.data(), static_cast<Eigen::Index>(m.rows), static_cast<Eigen::Index>(m.cols));
}

// Every kind of layer a model file holds, in one list: its name, how a layer of that
// kind is written (nullopt: the Module is of another kind) and how it is read back.
// Linear keeps its matrices; each activation of activations.hpp's list only its name.
template <class T>
struct LayerKind {
  const char* name;
  std::optional<Json> (*save)(const Module<T>& layer, const std::string& where);
  std::unique_ptr<Module<T>> (*load)(const Json& layer, const Reader& at, const std::string& where);
};

template <class T>
std::optional<Json> save_linear(const Module<T>& m, const std::string& where) {
  const auto* linear = dynamic_cast<const Linear<T>*>(&m);
  if (linear == nullptr) return std::nullopt;
  return Json{{"kind", "linear"},
              {"weight", matrix_json(linear->weight().value(), where + " weight")},
              {"bias", matrix_json(linear->bias().value(), where + " bias")}};
}

template <class T>
std::unique_ptr<Module<T>> load_linear(const Json& layer, const Reader& at, const std::string& where) {
  using V = Json::value_t;
  MatrixX<T> w = matrix_of<T>(at, at.field(layer, "weight", V::object, where), where + " weight");
  MatrixX<T> b = matrix_of<T>(at, at.field(layer, "bias", V::object, where), where + " bias");
  if (b.rows() != 1 || b.cols() != w.cols())
    at.fail(where + " has a " + std::to_string(w.rows()) + "×" + std::to_string(w.cols()) + " weight and a " +
            std::to_string(b.rows()) + "×" + std::to_string(b.cols()) + " bias");
  return std::make_unique<Linear<T>>(w, b);
}

template <class T, class Layer>
std::optional<Json> save_activation(const Module<T>& m, const std::string&) {
  if (dynamic_cast<const Layer*>(&m) == nullptr) return std::nullopt;
  return Json{{"kind", m.kind()}};
}

template <class T, class Layer>
std::unique_ptr<Module<T>> load_activation(const Json&, const Reader&, const std::string&) {
  return std::make_unique<Layer>();
}

template <class T>
constexpr LayerKind<T> layer_kinds[] = {{"linear", &save_linear<T>, &load_linear<T>},
#define TAPEGRAD_ACTIVATION_KIND(Layer, Rule, Init) \
  {rules::Rule::name, &save_activation<T, Layer<T>>, &load_activation<T, Layer<T>>},
                                        TAPEGRAD_ACTIVATIONS(TAPEGRAD_ACTIVATION_KIND)
#undef TAPEGRAD_ACTIVATION_KIND
};

template <class T>
std::string layer_kind_names() {
  std::string names;
  for (const LayerKind<T>& kind : layer_kinds<T>)
    names += (names.empty() ? "" : ", ") + std::string(kind.name);
  return names;
}

// A JSON document holds UTF-8 text only. The CSV reader refuses other bytes in names,
// but a Dataset built in a program may carry them: refused here naming the name, rather
// than by the JSON writer as an internal error.
void check_names(const std::vector<std::string>& names, const std::string& what) {
  for (const std::string& name : names) {
    const std::size_t bad = detail::find_invalid_utf8(name);
    if (bad != std::string::npos)
      throw Error("save_model: the " + what + " '" + detail::printable_utf8(name) + "' is not UTF-8 text (" +
                  detail::quoted_character(std::string_view(name).substr(bad)) +
                  "); model files hold UTF-8 names only");
  }
}

template <class T>
Json payload_of(const BasicModel<T>& model) {
  check_names(model.feature_names(), "feature name");
  check_names(model.class_names(), "class name");
  check_names({model.label_name()}, "label name");
  Json layers = Json::array();
  const Sequential<T>& net = model.network();
  for (std::size_t i = 0; i < net.size(); ++i) {
    const std::string where = "layer " + std::to_string(i);
    std::optional<Json> layer;
    for (const LayerKind<T>& kind : layer_kinds<T>)
      if ((layer = kind.save(net[i], where))) break;
    if (!layer)
      throw Error("save_model: " + where + " is a user Module ('" + net[i].kind() +
                  "'); model files hold the built-in kinds " + layer_kind_names<T>());
    layers.push_back(std::move(*layer));
  }
  Json scaling = nullptr;
  if (!model.scaling().empty())
    scaling = {{"mean", matrix_json<double>(model.scaling().mean, "standardization mean")},
               {"scale", matrix_json<double>(model.scaling().scale, "standardization scale")}};
  return {{"scalar", scalar_name<T>()},
          {"loss", loss_name(model.loss_kind())},
          {"feature_names", model.feature_names()},
          {"class_names", model.class_names()},
          {"label_name", model.label_name()},
          {"standardization", scaling},
          {"layers", layers}};
}

Loss parse_loss(const std::string& name, const Reader& at) {
  if (const auto loss = value_named(name, loss_names)) return *loss;
  at.fail("unknown loss \"" + name + "\"");
}

template <class T>
BasicModel<T> model_of(const Json& doc, const Reader& at) {
  using V = Json::value_t;
  const std::string scalar = at.field(doc, "scalar", V::string, "the model").get<std::string>();
  if (scalar != scalar_name<T>())
    at.fail("the model was saved in " + scalar + " and is being loaded as " + scalar_name<T>() +
            " (load it with the type it was saved in)");

  Sequential<T> net;
  const Json& layers = at.field(doc, "layers", V::array, "the model");
  if (layers.empty()) at.fail("the model has no layers");
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const std::string where = "layer " + std::to_string(i);
    const std::string kind = at.field(layers[i], "kind", V::string, where).get<std::string>();
    const auto* found = std::find_if(std::begin(layer_kinds<T>), std::end(layer_kinds<T>),
                                     [&](const LayerKind<T>& k) { return kind == k.name; });
    if (found == std::end(layer_kinds<T>))
      at.fail(where + " has the unknown kind \"" + kind + "\" (this tapegrad knows " + layer_kind_names<T>() +
              ")");
    net.add(found->load(layers[i], at, where));
  }
  BasicModel<T> model(std::move(net),
                      parse_loss(at.field(doc, "loss", V::string, "the model").get<std::string>(), at));
  model.set_names(at.strings(doc, "feature_names", "the model"), at.strings(doc, "class_names", "the model"),
                  at.field(doc, "label_name", V::string, "the model").get<std::string>());

  const auto scaling = doc.find("standardization");
  if (scaling == doc.end()) at.fail("the model has no \"standardization\" (null when there is none)");
  Eigen::Index inputs = -1;
  if (!scaling->is_null()) {
    const Eigen::MatrixXd mean = matrix_of<double>(
        at, at.field(*scaling, "mean", V::object, "standardization"), "standardization mean");
    const Eigen::MatrixXd scale = matrix_of<double>(
        at, at.field(*scaling, "scale", V::object, "standardization"), "standardization scale");
    if (mean.rows() != 1 || scale.rows() != 1 || mean.cols() != scale.cols() || (scale.array() <= 0).any())
      at.fail("the standardization's mean and scale must be two rows of one length, every scale positive");
    Standardizer s;
    s.mean = mean;
    s.scale = scale;
    inputs = s.mean.size();
    model.set_scaling(std::move(s));
  }
  // The parts must fit together: layer widths chain, and the names and output count
  // match the loss.
  const auto* first = dynamic_cast<const Linear<T>*>(&model.network()[0]);
  if (first == nullptr) at.fail("the first layer is not linear");
  if (inputs >= 0 && inputs != first->in())
    at.fail("the standardization has " + std::to_string(inputs) + " features, the first layer takes " +
            std::to_string(first->in()));
  Eigen::Index outputs = 0;
  try {
    outputs = model.network().output_width(first->in());
  } catch (const Error& e) {
    at.fail(std::string("the layers do not chain: ").append(e.message()));
  }
  const auto features = static_cast<Eigen::Index>(model.feature_names().size());
  if (features != 0 && features != first->in())
    at.fail(std::to_string(features) + " feature names for " + std::to_string(first->in()) + " inputs");
  const auto classes = static_cast<Eigen::Index>(model.class_names().size());
  const bool fits = model.loss_kind() == Loss::SoftmaxCrossEntropy ? classes == 0 || classes == outputs
                    : model.loss_kind() == Loss::BinaryCrossEntropy
                        ? outputs == 1 && (classes == 0 || classes == 2)
                        : classes == 0;
  if (!fits)
    at.fail(std::to_string(outputs) + " outputs and " + std::to_string(classes) +
            " class names do not fit the loss " + loss_name(model.loss_kind()));
  return model;
}

}  // namespace

template <class T>
std::string model_to_json(const BasicModel<T>& model) {
  return detail::seal_json(model_format, payload_of(model));
}

template <class T>
void save_model(const BasicModel<T>& model, const std::filesystem::path& path) {
  write_file_atomically(path, model_to_json(model));
}

template <class T>
BasicModel<T> model_from_json(const std::string& text, const std::string& source) {
  const Reader at(model_format, source);
  const Json doc = at.open(text);
  // The checks in model_of read every field with its type checked first; a JSON error
  // that still slips through is reported as a bad file, never as a crash.
  try {
    return model_of<T>(doc, at);
  } catch (const Json::exception& e) {
    at.fail(std::string("unexpected content: ") + e.what());
  }
}

namespace {
std::string read_model_file(const std::filesystem::path& path) {
  return detail::read_whole_file(detail::FileContext(model_format, path.string()), path);
}
}  // namespace

template <class T>
BasicModel<T> load_model(const std::filesystem::path& path) {
  return model_from_json<T>(read_model_file(path), path.string());
}

AnyModel load_any_model(const std::filesystem::path& path) {
  const std::string text = read_model_file(path);
  // The scalar type decides which loader reads it; every other check is the loader's.
  const Json doc = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_object() && doc.value("scalar", Json()) == scalar_name<double>())
    return model_from_json<double>(text, path.string());
  return model_from_json<float>(text, path.string());
}

template void save_model(const BasicModel<float>&, const std::filesystem::path&);
template void save_model(const BasicModel<double>&, const std::filesystem::path&);
template std::string model_to_json(const BasicModel<float>&);
template std::string model_to_json(const BasicModel<double>&);
template BasicModel<float> load_model(const std::filesystem::path&);
template BasicModel<double> load_model(const std::filesystem::path&);
template BasicModel<float> model_from_json(const std::string&, const std::string&);
template BasicModel<double> model_from_json(const std::string&, const std::string&);

}  // namespace tapegrad::models
