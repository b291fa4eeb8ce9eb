"""bench/server_profile.py: function names for a perf profile of the stripped `temporal` binary."""

from __future__ import annotations

import collections
import sys
from pathlib import Path

import pytest

from bench.server_profile import KERNEL, GoSymbols, counts, excess, stacks

TEMPORAL = Path(sys.executable).parent / "temporal"


@pytest.fixture(scope="module")
def symbols() -> GoSymbols:
    return GoSymbols(TEMPORAL)


def test_functions_are_named_from_the_go_symbol_table(symbols):
    assert len(symbols.names) > 10_000
    goexit = symbols.entries[symbols.names.index("runtime.goexit")]
    assert symbols.name(goexit) == "runtime.goexit"
    assert symbols.name(goexit + 1) == "runtime.goexit"  # inside the function
    following = symbols.entries[symbols.names.index("runtime.goexit") + 1]
    assert symbols.name(following) != "runtime.goexit"
    assert symbols.name(0xFFFFFFFF81000000) == KERNEL


def test_perf_script_addresses_are_relative_to_the_load_base(symbols):
    goexit = symbols.entries[symbols.names.index("runtime.goexit")]
    main = symbols.entries[symbols.names.index("runtime.main")]
    script = (
        f"\t{0xFFFFFFFF81000010:x}\n\t{main + 4 - symbols.load_base:x}\n\t{goexit + 1 - symbols.load_base:x}\n\n"
        f"\t{main + 8 - symbols.load_base:x}\n\t{goexit + 1 - symbols.load_base:x}\n"
    )
    named = stacks(script, symbols)
    assert named == [[KERNEL, "runtime.main", "runtime.goexit"], ["runtime.main", "runtime.goexit"]]
    assert counts(named, inclusive=False) == {KERNEL: 1, "runtime.main": 1}
    assert counts(named, inclusive=True) == {KERNEL: 1, "runtime.main": 2, "runtime.goexit": 2}


def test_a_file_without_go_symbols_is_refused():
    with pytest.raises(ValueError, match=r"gopclntab|ELF"):
        GoSymbols(Path(sys.executable).resolve())


def test_against_compares_shares_not_counts():
    # The second recording is twice as long: gzip doubles in count but keeps its share; sqlite's share grows.
    first = collections.Counter({"gzip": 10, "sqlite": 10})
    second = collections.Counter({"gzip": 20, "sqlite": 40})
    rows = excess(first, 100, second, 200)
    assert [name for name, *_ in rows] == ["sqlite", "gzip"]
    assert rows[0] == ("sqlite", 0.1, 0.2) and rows[1] == ("gzip", 0.1, 0.1)
