// Property test: 1 000 random tensor graphs, gradient-checked entry by entry against
// five-point central differences in double.
//
// A graph starts from 1–3 Parameters of random shapes (1–4 rows and columns) and adds
// 1–8 operations: elementwise functions, broadcasting arithmetic with tensors, numbers
// and Vars, matrix products (plain and transposed), reductions, softmax, losses,
// reshaping, gathering, concatenation and the linear recurrence. Operands are drawn from
// every earlier tensor, so tensors are shared. The output is Σ dot(t, R_t) over the
// tensors nothing else reads, with a random constant R_t for each, so every entry of
// every output carries a different weight.
//
// As for the scalar graphs, each operation's operands stay inside its domain with a
// margin and away from kinks, and a graph is kept only if every finite-difference point
// sees the same regions as the centre.
#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <sstream>
#include <string>
#include <tapegrad/tapegrad.hpp>
#include <vector>

#include "../../models/random.hpp"
#include "property.hpp"

namespace tg = tapegrad;
using tg::Axis;
using tg::Tensor;
using tg::Var;
using Matrix = tg::MatrixX<double>;

namespace {

enum class Op {
  Neg,
  Exp,
  Log,
  Sqrt,
  Square,
  Abs,
  Tanh,
  Sigmoid,
  Relu,
  Softplus,
  PowNumber,
  Add,
  Sub,
  Mul,
  Div,
  MulNumber,
  NumberMinus,
  NumberDivide,
  TimesSumOf,
  Matmul,
  MatmulTransposedA,
  MatmulTransposedB,
  Transpose,
  SumRows,
  MeanCols,
  Softmax,
  LogSoftmax,
  ConcatRows,
  ConcatCols,
  GatherRows,
  Reshape,
  SumAll,
  MeanAll,
  Dot,
  Mse,
  BceWithLogits,
  SoftmaxCrossEntropy,
  LinearRecurrence,
  Fused,
  FusedSum,
  FusedWithVar,
};
constexpr int num_ops = static_cast<int>(Op::FusedWithVar) + 1;
constexpr const char* op_names[num_ops] = {"neg",
                                           "exp",
                                           "log",
                                           "sqrt",
                                           "square",
                                           "abs",
                                           "tanh",
                                           "sigmoid",
                                           "relu",
                                           "softplus",
                                           "pow",
                                           "+",
                                           "-",
                                           "*",
                                           "/",
                                           "* number",
                                           "number -",
                                           "number /",
                                           "* sum()",
                                           "matmul",
                                           "matmul(transposed(a), b)",
                                           "matmul(a, transposed(b))",
                                           "transpose",
                                           "sum rows",
                                           "mean cols",
                                           "softmax",
                                           "log_softmax",
                                           "concat rows",
                                           "concat cols",
                                           "rows",
                                           "reshape",
                                           "sum",
                                           "mean",
                                           "dot",
                                           "mse",
                                           "bce_with_logits",
                                           "softmax_cross_entropy",
                                           "linear_recurrence",
                                           "fused(tanh(u)·v + ½(u − v)²)",
                                           "fused_sum(sigmoid(u)·v − u²)",
                                           "fused(sin(u)·mean(v) + u)"};

struct Node {
  Op op;
  std::size_t a = 0;
  std::size_t b = 0;
  double number = 0;
  std::vector<int> indices{};  // rows to gather, or class labels
  Matrix data{};               // the target of bce_with_logits
};

struct Graph {
  std::vector<Matrix> inputs;
  std::vector<Node> nodes;
  std::vector<std::size_t> outputs;  // positions weighted into f
  std::vector<Matrix> weights;       // R_t for each output

