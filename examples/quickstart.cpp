// The example from the README: the value and gradient of
//   f(x1, x2) = x1² + x2² + |x1 + x2|   at (1, 1),
// then one gradient-descent step x ← x − 0.001·∇f.
#include <cstdio>
#include <tapegrad/tapegrad.hpp>

namespace tg = tapegrad;

int main() {
  tg::Tape tape;
  tg::Var x1 = 1.0, x2 = 1.0;
  tg::Var f = x1 * x1 + x2 * x2 + tg::abs(x1 + x2);
  std::vector<double> g = tg::gradient(f, {x1, x2});

  std::printf("f(1, 1)        = %g\n", f.value());
  std::printf("gradient       = (%g, %g)\n", g[0], g[1]);
  const double learning_rate = 0.001;
  std::printf("after one step = (%g, %g)\n", x1.value() - learning_rate * g[0],
              x2.value() - learning_rate * g[1]);
  std::printf("tape: %zu nodes, %zu bytes\n", tape.num_nodes(), tape.bytes_in_use());
}
