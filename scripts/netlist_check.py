#!/usr/bin/env python3
"""Mines on a board's netlist model (`amber scan --sim-board BOARD`) and checks
every answer against Python's own double SHA-256.

- Block headers (HEADERS, in the format of tests/vectors/blocks.txt): for each,
  a range from a few thousand nonces below the header's nonce to a little above
  it, at the threshold of the header's target. The board must report exactly
  the nonces the reference finds there, the header's own nonce among them.
- Random work: random headers, a loose threshold, the seed printed; the board
  must report exactly the reference's nonces.

Exits non-zero on the first board that misses a nonce, reports one the
reference rejects, drops a result or counts a hardware error.
"""

import argparse
import hashlib
import json
import random
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NONCES_BELOW = 2_000
NONCES_ABOVE = 100
RANDOM_HEADERS = 4
RANDOM_NONCES = 256
RANDOM_THRESHOLD = 0x0400_0000
# Longest one scan may take; a board that stops answering fails the check.
SCAN_TIMEOUT_SECONDS = 900


def block_hash(header):
    """Double SHA-256 in display order (big-endian hex, as block explorers show it)."""
    return hashlib.sha256(hashlib.sha256(header).digest()).digest()[::-1]


def with_nonce(header, nonce):
    return header[:76] + nonce.to_bytes(4, "little")


def leading_word(header, nonce):
    return int.from_bytes(block_hash(with_nonce(header, nonce))[:4], "big")


def target_threshold(header):
    """The top 32 bits of the 256-bit target that the header's nBits encodes."""
    bits = int.from_bytes(header[72:76], "little")
    exponent, mantissa = bits >> 24, bits & 0x007F_FFFF
    target = mantissa << (8 * (exponent - 3)) if exponent >= 3 else mantissa >> (8 * (3 - exponent))
    return min(target >> 224, 0xFFFF_FFFF)


def expected(header, first, count, threshold):
    return [n for n in range(first, first + count) if leading_word(header, n) <= threshold]


def read_headers(path):
    headers = []
    for number, line in enumerate(Path(path).read_text().splitlines(), 1):
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        try:
            header = bytes.fromhex(words[0])
        except ValueError:
            sys.exit(f"{path}:{number}: the header is not hex")
        if len(header) != 80:
            sys.exit(f"{path}:{number}: a header is 80 bytes (160 hex digits), not {len(header)}")
        headers.append((number, header, words[1] if len(words) > 1 else None))
    if not headers:
        sys.exit(f"{path}: no headers (one per line: header hex, space, block hash)")
    return headers


class Board:
    def __init__(self, amber, board):
        self.amber = amber
        self.board = board
        self.failures = 0
        self.nonces = 0
        self.seconds = 0.0

    def scan(self, header, first, count, threshold):
        """The nonces the board reports, and the scan's summary."""
        cmd = [*self.amber, "scan", "--sim-board", self.board, "--header", header.hex(),
               "--from", str(first), "--count", str(count), "--threshold", hex(threshold), "--json"]
        started = time.monotonic()
        try:
            result = subprocess.run(cmd, capture_output=True, text=True,
                                    timeout=SCAN_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            sys.exit(f"FAIL: amber scan from {first:#010x} got no DONE within "
                     f"{SCAN_TIMEOUT_SECONDS} s")
        self.seconds += time.monotonic() - started
        if result.returncode != 0:
            sys.exit(f"amber scan failed ({result.returncode}):\n{result.stderr}")
        found, summary = [], None
        for line in result.stdout.splitlines():
            record = json.loads(line)
            if record.get("done"):
                summary = record
            else:
                found.append(int(record["nonce"], 16))
        if summary is None:
            sys.exit(f"amber scan printed no summary:\n{result.stdout}\n{result.stderr}")
        self.nonces += count
        return found, summary

    def check(self, what, header, first, count, threshold):
        """Scans and compares with the reference; returns the nonces found."""
        found, summary = self.scan(header, first, count, threshold)
        want = expected(header, first, count, threshold)
        problems = []
        if sorted(found) != want:
            missed = sorted(set(want) - set(found))
            extra = sorted(set(found) - set(want))
            problems.append(f"missed {[hex(n) for n in missed]}, reported {[hex(n) for n in extra]} "
                            f"that the reference rejects")
        for key in ("hardware_errors", "dropped_results"):
            if summary.get(key):
                problems.append(f"{summary[key]} {key.replace('_', ' ')}")
        for problem in problems:
            print(f"FAIL {what}: {problem}")
        self.failures += bool(problems)
        return found, not problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--board", required=True)
    parser.add_argument("--headers", default=str(ROOT / "tests" / "vectors" / "blocks.txt"))
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--amber", default="cargo run --release -q -p amber --",
                        help="how to run amber (a command line)")
    args = parser.parse_args()
    board = Board(shlex.split(args.amber), args.board)
    print(f"netlist-sim {args.board}: block headers of {args.headers}")

    for number, header, listed_hash in read_headers(args.headers):
        nonce = int.from_bytes(header[76:80], "little")
        first = max(0, nonce - NONCES_BELOW)
        count = min(nonce + NONCES_ABOVE, 0xFFFF_FFFF) - first + 1
        what = f"line {number}"
        found, _ = board.check(what, header, first, count, target_threshold(header))
        shown = block_hash(header).hex()
        if nonce in found:
            print(f"{what}: nonce {nonce:#010x} found, block hash {shown}")
        else:
            board.failures += 1
            print(f"FAIL {what}: the header's nonce {nonce:#010x} was not found in "
                  f"{first:#010x}..{first + count - 1:#010x}")
        if listed_hash is not None and listed_hash.lower() != shown:
            print(f"note {what}: the header hashes to {shown}, not the listed {listed_hash}")

    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 32)
    rng = random.Random(seed)
    print(f"netlist-sim {args.board}: random work, seed {seed} "
          f"({RANDOM_HEADERS} headers x {RANDOM_NONCES} nonces, threshold {RANDOM_THRESHOLD:#010x})")
    for i in range(RANDOM_HEADERS):
        header = bytes(rng.randrange(256) for _ in range(80))
        first = rng.randrange((1 << 32) - RANDOM_NONCES)
        found, ok = board.check(f"random {i} (seed {seed})", header, first, RANDOM_NONCES,
                                RANDOM_THRESHOLD)
        if ok:
            print(f"random {i}: the {len(found)} nonces of {RANDOM_NONCES} the reference finds")

    rate = board.nonces / board.seconds if board.seconds else 0
    print(f"netlist-sim {args.board}: {board.nonces} nonces in {board.seconds:.1f} s "
          f"({rate:.0f} nonces/s simulated), {board.failures} failures")
    sys.exit(1 if board.failures else 0)


if __name__ == "__main__":
    main()
