// Property test: 10 000 random scalar expression graphs, gradient-checked against
// five-point central differences in double.
//
// A graph is a random DAG over 1–4 inputs. Each node is one tape statement built from
// one or two rules (a unary op, a binary op, a binary op with a number, or two ops fused
// into one expression template, such as max(sin(a), b)). Operands are drawn from all
// earlier nodes, so subexpressions are shared and a node may meet itself (a * a). The
// output sums every node nothing else reads.
//
// Each op is chosen so that its operands lie inside its domain with a margin, away from
// its kinks (|x| for abs, a − b for max). A graph is kept only if every finite-difference
// point stays in the same region of every op as the centre, so the function is smooth
// across the stencil and a mismatch is a wrong derivative, not a kink.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <numbers>
#include <optional>
#include <sstream>
#include <string>
#include <tapegrad/tapegrad.hpp>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "../../models/random.hpp"
#include "property.hpp"

namespace tg = tapegrad;
namespace rules = tapegrad::rules;
using tg::Var;

namespace {

// Every unary and binary rule of rules.hpp's lists: a new rule joins the random graphs
// with no edit here. Each is kept inside its `domain` and off its kinks (`kink_distance`,
// which also marks poles and jumps), by a margin; the side of a kink (its `piece`, or
// the step or branch below) is the region code, so that a stencil crossing it is caught.
using UnaryRules = rules::UnaryRules;
using BinaryRules = rules::BinaryRules;
constexpr std::size_t num_unary = std::tuple_size_v<UnaryRules>;
constexpr std::size_t num_binary = std::tuple_size_v<BinaryRules>;

bool inside(const rules::Interval& domain, double x, double margin) {
  return x > domain.lo + margin && x < domain.hi - margin;
}

// The region of x for unary rule U: nullopt when x is outside the domain or closer than
// `margin` to its edge or kink; otherwise a code that differs on the two sides of a kink.
// The side of a kink for a rule without a `piece` (its partials keep one formula, but
// the value or derivative still jumps there): which step, branch or sign the point is
// on. A new such rule stops this file from compiling until its side is given here.
template <class U>
int unary_side(double x) {
  namespace r = rules;
  if constexpr (std::is_same_v<U, r::Floor> || std::is_same_v<U, r::Ceil> || std::is_same_v<U, r::Round>)
    return static_cast<int>(U::value(x));  // the step
  else if constexpr (std::is_same_v<U, r::Cbrt>)
    return (x > 0) - (x < 0);
  else if constexpr (std::is_same_v<U, r::Tan>)
    return static_cast<int>(std::nearbyint(x / std::numbers::pi));  // between two poles
  else
    static_assert(!sizeof(U), "give the side of this rule's kinks");
}
template <class B>
int binary_side(double a, double b) {
  namespace r = rules;
  if constexpr (std::is_same_v<B, r::Div>)
    return (b > 0) - (b < 0);
  else if constexpr (std::is_same_v<B, r::Atan2>)
    return b < 0 ? (a > 0) - (a < 0) : 0;  // the jump by 2π across a = 0 where b < 0
  else if constexpr (std::is_same_v<B, r::Hypot>)
    return 0;  // a single point, which a path cannot cross
  else if constexpr (std::is_same_v<B, r::Fmod>)
    return static_cast<int>(std::trunc(a / b));
  else
    static_assert(!sizeof(B), "give the side of this rule's kinks");
}

template <class U>
std::optional<int> unary_region(double x, double margin) {
  if constexpr (requires { U::domain; })
    if (!inside(U::domain, x, margin)) return std::nullopt;
  if constexpr (requires { U::kink_distance(x); }) {
    if (!(U::kink_distance(x) > margin)) return std::nullopt;
    if constexpr (requires { U::piece(x); })
      return U::piece(x);
    else
      return unary_side<U>(x);
  }
  return 0;
}

template <class B>
std::optional<int> binary_region(double a, double b, double margin) {
  if constexpr (requires { B::domain_a; })
    if (!inside(B::domain_a, a, margin) || !inside(B::domain_b, b, margin)) return std::nullopt;
  if constexpr (requires { B::kink_distance(a, b); }) {
    if (!(B::kink_distance(a, b) > margin)) return std::nullopt;
    if constexpr (requires { B::piece(a, b); })
      return B::piece(a, b);
    else
      return binary_side<B>(a, b);
  }
  return 0;
}

// Function tables over the rule lists, so a runtime op index picks a compiled rule.
template <class Rules, class Entry, template <class> class Make>
constexpr auto make_table() {
  return []<std::size_t... I>(std::index_sequence<I...>) {
    return std::array<Entry, sizeof...(I)>{Make<std::tuple_element_t<I, Rules>>::entry...};
  }
  (std::make_index_sequence<std::tuple_size_v<Rules>>{});
}

template <class U>
struct UnaryEntry {
  static constexpr auto entry = std::make_tuple(
      U::name, &U::template value<double>, &unary_region<U>,
      +[](const Var& x) { return Var(tg::UnaryExpr<U, Var>(x)); });
};
template <class B>
struct BinaryEntry {
  static constexpr auto entry = std::make_tuple(
      B::name, &B::template value<double>, &binary_region<B>,
      +[](const Var& a, const Var& b) { return Var(tg::BinaryExpr<B, Var, Var>(a, b)); },
      +[](double c, const Var& b) {
        return Var(tg::BinaryExpr<B, tg::Constant<double>, Var>(tg::Constant(c), b));
      },
      +[](const Var& a, double c) {
        return Var(tg::BinaryExpr<B, Var, tg::Constant<double>>(a, tg::Constant(c)));
      });
};
using UnaryEntryType = std::remove_const_t<decltype(UnaryEntry<rules::Exp>::entry)>;
using BinaryEntryType = std::remove_const_t<decltype(BinaryEntry<rules::Add>::entry)>;
constexpr auto unary_table = make_table<UnaryRules, UnaryEntryType, UnaryEntry>();
constexpr auto binary_table = make_table<BinaryRules, BinaryEntryType, BinaryEntry>();

// Two rules fused into one statement: u(b(x, y)) and b(u(x), y).
template <std::size_t K>
struct Fused {
  using U = std::tuple_element_t<K / num_binary, UnaryRules>;
  using B = std::tuple_element_t<K % num_binary, BinaryRules>;
  static Var unary_of_binary(const Var& x, const Var& y) {
    return Var(tg::UnaryExpr<U, tg::BinaryExpr<B, Var, Var>>(tg::BinaryExpr<B, Var, Var>(x, y)));
  }
  static Var binary_of_unary(const Var& x, const Var& y) {
    return Var(tg::BinaryExpr<B, tg::UnaryExpr<U, Var>, Var>(tg::UnaryExpr<U, Var>(x), y));
  }
};
using FusedFunction = Var (*)(const Var&, const Var&);
constexpr auto unary_of_binary_table = []<std::size_t... K>(std::index_sequence<K...>) {
  return std::array<FusedFunction, sizeof...(K)>{&Fused<K>::unary_of_binary...};
}
(std::make_index_sequence<num_unary * num_binary>{});
constexpr auto binary_of_unary_table = []<std::size_t... K>(std::index_sequence<K...>) {
  return std::array<FusedFunction, sizeof...(K)>{&Fused<K>::binary_of_unary...};
}
(std::make_index_sequence<num_unary * num_binary>{});

enum class Form { Unary, Binary, NumberLeft, NumberRight, UnaryOfBinary, BinaryOfUnary };
constexpr int num_forms = 6;

struct Node {
  Form form;
  std::size_t unary = 0;
  std::size_t binary = 0;
  std::size_t a = 0;  // operand positions: inputs first, then nodes
  std::size_t b = 0;
  double number = 0;
};

struct Graph {
  std::vector<double> inputs;
  std::vector<Node> nodes;
  std::vector<std::size_t> outputs;  // positions summed into f

