"""`fahrplan diagrams`: writes the training diagrams of every process and legal regime.

diagrams/<process>.mmd and .svg show the process under the first regime (buergergeld_2023);
diagrams/<process>.<regime>.mmd and .svg show it under each later regime where it differs
(R61): its states and triggers there, durations from that regime's policy. A process without
such files is the same under every regime. The text comes from statemachines.diagram (pure),
runtime.svg runs Graphviz (and strips its version comment, so the committed files equal what
the definitions produce); this command touches the file system.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from runtime.svg import render_svg
from statemachines.diagram import to_dot, to_mermaid
from statemachines.policy import Policy
from statemachines.regimes import Regimes, for_regime
from statemachines.registry import PROCESSES

DEFAULT_DIR = Path("diagrams")  # relative to the working directory: run from the repository root


def generate(policy: Policy | None = None, regimes: Regimes | None = None) -> dict[str, str]:
    """File name → content for every registered process and regime. `policy` replaces the
    regimes' own values (one policy for all, e.g. a test's); None: each regime's."""
    regimes = regimes or Regimes.load()
    files: dict[str, str] = {}
    for name in sorted(PROCESSES):
        drawn: list[str] = []
        for number, regime in enumerate(regimes.ordered):
            process = for_regime(PROCESSES[name], regime, reachable_only=True)
            values = policy or regime.policy()
            mermaid = to_mermaid(process, values)
            if drawn and mermaid in drawn:
                continue  # nothing differs under this regime: the earlier file stands for it
            drawn.append(mermaid)
            stem = name if number == 0 else f"{name}.{regime.name}"
            files[f"{stem}.mmd"] = mermaid
            files[f"{stem}.svg"] = render_svg(to_dot(process, values))
    return files


def write_diagrams(target_dir: Path, policy: Policy | None = None) -> list[Path]:
    target_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in generate(policy).items():
        path = target_dir / name
        path.write_bytes(content.encode("utf-8"))  # bytes: no platform newline translation
        written.append(path)
    return written


def diagram_files_differ(target_dir: Path, policy: Policy | None = None) -> list[str]:
    """Names of diagram files that are missing, stale or not generated at all."""
    fresh = generate(policy)
    present = {p.name for p in target_dir.glob("*") if p.suffix in (".mmd", ".svg")} if target_dir.is_dir() else set()
    differ = [
        name
        for name, content in fresh.items()
        if name not in present or (target_dir / name).read_bytes() != content.encode("utf-8")
    ]
    return sorted(differ + sorted(present - fresh.keys()))


def run(args: argparse.Namespace) -> int:
    for path in write_diagrams(Path(args.target)):
        print(path)
    return 0


def add(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("diagrams", help="Diagramme neu erzeugen (je Prozess und Rechtsstand)")
    parser.add_argument("--target", default=str(DEFAULT_DIR))
    parser.set_defaults(func=run)
