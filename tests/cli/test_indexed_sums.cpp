// Indexed sums and products (sum(i = A..B: …), prod(i = A..B: …)), index arithmetic and
// len(x): values and gradients against formulas derived by hand, the errors with their
// messages and columns, the bound on the work one evaluation may ask, and the tape a
// sum records (one statement per term: values and gradients as the operations recorded one
// by one, replays and Hessian products as an independent recording's).
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <tapegrad/cli/calculus.hpp>
#include <tapegrad/cli/limits.hpp>
#include <tapegrad/tapegrad.hpp>
#include <vector>

namespace cli = tapegrad::cli;

namespace {

using Values = std::map<std::string, std::vector<double>>;

// The point of `e` from values by name: a vector's entries, or a scalar's one value.
cli::Point point_of(const cli::Expression& e, const Values& values) {
  cli::Point p;
  for (const std::string& name : e.scalars()) p.scalars.push_back(values.at(name).at(0));
  for (const std::string& name : e.vectors()) p.vectors.push_back(values.at(name));
  return p;
}

// f and its gradient (scalars first, then each vector's entries, in name order).
cli::ValueAndGradient at(const std::string& text, const Values& values) {
  std::map<std::string, std::size_t> dims;
  for (const auto& [name, v] : values)
    if (v.size() > 1 || name == "x") dims[name] = v.size();
  const cli::Expression e = cli::compile(text, dims);
  return cli::value_and_gradient(e, point_of(e, values));
}

struct Failure {
  std::string message;
  std::size_t column = 0;
};

// The error that compiling `text` with these vectors, or evaluating it, raises.
Failure failure(const std::string& text, const Values& values) {
  try {
    at(text, values);
  } catch (const cli::ExpressionError& e) {
    return {e.what(), e.column()};
  }
  ADD_FAILURE() << text << " raised no error";
  return {};
}

void expect_failure(const std::string& text, const Values& values, const std::string& part,
                    std::size_t column) {
  const Failure f = failure(text, values);
  EXPECT_NE(f.message.find(part), std::string::npos) << text << ": " << f.message;
  EXPECT_EQ(f.column, column) << text << ": " << f.message;
}

// x[k] = 0.5 + 0.3·((7k mod 11)/11): entries that differ, in (0.5, 0.8).
std::vector<double> sample(std::size_t n) {
  std::vector<double> x(n);
  for (std::size_t k = 0; k < n; ++k) x[k] = 0.5 + 0.3 * static_cast<double>((7 * k) % 11) / 11;
  return x;
}

}  // namespace

TEST(IndexedSums, WeightedSquaresTakeTheIndexAsANumber) {
  // f = Σ_{i=1..10} i·x_i²: ∂f/∂x_i = 2·i·x_i, and x_0 is not read.
  const std::vector<double> x = sample(11);
  const cli::ValueAndGradient r = at("sum(i = 1..10: i*x[i]^2)", {{"x", x}});
  double f = 0;
  for (int i = 1; i <= 10; ++i) f += i * x[i] * x[i];
  EXPECT_NEAR(r.value, f, 1e-14 * f);
  ASSERT_EQ(r.gradient.size(), 11u);
  EXPECT_EQ(r.gradient[0], 0);
  for (int i = 1; i <= 10; ++i) EXPECT_NEAR(r.gradient[i], 2 * i * x[i], 1e-14) << i;
  // The index alone: 1 + … + 10 = 55 and 5! = 120.
  EXPECT_EQ(at("sum(i = 1..10: i)", {{"x", {1}}}).value, 55);
  EXPECT_EQ(at("prod(i = 1..5: i)", {{"x", {1}}}).value, 120);
}

TEST(IndexedSums, ProductsOfEntries) {
  // f = x0·x1·x2·x3 = 210 at (2, 3, 5, 7): ∂f/∂x_k = f / x_k.
  const cli::ValueAndGradient r = at("prod(i = 0..len(x)-1: x[i])", {{"x", {2, 3, 5, 7}}});
  EXPECT_EQ(r.value, 210);
  EXPECT_EQ(r.gradient, (std::vector<double>{105, 70, 42, 30}));
  // Without an index, over every entry of the vectors named bare.
  const cli::ValueAndGradient bare = at("prod(x)", {{"x", {2, 3, 5}}});
  EXPECT_EQ(bare.value, 30);
  EXPECT_EQ(bare.gradient, (std::vector<double>{15, 10, 6}));
}

