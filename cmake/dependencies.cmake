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

find_package(Threads REQUIRED)

# ColPack colors the columns of sparse Jacobians and Hessians (autodiff/sparse/coloring.cpp).
# Debian's package has no CMake or pkg-config file, so its header and library are found by
# name; the installed package's tapegradConfig.cmake checks for the same library.
find_path(ColPack_INCLUDE_DIR ColPack/ColPackHeaders.h DOC "The folder holding ColPack/ColPackHeaders.h")
find_library(ColPack_LIBRARY ColPack DOC "ColPack's library (libColPack)")
if(ColPack_INCLUDE_DIR AND ColPack_LIBRARY)
  set(ColPack_FOUND TRUE)
endif()
tapegrad_require(ColPack libcolpack-dev)

# SuiteSparse is optional: CHOLMOD and UMFPACK factor the sparse Hessians and Jacobians
# (optim/linear/), and without them Eigen's own sparse factorizations do. Eigen's wrappers
# need only cholmod.h and umfpack.h (Debian: /usr/include/suitesparse) and the two
# libraries, which bring SuiteSparse's others (AMD, COLAMD, SuiteSparse_config) with them.
option(TAPEGRAD_SUITESPARSE "Factor sparse matrices with SuiteSparse (CHOLMOD, UMFPACK) when it is installed" ON)
set(TAPEGRAD_WITH_SUITESPARSE OFF)
if(TAPEGRAD_SUITESPARSE)
  find_path(SuiteSparse_INCLUDE_DIR cholmod.h PATH_SUFFIXES suitesparse
            DOC "The folder holding SuiteSparse's cholmod.h and umfpack.h")
  find_library(CHOLMOD_LIBRARY cholmod DOC "CHOLMOD's library (libcholmod)")
  find_library(UMFPACK_LIBRARY umfpack DOC "UMFPACK's library (libumfpack)")
  if(SuiteSparse_INCLUDE_DIR AND EXISTS "${SuiteSparse_INCLUDE_DIR}/umfpack.h" AND CHOLMOD_LIBRARY
     AND UMFPACK_LIBRARY)
    set(TAPEGRAD_WITH_SUITESPARSE ON)
  else()
    message(STATUS "tapegrad: SuiteSparse (CHOLMOD, UMFPACK) not found; sparse matrices are factored by "
                   "Eigen's SimplicialLLT and SparseLU (sudo apt-get install libsuitesparse-dev for them)")
  endif()
endif()

# Open MPI is optional: without it, data-parallel training runs on threads only.
option(TAPEGRAD_MPI "Build data-parallel training across MPI processes when MPI is installed" ON)
set(TAPEGRAD_WITH_MPI OFF)
if(TAPEGRAD_MPI)
  # MPI's C interface, compiled as C++ (the project enables no C compiler); not the
  # deprecated C++ bindings.
  set(MPI_CXX_SKIP_MPICXX ON)
  find_package(MPI QUIET COMPONENTS CXX)
  if(MPI_CXX_FOUND)
    set(TAPEGRAD_WITH_MPI ON)
  else()
    message(STATUS "tapegrad: MPI not found; training runs on threads only "
                   "(sudo apt-get install libopenmpi-dev openmpi-bin for mpirun)")
  endif()
endif()

# IPOPT is optional: without it, minimize_constrained() and `minimize --subject-to` are
# absent (the command line says so), and everything else builds. Debian's package has a
# pkg-config file (coinor-libipopt-dev).
option(TAPEGRAD_IPOPT "Build constrained optimization through IPOPT when IPOPT is installed" ON)
set(TAPEGRAD_WITH_IPOPT OFF)
if(TAPEGRAD_IPOPT)
  find_package(PkgConfig QUIET)
  if(PkgConfig_FOUND)
    pkg_check_modules(IPOPT QUIET ipopt)
  endif()
  # The shared library by its path, as ColPack's: it brings its own dependencies (MUMPS,
  # LAPACK), and an installed tapegrad::ipopt links it by the same path.
  find_library(IPOPT_LIBRARY ipopt HINTS ${IPOPT_LIBRARY_DIRS} DOC "IPOPT's library (libipopt)")
  if(IPOPT_FOUND AND IPOPT_LIBRARY)
    set(TAPEGRAD_WITH_IPOPT ON)
  else()
    message(STATUS "tapegrad: IPOPT not found; constrained optimization (minimize_constrained, "
                   "minimize --subject-to) is left out (sudo apt-get install coinor-libipopt-dev pkg-config)")
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