  std::string describe() const {
    std::ostringstream out;
    out.precision(17);
    auto name = [&](std::size_t p) {
      return p < inputs.size() ? "x" + std::to_string(p) : "n" + std::to_string(p - inputs.size());
    };
    for (std::size_t i = 0; i < inputs.size(); ++i) out << "  x" << i << " = " << inputs[i] << "\n";
    for (std::size_t k = 0; k < nodes.size(); ++k) {
      const Node& n = nodes[k];
      const char* u = std::get<0>(unary_table[n.unary]);
      const char* b = std::get<0>(binary_table[n.binary]);
      out << "  n" << k << " = ";
      switch (n.form) {
        case Form::Unary:
          out << u << "(" << name(n.a) << ")";
          break;
        case Form::Binary:
          out << b << "(" << name(n.a) << ", " << name(n.b) << ")";
          break;
        case Form::NumberLeft:
          out << b << "(" << n.number << ", " << name(n.a) << ")";
          break;
        case Form::NumberRight:
          out << b << "(" << name(n.a) << ", " << n.number << ")";
          break;
        case Form::UnaryOfBinary:
          out << u << "(" << b << "(" << name(n.a) << ", " << name(n.b) << "))";
          break;
        case Form::BinaryOfUnary:
          out << b << "(" << u << "(" << name(n.a) << "), " << name(n.b) << ")";
          break;
      }
      out << "\n";
    }
    out << "  f = sum of";
    for (std::size_t p : outputs) out << " " << name(p);
    return out.str();
  }
};

constexpr double domain_margin = 0.05;
constexpr double value_bound = 1e4;

// A node's value in double, or nullopt when an operand is outside its op's domain (or
// within `margin` of its edge or kink). Appends each op's region code to `regions`.
std::optional<double> evaluate_node(const Node& n, double a, double b, double margin,
                                    std::vector<int>& regions) {
  const auto uvalue = std::get<1>(unary_table[n.unary]);
  const auto uregion = std::get<2>(unary_table[n.unary]);
  const auto bvalue = std::get<1>(binary_table[n.binary]);
  const auto bregion = std::get<2>(binary_table[n.binary]);
  auto unary = [&](double x) -> std::optional<double> {
    const auto r = uregion(x, margin);
    if (!r) return std::nullopt;
    regions.push_back(*r);
    return uvalue(x);
  };
  auto binary = [&](double x, double y) -> std::optional<double> {
    const auto r = bregion(x, y, margin);
    if (!r) return std::nullopt;
    regions.push_back(*r);
    return bvalue(x, y);
  };
  switch (n.form) {
    case Form::Unary:
      return unary(a);
    case Form::Binary:
      return binary(a, b);
    case Form::NumberLeft:
      return binary(n.number, a);
    case Form::NumberRight:
      return binary(a, n.number);
    // The inner value is bounded as a node's is (sin(pow(a, b)) would hide any size).
    case Form::UnaryOfBinary: {
      const auto inner = binary(a, b);
      return inner && std::abs(*inner) <= value_bound ? unary(*inner) : std::nullopt;
    }
    case Form::BinaryOfUnary: {
      const auto inner = unary(a);
      return inner && std::abs(*inner) <= value_bound ? binary(*inner, b) : std::nullopt;
    }
  }
  return std::nullopt;
}

// Every position's value (inputs, then nodes), and the region codes of every op; nullopt
// if some op's operands fall outside its domain.
std::optional<std::vector<double>> evaluate_all(const Graph& g, const std::vector<double>& inputs,
                                                double margin, std::vector<int>& regions) {
  std::vector<double> values = inputs;
  for (const Node& n : g.nodes) {
    const auto v = evaluate_node(n, values[n.a], values[n.b], margin, regions);
    if (!v || !std::isfinite(*v)) return std::nullopt;
    values.push_back(*v);
  }
  return values;
}

double output_value(const Graph& g, const std::vector<double>& values) {
  double f = 0;
  for (std::size_t p : g.outputs) f += values[p];
  return f;
}

// Draws a graph; nullopt when it cannot be made to satisfy the domain conditions
// (the caller draws again from the same stream).
std::optional<Graph> draw_graph(tg::models::Random& random) {
  Graph g;
  const std::size_t num_inputs = 1 + random.below(4);
  for (std::size_t i = 0; i < num_inputs; ++i) g.inputs.push_back(random.uniform(-2, 2));
  std::vector<double> values = g.inputs;
  const std::size_t num_nodes = 1 + random.below(16);
  // Half the operands come from the last few positions (deep chains), half from
  // anywhere (wide sharing).
  auto operand = [&]() {
    const std::size_t count = values.size();
    if (random.below(2) == 0) return count - 1 - random.below(std::min<std::size_t>(count, 3));
    return static_cast<std::size_t>(random.below(count));
  };
  for (std::size_t k = 0; k < num_nodes; ++k) {
    std::optional<double> value;
    Node n{};
    for (int attempt = 0; attempt < 50 && !value; ++attempt) {
      n = Node{static_cast<Form>(random.below(num_forms)),
               random.below(num_unary),
               random.below(num_binary),
               operand(),
               operand(),
               random.uniform(-3, 3)};
      std::vector<int> unused;
      value = evaluate_node(n, values[n.a], values[n.b], domain_margin, unused);
      if (value && !(std::abs(*value) <= value_bound)) value.reset();
    }
    if (!value) return std::nullopt;
    g.nodes.push_back(n);
    values.push_back(*value);
  }
  std::vector<bool> read(values.size(), false);
  for (const Node& n : g.nodes) {
    read[n.a] = true;
    if (n.form == Form::Binary || n.form == Form::UnaryOfBinary || n.form == Form::BinaryOfUnary)
      read[n.b] = true;
  }
  for (std::size_t p = num_inputs; p < values.size(); ++p)
    if (!read[p]) g.outputs.push_back(p);

  // Every point of the stencil must see the same regions as the centre.
  std::vector<int> centre_regions;
  evaluate_all(g, g.inputs, domain_margin, centre_regions);
  for (std::size_t j = 0; j < num_inputs; ++j) {
    for (double offset : {-2.0, -1.0, 1.0, 2.0}) {
      std::vector<double> shifted = g.inputs;
      shifted[j] += offset * tg::testing::default_step(g.inputs[j]);
      std::vector<int> regions;
      if (!evaluate_all(g, shifted, 0.0, regions) || regions != centre_regions) return std::nullopt;
    }
  }
  return g;
}

// The tape's gradient: every node recorded as one statement on `tape`.
std::vector<double> tape_gradient(tg::Tape& tape, const Graph& g, double& value) {
  tape.clear();
  std::vector<Var> vars(g.inputs.begin(), g.inputs.end());
  const std::size_t num_inputs = vars.size();
  for (const Node& n : g.nodes) {
    const Var& a = vars[n.a];
    const Var& b = vars[n.b];
    const std::size_t fused = n.unary * num_binary + n.binary;
    switch (n.form) {
      case Form::Unary:
        vars.push_back(std::get<3>(unary_table[n.unary])(a));
        break;
      case Form::Binary:
        vars.push_back(std::get<3>(binary_table[n.binary])(a, b));
        break;
      case Form::NumberLeft:
        vars.push_back(std::get<4>(binary_table[n.binary])(n.number, a));
        break;
      case Form::NumberRight:
        vars.push_back(std::get<5>(binary_table[n.binary])(a, n.number));
        break;
      case Form::UnaryOfBinary:
        vars.push_back(unary_of_binary_table[fused](a, b));
        break;
      case Form::BinaryOfUnary:
        vars.push_back(binary_of_unary_table[fused](a, b));
        break;
    }
  }
  Var f;
  for (std::size_t p : g.outputs) f += vars[p];
  value = f.value();
  tape.backward(f);
  std::vector<double> gradient;
  for (std::size_t j = 0; j < num_inputs; ++j) gradient.push_back(vars[j].adjoint());
  return gradient;
}

tg::testing::FiniteDifference finite_difference(const Graph& g, std::size_t j, double scale) {
  auto f = [&](double xj) {
    std::vector<double> x = g.inputs;
    x[j] = xj;
    std::vector<int> regions;
    const auto values = evaluate_all(g, x, 0.0, regions);
    return values ? output_value(g, *values) : std::nan("");
  };
  return tg::testing::richardson_difference(f, g.inputs[j], 1e-9 * scale);
}

TEST(ScalarGraphProperty, GradientsOfRandomGraphsMatchCentralDifferences) {
  constexpr std::uint64_t default_count = 10000;
  tg::Tape tape;
  std::size_t checked = 0, redrawn = 0, statements = 0;
  for (const std::uint64_t seed : tg::testing::property_seeds("TAPEGRAD_SCALAR_GRAPH_SEED", default_count)) {
    tg::models::Random random(seed);
    std::optional<Graph> graph;
    while (!(graph = draw_graph(random))) ++redrawn;
    double value = 0;
    const std::vector<double> gradient = tape_gradient(tape, *graph, value);
    statements += tape.num_nodes();

    std::vector<int> regions;
    const double expected_value = output_value(*graph, *evaluate_all(*graph, graph->inputs, 0.0, regions));
    ASSERT_NEAR(value, expected_value, 1e-12 * std::max(1.0, std::abs(expected_value)))
        << "seed " << seed << " (replay with TAPEGRAD_SCALAR_GRAPH_SEED=" << seed << ")\n"
        << graph->describe();
    double scale = std::max(1.0, std::abs(value));
    for (double gj : gradient) scale = std::max(scale, std::abs(gj));
    for (std::size_t j = 0; j < gradient.size(); ++j) {
      const tg::testing::FiniteDifference fd = finite_difference(*graph, j, scale);
      ASSERT_NEAR(gradient[j], fd.estimate, tg::testing::gradient_tolerance(gradient[j], fd, scale))
          << "d f / d x" << j << ", seed " << seed << " (replay with TAPEGRAD_SCALAR_GRAPH_SEED=" << seed
          << ")\n"
          << graph->describe();
    }
    ++checked;
  }
  std::printf("[ scalar graphs ] %zu checked (%zu statements; %zu draws redrawn for domain or kinks)\n",
              checked, statements, redrawn);
}

// Replay: each graph recorded once on a replay tape, then replayed at a nearby point;
// where every comparison and kink held, the replayed value and gradient must be those of
// a fresh recording there, bit for bit (and where one changed, replay must say so).
TEST(ScalarGraphProperty, ReplaysEqualFreshRecordingsOfRandomGraphs) {
  constexpr std::uint64_t default_count = 3000;
  tg::ReplayTape replayable;
  std::size_t replayed = 0, changed = 0;
  for (const std::uint64_t seed : tg::testing::property_seeds("TAPEGRAD_SCALAR_GRAPH_SEED", default_count)) {
    tg::models::Random random(seed);
    std::optional<Graph> graph;
    while (!(graph = draw_graph(random))) {
    }
    double value = 0;
    tape_gradient(replayable, *graph, value);
    const auto output = static_cast<std::uint32_t>(replayable.num_nodes());

    Graph moved = *graph;
    for (double& x : moved.inputs) x += random.uniform(-0.05, 0.05);
    for (std::size_t j = 0; j < moved.inputs.size(); ++j)
      replayable.set_input(static_cast<std::uint32_t>(j + 1), moved.inputs[j]);
    const tg::detail::ReplayChange change = replayable.try_replay();
    if (change.changed) {
      ++changed;
      continue;
    }
    double expected_value = 0;
    std::vector<double> expected;
    {
      tg::Tape fresh;  // active while it lives, then the replayable tape is again
      expected = tape_gradient(fresh, moved, expected_value);
    }
    replayable.zero_adjoints(0, output);
    replayable.adjoint_at(output) = 1;
    replayable.sweep(output, 0);
    ASSERT_EQ(replayable.replayed_value(output), expected_value)
        << "seed " << seed << " (replay with TAPEGRAD_SCALAR_GRAPH_SEED=" << seed << ")\n"
        << moved.describe();
    for (std::size_t j = 0; j < expected.size(); ++j)
      ASSERT_EQ(replayable.adjoint_data()[j + 1], expected[j])
          << "d f / d x" << j << ", seed " << seed << "\n"
          << moved.describe();
    ++replayed;
  }
  std::printf("[ scalar graphs ] %zu replayed bit-identically (%zu stopped at a changed kink)\n", replayed,
              changed);
  EXPECT_GT(replayed, changed);
}

}  // namespace