TEST(IndexedSums, RosenbrockChainMatchesItsGradientFormula) {
  // f = Σ_{i=0..n−2} 100(x_{i+1} − x_i²)² + (1 − x_i)²:
  // ∂f/∂x_k = −400·x_k(x_{k+1} − x_k²) − 2(1 − x_k)   (k < n−1)
  //          + 200(x_k − x_{k−1}²)                     (k > 0).
  const std::vector<double> x = sample(7);
  const std::size_t n = x.size();
  const cli::ValueAndGradient r = at("sum(i = 0..len(x)-2: 100*(x[i+1]-x[i]^2)^2 + (1-x[i])^2)", {{"x", x}});
  double f = 0;
  for (std::size_t i = 0; i + 1 < n; ++i)
    f += 100 * std::pow(x[i + 1] - x[i] * x[i], 2) + std::pow(1 - x[i], 2);
  EXPECT_NEAR(r.value, f, 1e-13 * f);
  for (std::size_t k = 0; k < n; ++k) {
    double g = 0;
    if (k + 1 < n) g += -400 * x[k] * (x[k + 1] - x[k] * x[k]) - 2 * (1 - x[k]);
    if (k > 0) g += 200 * (x[k] - x[k - 1] * x[k - 1]);
    EXPECT_NEAR(r.gradient[k], g, 1e-12 * (1 + std::abs(g))) << k;
  }
}

TEST(IndexedSums, IndexArithmetic) {
  // Σ x_i·x_{n−1−i} at (1, 2, 3, 4) = 4 + 6 + 6 + 4; ∂/∂x_k = 2·x_{n−1−k}.
  const cli::ValueAndGradient reversed =
      at("sum(i = 0..len(x)-1: x[i]*x[len(x)-1-i])", {{"x", {1, 2, 3, 4}}});
  EXPECT_EQ(reversed.value, 20);
  EXPECT_EQ(reversed.gradient, (std::vector<double>{8, 6, 4, 2}));
  // Pairs: x0·x1 + x2·x3 = 2 + 12.
  const cli::ValueAndGradient pairs = at("sum(i = 0..1: x[2*i] * x[2*i+1])", {{"x", {1, 2, 3, 4}}});
  EXPECT_EQ(pairs.value, 14);
  EXPECT_EQ(pairs.gradient, (std::vector<double>{2, 1, 4, 3}));
  // A telescoping sum: x3 − x0.
  const cli::ValueAndGradient telescoping = at("sum(i = 1..3: x[i] - x[i-1])", {{"x", {1, 2, 4, 8}}});
  EXPECT_EQ(telescoping.value, 7);
  EXPECT_EQ(telescoping.gradient, (std::vector<double>{-1, 0, 0, 1}));
  // Not affine in i: squares, x0 + x1 + x4 + x9 with x_k = k + 1.
  std::vector<double> ten(10);
  for (std::size_t k = 0; k < 10; ++k) ten[k] = static_cast<double>(k + 1);
  const cli::ValueAndGradient squares = at("sum(i = 0..3: x[i*i])", {{"x", ten}});
  EXPECT_EQ(squares.value, 1 + 2 + 5 + 10);
  EXPECT_EQ(squares.gradient, (std::vector<double>{1, 1, 0, 0, 1, 0, 0, 0, 0, 1}));
  // An index that depends on a variable's value is read from the value: x[i + y] at
  // y = 1 is x1 + x2, and y gets no derivative from it.
  const cli::ValueAndGradient shifted = at("sum(i = 0..1: x[i + y])", {{"x", {1, 2, 4, 8}}, {"y", {1}}});
  EXPECT_EQ(shifted.value, 6);
  EXPECT_EQ(shifted.gradient, (std::vector<double>{0, 0, 1, 1, 0}));
}

