#!/usr/bin/env python3
"""Prints a board build's figures: utilization, Fmax against the core clock,
hashes per clock and the expected hash rate.

Reads build/BOARD/report.json (nextpnr --report) and build/BOARD/stat.json
(yosys stat -json). A placed design whose Fmax is below a clock's constraint
is a failure: exit status 1. Missing or unreadable inputs: exit status 2.
With --check, prints one line (for the pack step) instead of the table.
"""

import argparse
import json
import sys
from pathlib import Path

# Cell names per family: (LUT4, flip-flop prefixes, carry, block RAM) in the
# yosys statistics, and the nextpnr resources the percentages are taken of.
# LUT4 counts every LUT4 the design occupies, as nextpnr-ecp5's "Total LUT4s":
# on ECP5 a CCU2C carry cell takes two and a TRELLIS_DPR16X4 RAM six (four as
# RAM, two for its write port); on iCE40 the carry sits beside its LUT.
CELLS = {
    "ice40": {
        "lut": {"SB_LUT4": 1},
        "ff_prefix": "SB_DFF",
        "carry": ["SB_CARRY"],
        "bram": ["SB_RAM40_4K"],
        "lut_site": "ICESTORM_LC",
        "ff_site": "ICESTORM_LC",
        "bram_site": "ICESTORM_RAM",
    },
    "ecp5": {
        "lut": {"LUT4": 1, "CCU2C": 2, "TRELLIS_DPR16X4": 6},
        "ff_prefix": "TRELLIS_FF",
        "carry": ["CCU2C"],
        "bram": ["DP16KD"],
        "lut_site": "TRELLIS_COMB",
        "ff_site": "TRELLIS_FF",
        "bram_site": "DP16KD",
    },
}


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as err:
        print(f"report: cannot read {path}: {err}", file=sys.stderr)
        sys.exit(2)


def cell_counts(stat):
    """Cell counts of the whole design from `yosys stat -json`."""
    design = stat.get("design")
    if design is None:
        counts = {}
        for module in stat.get("modules", {}).values():
            for cell, n in module.get("num_cells_by_type", {}).items():
                counts[cell] = counts.get(cell, 0) + n
        return counts
    return design.get("num_cells_by_type", {})


def percent(used, available):
    return f"{100.0 * used / available:5.1f}%" if available else "    -"


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--board", required=True)
    ap.add_argument("--dir", required=True, type=Path)
    ap.add_argument("--family", required=True, choices=sorted(CELLS))
    ap.add_argument("--core-hz", required=True, type=int)
    ap.add_argument("--rounds-per-clk", required=True, type=int)
    ap.add_argument("--cores", required=True, type=int)
    ap.add_argument("--hashes-per-clock", required=True, type=float, help="from boards.toml, see BoardSpec::hashes_per_clock")
    ap.add_argument("--check", action="store_true", help="one line: does the placed design meet its clocks?")
    args = ap.parse_args()

    report = load(args.dir / "report.json")
    fmax = report.get("fmax", {})
    core_mhz = args.core_hz / 1e6
    if not fmax:
        print(f"report: {args.dir / 'report.json'} has no clock (is the PLL output constrained?)", file=sys.stderr)
        sys.exit(1)
    # The core clock is the constrained clock nearest core_hz; every clock must meet its constraint.
    core_net = min(fmax, key=lambda net: abs(fmax[net]["constraint"] - core_mhz))
    core = fmax[core_net]
    failing = sorted(net for net, t in fmax.items() if t["achieved"] < t["constraint"])
    hashes_per_clock = args.hashes_per_clock
    verdict = "FAIL" if failing else "ok"

    if args.check:
        line = (f"timing {verdict}: {args.board} core clock {core['achieved']:.2f} MHz achieved, "
                f"{core['constraint']:.2f} MHz needed")
        if failing:
            print(line + f" (failing: {', '.join(failing)}; see {args.dir / 'nextpnr.log'})", file=sys.stderr)
            sys.exit(1)
        print(line)
        return

    cells = CELLS[args.family]
    counts = cell_counts(load(args.dir / "stat.json"))
    util = report.get("utilization", {})

    def count(names):
        return sum(counts.get(n, 0) for n in names)

    def avail(site):
        return util.get(site, {}).get("available", 0)

    lut = sum(counts.get(n, 0) * weight for n, weight in cells["lut"].items())
    ff = sum(n for c, n in counts.items() if c.startswith(cells["ff_prefix"]))
    carry = count(cells["carry"])
    bram = count(cells["bram"])
    mhs = hashes_per_clock * args.core_hz / 1e6
    mhs_at_fmax = hashes_per_clock * core["achieved"]

    rows = [
        ("board", f"{args.board} ({args.family})"),
        ("LUT4", f"{lut:7d} of {avail(cells['lut_site']):6d}  {percent(lut, avail(cells['lut_site']))}"),
        ("FF", f"{ff:7d} of {avail(cells['ff_site']):6d}  {percent(ff, avail(cells['ff_site']))}"),
        ("carry", f"{carry:7d}"),
        ("BRAM", f"{bram:7d} of {avail(cells['bram_site']):6d}  {percent(bram, avail(cells['bram_site']))}"),
    ]
    placed = util.get(cells["lut_site"], {})
    if placed:
        rows.append(("logic cells", f"{placed['used']:7d} of {placed['available']:6d}  "
                     f"{percent(placed['used'], placed['available'])} (placed)"))
    for net in sorted(fmax):
        t = fmax[net]
        mark = "FAIL" if net in failing else "ok"
        rows.append((f"Fmax {net}", f"{t['achieved']:7.2f} MHz, needs {t['constraint']:.2f} MHz: {mark}"))
    rows += [
        ("core clock", f"{core_mhz:7.2f} MHz ({args.rounds_per_clk} rounds/clock x {args.cores} cores)"),
        ("hashes/clock", f"{hashes_per_clock:10.6f}"),
        ("expected", f"{mhs:10.3f} MH/s at the core clock ({mhs_at_fmax:.3f} at Fmax)"),
        ("MH/s per 1k LUT4", f"{1000.0 * mhs / lut:10.3f}" if lut else "         -"),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    if failing:
        print(f"report: {args.board} misses its clock ({', '.join(failing)}); see {args.dir / 'nextpnr.log'}",
              file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
