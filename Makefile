# The two commands a user runs on a fresh Debian machine: `make demo` and `make test`.
# Each installs the Debian packages it needs that are missing (apt-get as root;
# otherwise it prints the exact sudo line and stops), then configures and builds.

SHELL := /bin/bash
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

# SuiteSparse (CHOLMOD, UMFPACK) factors sparse Hessians and Jacobians; IPOPT (found with
# pkg-config) solves constrained problems. Both are optional to the build, which says so
# at configure time without them; `make` installs them.
BUILD_PACKAGES := cmake ninja-build make g++ libeigen3-dev libopenblas-dev nlohmann-json3-dev libcli11-dev libcolpack-dev \
  libsuitesparse-dev coinor-libipopt-dev pkg-config
# The sanitizer build and the fuzz targets use clang 14 and its libFuzzer runtime.
# Open MPI: the data-parallel tests run the program under mpirun (the build works
# without it, on threads only). librsvg2-bin: rsvg-convert renders the pictures the
# tests make. doxygen and graphviz: the reference site is built, warnings as errors,
# and its links checked.
TEST_PACKAGES := $(BUILD_PACKAGES) libgtest-dev libgmock-dev libbenchmark-dev clang-14 libclang-rt-14-dev \
  libopenmpi-dev openmpi-bin librsvg2-bin doxygen graphviz
# The reference site. Graphviz (`dot`) draws its class and include graphs; a build
# without it makes the same site without the graphs.
DOCS_PACKAGES := $(BUILD_PACKAGES) doxygen graphviz
# The peers measured in the same benchmark binaries. LibTorch calls the system BLAS
# (libblas.so.3); OpenBLAS gives it the fastest one Debian has, instead of the
# reference implementation it would otherwise get. scikit-learn is timed against whole
# `tapegrad train` runs (bench/train_vs_sklearn.py), scipy's solvers against `tapegrad
# minimize`/`solve` and bench/solver_runs (bench/solvers_vs_scipy.py).
BENCH_PACKAGES := $(BUILD_PACKAGES) libgtest-dev libgmock-dev libbenchmark-dev libadolc-dev libtrilinos-sacado-dev \
  libtrilinos-kokkos-dev libtorch-dev libopenblas0-pthread python3-sklearn python3-scipy libopenmpi-dev openmpi-bin

.PHONY: demo test docs fuzz bench install install-build install-test install-bench install-docs clean

# Installs whichever of the listed packages are missing; `apt-get update` first,
# because a new machine has no package lists.
define install_missing
	@missing=""; \
	for package in $(1); do \
	  dpkg-query -W -f='$${Status}' "$$package" 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing missing packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing || exit 1; \
	  else \
	    echo "These Debian packages are missing. Install them with:"; \
	    echo "  sudo apt-get install$$missing"; \
	    exit 1; \
	  fi; \
	fi
endef

# The presets build with Ninja, which keeps both cores busy through the whole build
# (make's generator waits for a library to be built before compiling anything of a
# program that links it): see "Builds" in docs/architecture.md. CMake cannot reuse a
# build folder made with another generator, so one made earlier (with make's) is
# removed before it is configured again: build output only (and the fuzzers' corpus in
# build/asan/corpus, which the next fuzzing run grows again).
define fresh_if_other_generator
	@if [ -f build/$(1)/CMakeCache.txt ] && ! grep -qx 'CMAKE_GENERATOR:INTERNAL=Ninja' build/$(1)/CMakeCache.txt; then \
	  echo "build/$(1) was configured with another CMake generator: removing it to configure with Ninja"; \
	  rm -rf build/$(1); \
	fi
endef
# Configures preset $(1) with the options $(2), through the check above.
define configure
$(call fresh_if_other_generator,$(1))
	cmake --preset $(1) $(2)
endef

install-build:
	$(call install_missing,$(BUILD_PACKAGES))
install-test:
	$(call install_missing,$(TEST_PACKAGES))
install-bench:
	$(call install_missing,$(BENCH_PACKAGES))
install-docs:
	$(call install_missing,$(DOCS_PACKAGES))

# The demo is built for this CPU (-march=native), as are the benchmarks: the native
# preset, build/native. What is installed is the portable release preset (`make install`).
demo: install-build
	$(call configure,native,-DTAPEGRAD_BUILD_BENCHMARKS=OFF)
	cmake --build --preset native -j $(JOBS) --target digits tapegrad_cli
	./build/native/examples/digits build/demo
	@echo "The command-line program is build/native/cli/tapegrad; 'make install' puts it, the library and the data on your PATH."

