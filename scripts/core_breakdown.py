#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR Apache-2.0
"""Where the logic of a synthesized ECP5 netlist goes: cells per part of the core.

Reads a Yosys JSON netlist of report_core_top (scripts/report_core.py writes one
per target) and prints LUT4, carry cells, flip-flops and RAMs per part: round
logic, h + K + W, message schedule, schedule delays, stage registers, and so on,
for each hash, with the count of round stages built and the cost per stage.

Flip-flops and carry cells keep the source line they come from, RAMs the
instance path they sit in. LUT4s from ABC keep neither, so each is charged to
the part of the first cell with a source that its output reaches.

Usage: core_breakdown.py NETLIST.json [TOP]   (TOP: default report_core_top)
"""

import json
import re
import sys
from collections import Counter, defaultdict, deque

from flow_report import CELLS

ECP5_LUT4_WEIGHTS = CELLS["ecp5"]["lut"]  # nextpnr-ecp5's "Total LUT4s" per cell

# Parts, in print order. A ring's parts are split by hash (ring1 = first hash).
PARTS = [
    "round logic (Σ, Ch, Maj, T1, T2, a, e)",
    "h + K + W a stage ahead",
    "schedule words (σ0, σ1, sums)",
    "schedule delays",
    "stage registers (state, h + K + W, valid)",
    "midstate and nonce delays",
    "item and slot inputs, digest, target compare",
    "per-work precompute",
    "miner control, result FIFOs",
    "report wrapper (pins)",
    "not attributed",
]

# Source file of a cell -> part (ring files are refined by instance path below)
FILE_PARTS = {
    "sha256_round.sv": PARTS[0],
    "sha256_add_chmaj.sv": PARTS[0],
    "ecp5_add_chmaj.v": PARTS[0],
    "sha256_add_hkw.sv": PARTS[1],
    "ecp5_add_const3.v": PARTS[1],
    "sha256_schedule.v": PARTS[2],
    "sha256_word_taps.v": PARTS[3],
    "sha256_ring.sv": PARTS[4],
    "sha256d_core.sv": PARTS[6],
    "sha256d_precompute.sv": PARTS[7],
    "sha256d_miner.sv": PARTS[8],
    "miner_results.sv": PARTS[8],
    "work_slots.sv": PARTS[8],
    "kept_reg.sv": PARTS[8],
    "pulse_delay.sv": PARTS[8],
    "sync_fifo.sv": PARTS[8],
    "report_core_top.v": PARTS[9],
}

LOGIC = ("LUT4", "PFUMX", "L6MUX21")


def rtl_file(cell):
    """The project source file a cell was made from (None for library-only sources)."""
    for part in cell.get("attributes", {}).get("src", "").split("|"):
        m = re.match(r"(?:.*/)?((?:rtl|bench)/[\w/]+\.s?v):", part)
        if m:
            return m.group(1).rsplit("/", 1)[-1]
    return None


def hash_of(name):
    if "ring1_inst" in name:
        return "hash 1"
    if "ring2_inst" in name:
        return "hash 2"
    return ""


def part_of(name, cell):
    """(hash, part) of a cell that has a source file or is not logic; else None.
    A cell's source line decides; delay lines and cells with no source line
    (RAMs, RAM read registers) go by their instance path."""
    source = rtl_file(cell)
    if source is None and cell["type"] in LOGIC:
        return None
    if "precompute_inst" in name:
        part = PARTS[7]
    elif "g_input_regs" in name:
        part = PARTS[6]
    elif source in (None, "delay_line.sv", "sha256_word_taps.v") and "g_taps" in name:
        part = PARTS[3]
    elif source in ("delay_line.sv", "sha256_word_taps.v") and hash_of(name):
        part = PARTS[3]  # a ring's only delay lines are its schedule's
    elif source in (None, "delay_line.sv") and "delay_inst" in name:
        part = PARTS[5]
    elif source is not None and source != "delay_line.sv":
        part = FILE_PARTS.get(source, PARTS[8])
    else:
        part = PARTS[4] if hash_of(name) else PARTS[8]
    return (hash_of(name) if part in PARTS[:5] else ""), part


def stage_of(name):
    m = re.search(r"(ring[12])_inst\.g_stage\[(\d+)\]", name)
    return (m.group(1), int(m.group(2))) if m else None


