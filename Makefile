# Everything a fresh Debian 12 machine needs: `make demo` and `make test`.
#   make test   dependencies, Release build + ctest, then the whole suite again under
#               AddressSanitizer + UndefinedBehaviorSanitizer (clang, -O1, no debug info)
#   make demo   dependencies, build, run examples/save_model.cpp, install the R package and
#               run examples/save_model.R
#   make r-install / r-test / r-check   the R package alone (on the Release build)
#   make lint / make format / make bench
#   make fuzz        the libFuzzer targets (fuzz/README.md), FUZZ_SECONDS each (default 60)
#   make test-tsan   the thread and save fault tests under ThreadSanitizer (not in `make test`)
#   make fresh-check   make demo && make test in a clean clone inside a minimal Debian 12 chroot
SHELL := /bin/bash
# ccache keys on paths relative to the checkout, so a clone elsewhere (CI) reuses
# the objects an earlier build of the same sources left in the cache.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := true

BUILD_DIR ?= build
ASAN_BUILD_DIR ?= build-asan
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

# The sanitizer build compiles only the library, the CLI and the tests, lean enough for CI.
ASAN_CMAKE_FLAGS = -DKERAS_SANITIZE=address,undefined -DCMAKE_CXX_FLAGS_RELEASE="-O1 -DNDEBUG" \
  -DKERAS_BUILD_BENCH=OFF -DKERAS_BUILD_EXAMPLES=OFF -DKERAS_BUILD_FUZZ=OFF
ASAN_ENV = ASAN_OPTIONS=detect_leaks=1:check_initialization_order=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
CTEST = ctest --output-on-failure --no-tests=error -j $(JOBS)
# Prints how long a phase took: $(call timed,<label>,<commands>)
timed = start=$$(date +%s); $(2); rc=$$?; echo "$(1) took $$(( $$(date +%s) - start ))s"; exit $$rc

# The R package (r/) links the Release libkeras-cpp through a `cmake --install` prefix and is
# installed into R's site library (as root: library(kerascpp) then works from any directory).
# Its tests run in the Release pass only: R itself is not built with the sanitizers, and
# loading an ASan-instrumented library into an uninstrumented R needs LD_PRELOAD tricks.
R_BUILD_DIR = $(BUILD_DIR)/r
R_PREFIX = $(abspath $(BUILD_DIR))/r-prefix
R_SITE_LIB = $(shell Rscript -e 'cat(.Library.site[1])' 2>/dev/null)
R_AS_ROOT = $(if $(filter 0,$(shell id -u)),,sudo)
R_TEST_DIR = $(CURDIR)/r/tests/testthat
# R compiles the glue through ccache too (a Makevars for this build only, not the package's).
R_MAKEVARS = $(abspath $(BUILD_DIR))/r-ccache.mk
export R_MAKEVARS_USER = $(R_MAKEVARS)

.PHONY: all deps configure build demo test test-release test-asan test-tsan fuzz lint format bench fresh-check clean \
        r-package r-install r-test r-check

all: build

deps:
	./scripts/install-deps

configure: deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: configure
	@$(call timed,build ($(BUILD_DIR)),cmake --build $(BUILD_DIR) -j $(JOBS))

demo: configure
	cmake --build $(BUILD_DIR) -j $(JOBS) --target example_save_model
	$(BUILD_DIR)/bin/example_save_model
	@$(MAKE) --no-print-directory r-install
	@echo; echo "examples/save_model.R (in $(BUILD_DIR)/r-demo):"
	rm -rf $(BUILD_DIR)/r-demo && mkdir -p $(BUILD_DIR)/r-demo
	cd $(BUILD_DIR)/r-demo && Rscript $(CURDIR)/examples/save_model.R

test:
	@$(call timed,make test,$(MAKE) --no-print-directory test-release && $(MAKE) --no-print-directory test-asan)

test-release: build
	@$(call timed,tests ($(BUILD_DIR)),cd $(BUILD_DIR) && $(CTEST))
	@$(call timed,R package tests,$(MAKE) --no-print-directory r-test)
	@$(call timed,R CMD check,$(MAKE) --no-print-directory r-check)

# A source tarball of r/ (R CMD build), so that installing never writes objects into r/src.
r-package:
	@command -v Rscript >/dev/null && Rscript -e 'library(Rcpp); library(testthat)' >/dev/null 2>&1 || \
	  { echo "The R package needs R, Rcpp and testthat: scripts/install-deps installs them" \
	         "(Debian: r-base-core r-cran-rcpp r-cran-testthat r-cran-withr r-cran-zip)" >&2; exit 1; }
	@# cmake --install installs the library and the CLI (with its generated bash completion),
	@# so both must be built even when only the library was (make demo builds the example alone).
	cmake --build $(BUILD_DIR) -j $(JOBS) --target keras keras-cpp
	@printf 'CXX20 = %s\n' "$$(command -v ccache >/dev/null && echo 'ccache g++' || echo g++)" > $(R_MAKEVARS)
	cmake --install $(BUILD_DIR) --prefix $(R_PREFIX) > /dev/null
	rm -rf $(R_BUILD_DIR) && mkdir -p $(R_BUILD_DIR)
	cd $(R_BUILD_DIR) && R CMD build --no-manual $(CURDIR)/r

