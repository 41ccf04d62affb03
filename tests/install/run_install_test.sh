#!/usr/bin/env bash
# What a new user does with the installed package, in a scratch folder:
#   1. `cmake --install` this build under a fresh prefix;
#   2. copy every ```cpp block of the README, unchanged, into a project of its own that
#      finds the package with find_package(tapegrad) and is compiled with other flags
#      than the library (Debug: -O0, assertions on; -march=native: another Eigen
#      vectorization; no debug information, which took a fifth of each compile and
#      matters to none of this) and, where clang 14 is installed (make test installs it),
#      by another compiler than the library's: clang against a GCC-built library, and in
#      two thirds of GCC's time (its precompiled header keeps the templates it
#      instantiates); then build and run each example from an empty folder;
#   3. check that the shipped data sets are found under the prefix, by such a program and
#      by the installed `tapegrad`, and that such a program colors a sparse Hessian (the
#      library's ColPack, linked through the exported targets);
#   4. configure a project that adds the source tree with add_subdirectory() while
#      GoogleTest, Google Benchmark and CLI11 cannot be found: it gets the library only.
# Usage: run_install_test.sh BUILD_DIR SOURCE_DIR WORK_DIR
set -euo pipefail
build=$1 source=$2 work=$3
rm -rf "$work"
mkdir -p "$work/examples" "$work/run"
prefix="$work/prefix"
unset TAPEGRAD_DATA_DIR

echo "== install under $prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null

echo "== README examples"
awk -v dir="$work/examples" '
  /^```cpp[[:space:]]*$/ { n++; file = sprintf("%s/readme_example_%d.cpp", dir, n); inside = 1; next }
  /^```[[:space:]]*$/   { inside = 0; next }
  inside                { print > file }
  END                   { if (n == 0) exit 1 }' "$source/README.md"
ls "$work/examples"
compiler=c++
if command -v clang++-14 >/dev/null; then compiler=clang++-14; fi
echo "compiled by $compiler"
native=""
if echo 'int main(){}' | "$compiler" -march=native -x c++ - -o /dev/null 2>/dev/null; then native="-march=native"; fi
cmake -S "$source/tests/install/consumer" -B "$work/consumer" -DCMAKE_CXX_COMPILER="$compiler" \
  -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG= -DCMAKE_CXX_FLAGS="-O0 $native" \
  -DCMAKE_PREFIX_PATH="$prefix" -DEXAMPLES_DIR="$work/examples" >/dev/null
cmake --build "$work/consumer" -j 2 >/dev/null
for example in "$work"/examples/*.cpp; do
  name=$(basename "$example" .cpp)
  echo "-- $name"
  # Left out by the consumer's CMakeLists.txt only when it needs IPOPT and the package has none.
  if [ ! -x "$work/consumer/$name" ]; then
    echo "   (needs IPOPT, which this build does not have)"
    continue
  fi
  (cd "$work/run" && "$work/consumer/$name")
done

echo "== shipped data found under the prefix"
where=$(cd "$work/run" && "$work/consumer/data_location")
echo "$where"
case "$where" in "$prefix"/*) ;; *) echo "data found at $where, not under $prefix"; exit 1 ;; esac
cli_out=$("$prefix/bin/tapegrad" train --data iris --epochs 2 --out "$work/run/cli")
echo "$cli_out" | grep -F "$prefix/share/tapegrad/data/iris.csv" ||
  { echo "$cli_out"; echo "the installed tapegrad did not read iris from $prefix"; exit 1; }

echo "== a sparse Hessian colored with ColPack through the installed library"
(cd "$work/run" && "$work/consumer/sparse_coloring")

echo "== add_subdirectory without GoogleTest, Google Benchmark or CLI11"
cmake -S "$source/tests/install/subproject" -B "$work/subproject" -DTAPEGRAD_SOURCE_DIR="$source" \
  -DCMAKE_DISABLE_FIND_PACKAGE_GTest=ON -DCMAKE_DISABLE_FIND_PACKAGE_benchmark=ON \
  -DCMAKE_DISABLE_FIND_PACKAGE_CLI11=ON >/dev/null
targets=$(cmake --build "$work/subproject" --target help)
for unwanted in autodiff_tests scalar_bench quickstart tapegrad_cli; do
  if echo "$targets" | grep -qw "$unwanted"; then echo "a subproject build has $unwanted"; exit 1; fi
done
echo "$targets" | grep -qw app
echo "install test passed"
