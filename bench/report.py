"""Every benchmark with a goal, on SQLite and PostgreSQL, one after the other, and one table.

Runs each bench script of this folder as its own process (never two at once: they would share
the cores they measure), keeps its whole output in a log file, reads the `ratio=` of its last
line and sets it against the goal (issue 20: throughput, latency, scale-out; issues 12 and 15:
list and people queries at scale). The table says met, not met, or failed (no ratio: the bench
exited with an error; its log says why). Information, not a test: a run in which every bench
gave its ratio exits 0 whatever the ratios are, 1 when one failed.

    .venv/bin/python bench/report.py [--database-url postgresql://postgres@127.0.0.1:5432/test]
        [--benches transitions,latency,scale_out,scale,people] [--logs DIR] [--quick]

Without --database-url only SQLite is measured, and scale_out (PostgreSQL only) is left out.
The whole set on both databases took 40 minutes on two cores (2026-12-07, the latency bench
11 of them a database); --quick runs every bench with small sizes (a few minutes), to see that
they all run, not to measure.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Goal:
    what: str
    target: float
    at_least: bool  # ratio >= target; otherwise ratio <= target
    pg_target: float | None = None  # another target on PostgreSQL
    pg_only: bool = False

    def target_for(self, database: str) -> float:
        return self.pg_target if database == "postgresql" and self.pg_target is not None else self.target

    def met(self, ratio: float, database: str) -> bool:
        target = self.target_for(database)
        return ratio >= target if self.at_least else ratio <= target

    def shown(self, database: str) -> str:
        return f"{'≥' if self.at_least else '≤'} {self.target_for(database):g}"


GOALS = {
    "transitions": Goal("throughput, Fahrplan / bare", 0.85, at_least=True, pg_target=0.80),
    "latency": Goal("latency p99, Fahrplan / bare, worst of 1 and 20 clients", 1.3, at_least=False),
    "scale_out": Goal("two workers and APIs / one", 1.5, at_least=True, pg_only=True),
    "scale": Goal("case list p99 at 10,000 cases, API / database", 3.0, at_least=False),
    "people": Goal("search and inbox p99 at 50,000 cases, API / database", 3.0, at_least=False),
}

# Small sizes for --quick: every bench runs through, in minutes; its ratio means little.
QUICK = {
    "transitions": ["--cases", "10", "--transitions", "5", "--rounds", "1"],
    "latency": ["--samples", "100", "--rounds", "1"],
    "scale_out": ["--cases", "10", "--transitions", "5"],
    "scale": ["--cases", "300", "--samples", "50", "--visibility-samples", "10", "--touch", "50"],
    "people": ["--cases", "1000", "--samples", "50"],
}

# The lines of a bench's output worth showing under the table (rates, per-level ratios, summaries).
DETAIL = re.compile(
    r"(transitions/s|^C=\d+\s+ratio|^\s+(search and inbox|Fallakte|cases|worker|GET /cases \(all queries\)):)"
)
RATIO = re.compile(r"^ratio=([0-9.]+)\s*$")
TAIL = 20  # lines of a failed bench's log shown under the table (CI keeps no log files)


@dataclass(frozen=True)
class Outcome:
    bench: str
    database: str
    ratio: float | None
    seconds: float
    log: Path
    detail: tuple[str, ...] = ()

    def verdict(self) -> str:
        if self.ratio is None:
            return "failed"
        return "met" if GOALS[self.bench].met(self.ratio, self.database) else "not met"


def command(bench: str, database_url: str | None, quick: bool) -> list[str]:
    """The bench script's command line: the venv's Python, its defaults unless --quick."""
    argv = [sys.executable, str(HERE / f"{bench}.py")]
    if database_url:
        argv += ["--database-url", database_url]
    return argv + (QUICK[bench] if quick else [])


def read(output: str) -> tuple[float | None, tuple[str, ...]]:
    """The ratio of a bench's last non-empty line (None without one) and its detail lines."""
    lines = [line for line in output.splitlines() if line.strip()]
    found = RATIO.match(lines[-1]) if lines else None
    detail = tuple(line.strip() for line in lines if DETAIL.search(line))
    return (float(found.group(1)) if found else None), detail