TEST(IndexedSums, NestedSums) {
  // Σ_i Σ_{j≤i} x_i·x_j = (S² + Σx²)/2 with S = Σx; ∂/∂x_k = S + x_k.
  const std::vector<double> x = sample(6);
  double s = 0, squares = 0;
  for (double v : x) s += v, squares += v * v;
  const cli::ValueAndGradient r = at("sum(i = 0..len(x)-1: sum(j = 0..i: x[i]*x[j]))", {{"x", x}});
  EXPECT_NEAR(r.value, (s * s + squares) / 2, 1e-14 * s * s);
  for (std::size_t k = 0; k < x.size(); ++k) EXPECT_NEAR(r.gradient[k], s + x[k], 1e-14) << k;
  // Bounds read the outer index: Σ_i Σ_{j=i..3} x_j = Σ_j (j + 1)·x_j.
  const cli::ValueAndGradient staircase = at("sum(i = 0..3: sum(j = i..3: x[j]))", {{"x", {1, 1, 1, 1}}});
  EXPECT_EQ(staircase.value, 10);
  EXPECT_EQ(staircase.gradient, (std::vector<double>{1, 2, 3, 4}));
  // Two indices in one entry: Σ_{i,j ∈ 0..1} x_{i+j} = x0 + 2·x1 + x2.
  const cli::ValueAndGradient both = at("sum(i = 0..1: sum(j = 0..1: x[i+j]))", {{"x", {1, 2, 4}}});
  EXPECT_EQ(both.value, 1 + 4 + 4);
  EXPECT_EQ(both.gradient, (std::vector<double>{1, 2, 1}));
  // A bare vector inside an indexed sum inside sum(…): Σ_k x_k·(Σ_i i·x_i) = S·T, so
  // ∂/∂x_k = T + S·k; at (1, 2, 3): S = 6, T = 8.
  const cli::ValueAndGradient mixed = at("sum(x * sum(i = 0..2: i*x[i]))", {{"x", {1, 2, 3}}});
  EXPECT_EQ(mixed.value, 48);
  EXPECT_EQ(mixed.gradient, (std::vector<double>{8, 14, 20}));
}

TEST(IndexedSums, LenIsTheVectorsLength) {
  // len(x)·y = 7·2; x is a variable of the expression (with a zero gradient).
  const cli::Expression e = cli::compile("len(x) * y", {{"x", 7}});
  EXPECT_EQ(e.vectors(), (std::vector<std::string>{"x"}));
  const cli::ValueAndGradient r = cli::value_and_gradient(e, point_of(e, {{"x", sample(7)}, {"y", {2}}}));
  EXPECT_EQ(r.value, 14);
  EXPECT_EQ(r.gradient, (std::vector<double>{7, 0, 0, 0, 0, 0, 0, 0}));
  // Bounds from two vectors' lengths: Σ_{i < min(len)} a_i·b_i.
  const cli::ValueAndGradient dot =
      at("sum(i = 0..min(len(a), len(b))-1: a[i]*b[i])", {{"a", {1, 2, 3}}, {"b", {4, 5}}});
  EXPECT_EQ(dot.value, 14);
  EXPECT_EQ(dot.gradient, (std::vector<double>{4, 5, 0, 1, 2}));
}

TEST(IndexedSums, EmptyRangesGiveZeroAndOne) {
  // The bodies would read out of range: they never run.
  const cli::ValueAndGradient r =
      at("sum(i = 0..len(x)-1-len(x): x[i+100]) + prod(i = 3..2: x[i+100]) + sum(k = 5..-5: k)",
         {{"x", {1, 2}}});
  EXPECT_EQ(r.value, 1);
  EXPECT_EQ(r.gradient, (std::vector<double>{0, 0}));
  EXPECT_EQ(at("prod(i = 1..0: x[0]) * x[1]", {{"x", {3, 5}}}).gradient, (std::vector<double>{0, 1}));
}

TEST(IndexedSums, AnIndexOutOfRangeNamesTheVectorTheIndexAndTheSums) {
  expect_failure("sum(i = 0..len(x): x[i])", {{"x", {1, 2, 3}}},
                 "the index 3 is out of range: x has dimension 3 (indices 0 to 2), at i = 3", 20);
  expect_failure("sum(i = 0..2: x[i-1])", {{"x", {1, 2, 3}}},
                 "the index -1 is out of range: x has dimension 3", 15);
  expect_failure("sum(i = 0..2: sum(j = 0..2: x[i+j]))", {{"x", {1, 2, 3, 4}}},
                 "the index 4 is out of range: x has dimension 4 (indices 0 to 3), at i = 2, j = 2", 29);
  expect_failure("x[5]", {{"x", {1, 2, 3}}},
                 "the index 5 is out of range: x has dimension 3 (indices 0 to 2)", 1);
}