r-install: r-package
	cd $(R_BUILD_DIR) && $(R_AS_ROOT) env KERAS_CPP_PREFIX=$(R_PREFIX) R_MAKEVARS_USER=$(R_MAKEVARS) \
	  R CMD INSTALL --library=$(R_SITE_LIB) kerascpp_*.tar.gz

# The package's testthat suite against the installed package, from a directory outside r/.
r-test: r-install
	cd $(R_BUILD_DIR) && Rscript $(CURDIR)/scripts/r-tests.R $(R_TEST_DIR)

# R CMD check without the PDF manual; an ERROR or a WARNING fails (NOTEs are shown). In a UTF-8
# locale: the package's encoding is UTF-8, and in an ASCII session (a minimal system without
# LANG) the check warns that it cannot switch to en_US.UTF-8. C.UTF-8 comes with libc-bin.
r-check: r-package
	cd $(R_BUILD_DIR) && LC_ALL=C.UTF-8 KERAS_CPP_PREFIX=$(R_PREFIX) R CMD check --no-manual kerascpp_*.tar.gz > check.log 2>&1; \
	  rc=$$?; grep -E "^(\* checking.*(NOTE|WARNING|ERROR)|Status:)" check.log; \
	  if [[ $$rc -ne 0 ]] || grep -qE "^Status:.*(ERROR|WARNING)" check.log; then \
	    cat check.log; echo "R CMD check failed (full log: $(R_BUILD_DIR)/check.log)"; exit 1; fi

# The whole suite again under AddressSanitizer + UndefinedBehaviorSanitizer. CC/CXX pick clang
# for a new build directory only; an existing one keeps its compiler.
test-asan: deps
	CC=clang CXX=clang++ cmake -S . -B $(ASAN_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release $(ASAN_CMAKE_FLAGS) $(CMAKE_FLAGS)
	@$(call timed,sanitizer build ($(ASAN_BUILD_DIR)),cmake --build $(ASAN_BUILD_DIR) -j $(JOBS))
	@$(call timed,sanitizer tests ($(ASAN_BUILD_DIR)),cd $(ASAN_BUILD_DIR) && $(ASAN_ENV) $(CTEST))

# ThreadSanitizer over the tests that run keras-cpp from many threads at once (tests/test_threads.cpp)
# and the save fault tests (tests/test_save_faults.cpp, whose children are forked from a threaded
# process): clang, its own build directory, only the library, the CLI (a dependency of every test)
# and these two tests. Not part of `make test`: a third full build of the library (about as long as
# the sanitizer build) for two tests. tests/tsan.supp silences only the internals of uninstrumented
# system libraries (libgomp's thread pool, glibc's tzset); every entry there says why.
TSAN_BUILD_DIR ?= build-tsan
TSAN_CMAKE_FLAGS = -DKERAS_SANITIZE=thread -DCMAKE_CXX_FLAGS_RELEASE="-O1 -DNDEBUG" \
  -DKERAS_BUILD_BENCH=OFF -DKERAS_BUILD_EXAMPLES=OFF -DKERAS_BUILD_FUZZ=OFF
TSAN_ENV = TSAN_OPTIONS="suppressions=$(CURDIR)/tests/tsan.supp halt_on_error=1 second_deadlock_stack=1"
TSAN_TESTS = test_threads test_save_faults
test-tsan: deps
	CC=clang CXX=clang++ cmake -S . -B $(TSAN_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release $(TSAN_CMAKE_FLAGS) $(CMAKE_FLAGS)
	@$(call timed,thread sanitizer build ($(TSAN_BUILD_DIR)),cmake --build $(TSAN_BUILD_DIR) -j $(JOBS) --target $(TSAN_TESTS))
	@$(call timed,thread sanitizer tests ($(TSAN_BUILD_DIR)),for t in $(TSAN_TESTS); do $(TSAN_ENV) $(TSAN_BUILD_DIR)/bin/$$t || exit 1; done)

# The libFuzzer targets (fuzz/README.md) for FUZZ_SECONDS each, one process at a time, after
# replaying fuzz/regressions/ (scripts/fuzz; build directory build-fuzz). The figures of each run
# are printed and appended to build-fuzz/fuzz-stats.txt.
#   make fuzz FUZZ_SECONDS=600 FUZZ_TARGETS="fuzz_config fuzz_archive"
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
fuzz: deps
	JOBS=$(JOBS) ./scripts/fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

bench: build
	./scripts/install-deps --bench
	./scripts/run-bench

# The README's two commands on a machine that has nothing yet: a clean clone of the committed
# HEAD in a fresh debootstrap Debian 12 (../shared/tools/fresh-machine, as root; ~30 min).
FRESH_MACHINE ?= ../shared/tools/fresh-machine
fresh-check:
	@if [[ -x $(FRESH_MACHINE) ]]; then $(FRESH_MACHINE) $(FRESH_COMMAND); \
	else echo "fresh-check: skipped, $(FRESH_MACHINE) is absent (it comes with the shared folder beside the checkout)"; fi

lint:
	./scripts/lint

format:
	./scripts/lint --format

clean:
	rm -rf $(BUILD_DIR) $(ASAN_BUILD_DIR) $(TSAN_BUILD_DIR) build-fuzz