def shown_command(argv: list[str]) -> str:
    """The command line for the log, the --database-url's password masked (as persistence/db.py shows it)."""
    shown = list(argv)
    for i, arg in enumerate(argv[:-1]):
        if arg == "--database-url":
            shown[i + 1] = make_url(argv[i + 1]).render_as_string(hide_password=True)
    return " ".join(shown)


def run(bench: str, database: str, argv: list[str], logs: Path) -> Outcome:
    """One bench as its own process, its output streamed into its log (kept also on Ctrl-C)."""
    log = logs / f"{bench}-{database}.log"
    started = time.monotonic()
    with log.open("w") as out:
        out.write(shown_command(argv) + "\n")
        out.flush()
        done = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, check=False)
    output = log.read_text(errors="replace").split("\n", 1)[1]  # without the command line
    ratio, detail = read(output) if done.returncode == 0 else (None, ())
    return Outcome(bench, database, ratio, time.monotonic() - started, log, detail)


def plan(benches: list[str], database_url: str | None) -> list[tuple[str, str, str | None]]:
    """(bench, database, its --database-url) in the order run: each bench on SQLite, then PostgreSQL."""
    databases = [("sqlite", None)] + ([("postgresql", database_url)] if database_url else [])
    return [
        (bench, database, url)
        for bench in benches
        for database, url in databases
        if not (GOALS[bench].pg_only and database != "postgresql")
    ]


def table(outcomes: list[Outcome]) -> list[str]:
    rows = ["| bench | database | goal | ratio | target | | minutes |", "|---|---|---|---|---|---|---|"]
    for o in outcomes:
        goal = GOALS[o.bench]
        ratio = f"{o.ratio:.3f}" if o.ratio is not None else "–"
        rows.append(
            f"| {o.bench} | {o.database} | {goal.what} | {ratio} | {goal.shown(o.database)} | "
            f"{o.verdict()} | {o.seconds / 60:.1f} |"
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None, help="PostgreSQL admin URL: also measure on PostgreSQL")
    parser.add_argument("--benches", default=",".join(GOALS), help=f"which of {','.join(GOALS)}")
    parser.add_argument("--logs", default=None, help="folder for each bench's whole output (default: a new one)")
    parser.add_argument("--quick", action="store_true", help="small sizes: see that every bench runs")
    args = parser.parse_args(argv)
    benches = [b.strip() for b in args.benches.split(",") if b.strip()]
    unknown = [b for b in benches if b not in GOALS]
    if unknown or not benches:
        named = f"unknown: {', '.join(unknown)}" if unknown else "none named"
        parser.error(f"--benches: {named}; known: {', '.join(GOALS)}")
    if args.database_url and not args.database_url.startswith("postgresql"):
        parser.error("--database-url must be a postgresql:// URL")
    logs = Path(args.logs) if args.logs else Path(f"bench-report-{time.strftime('%Y%m%d-%H%M%S')}")
    logs.mkdir(parents=True, exist_ok=True)
    outcomes = []
    for bench, database, url in plan(benches, args.database_url):
        print(f"{time.strftime('%H:%M:%S')} {bench} on {database} ...", flush=True)
        outcomes.append(run(bench, database, command(bench, url, args.quick), logs))
        print(f"{time.strftime('%H:%M:%S')} {bench} on {database}: {outcomes[-1].verdict()}", flush=True)
    print("", *table(outcomes), "", sep="\n")
    if args.quick:
        print("--quick: small sizes; the ratios above are not measurements\n")
    for o in outcomes:
        shown = o.detail if o.ratio is not None else o.log.read_text(errors="replace").splitlines()[-TAIL:]
        print(f"{o.bench} on {o.database} ({o.log}):", *(f"  {line}" for line in shown), sep="\n")
    return 1 if any(o.ratio is None for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
