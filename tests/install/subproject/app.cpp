#include <tapegrad/tapegrad.hpp>

int main() {
  tapegrad::Tape tape;
  tapegrad::Var x = 3.0;
  return tapegrad::gradient(x * x, {x})[0] == 6.0 ? 0 : 1;
}
