#include "model_file.hpp"

#include <cmath>
#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "../autodiff/support/atomic_file.hpp"

namespace tapegrad::models {
namespace {

using Json = nlohmann::json;
constexpr const char* format_name = "tapegrad-model";

template <class T>
constexpr const char* scalar_name() {
  return std::is_same_v<T, float> ? "float" : "double";
}

// Over the canonical text of everything but the checksum.
std::string checksum_of(const Json& payload) { return content_checksum(payload.dump()); }

template <class T>
Json matrix_json(const MatrixX<T>& m, const std::string& what) {
  Json values = Json::array();
  for (Eigen::Index i = 0; i < m.rows(); ++i)
    for (Eigen::Index j = 0; j < m.cols(); ++j) {
      const double v = static_cast<double>(m(i, j));
      if (!std::isfinite(v))
        throw Error("tapegrad: save_model: " + what + " holds " + std::to_string(v) + " at (" +
                    std::to_string(i) + ", " + std::to_string(j) +
                    "): the model diverged, refusing to save it");
      values.push_back(v);
    }
  return {{"rows", m.rows()}, {"cols", m.cols()}, {"values", values}};  // row by row
}

class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}
  [[noreturn]] void fail(const std::string& what) const {
    throw Error("tapegrad: model file " + source_ + ": " + what);
  }
  const Json& field(const Json& object, const char* key, Json::value_t type, const std::string& where) const {
    if (!object.is_object()) fail(where + " is not an object");
    const auto it = object.find(key);
    if (it == object.end()) fail(where + " has no \"" + key + "\"");
    const bool ok = type == Json::value_t::number_float ? it->is_number() : it->type() == type;
    if (!ok) fail(where + "'s \"" + key + "\" has the wrong type (" + it->type_name() + ")");
    return *it;
  }
  std::vector<std::string> strings(const Json& object, const char* key) const {
    std::vector<std::string> out;
    for (const Json& s : field(object, key, Json::value_t::array, "the model")) {
      if (!s.is_string()) fail(std::string("\"") + key + "\" holds a non-string");
      out.push_back(s.get<std::string>());
    }
    return out;
  }
  template <class T>
  MatrixX<T> matrix(const Json& object, const std::string& where) const {
    const Json& rows = field(object, "rows", Json::value_t::number_unsigned, where);
    const Json& cols = field(object, "cols", Json::value_t::number_unsigned, where);
    const Json& values = field(object, "values", Json::value_t::array, where);
    const auto r = rows.get<std::uint64_t>(), c = cols.get<std::uint64_t>();
    if (r == 0 || c == 0 || r > (1u << 24) || c > (1u << 24) || values.size() != r * c)
      fail(where + " is " + std::to_string(r) + "×" + std::to_string(c) + " but holds " +
           std::to_string(values.size()) + " values");
    MatrixX<T> m(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(c));
    std::size_t k = 0;
    for (Eigen::Index i = 0; i < m.rows(); ++i)
      for (Eigen::Index j = 0; j < m.cols(); ++j, ++k) {
        const Json& v = values[k];
        if (!v.is_number()) fail(where + " value " + std::to_string(k) + " is not a number");
        const double d = v.get<double>();
        const T t = static_cast<T>(d);
        if (!std::isfinite(d) || static_cast<double>(t) != d)
          fail(where + " value " + std::to_string(k) + " (" + v.dump() + ") is not a finite " +
               scalar_name<T>());
        m(i, j) = t;
      }
    return m;
  }

 private:
  std::string source_;
};

