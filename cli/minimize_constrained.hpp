// `tapegrad minimize EXPR --subject-to "c1; c2; …"`: the expression minimized subject to
// the constraints by IPOPT (optim/constrained/minimize_constrained.hpp), bounds on single
// variables passed as bounds (cli/constraints.hpp). A build without IPOPT refuses it with
// exit code 2, saying how to get it.
#pragma once

#include <string>
#include <vector>

namespace tapegrad::cli {

struct ConstrainedRequest {
  std::string expression, subject_to, from, dims, out;
  long steps = 1000;        // IPOPT's iterations at most
  double tolerance = 1e-8;  // IPOPT's tol
  bool trace = false;       // IPOPT's iteration log (print_level 5) on stdout
  bool json = false;
  std::vector<std::string> ipopt;  // name=value, any IPOPT option
};

void run_constrained_minimize(const ConstrainedRequest& request);

}  // namespace tapegrad::cli
