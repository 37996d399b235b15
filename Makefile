# SPDX-License-Identifier: Apache-2.0
#
# Front door.  `make demo` and `make check` are all a fresh Debian 12
# machine needs: both install missing packages through scripts/install-deps.
#
#   make            release build in build/release
#   make check      ASan+UBSan build (clang) and every ctest label
#   make demo       the main job: a fleet bootstraps, registers and is updated
#                   over the air by a staged campaign
#   make fuzz       run every fuzz target; FUZZ_SECONDS=N each (default 300)
#   make bench      optimised build, run every benchmark
#   make size-m4    Cortex-M4 footprint of the protocol core
#   make format     clang-format every C file in place

JOBS ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 300
CHECK_FUZZ_SECONDS ?= 10
CMAKE ?= cmake

.PHONY: all deps check check-build demo fuzz bench size-m4 format clean

all:
	$(CMAKE) -S . -B build/release -DCMAKE_BUILD_TYPE=Release
	$(CMAKE) --build build/release -j $(JOBS)

deps:
	@scripts/install-deps

check-build: deps
	$(CMAKE) -S . -B build/check -DCMAKE_BUILD_TYPE=Debug \
	    -DCMAKE_C_COMPILER=clang -DBW_SANITIZE=ON -DBW_FUZZ=ON \
	    -DBW_FUZZ_SECONDS=$(CHECK_FUZZ_SECONDS)
	$(CMAKE) --build build/check -j $(JOBS)

check: check-build
	cd build/check && ctest --output-on-failure -j $(JOBS) \
	    -L 'unit|interop|fuzz|fault|e2e'

demo: deps all
	scripts/demo

fuzz: deps
	$(CMAKE) -S . -B build/fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	    -DCMAKE_C_COMPILER=clang -DBW_SANITIZE=ON -DBW_FUZZ=ON \
	    -DBW_FUZZ_SECONDS=$(FUZZ_SECONDS)
	$(CMAKE) --build build/fuzz -j $(JOBS)
	cd build/fuzz && ctest --output-on-failure -L fuzz

bench: deps all
	@for b in build/release/bin/bench_*; do echo "== $$b"; $$b || exit 1; done

size-m4:
	@scripts/install-deps m4
	@scripts/size-m4
	@echo
	@scripts/size-m4-mbedtls

format:
	find include lib device server tools tests bench examples -name '*.[ch]' \
	    2>/dev/null | xargs clang-format -i

clean:
	rm -rf build