def breakdown(netlist, top):
    cells = netlist["modules"][top]["cells"]
    sinks = defaultdict(list)  # net bit -> cells reading it
    for name, cell in cells.items():
        for port, bits in cell["connections"].items():
            if cell.get("port_directions", {}).get(port) == "input":
                for bit in bits:
                    if isinstance(bit, int):
                        sinks[bit].append(name)

    known = {}
    for name, cell in cells.items():
        p = part_of(name, cell)
        if p is not None:
            known[name] = p

    def charge(name):
        """Part of the nearest cell with a known part that this logic cell drives."""
        seen = {name}
        todo = deque([name])
        while todo:
            n = todo.popleft()
            for port, bits in cells[n]["connections"].items():
                if cells[n].get("port_directions", {}).get(port) != "output":
                    continue
                for bit in bits:
                    for s in sinks.get(bit, []) if isinstance(bit, int) else []:
                        if s in known:
                            return known[s]
                        if s not in seen and cells[s]["type"] in LOGIC:
                            seen.add(s)
                            todo.append(s)
        return "", PARTS[-1]

    table = defaultdict(Counter)
    stages = defaultdict(set)
    for name, cell in cells.items():
        kind = cell["type"]
        if kind == "$scopeinfo":
            continue
        where = known.get(name)
        if where is None:
            where = charge(name) if kind in LOGIC else ("", PARTS[-1])
        table[where][kind] += 1
        if where[1] == PARTS[0] and stage_of(name):
            stages[where[0]].add(stage_of(name))
    return table, {h: len(s) for h, s in stages.items()}


def lut4_equivalent(counts):
    return sum(w * counts.get(cell, 0) for cell, w in ECP5_LUT4_WEIGHTS.items())


def table_text(table, stage_counts):
    """The breakdown as a Markdown table and a line on the stage counts."""
    lines = []
    order = [(h, p) for p in PARTS for h in ("hash 1", "hash 2", "")]
    head = ("part", "LUT4", "carry", "LUT4-eq", "FF", "DPR16X4", "DP16KD", "per stage")
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "---|" * len(head))
    total = Counter()
    for key in order:
        if key not in table:
            continue
        c = table[key]
        total.update(c)
        per_stage = ""
        n = stage_counts.get(key[0], 0)
        if key[0] and n:
            per_stage = f"{lut4_equivalent(c) / n:.0f} LUT4-eq, {c['TRELLIS_FF'] / n:.0f} FF"
        if key[0]:
            label = f"{key[0]}: {key[1]}"
        elif key[1] in PARTS[:5]:
            label = f"outside the rings: {key[1]}"
        else:
            label = key[1]
        lines.append(f"| {label} | {c['LUT4']} | {c['CCU2C']} | {lut4_equivalent(c)} "
                     f"| {c['TRELLIS_FF']} | {c['TRELLIS_DPR16X4']} | {c['DP16KD']} | {per_stage} |")
    lines.append(f"| total | {total['LUT4']} | {total['CCU2C']} | {lut4_equivalent(total)} "
                 f"| {total['TRELLIS_FF']} | {total['TRELLIS_DPR16X4']} | {total['DP16KD']} | |")
    stages = ", ".join(f"{h}: {n}" for h, n in sorted(stage_counts.items()))
    lines.append(f"\nRound stages built ({stages}); per stage = the part's cells / its hash's stages.")
    return "\n".join(lines) + "\n"


def breakdown_file(path, top="report_core_top"):
    """The breakdown text of a netlist file (for scripts/report_core.py)."""
    with open(path) as f:
        return table_text(*breakdown(json.load(f), top))


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__.strip().splitlines()[-1])
    path = sys.argv[1]
    top = sys.argv[2] if len(sys.argv) == 3 else "report_core_top"
    try:
        with open(path) as f:
            netlist = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        sys.exit(f"core_breakdown: cannot read {path}: {e}")
    if top not in netlist.get("modules", {}):
        sys.exit(f"core_breakdown: {path} has no module {top} (is it a flattened synth_ecp5 netlist?)")
    print(table_text(*breakdown(netlist, top)), end="")


if __name__ == "__main__":
    main()