  std::string describe() const {
    std::ostringstream out;
    out.precision(17);
    // Streamed rather than built with `"x" + std::to_string(p)`, on which g++ 12 reports
    // a false -Wrestrict.
    struct Name {
      std::size_t p, inputs;
    };
    auto name = [&](std::size_t p) { return Name{p, inputs.size()}; };
    auto print = [](std::ostream& o, Name n) -> std::ostream& {
      return n.p < n.inputs ? o << 'x' << n.p : o << 'n' << n.p - n.inputs;
    };
    for (std::size_t i = 0; i < inputs.size(); ++i)
      out << "  x" << i << " (" << inputs[i].rows() << "×" << inputs[i].cols() << ") =\n"
          << inputs[i] << "\n";
    for (std::size_t k = 0; k < nodes.size(); ++k) {
      const Node& n = nodes[k];
      out << "  n" << k << " = " << op_names[static_cast<int>(n.op)] << "(";
      print(out, name(n.a)) << ", ";
      print(out, name(n.b)) << ", number " << n.number << ")\n";
    }
    out << "  f = Σ dot(t, R_t) over";
    for (std::size_t p : outputs) print(out << ' ', name(p));
    return out.str();
  }
};

int sign(double x) { return (x > 0) - (x < 0); }

// Runs one operation on the active tape. nullopt when the operands' shapes do not fit
// it, or their values leave its domain (or come within `margin` of its edge or kink);
// otherwise the region code of every entry near a kink is appended to `regions`.
class Runner {
 public:
  Runner(double margin, std::vector<int>& regions) : margin_(margin), regions_(regions) {}

  std::optional<Tensor> run(const Node& n, const Tensor& a, const Tensor& b) {
    switch (n.op) {
      case Op::Neg:
        return -a;
      case Op::Exp:
        return all(a, [](double x) { return x < 8; }) ? std::optional(tg::exp(a)) : std::nullopt;
      case Op::Log:
        return positive(a) ? std::optional(tg::log(a)) : std::nullopt;
      case Op::Sqrt:
        return positive(a) ? std::optional(tg::sqrt(a)) : std::nullopt;
      case Op::Square:
        return tg::square(a);
      case Op::Abs:
        return away_from_zero(a) ? std::optional(tg::abs(a)) : std::nullopt;
      case Op::Tanh:
        return tg::tanh(a);
      case Op::Sigmoid:
        return tg::sigmoid(a);
      case Op::Relu:
        return away_from_zero(a) ? std::optional(tg::relu(a)) : std::nullopt;
      case Op::Softplus:
        return tg::softplus(a);
      case Op::PowNumber:
        return positive(a) ? std::optional(tg::pow(a, n.number)) : std::nullopt;
      case Op::Add:
        return broadcasts(a, b) ? std::optional(a + b) : std::nullopt;
      case Op::Sub:
        return broadcasts(a, b) ? std::optional(a - b) : std::nullopt;
      case Op::Mul:
        return broadcasts(a, b) ? std::optional(a * b) : std::nullopt;
      case Op::Div:
        return broadcasts(a, b) && away_from_zero(b) ? std::optional(a / b) : std::nullopt;
      case Op::MulNumber:
        return a * n.number;
      case Op::NumberMinus:
        return n.number - a;
      case Op::NumberDivide:
        return away_from_zero(a) ? std::optional(n.number / a) : std::nullopt;
      case Op::TimesSumOf:
        return a * tg::sum(b);
      case Op::Matmul:
        return a.cols() == b.rows() ? std::optional(tg::matmul(a, b)) : std::nullopt;
      case Op::MatmulTransposedA:
        return a.rows() == b.rows() ? std::optional(tg::matmul(tg::transposed(a), b)) : std::nullopt;
      case Op::MatmulTransposedB:
        return a.cols() == b.cols() ? std::optional(tg::matmul(a, tg::transposed(b))) : std::nullopt;
      case Op::Transpose:
        return tg::transpose(a);
      case Op::SumRows:
        return tg::sum(a, Axis::Rows);
      case Op::MeanCols:
        return tg::mean(a, Axis::Cols);
      case Op::Softmax:
        return tg::softmax(a);
      case Op::LogSoftmax:
        return tg::log_softmax(a);
      case Op::ConcatRows:
        return a.cols() == b.cols() ? std::optional(tg::concat({a, b}, Axis::Rows)) : std::nullopt;
      case Op::ConcatCols:
        return a.rows() == b.rows() ? std::optional(tg::concat({a, b}, Axis::Cols)) : std::nullopt;
      case Op::GatherRows:
        for (int i : n.indices)
          if (i >= a.rows()) return std::nullopt;
        return tg::rows(a, n.indices);
      case Op::Reshape:
        return tg::reshape(a, a.cols(), a.rows());
      case Op::SumAll:
        return tg::as_tensor(tg::sum(a));
      case Op::MeanAll:
        return tg::as_tensor(tg::mean(a));
      case Op::Dot:
        return same_shape(a, b) ? std::optional(tg::as_tensor(tg::dot(a, b))) : std::nullopt;
      case Op::Mse:
        return same_shape(a, b) ? std::optional(tg::as_tensor(tg::mse(a, b))) : std::nullopt;
      case Op::BceWithLogits:
        return n.data.rows() == a.rows() && n.data.cols() == a.cols()
                   ? std::optional(tg::as_tensor(tg::bce_with_logits(a, tg::constant(n.data))))
                   : std::nullopt;
      case Op::SoftmaxCrossEntropy:
        if (static_cast<Eigen::Index>(n.indices.size()) != a.rows()) return std::nullopt;
        for (int label : n.indices)
          if (label >= a.cols()) return std::nullopt;
        return tg::as_tensor(tg::softmax_cross_entropy(a, n.indices));
      // φ = 0.9·tanh(sum(b)): a Var expression, inside (−1, 1).
      case Op::LinearRecurrence:
        return tg::linear_recurrence(a, 0.9 * tg::tanh(tg::sum(b)));
      case Op::Fused:
        if (!broadcasts(a, b)) return std::nullopt;
        return tg::fused([](auto u, auto v) { return tanh(u) * v + 0.5 * square(u - v); }, a, b);
      case Op::FusedSum:
        if (!broadcasts(a, b)) return std::nullopt;
        return tg::as_tensor(tg::fused_sum([](auto u, auto v) { return sigmoid(u) * v - u * u; }, a, b));
      // A Var among the inputs, broadcast to every entry.
      case Op::FusedWithVar:
        return tg::fused([](auto u, auto m) { return sin(u) * m + u; }, a, tg::mean(b));
    }
    return std::nullopt;
  }