# The reference site: the API reference of every public header, the README as its front
# page, the guides in docs/, and the command line's --help texts taken from the program.
# Doxygen's warnings are errors, and every link and image of the site is checked.
# A first build configures without the tests, which need packages the site does not;
# an existing release build (make test's) keeps its settings.
docs: install-docs
	$(call fresh_if_other_generator,release)
	@if [ -f build/release/CMakeCache.txt ]; then \
	  cmake --preset release -DTAPEGRAD_BUILD_DOCS=ON; \
	else \
	  cmake --preset release -DTAPEGRAD_BUILD_DOCS=ON -DTAPEGRAD_BUILD_TESTS=OFF -DTAPEGRAD_BUILD_EXAMPLES=OFF; \
	fi
	cmake --build --preset release -j $(JOBS) --target docs

# Builds the portable library and the `tapegrad` program and installs them, the headers,
# the CMake package and the data sets under PREFIX (bin/, lib/, include/, share/).
PREFIX ?= /usr/local
install: install-build
	$(call configure,release,-DTAPEGRAD_BUILD_TESTS=OFF -DTAPEGRAD_BUILD_EXAMPLES=OFF)
	cmake --build --preset release -j $(JOBS) --target tapegrad tapegrad_cli
	cmake --install build/release --prefix "$(PREFIX)"

# The benchmarks are built by `make bench`, not here: compiling them doubled the release
# half of a CI run that must stay well under 20 minutes on two cores. The unit tests are
# compiled once, in the sanitizer build; the release build compiles the library and the
# program as they are installed, and the tests that need them optimized (the command
# line's, the examples, the installed package's, full sizes and allocation counts:
# TAPEGRAD_BUILD_UNIT_TESTS in tests/CMakeLists.txt). The sanitizer build also holds
# the fuzz targets, so one instrumented build serves both, and each fuzzer then runs for
# 30 seconds. The ThreadSanitizer build compiles the library and the data-parallel
# tests only.
test: install-test
	$(call configure,release,-DTAPEGRAD_BUILD_TESTS=ON -DTAPEGRAD_BUILD_UNIT_TESTS=OFF -DTAPEGRAD_BUILD_EXAMPLES=ON -DTAPEGRAD_BUILD_BENCHMARKS=OFF)
	cmake --build --preset release -j $(JOBS)
	ctest --preset release -j $(JOBS)
	$(call configure,asan,-DTAPEGRAD_BUILD_UNIT_TESTS=ON)
	cmake --build --preset asan -j $(JOBS)
	ctest --preset asan -j $(JOBS)
	$(call configure,tsan)
	cmake --build --preset tsan -j $(JOBS)
	TSAN_OPTIONS=halt_on_error=1 build/tsan/tests/parallel_tests
	tests/fuzz/run_fuzzers.sh 30

# Each fuzz target for FUZZ_SECONDS (all three at once), continuing from the inputs
# earlier runs collected in build/asan/corpus.
FUZZ_SECONDS ?= 600
fuzz: install-test
	$(call configure,asan)
	cmake --build --preset fuzzers -j $(JOBS)
	tests/fuzz/run_fuzzers.sh $(FUZZ_SECONDS)

# Every peer at its defaults, as a user runs it: tapegrad's large products and LibTorch's
# on both cores. The portable build's `tapegrad` is timed too (train_vs_sklearn.py).
bench: install-bench
	$(call configure,native,-DTAPEGRAD_BUILD_BENCHMARKS=ON)
	cmake --build --preset native -j $(JOBS) --target scalar_bench tensor_bench optim_bench models_bench second_order_bench sparse_bench memory_bench parallel_bench solver_runs tapegrad_cli
	$(call configure,release,-DTAPEGRAD_BUILD_TESTS=OFF -DTAPEGRAD_BUILD_EXAMPLES=OFF)
	cmake --build --preset release -j $(JOBS) --target tapegrad_cli
	./build/native/bench/scalar_bench --report=bench/RESULTS.md
	./build/native/bench/tensor_bench --report=bench/RESULTS.md
	./build/native/bench/optim_bench --report=bench/RESULTS.md
	./build/native/bench/models_bench --report=bench/RESULTS.md
	./build/native/bench/second_order_bench --report=bench/RESULTS.md
	./build/native/bench/sparse_bench --report=bench/RESULTS.md
	./build/native/bench/memory_bench --report=bench/RESULTS.md
	/usr/bin/python3 bench/memory_peaks.py --report=bench/RESULTS.md
	./build/native/bench/parallel_bench --report=bench/RESULTS.md
	mpirun --allow-run-as-root --oversubscribe -np 2 ./build/native/bench/parallel_bench --report=bench/RESULTS.md
	/usr/bin/python3 bench/train_vs_sklearn.py --report=bench/RESULTS.md
	/usr/bin/python3 bench/solvers_vs_scipy.py --report=bench/RESULTS.md

clean:
	rm -rf build
