# Everything a fresh Debian 12 machine needs: `make demo` and `make test`.
#   make test   dependencies, Release build + ctest, then the whole suite again under
#               AddressSanitizer + UndefinedBehaviorSanitizer (clang, -O1, no debug info)
#   make demo   dependencies, build, run examples/save_model.cpp
#   make lint / make format / make bench
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

.PHONY: all deps configure build demo test test-release test-asan lint format bench fresh-check clean

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

test:
	@$(call timed,make test,$(MAKE) --no-print-directory test-release && $(MAKE) --no-print-directory test-asan)

test-release: build
	@$(call timed,tests ($(BUILD_DIR)),cd $(BUILD_DIR) && $(CTEST))

# The whole suite again under AddressSanitizer + UndefinedBehaviorSanitizer. CC/CXX pick clang
# for a new build directory only; an existing one keeps its compiler.
test-asan: deps
	CC=clang CXX=clang++ cmake -S . -B $(ASAN_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release $(ASAN_CMAKE_FLAGS) $(CMAKE_FLAGS)
	@$(call timed,sanitizer build ($(ASAN_BUILD_DIR)),cmake --build $(ASAN_BUILD_DIR) -j $(JOBS))
	@$(call timed,sanitizer tests ($(ASAN_BUILD_DIR)),cd $(ASAN_BUILD_DIR) && $(ASAN_ENV) $(CTEST))

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
	rm -rf $(BUILD_DIR) $(ASAN_BUILD_DIR)
