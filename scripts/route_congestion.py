#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR Apache-2.0
"""Summarise nextpnr router2's congestion heatmaps: where routing is overused.

router2, given `--router2-heatmap PREFIX`, writes three CSVs per iteration N:
  PREFIX_congestion_by_wiretype_N.csv    per wire type, how many wires carry 0, 1, 2, ... nets
  PREFIX_utilisation_by_wiretype_N.csv   per wire type, the nets carried in all
  PREFIX_congestion_by_coordinate_N.csv  per tile (row = X, column = Y), the nets on its
                                         overused wires (wires carrying two or more)
  PREFIX_congestion_by_net_N.csv         per net, its share of overused wires
This prints, per iteration, the overuse (nets beyond the first on a wire) and the
overused wires, then for the last iteration (or ITER) the overuse by wire type, by
band of rows (Y) and columns (X), the most congested tiles, and by net name with
its indices folded ("g_word[27]" and "g_word[49]" count as one "g_word[]"). Rows
that hold block RAMs are marked, since their tiles carry the RAMs' many pins.

Usage: route_congestion.py PREFIX [--iter N] [--band ROWS] [--ram-rows Y,Y,...] [--top K]
"""

import argparse
import csv
import re
import sys
from pathlib import Path

# Block RAM rows of the LFE5U-85F (DP16KD sites), the device both ECP5 boards carry.
ECP5_85F_RAM_ROWS = (22, 46, 70, 82)


def iterations(prefix):
    """Iteration numbers with all three files present, in order."""
    folder, stem = prefix.parent, prefix.name
    found = set()
    for path in folder.glob(f"{stem}_congestion_by_wiretype_*.csv"):
        m = re.search(r"_(\d+)\.csv$", path.name)
        if m:
            found.add(int(m.group(1)))
    return sorted(n for n in found
                  if (folder / f"{stem}_congestion_by_coordinate_{n}.csv").exists())


def by_wiretype(path):
    """{type: (overused wires, overuse)} from a congestion-by-wiretype CSV."""
    result = {}
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    for row in rows[1:]:
        if not row or not row[0]:
            continue
        counts = [int(v) for v in row[1:] if v.strip()]
        wires = sum(c for bound, c in enumerate(counts) if bound > 1)
        overuse = sum(c * (bound - 1) for bound, c in enumerate(counts) if bound > 1)
        result[row[0]] = (wires, overuse)
    return result


def by_coordinate(path):
    """grid[x][y]: nets on the tile's overused wires."""
    grid = []
    with open(path, newline="") as f:
        for row in csv.reader(f):
            grid.append([int(v) for v in row if v.strip()])
    return grid


def by_net_group(path, depth):
    """{name with indices folded, cut to its last `depth` parts: (nets, congestion)}."""
    groups = {}
    with open(path, newline="") as f:
        for row in csv.reader(f):
            if len(row) < 2 or not row[1].strip().isdigit():
                continue
            name = re.sub(r"\[\d+\]", "[]", row[0])
            # Nets that synthesis named after a cell's pin read as their source signal
            name = re.sub(r"_(TRELLIS_FF|LUT4|CCU2C|DP16KD|PFUMX|TRELLIS_DPR16X4)_\w*$", "", name)
            name = ".".join(name.split(".")[-depth:])
            nets, total = groups.get(name, (0, 0))
            groups[name] = (nets + 1, total + int(row[1]))
    return groups


def banded(totals, band):
    """Sums of consecutive `band` entries: [(first, last, sum)]."""
    out = []
    for start in range(0, len(totals), band):
        chunk = totals[start:start + band]
        out.append((start, start + len(chunk) - 1, sum(chunk)))
    return out


