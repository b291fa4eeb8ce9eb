"""`fahrplan roles`: writes the role matrix (statemachines.roles) into the README between its markers."""

from __future__ import annotations

import argparse
from pathlib import Path

from runtime.settings import ROLES
from statemachines.roles import role_matrix, with_matrix

DEFAULT_README = Path("README.md")  # relative to the working directory: run from the repository root


def current_readme(text: str) -> str:
    """The README text as the declarations would have it."""
    return with_matrix(text, role_matrix(ROLES))


def write_role_matrix(readme: Path = DEFAULT_README) -> bool:
    """Rewrite the table in place; True when it changed."""
    text = readme.read_text(encoding="utf-8")
    updated = current_readme(text)
    if updated == text:
        return False
    readme.write_bytes(updated.encode("utf-8"))  # bytes: no platform newline translation
    return True


def run(args: argparse.Namespace) -> int:
    print(f"{args.readme}: " + ("neu geschrieben" if write_role_matrix(Path(args.readme)) else "aktuell"))
    return 0


def add(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("roles", help="Rollenmatrix im README neu erzeugen")
    parser.add_argument("--readme", default=str(DEFAULT_README))
    parser.set_defaults(func=run)
