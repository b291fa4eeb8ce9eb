"""The benches' shared command-line flags: the sandbox, the dev server's settings, how
record_transition runs (bench/record_variant.py) and what the bare path adds (bench/bare.py)."""

from __future__ import annotations

import argparse
import re

from bench import bare
from worker.commands.devserver import TRANSFER_POLL_RPS


def add_sandbox_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="run both workers' workflows in the Temporal sandbox (FAHRPLAN_WORKFLOW_SANDBOX=true)",
    )


def add_worker_process_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--worker-process",
        action="store_true",
        help="run each path's worker in a process of its own, as in production (`fahrplan worker`, "
        "`python -m bench.bare_process`), instead of in the bench process beside the clients",
    )


def workers_described(args: argparse.Namespace) -> str:
    """The setup line's words for where the workers run."""
    return "workers in processes of their own" if args.worker_process else "workers in the bench process"


def add_bare_variant_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--bare-variant",
        type=bare_variant,
        default=bare.PLAIN,
        metavar="pad=N,search-attributes,state-changes=K",
        help="add to the bare path one thing a Fahrplan transition does (README, Performance); default: none",
    )


def bare_variant(text: str) -> bare.Variant:
    try:
        return bare.Variant.parse(text)
    except ValueError as wrong:
        raise argparse.ArgumentTypeError(str(wrong)) from None


def add_record_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--record",
        choices=("local", "activity"),
        default="local",
        help="how Fahrplan's workflows run record_transition: local (as new cases do, default) or "
        "activity, as cases begun before baseline-b-2026-12 still do (bench/record_variant.py)",
    )


def check_record_flag(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """The sandbox re-imports the workflows and would silently measure the local activity, and a
    worker of its own process (--worker-process) does not see this process's patch."""
    if args.record == "activity" and args.sandbox:
        parser.error("--record activity needs unsandboxed workflows: leave out --sandbox")
    if args.record == "activity" and getattr(args, "worker_process", False):
        parser.error("--record activity needs the worker in the bench process: leave out --worker-process")


def add_server_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--server-journal",
        choices=("wal", "delete"),
        default="wal",
        help="the dev server's SQLite journal: wal as `make run` (default), delete as before 2026-12-04",
    )
    parser.add_argument(
        "--transfer-poll-rps",
        type=int,
        default=TRANSFER_POLL_RPS,
        help=f"how often the dev server may read its transfer queue: {TRANSFER_POLL_RPS} as `make run` "
        "(default), 20 (the server's own default) as before 2026-12-06",
    )
    parser.add_argument(
        "--server-pragma",
        action="append",
        default=[],
        type=sqlite_pragma,
        metavar="NAME=VALUE",
        help="another SQLite pragma for the dev server's file, after the journal's (repeatable; "
        "e.g. wal_autocheckpoint=0, docs/performance-log.md)",
    )


def sqlite_pragma(text: str) -> str:
    """NAME=VALUE as `temporal server start-dev --sqlite-pragma` takes it (it passes any name on,
    and SQLite ignores an unknown one, so a typo shows only in the name's shape)."""
    if not re.fullmatch(r"[a-z_]+=[\w-]+", text):
        raise argparse.ArgumentTypeError(f"{text!r}: NAME=VALUE, e.g. wal_autocheckpoint=0")
    return text


def path_names(text: str, known: tuple[str, ...]) -> list[str]:
    """A comma-separated choice of bench paths (`--paths`, `--also`), in the order of `known`,
    each once; none or an unknown one is refused."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = sorted(set(names) - set(known))
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown path {', '.join(unknown) or '(none)'}: choose of {','.join(known)}")
    return [name for name in known if name in names]