def bar(value, peak, width=40):
    return "#" * (round(width * value / peak) if peak else 0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("prefix", type=Path, help="the --router2-heatmap prefix")
    parser.add_argument("--iter", type=int, help="iteration to break down (default: the last)")
    parser.add_argument("--band", type=int, default=4, help="rows/columns per band (default 4)")
    parser.add_argument("--ram-rows", default=",".join(map(str, ECP5_85F_RAM_ROWS)),
                        help="Y of the block RAM rows (default: LFE5U-85F)")
    parser.add_argument("--top", type=int, default=12, help="wire types, tiles and net groups listed")
    parser.add_argument("--depth", type=int, default=4,
                        help="hierarchy levels kept of a net's name when grouping (default 4)")
    args = parser.parse_args()
    if args.band < 1:
        sys.exit("route_congestion: --band must be at least 1")
    ram_rows = {int(v) for v in args.ram_rows.split(",") if v.strip()}

    iters = iterations(args.prefix)
    if not iters:
        sys.exit(f"route_congestion: no heatmaps named {args.prefix}_congestion_by_*_N.csv")
    prefix = f"{args.prefix}"

    print("| iteration | overused wires | overuse |")
    print("|---|---|---|")
    for n in iters:
        types = by_wiretype(f"{prefix}_congestion_by_wiretype_{n}.csv")
        print(f"| {n} | {sum(w for w, _ in types.values())} | {sum(o for _, o in types.values())} |")

    n = args.iter if args.iter is not None else iters[-1]
    if n not in iters:
        sys.exit(f"route_congestion: no heatmaps for iteration {n} (have {iters[0]}..{iters[-1]})")
    types = by_wiretype(f"{prefix}_congestion_by_wiretype_{n}.csv")
    total = sum(o for _, o in types.values()) or 1
    print(f"\nIteration {n}: overuse by wire type\n")
    print("| wire type | overused wires | overuse | share |")
    print("|---|---|---|---|")
    for name, (wires, overuse) in sorted(types.items(), key=lambda kv: -kv[1][1])[:args.top]:
        if overuse:
            print(f"| {name} | {wires} | {overuse} | {100 * overuse / total:.1f} % |")

    grid = by_coordinate(f"{prefix}_congestion_by_coordinate_{n}.csv")
    width = len(grid)
    height = max((len(col) for col in grid), default=0)
    rows = [sum(grid[x][y] for x in range(width) if y < len(grid[x])) for y in range(height)]
    cols = [sum(col) for col in grid]
    grand = sum(rows) or 1

    print(f"\nIteration {n}: nets on overused wires by row band (Y); * = holds block RAM\n")
    peak = max((s for _, _, s in banded(rows, args.band)), default=0)
    for first, last, s in banded(rows, args.band):
        mark = "*" if any(y in ram_rows for y in range(first, last + 1)) else " "
        print(f"  Y {first:3d}-{last:3d} {mark} {s:8d} {100 * s / grand:5.1f} %  {bar(s, peak)}")

    print(f"\nIteration {n}: by column band (X)\n")
    peak = max((s for _, _, s in banded(cols, args.band)), default=0)
    for first, last, s in banded(cols, args.band):
        print(f"  X {first:3d}-{last:3d}   {s:8d} {100 * s / grand:5.1f} %  {bar(s, peak)}")

    ram_share = sum(rows[y] for y in range(height) if y in ram_rows or y - 1 in ram_rows
                    or y + 1 in ram_rows)
    near = len([y for y in range(height) if y in ram_rows or y - 1 in ram_rows or y + 1 in ram_rows])
    print(f"\nRows within one of a block RAM row: {near} of {height} rows, "
          f"{100 * ram_share / grand:.1f} % of the nets on overused wires")

    tiles = sorted(((grid[x][y], x, y) for x in range(width) for y in range(len(grid[x]))),
                   reverse=True)[:args.top]
    print(f"\nMost congested tiles, iteration {n}: " +
          ", ".join(f"X{x}/Y{y} {v}" for v, x, y in tiles if v))

    nets_file = Path(f"{prefix}_congestion_by_net_{n}.csv")
    if nets_file.exists():
        groups = by_net_group(nets_file, args.depth)
        total = sum(t for _, t in groups.values()) or 1
        print(f"\nIteration {n}: congestion by net name, indices folded\n")
        print("| nets named | nets | congestion | share |")
        print("|---|---|---|---|")
        for name, (count, t) in sorted(groups.items(), key=lambda kv: -kv[1][1])[:args.top]:
            print(f"| `{name}` | {count} | {t} | {100 * t / total:.1f} % |")


if __name__ == "__main__":
    main()