TEST(IndexedSums, NonWholeBoundsAndIndicesAreRefused) {
  expect_failure("sum(i = 0.5..2: x[0])", {{"x", {1, 2}}},
                 "the lower bound 0.5 of sum(i = …) is not a whole number", 9);
  expect_failure("prod(k = 1..2.5: x[0])", {{"x", {1, 2}}},
                 "the upper bound 2.5 of prod(k = …) is not a whole number", 13);
  // A bound that reads the outer index names it.
  expect_failure("sum(i = 0..2: sum(j = 0..i/2: x[j]))", {{"x", {1, 2}}},
                 "the upper bound 0.5 of sum(j = …) is not a whole number, at i = 1", 26);
  // A sum without an index around it names no index.
  const Failure inside_whole =
      failure("sum(i = 0..1: x[i]) + sum(x * sum(j = 0..1/2: x[j]))", {{"x", {1, 2}}});
  EXPECT_NE(inside_whole.message.find("the upper bound 0.5 of sum(j = …) is not a whole number"),
            std::string::npos)
      << inside_whole.message;
  EXPECT_EQ(inside_whole.message.find(", at"), std::string::npos) << inside_whole.message;
  EXPECT_EQ(inside_whole.column, 42u);
  expect_failure("sum(i = 0..3: x[i/2])", {{"x", {1, 2}}},
                 "the index 0.5 of x is not a whole number, at i = 1", 15);
  expect_failure("sum(i = 0..len(x)/2: x[i])", {{"x", {1, 2, 3}}}, "the upper bound 1.5", 12);
}

TEST(IndexedSums, SyntaxErrorsPointAtTheirColumn) {
  const Values x{{"x", {1, 2, 3}}};
  expect_failure("sum(i = 0:3: x[i])", x, "expected '..' between the bounds of sum(i = A..B: …), found ':'",
                 10);
  expect_failure("sum(i = 0..2 x[i])", x, "expected ':' after the bounds of sum(i = A..B: …)", 14);
  expect_failure("sum(i = 0..n: x[i])", x,
                 "the upper bound of sum(i = …) may use numbers, len(…) and the indices of enclosing sums",
                 12);
  expect_failure("sum(i = x[0]..2: x[i])", x, "the lower bound of sum(i = …) may use numbers", 9);
  expect_failure("sum(x = 0..2: x[0])", x,
                 "x is a vector variable; the index of sum(…) needs a name of its own", 5);
  expect_failure("sum(exp = 0..2: x[0])", x, "exp is a function", 5);
  expect_failure("sum(i = 0..2: sum(i = 0..2: x[i]))", x, "i is already the index of an enclosing sum", 19);
  expect_failure("i + sum(i = 0..2: x[i])", x, "i is the index of this sum and a variable outside it", 9);
  expect_failure("sum(i = 0..2: x)", x, "x is a vector: use x[i] or sum(…) around it", 15);
  expect_failure("len(y)", x, "y is not a vector", 5);
  expect_failure("len(x + 1)", x, "expected ')' after the vector's name in len(…)", 7);
  expect_failure("sum(i = 0..2: x[i]", x, "expected ')' to close the '(' of sum at column 4", 19);
  expect_failure("prod(y)", {{"x", {1, 2}}, {"y", {1}}}, "prod(…) must mention a vector variable", 1);
}

TEST(IndexedSums, TheWorkOfOneEvaluationIsBoundedBeforeItRuns) {
  // 10^9 terms, and 5·10^9 in a triangle of nested sums: refused when parsed.
  for (const char* text : {"sum(i = 0..10^9: x[0])", "sum(i = 1..10^5: sum(j = 1..i: x[0]))",
                           "prod(i = 0..10^4: prod(j = 0..10^4: x[0]))"}) {
    const Failure f = failure(text, {{"x", {1, 2}}});
    EXPECT_NE(f.message.find("takes more than 10^8 operations"), std::string::npos)
        << text << ": " << f.message;
    EXPECT_EQ(f.column, 1u) << text;
  }
  // Counted exactly below the limit: the outer sum (1), and for each i = 1..1000 the inner
  // sum (1) and its i terms of three operations (two entries and a product).
  const cli::Expression e = cli::compile("sum(i = 1..1000: sum(j = 1..i: x[0]*x[1]))", {{"x", 2}});
  EXPECT_EQ(e.operations(), 1 + 1000 + 3 * 500500);
  EXPECT_EQ(cli::max_evaluation_operations, 100'000'000);
}

