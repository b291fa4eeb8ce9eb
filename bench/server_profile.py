"""Name the functions in a `perf` profile of the Temporal dev server.

The `temporal` binary is stripped: perf shows bare addresses. Go keeps its own symbol table
(`.gopclntab`, needed at run time for stack traces), and this script reads the function names
from it. Record while a bench drives one path (docs/performance-log.md,
"The dev server's journal"):

    .venv/bin/python bench/transitions.py --paths bare --rounds 1 &
    perf record -g -F 499 -o bare.data -p "$(pgrep -f 'start-dev --headless')"   # Ctrl-C at the end
    .venv/bin/python bench/server_profile.py bare.data [--against fahrplan.data] [--inclusive] [--top 40]

Prints the functions with the most samples (self, or with --inclusive every function on the
stack); with --against, both profiles as shares of their samples, the second one's largest excess first.
"""

from __future__ import annotations

import argparse
import bisect
import collections
import mmap
import shutil
import struct
import subprocess
import sys
from pathlib import Path

KERNEL = "[kernel]"
_MAGICS = (0xFFFFFFF0, 0xFFFFFFF1)  # Go 1.18-1.19, Go 1.20 and later


class GoSymbols:
    """Function entry addresses and names from an ELF Go binary's .gopclntab."""

    def __init__(self, binary: str | Path):
        with open(binary, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            sections = _sections(data)
            if ".gopclntab" not in sections:
                raise ValueError(f"{binary}: no .gopclntab (not a Go binary?)")
            self.load_base = _load_base(data)
            self.text_start, self.text_end = sections[".text"][0], sections[".text"][0] + sections[".text"][2]
            self.entries, self.names = _functions(data, sections[".gopclntab"][1], self.text_start)

    def name(self, address: int) -> str:
        if not self.text_start <= address < self.text_end:
            return KERNEL if address >= 1 << 63 else f"{address:#x}"
        i = bisect.bisect_right(self.entries, address) - 1
        return self.names[i] if i >= 0 else f"{address:#x}"


def _sections(data) -> dict[str, tuple[int, int, int]]:
    """name -> (address, file offset, size) from the ELF64 section headers."""
    if data[:4] != b"\x7fELF" or data[4] != 2:
        raise ValueError("not a 64-bit ELF file")
    (shoff,) = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    headers = [struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize) for i in range(shnum)]
    strtab = headers[shstrndx][4]
    sections = {}
    for name_off, _type, _flags, addr, offset, size in headers:
        end = data.find(b"\0", strtab + name_off)
        sections[data[strtab + name_off : end].decode()] = (addr, offset, size)
    return sections


def _load_base(data) -> int:
    """Address minus file offset of the first PT_LOAD segment: perf script prints addresses
    of an unsymbolized executable relative to it."""
    (phoff,) = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    loads = []
    for i in range(phnum):
        p_type, _flags, p_offset, p_vaddr = struct.unpack_from("<IIQQ", data, phoff + i * phentsize)
        if p_type == 1:
            loads.append(p_vaddr - p_offset)
    return min(loads)


def _functions(data, table: int, text_start: int) -> tuple[list[int], list[str]]:
    (magic,) = struct.unpack_from("<I", data, table)
    if magic not in _MAGICS:
        raise ValueError(f".gopclntab magic {magic:#x}: only Go 1.18 and later are read")
    nfunc, _nfiles, header_text, funcnames, _cu, _files, _pcs, functab = struct.unpack_from("<8Q", data, table + 8)
    base = header_text or text_start  # the linker leaves it 0 and the runtime uses the text section
    entries, names = [], []
    for i in range(nfunc):
        entry, func = struct.unpack_from("<II", data, table + functab + 8 * i)
        (name_off,) = struct.unpack_from("<i", data, table + functab + func + 4)
        start = table + funcnames + name_off
        entries.append(base + entry)
        names.append(data[start : data.find(b"\0", start)].decode(errors="replace"))
    return entries, names


def stacks(perf_script: str, symbols: GoSymbols) -> list[list[str]]:
    """`perf script -F ip` output (one block of addresses per sample, leaf first) as named stacks."""
    named = []
    for block in perf_script.strip().split("\n\n"):
        addresses = [int(line, 16) for line in block.split() if line]
        if addresses:
            named.append([symbols.name(a if a >= 1 << 63 else a + symbols.load_base) for a in addresses])
    return named


def counts(named: list[list[str]], inclusive: bool) -> collections.Counter:
    counted = collections.Counter()
    for stack in named:
        counted.update(set(stack) if inclusive else stack[:1])
    return counted


def profile(data_file: str, symbols: GoSymbols, inclusive: bool) -> tuple[int, collections.Counter]:
    out = subprocess.run(["perf", "script", "-F", "ip", "-i", data_file], capture_output=True, text=True, check=True)
    named = stacks(out.stdout, symbols)
    return len(named), counts(named, inclusive)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", help="perf.data of the dev server")
    parser.add_argument("--against", help="a second perf.data: both side by side, sorted by its excess")
    parser.add_argument("--binary", default=str(Path(sys.executable).parent / "temporal"))
    parser.add_argument("--inclusive", action="store_true", help="count every function on the stack")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args(argv)
    if not shutil.which("perf"):
        parser.error("perf not found (apt-get install linux-perf)")
    symbols = GoSymbols(args.binary)
    n, first = profile(args.data, symbols, args.inclusive)
    if not args.against:
        print(f"{n} samples")
        for name, k in first.most_common(args.top):
            print(f"{k:7d} {100 * k / n:5.1f} %  {name}")
        return 0
    m, second = profile(args.against, symbols, args.inclusive)
    print(f"{n} and {m} samples; share of each, and the second's excess in points")
    for name, a, b in excess(first, n, second, m)[: args.top]:
        print(f"{100 * a:6.1f} % {100 * b:6.1f} % {100 * (b - a):+6.1f}  {name}")
    return 0


def excess(first: collections.Counter, n: int, second: collections.Counter, m: int) -> list[tuple[str, float, float]]:
    """(function, share of the first profile's samples, share of the second's), the second's largest
    excess first: shares, not counts, since two recordings rarely hold the same number of samples."""
    shares = [(name, first[name] / max(n, 1), second[name] / max(m, 1)) for name in first.keys() | second.keys()]
    return sorted(shares, key=lambda row: row[1] - row[2])


if __name__ == "__main__":
    sys.exit(main())
