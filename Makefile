# Amber entry points. `make demo` runs the main job, `make test` checks everything.
.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: setup test lint lint-rust lint-rtl demo clean report-core

CARGO ?= cargo
VERILATOR ?= verilator
# Every synthesizable module, one per file (board tops are checked by Yosys).
RTL_MODULES := $(wildcard rtl/*.v)

setup:
	@scripts/setup.sh

test: setup lint
	$(CARGO) test --workspace

lint: lint-rust lint-rtl

lint-rust:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

lint-rtl:
	@for f in $(RTL_MODULES); do \
		echo "verilator --lint-only -Wall $$f"; \
		$(VERILATOR) --lint-only -Wall -Irtl --top-module $$(basename $$f .v) $$f || exit 1; \
	done

demo: setup
	@grep -v '^#' tests/vectors/blocks.txt | while read -r header hash; do \
		$(CARGO) run -q -p amber -- hash "$$header" || exit 1; echo; \
	done

# sha256d_miner alone per FPGA target: LUT4/FF/carry/Fmax/MH/s (logs in build/report-core/).
report-core: setup
	scripts/report_core.py $(TARGETS)

clean:
	$(CARGO) clean
	rm -rf build