TEST(IndexedSums, EachTermIsOneStatementWithTheValuesAndGradientOfTheTermsWrittenOut) {
  // Σ (x_{i+1} − x_i)² over four entries against the same written out: equal values and
  // gradients. Written out, each term records two statements (the difference and its
  // square: ^2 is the square rule, its constant exponent not recorded) and each addition
  // one; the sum records one statement per term (sum_terms.hpp), `s + (x_{i+1} − x_i)²`
  // after the first, besides the four inputs: indices are not recorded. So a recording's
  // sparsity still sees the chain s = s + term.
  const Values x{{"x", {1, 2, 4, 7}}};
  const cli::ValueAndGradient indexed = at("sum(i = 0..len(x)-2: (x[i+1] - x[i])^2)", x);
  const cli::ValueAndGradient written = at("(x[1] - x[0])^2 + (x[2] - x[1])^2 + (x[3] - x[2])^2", x);
  EXPECT_EQ(indexed.value, 1 + 4 + 9);
  EXPECT_EQ(indexed.gradient, (std::vector<double>{-2, 2 - 4, 4 - 6, 6}));
  EXPECT_EQ(written.value, indexed.value);
  EXPECT_EQ(written.gradient, indexed.gradient);
  EXPECT_EQ(indexed.tape_statements, 4u + 3);
  EXPECT_EQ(written.tape_statements, 4u + 3 * 2 + 2);
}

// The bodies a term program compiles: every way of reading a variable (x[i], x[i+1],
// x[2*i], x[n-1-i], x[i*i], a scalar), the index as a number, constants and subexpressions
// of numbers alone, unary, binary and ternary rules, kinks (abs, max, min, relu, clamp),
// products, a sum of one term, and sums inside a body that does not compile (x[y], a
// nested sum) around ones that do.
const char* const compiled_bodies[] = {
    "sum(i = 0..len(x)-2: 100*(x[i+1]-x[i]^2)^2 + (1-x[i])^2)",
    "sum(i = 0..2: x[2*i] * x[len(x)-1-i] / (1 + y^2)) + sum(i = 0..2: x[i*i] * sin(i))",
    "sum(i = 1..len(x)-1: i * exp(-x[i]) + log(x[i-1] + 2) - sqrt(x[i]) * atan2(x[i], y))",
    "sum(i = 0..len(x)-2: abs(x[i] - 0.6) + max(x[i], x[i+1]) - min(x[i], 0.7) + relu(x[i] - 0.65))",
    "sum(i = 0..len(x)-1: clamp(x[i], 0.55, 0.75) * hypot(x[i], y) + tanh(x[i] * y) ^ 3)",
    "prod(i = 0..len(x)-1: 1 + x[i] / 10) + prod(i = 2..2: x[i] - y)",
    "sum(i = 0..len(x)-1: sum(j = 0..i: x[i] * x[j] * (j + 1))) + sum(i = 0..1: x[y*0+i] * x[i+1])",
    "sum(x^2 * cos(y * x)) - sum(i = 3..2: x[i])",
};

// The scalars 0.9 + shift, each vector's entries x[k] = 0.5 + 0.3·((7k mod 11)/11) + shift.
cli::Point compiled_point(const cli::Expression& e, double shift) {
  cli::Point p;
  p.scalars.assign(e.scalars().size(), 0.9 + shift);
  for (std::size_t v = 0; v < e.vectors().size(); ++v) {
    std::vector<double>& x = p.vectors.emplace_back();
    for (std::size_t k = 0; k < e.dimension(v); ++k)
      x.push_back(0.5 + 0.3 * static_cast<double>((7 * k) % 11) / 11 + shift);
  }
  return p;
}