 private:
  template <class Predicate>
  static bool all(const Tensor& t, Predicate p) {
    for (Eigen::Index k = 0; k < t.size(); ++k)
      if (!p(t.data()[k])) return false;
    return true;
  }
  bool positive(const Tensor& t) const {
    return all(t, [&](double x) { return x > margin_; });
  }
  bool away_from_zero(const Tensor& t) {
    if (!all(t, [&](double x) { return std::abs(x) > margin_; })) return false;
    for (Eigen::Index k = 0; k < t.size(); ++k) regions_.push_back(sign(t.data()[k]));
    return true;
  }
  static bool broadcasts(const Tensor& a, const Tensor& b) {
    auto fits = [](Eigen::Index x, Eigen::Index y) { return x == y || x == 1 || y == 1; };
    return fits(a.rows(), b.rows()) && fits(a.cols(), b.cols());
  }
  static bool same_shape(const Tensor& a, const Tensor& b) {
    return a.rows() == b.rows() && a.cols() == b.cols();
  }

  double margin_;
  std::vector<int>& regions_;
};

constexpr double domain_margin = 0.05;
constexpr double value_bound = 1e3;

bool bounded(const Tensor& t) {
  for (Eigen::Index k = 0; k < t.size(); ++k)
    if (!(std::abs(t.data()[k]) <= value_bound)) return false;
  return true;
}

// f on the active tape, from the Parameters' current values; nullopt if an operation
// leaves its domain.
std::optional<Var> evaluate(const Graph& g, std::vector<tg::Parameter>& parameters, double margin,
                            std::vector<int>& regions) {
  std::vector<Tensor> tensors;
  for (tg::Parameter& p : parameters) tensors.push_back(p.tensor());
  Runner runner(margin, regions);
  for (const Node& n : g.nodes) {
    std::optional<Tensor> t = runner.run(n, tensors[n.a], tensors[n.b]);
    if (!t) return std::nullopt;
    tensors.push_back(*t);
  }
  Var f;
  for (std::size_t k = 0; k < g.outputs.size(); ++k)
    f += tg::dot(tensors[g.outputs[k]], tg::constant(g.weights[k]));
  return f;
}

Matrix random_matrix(tg::models::Random& random, Eigen::Index rows, Eigen::Index cols, double low,
                     double high) {
  Matrix m(rows, cols);
  for (Eigen::Index k = 0; k < m.size(); ++k) m(k) = random.uniform(low, high);
  return m;
}

std::optional<Graph> draw_graph(tg::Tape& tape, tg::models::Random& random) {
  Graph g;
  const std::size_t num_inputs = 1 + random.below(3);
  for (std::size_t i = 0; i < num_inputs; ++i)
    g.inputs.push_back(random_matrix(random, 1 + random.below(4), 1 + random.below(4), -2, 2));
  std::vector<tg::Parameter> parameters(g.inputs.begin(), g.inputs.end());

  tape.clear();
  std::vector<Tensor> tensors;
  for (tg::Parameter& p : parameters) tensors.push_back(p.tensor());
  std::vector<int> unused_regions;
  Runner runner(domain_margin, unused_regions);
  const std::size_t num_nodes = 1 + random.below(8);
  for (std::size_t k = 0; k < num_nodes; ++k) {
    std::optional<Tensor> t;
    Node n{};
    for (int attempt = 0; attempt < 100 && !t; ++attempt) {
      n = Node{static_cast<Op>(random.below(num_ops)), random.below(tensors.size()),
               random.below(tensors.size()), random.uniform(-2, 2)};
      const Tensor& a = tensors[n.a];
      if (n.op == Op::GatherRows || n.op == Op::SoftmaxCrossEntropy) {
        const std::size_t count =
            n.op == Op::GatherRows ? 1 + random.below(4) : static_cast<std::size_t>(a.rows());
        const std::uint64_t range = n.op == Op::GatherRows ? a.rows() : a.cols();
        for (std::size_t i = 0; i < count; ++i) n.indices.push_back(static_cast<int>(random.below(range)));
      }
      if (n.op == Op::BceWithLogits) {
        n.data = Matrix(a.rows(), a.cols());
        for (Eigen::Index i = 0; i < n.data.size(); ++i) n.data(i) = static_cast<double>(random.below(2));
      }
      t = runner.run(n, a, tensors[n.b]);
      if (t && !bounded(*t)) t.reset();
    }
    if (!t) return std::nullopt;
    g.nodes.push_back(n);
    tensors.push_back(*t);
  }
  std::vector<bool> read(tensors.size(), false);
  for (const Node& n : g.nodes) read[n.a] = read[n.b] = true;
  for (std::size_t p = num_inputs; p < tensors.size(); ++p) {
    if (read[p] && p + 1 != tensors.size()) continue;
    g.outputs.push_back(p);
    g.weights.push_back(random_matrix(random, tensors[p].rows(), tensors[p].cols(), -1, 1));
  }

  // Every point of every entry's stencil must see the centre's regions.
  std::vector<int> centre_regions;
  tape.clear();
  evaluate(g, parameters, domain_margin, centre_regions);
  for (tg::Parameter& p : parameters) {
    for (Eigen::Index k = 0; k < p.size(); ++k) {
      const double x0 = p.value()(k);
      for (double offset : {-2.0, -1.0, 1.0, 2.0}) {
        p.value()(k) = x0 + offset * tg::testing::default_step(x0);
        std::vector<int> regions;
        tape.clear();
        const std::optional<Var> f = evaluate(g, parameters, 0.0, regions);
        if (!f || !std::isfinite(f->value()) || regions != centre_regions) return std::nullopt;
      }
      p.value()(k) = x0;
    }
  }
  return g;
}

TEST(TensorGraphProperty, GradientsOfRandomGraphsMatchCentralDifferences) {
  constexpr std::uint64_t default_count = 1000;
  tg::Tape tape;
  std::size_t checked = 0, redrawn = 0, operations = 0, entries = 0;
  for (const std::uint64_t seed : tg::testing::property_seeds("TAPEGRAD_TENSOR_GRAPH_SEED", default_count)) {
    tg::models::Random random(seed);
    std::optional<Graph> graph;
    while (!(graph = draw_graph(tape, random))) ++redrawn;
    operations += graph->nodes.size();

    std::vector<tg::Parameter> parameters(graph->inputs.begin(), graph->inputs.end());
    std::vector<int> regions;
    tape.clear();
    const Var f = *evaluate(*graph, parameters, 0.0, regions);
    tape.backward(f);
    double scale = std::max(1.0, std::abs(f.value()));
    for (const tg::Parameter& p : parameters) scale = std::max(scale, p.grad().cwiseAbs().maxCoeff());

    for (std::size_t t = 0; t < parameters.size(); ++t) {
      Matrix& x = parameters[t].value();
      for (Eigen::Index k = 0; k < x.size(); ++k) {
        const double x0 = x(k);
        auto value_at = [&](double xk) {
          x(k) = xk;
          std::vector<int> unused;
          tape.clear();
          const std::optional<Var> shifted = evaluate(*graph, parameters, 0.0, unused);
          return shifted ? shifted->value() : std::nan("");
        };
        const tg::testing::FiniteDifference fd =
            tg::testing::richardson_difference(value_at, x0, 1e-9 * scale);
        x(k) = x0;
        const double g = parameters[t].grad()(k);
        ASSERT_NEAR(g, fd.estimate, tg::testing::gradient_tolerance(g, fd, scale))
            << "d f / d x" << t << "(" << k << "), seed " << seed
            << " (replay with TAPEGRAD_TENSOR_GRAPH_SEED=" << seed << ")\n"
            << graph->describe();
        ++entries;
      }
    }
    ++checked;
  }
  std::printf("[ tensor graphs ] %zu checked (%zu operations, %zu gradient entries; %zu draws redrawn)\n",
              checked, operations, entries, redrawn);
}

// Replay: each graph recorded once on a replay tape, the Parameters moved, the tape
// replayed and swept; value and gradients must be those of a fresh recording at the
// moved Parameters, bit for bit.
TEST(TensorGraphProperty, ReplaysEqualFreshRecordingsOfRandomGraphs) {
  constexpr std::uint64_t default_count = 400;
  std::size_t replayed = 0;
  const std::vector<std::uint64_t> seeds =
      tg::testing::property_seeds("TAPEGRAD_TENSOR_GRAPH_SEED", default_count);
  for (const std::uint64_t seed : seeds) {
    tg::models::Random random(seed);
    std::optional<Graph> graph;
    {
      tg::Tape scratch;
      while (!(graph = draw_graph(scratch, random))) {
      }
    }
    std::vector<tg::Parameter> parameters(graph->inputs.begin(), graph->inputs.end());
    tg::ReplayTape replayable;
    std::vector<int> regions;
    const Var f = *evaluate(*graph, parameters, 0.0, regions);
    for (tg::Parameter& p : parameters)
      for (Eigen::Index k = 0; k < p.size(); ++k) p.value()(k) += random.uniform(-0.01, 0.01);

    std::vector<Matrix> expected_grads;
    double expected = 0;
    {
      tg::Tape fresh;
      std::vector<int> unused;
      const std::optional<Var> g = evaluate(*graph, parameters, 0.0, unused);
      if (!g) continue;  // the move left an operation's domain
      for (tg::Parameter& p : parameters) p.zero_grad();
      fresh.backward(*g);
      expected = g->value();
      for (const tg::Parameter& p : parameters) expected_grads.push_back(p.grad());
    }
    for (tg::Parameter& p : parameters) p.zero_grad();
    replayable.replay();
    replayable.backward(f);
    ASSERT_EQ(replayable.replayed_value(f.index()), expected)
        << "seed " << seed << " (replay with TAPEGRAD_TENSOR_GRAPH_SEED=" << seed << ")\n"
        << graph->describe();
    for (std::size_t t = 0; t < parameters.size(); ++t)
      ASSERT_TRUE(parameters[t].grad() == expected_grads[t]) << "d f / d x" << t << ", seed " << seed << "\n"
                                                             << graph->describe();
    ++replayed;
  }
  std::printf("[ tensor graphs ] %zu replayed bit-identically\n", replayed);
  EXPECT_GE(2 * replayed, seeds.size());  // most moves stay inside every domain
}

}  // namespace
