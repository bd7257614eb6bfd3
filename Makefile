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

# The main job: the host mines real block headers on the Verilator model of the
# RTL and prints the nonces it finds (one per shipped block), then a summary.
demo: setup
	$(CARGO) run --release -p amber -- mine --sim --until-found 3

# sha256d_miner alone per FPGA target: LUT4/FF/carry/Fmax/MH/s (logs in build/report-core/).
report-core: setup
	scripts/report_core.py $(TARGETS)

clean:
	$(CARGO) clean
	rm -rf build
