// The Evaluator for every value type the commands use, compiled once here (evaluate.hpp
// declares them extern everywhere else).
#include "evaluate.hpp"

namespace tapegrad::cli {

template class Evaluator<double>;
template class Evaluator<Var>;
template class Evaluator<BasicVar<Dual<double>>>;

}  // namespace tapegrad::cli