TEST(IndexedSums, TermsRecordedAsOneStatementGiveTheGradientOfTheOperationsRecordedOneByOne) {
  for (const char* text : compiled_bodies) {
    const cli::Expression e = cli::compile(text, {{"x", 6}});
    const cli::Point p = compiled_point(e, 0);
    // One statement per term; a tape that annotates its statements (for --dot) records
    // every operation as its own statement instead: an independent path to the gradient.
    const cli::ValueAndGradient terms = cli::value_and_gradient(e, p);
    std::string dot;
    const cli::ValueAndGradient operations = cli::value_and_gradient(e, p, &dot);
    EXPECT_LT(terms.tape_statements, operations.tape_statements) << text;
    EXPECT_EQ(terms.value, cli::checked_value(e, p)) << text;  // the same rules on the same numbers
    EXPECT_EQ(terms.value, operations.value) << text;
    ASSERT_EQ(terms.gradient.size(), operations.gradient.size());
    for (std::size_t k = 0; k < terms.gradient.size(); ++k) {
      EXPECT_NEAR(terms.gradient[k], operations.gradient[k], 1e-14 * (1 + std::abs(operations.gradient[k])))
          << text << " at " << k;
      // And central differences of the value alone.
      cli::Point up = p, down = p;
      const double h = 1e-6;
      double& u = k < p.scalars.size() ? up.scalars[k] : up.vectors[0][k - p.scalars.size()];
      double& d = k < p.scalars.size() ? down.scalars[k] : down.vectors[0][k - p.scalars.size()];
      u += h;
      d -= h;
      const double central = (cli::checked_value(e, up) - cli::checked_value(e, down)) / (2 * h);
      EXPECT_NEAR(terms.gradient[k], central, 1e-6 * (1 + std::abs(central))) << text << " at " << k;
    }
  }
}

TEST(IndexedSums, TermStatementsReplayAndGiveHessianProductsAsAFreshDualRecording) {
  // Recorded once at p0 and replayed at p1, where abs, max, min, relu and clamp change
  // pieces (x moves by 0.12 across 0.6, 0.65, 0.7 and 0.75): the replay records again
  // there and gives the gradient of a fresh recording at p1; the Hessian-vector products of
  // its linearization equal those of the expression evaluated operation by operation on
  // Dual numbers (tg::hvp), an independent recording.
  for (const char* text : compiled_bodies) {
    const cli::Expression e = cli::compile(text, {{"x", 6}});
    const std::vector<double> x0 = compiled_point(e, 0).flat(), x1 = compiled_point(e, 0.12).flat();
    const auto on_vars = [&](std::span<const tapegrad::Var> x) { return cli::evaluate_flat(e, x); };
    tapegrad::RecordedFunction f(on_vars, std::span<const double>(x0));
    std::vector<double> g(x1.size());
    const double value = f.linearize(x1, g);
    const cli::ValueAndGradient fresh = cli::value_and_gradient(e, compiled_point(e, 0.12));
    EXPECT_EQ(value, fresh.value) << text;
    EXPECT_EQ(g, fresh.gradient) << text;  // the same statements, run by the same interpreter
    const auto generic = [&](auto x) { return cli::evaluate_flat(e, x); };
    for (int direction = 0; direction < 2; ++direction) {
      std::vector<double> v(x1.size()), hv(x1.size());
      for (std::size_t k = 0; k < v.size(); ++k) v[k] = direction == 0 ? 1.0 : std::cos(3.0 * k);
      f.hessian_product(v, hv);
      const std::vector<double> expected = tapegrad::hvp(generic, x1, v);
      for (std::size_t k = 0; k < hv.size(); ++k)
        EXPECT_NEAR(hv[k], expected[k], 1e-12 * (1 + std::abs(expected[k]))) << text << " at " << k;
    }
  }
}

// The evaluator keeps each expression's compiled sums: one reused for another expression, even
// one built where the first was (the same address), compiles that one's and records its gradient.
TEST(IndexedSums, AnEvaluatorReusedForAnotherExpressionCompilesItsSumsAgain) {
  cli::Evaluator<tapegrad::Var> evaluate;
  std::optional<cli::Expression> e;
  for (const char* text : {"sum(i = 0..2: x[i] * x[i+1])", "sum(i = 0..2: exp(x[i]) - 3 * x[i+1])"}) {
    e.emplace(cli::compile(text, {{"x", 4}}));  // in the same storage each time
    const cli::Point p = compiled_point(*e, 0);
    tapegrad::Tape tape;
    std::vector<std::vector<tapegrad::Var>> vectors(1);
    for (const double v : p.vectors[0]) vectors[0].emplace_back(v);
    const tapegrad::Var f = evaluate(*e, cli::Inputs<tapegrad::Var>{{}, vectors});
    const std::vector<double> g = tapegrad::gradient(f, vectors[0]);
    const cli::ValueAndGradient fresh = cli::value_and_gradient(*e, p);
    EXPECT_EQ(f.value(), fresh.value) << text;
    EXPECT_EQ(g, fresh.gradient) << text;
  }
}
