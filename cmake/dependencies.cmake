# Every dependency is a Debian package found with find_package; a missing one stops
# configure with the exact line that installs it.
function(tapegrad_require package debian_packages)
  if(NOT ${package}_FOUND)
    message(FATAL_ERROR
      "tapegrad needs ${package}, which was not found. Install it with:\n"
      "  sudo apt-get install ${debian_packages}\n"
      "(or run `make test` / `make demo`, which install what is missing)")
  endif()
endfunction()

find_package(Eigen3 3.3 QUIET NO_MODULE)
tapegrad_require(Eigen3 libeigen3-dev)

if(TAPEGRAD_WITH_OPENBLAS)
  find_package(OpenBLAS QUIET CONFIG)
  if(NOT OpenBLAS_FOUND)
    message(FATAL_ERROR
      "tapegrad sends large matrix products to OpenBLAS, which was not found. Install it with:\n"
      "  sudo apt-get install libopenblas-dev\n"
      "or configure with -DTAPEGRAD_WITH_OPENBLAS=OFF to use Eigen's kernels for every product")
  endif()
endif()

find_package(nlohmann_json 3 QUIET)
tapegrad_require(nlohmann_json nlohmann-json3-dev)

if(TAPEGRAD_BUILD_CLI)
  find_package(CLI11 2 QUIET CONFIG)
  tapegrad_require(CLI11 libcli11-dev)
endif()

if(TAPEGRAD_BUILD_TESTS)
  find_package(GTest QUIET)
  tapegrad_require(GTest "libgtest-dev libgmock-dev")
  if(NOT TARGET GTest::gmock)
    message(FATAL_ERROR "tapegrad needs GoogleMock, which was not found. Install it with:\n"
                        "  sudo apt-get install libgmock-dev")
  endif()
endif()

# The tests need Google Benchmark too: they run register_cost_benchmarks' benchmarks.
if(TAPEGRAD_BUILD_BENCHMARKS OR TAPEGRAD_BUILD_TESTS)
  find_package(benchmark QUIET)
  tapegrad_require(benchmark libbenchmark-dev)
endif()