template <class T>
Json payload_of(const BasicModel<T>& model) {
  Json layers = Json::array();
  const Sequential<T>& net = model.network();
  for (std::size_t i = 0; i < net.size(); ++i) {
    const Module<T>& m = net[i];
    const std::string where = "layer " + std::to_string(i);
    if (const auto* linear = dynamic_cast<const Linear<T>*>(&m)) {
      layers.push_back({{"kind", "linear"},
                        {"weight", matrix_json(linear->weight().value(), where + " weight")},
                        {"bias", matrix_json(linear->bias().value(), where + " bias")}});
    } else if (dynamic_cast<const Sigmoid<T>*>(&m) || dynamic_cast<const Tanh<T>*>(&m) ||
               dynamic_cast<const Relu<T>*>(&m)) {
      layers.push_back({{"kind", m.kind()}});
    } else {
      throw Error("tapegrad: save_model: " + where + " is a user Module ('" + m.kind() +
                  "'); model files hold the built-in kinds linear, sigmoid, tanh and relu");
    }
  }
  Json scaling = nullptr;
  if (!model.scaling().empty())
    scaling = {{"mean", matrix_json<double>(model.scaling().mean, "standardization mean")},
               {"scale", matrix_json<double>(model.scaling().scale, "standardization scale")}};
  return {{"format", format_name},
          {"version", model_file_version},
          {"scalar", scalar_name<T>()},
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
  if (!doc.is_object()) at.fail("the document is not a JSON object");
  const auto format = doc.find("format");
  if (format == doc.end() || *format != format_name)
    at.fail("this is not a tapegrad model (no \"format\": \"tapegrad-model\")");
  const auto version = at.field(doc, "version", V::number_unsigned, "the model").get<std::uint64_t>();
  if (version != model_file_version)
    at.fail("format version " + std::to_string(version) + "; this tapegrad reads version " +
            std::to_string(model_file_version));
  const std::string checksum = at.field(doc, "checksum", V::string, "the model").get<std::string>();
  Json payload = doc;
  payload.erase("checksum");
  if (checksum_of(payload) != checksum)
    at.fail("the checksum does not match the content: the file was corrupted or edited");
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
    if (kind == "linear") {
      MatrixX<T> w = at.matrix<T>(at.field(layers[i], "weight", V::object, where), where + " weight");
      MatrixX<T> b = at.matrix<T>(at.field(layers[i], "bias", V::object, where), where + " bias");
      if (b.rows() != 1 || b.cols() != w.cols())
        at.fail(where + " has a " + std::to_string(w.rows()) + "×" + std::to_string(w.cols()) +
                " weight and a " + std::to_string(b.rows()) + "×" + std::to_string(b.cols()) + " bias");
      net.template emplace<Linear<T>>(w, b);
    } else if (kind == "sigmoid") {
      net.template emplace<Sigmoid<T>>();
    } else if (kind == "tanh") {
      net.template emplace<Tanh<T>>();
    } else if (kind == "relu") {
      net.template emplace<Relu<T>>();
    } else {
      at.fail(where + " has the unknown kind \"" + kind + "\"");
    }
  }
  BasicModel<T> model(std::move(net),
                      parse_loss(at.field(doc, "loss", V::string, "the model").get<std::string>(), at));
  model.set_names(at.strings(doc, "feature_names"), at.strings(doc, "class_names"),
                  at.field(doc, "label_name", V::string, "the model").get<std::string>());

  const auto scaling = doc.find("standardization");
  if (scaling == doc.end()) at.fail("the model has no \"standardization\" (null when there is none)");
  Eigen::Index inputs = -1;
  if (!scaling->is_null()) {
    const Eigen::MatrixXd mean =
        at.matrix<double>(at.field(*scaling, "mean", V::object, "standardization"), "standardization mean");
    const Eigen::MatrixXd scale =
        at.matrix<double>(at.field(*scaling, "scale", V::object, "standardization"), "standardization scale");
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
    at.fail(std::string("the layers do not chain: ") + e.what());
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
  Json doc = payload_of(model);
  doc["checksum"] = checksum_of(doc);
  return doc.dump(1) + "\n";
}

template <class T>
void save_model(const BasicModel<T>& model, const std::filesystem::path& path) {
  write_file_atomically(path, model_to_json(model));
}

template <class T>
BasicModel<T> model_from_json(const std::string& text, const std::string& source) {
  const Reader at(source);
  Json doc;
  try {
    doc = Json::parse(text);
  } catch (const Json::parse_error& e) {
    at.fail("not valid JSON at byte " + std::to_string(e.byte) + " (truncated or corrupted?)");
  } catch (const Json::out_of_range& e) {
    // A number such as 1e999 that no double holds (found by fuzzing).
    at.fail(std::string("a number in the file is out of range: ") + e.what());
  }
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
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("tapegrad: cannot open the model file " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
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
