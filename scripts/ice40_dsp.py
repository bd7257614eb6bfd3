"""The DSP blocks of an iCE40 UltraPlus bitstream (`.asc`), which icestorm's
`icebox_vlog` leaves out of the Verilog it writes, read back as `SB_MAC16`
instances on that Verilog's nets.

Each block's parameters come from its configuration bits, its pins from the
routing segments icestorm's pin map gives them (`icebox.get_dsp_nets_db`,
`get_dsp_config_db`), and each segment's net from the comments `icebox_vlog`
writes under every net it declares. So the blocks are simulated as the
bitstream configures and wires them, like the rest of the netlist.
"""

import re
import shutil
import sys
from pathlib import Path

# Inputs whose segment carries no net read as 0, but these.
UNCONNECTED_HIGH = {"CE"}
# The cascade pins between stacked blocks, which the pin map has no segment for:
# inputs read as 0, outputs unused.
CASCADE_INPUTS = ("ACCUMCI", "SIGNEXTIN")
# Multi-bit parameters: name and width; one configuration bit each otherwise.
WIDE_PARAMETERS = {"TOPOUTPUT_SELECT": 2, "TOPADDSUB_LOWERINPUT": 2, "TOPADDSUB_CARRYSELECT": 2,
                   "BOTOUTPUT_SELECT": 2, "BOTADDSUB_LOWERINPUT": 2, "BOTADDSUB_CARRYSELECT": 2}
BUSES = {"A": 16, "B": 16, "C": 16, "D": 16, "O": 32}


class ReadbackError(Exception):
    pass


def load_icebox():
    """icestorm's icebox module, from beside the icebox_vlog it ships with."""
    tool = shutil.which("icebox_vlog")
    if tool is None:
        raise ReadbackError("icebox_vlog is missing (is fpga-icestorm installed? `make setup`)")
    sys.path.insert(0, str(Path(tool).resolve().parent))
    try:
        import icebox
    except ImportError as error:
        raise ReadbackError(f"icestorm's icebox module is not beside {tool}: {error}")
    return icebox


def segment_nets(vlog):
    """Routing segment (x, y, name) to the net `icebox_vlog` (run without -s/-S)
    declared it in: each `wire`/`reg` declaration is followed by one comment
    line per segment of the net."""
    nets, net = {}, None
    for line in vlog.splitlines():
        declared = re.match(r"(?:wire|reg) (\w+)\b", line)
        if declared:
            net = declared.group(1)
            continue
        segment = re.match(r"// \((\d+), (\d+), '([^']+)'\)$", line)
        if segment and net is not None:
            nets[(int(segment.group(1)), int(segment.group(2)), segment.group(3))] = net
        elif not line.startswith("//"):
            net = None
    return nets


def strip_comments(vlog):
    """The Verilog without comments (what `icebox_vlog -s` writes)."""
    vlog = re.sub(r"/\*.*?\*/", "", vlog, flags=re.S)
    return "\n".join(line for line in vlog.splitlines() if not line.lstrip().startswith("//"))


def config_bit(ic, x, y, name, kind="IpConfig"):
    """One configuration bit of tile (x, y), by its name in icestorm's database."""
    entries = [e for e in ic.tile_db(x, y)
               if e[1] == kind and (kind != "IpConfig" or e[2] == name)]
    if len(entries) != 1:
        raise ReadbackError(f"tile ({x}, {y}) has {len(entries)} {kind} bits named {name}")
    tile = ic.tile(x, y)
    value = True
    for bit in entries[0][0]:
        inverted, row, column = re.fullmatch(r"(!?)B(\d+)\[(\d+)\]", bit).groups()
        value &= (tile[int(row)][int(column)] == "1") != (inverted == "!")
    return value


def parameters(ic, x, y):
    """The block's SB_MAC16 parameters, from its configuration bits."""
    bits = {key: config_bit(ic, bx, by, cbit) for key, (bx, by, cbit)
            in ic.get_dsp_config_db(x, y).items()}
    params = {}
    for key, value in bits.items():
        name = re.sub(r"_\d$", "", key) if re.sub(r"_\d$", "", key) in WIDE_PARAMETERS else key
        params.setdefault(name, 0)
        params[name] |= int(value) << (int(key[-1]) if name != key else 0)
    # The block's clock polarity is its clock tile's.
    params["NEG_TRIGGER"] = int(config_bit(ic, x, y + 2, None, kind="NegClk"))
    width = lambda name: WIDE_PARAMETERS.get(name, 1)
    return {name: f"{width(name)}'d{value}" for name, value in sorted(params.items())}


def connections(ic, nets, x, y):
    """The block's pins as Verilog expressions: a net, a constant for an input
    with none, an empty connection for an output nothing reads; whether any
    output is read."""
    pins = ic.get_dsp_nets_db(x, y)
    outputs = {f"O_{i}" for i in range(32)} | {"CO"}
    wired, used = {}, False
    for pin, segment in pins.items():
        net = nets.get(segment)
        if pin in outputs:
            used |= net is not None
            wired[pin] = net or ""
        else:
            wired[pin] = net or ("1'b1" if pin in UNCONNECTED_HIGH else "1'b0")
    for pin in CASCADE_INPUTS:
        wired[pin] = "1'b0"
    ports = {}
    for pin, expr in wired.items():
        bus = pin.rpartition("_")[0]
        if bus in BUSES:
            continue
        ports[pin] = expr
    for bus, width in BUSES.items():
        bits = [wired.get(f"{bus}_{i}", "") for i in reversed(range(width))]
        if bus == "O":
            # An output bit nothing reads still needs a place to go.
            bits = [b or f"dsp_{x}_{y}_unread_O_{width - 1 - i}" for i, b in enumerate(bits)]
        ports[bus] = "{" + ", ".join(bits) + "}"
    return ports, used


def instances(asc, vlog):
    """Verilog for every DSP block of `asc` whose outputs the netlist reads."""
    icebox = load_icebox()
    ic = icebox.iceconfig()
    ic.read_file(str(asc))
    nets = segment_nets(vlog)
    text = []
    for x, y in sorted(ic.dsp_tiles[0]):
        ports, used = connections(ic, nets, x, y)
        if not used:
            continue
        unread = sorted(set(re.findall(rf"dsp_{x}_{y}_unread_O_\d+", ports["O"])))
        if unread:
            text.append(f"wire {', '.join(unread)};")
        params = ",\n".join(f"  .{k}({v})" for k, v in parameters(ic, x, y).items())
        pins = ",\n".join(f"  .{k}({v})" for k, v in sorted(ports.items()))
        text.append(f"SB_MAC16 #(\n{params}\n) dsp_{x}_{y} (\n{pins}\n);")
    return "\n".join(text)
