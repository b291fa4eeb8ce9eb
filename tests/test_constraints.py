"""constraints.txt, the exact releases `make setup` installs, against pyproject.toml's ranges and
against this environment: every package the project needs (its dependencies with the test and
tracing extras, and theirs) has one pin, each pin lies in pyproject.toml's range, nothing else is
pinned, and what is installed is what is pinned (`make lock` writes the file, `make setup`
installs it)."""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
EXTRAS = ("test", "tracing")  # what `make setup` installs (Makefile)


def pins() -> dict[str, Version]:
    found: dict[str, Version] = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        assert sep, f"constraints.txt: {line!r} is not name==version"
        assert canonicalize_name(name) not in found, f"constraints.txt pins {name} twice"
        found[canonicalize_name(name)] = Version(version)
    return found


def declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    raw = [*project["dependencies"], *(r for extra in EXTRAS for r in project["optional-dependencies"][extra])]
    return [r for r in map(Requirement, raw) if applies(r, set())]


def applies(requirement: Requirement, extras: set[str]) -> bool:
    """Whether a requirement holds on this machine for a package installed with `extras`."""
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate({"extra": extra}) for extra in extras or {""})


def needed() -> dict[str, Version]:
    """Every distribution the project needs here, with its installed version."""
    versions: dict[str, Version] = {}
    seen: set[tuple[str, frozenset[str]]] = set()
    todo = declared()
    while todo:
        requirement = todo.pop()
        name, extras = canonicalize_name(requirement.name), frozenset(requirement.extras)
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            raise AssertionError(f"{name} is needed but not installed: run `make setup`") from None
        versions[name] = Version(dist.version)
        todo += [r for r in map(Requirement, dist.requires or []) if applies(r, set(extras))]
    return versions


def test_each_pin_lies_in_the_range_pyproject_declares():
    pinned = pins()
    outside = [
        f"{r} / constraints.txt {pinned[canonicalize_name(r.name)]}"
        for r in declared()
        if canonicalize_name(r.name) in pinned
        and not r.specifier.contains(pinned[canonicalize_name(r.name)], prereleases=True)
    ]
    assert not outside, f"run `make lock`: {outside}"


def test_every_needed_package_is_pinned_and_nothing_else():
    pinned, wanted = pins(), needed()
    assert not wanted.keys() - pinned.keys(), f"not pinned, run `make lock`: {sorted(wanted.keys() - pinned.keys())}"
    assert not pinned.keys() - wanted.keys(), f"pinned, not needed: {sorted(pinned.keys() - wanted.keys())}"


def test_this_environment_holds_the_pinned_releases():
    pinned = pins()
    differ = {name: (str(v), str(pinned.get(name))) for name, v in needed().items() if pinned.get(name) != v}
    assert not differ, f"installed / pinned, run `make setup`: {differ}"
