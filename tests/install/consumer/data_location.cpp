// Prints where a program built against the installed package finds the shipped data
// sets, and loads one from there (a Dataset made in the library and freed here).
#include <cstdio>
#include <tapegrad/tapegrad.hpp>

int main() {
  namespace models = tapegrad::models;
  const models::Dataset iris = models::load_builtin("iris");
  std::printf("%s\n%ld rows\n", models::data_directory().c_str(), static_cast<long>(iris.rows()));
  return iris.rows() == 150 ? 0 : 1;
}
