"""Legal regimes as dated policy (R61): which law a case runs under.

A regime is complete: the policy values it sets (over the Policy defaults), the process
variants it includes (states and triggers declared with `variante=...` exist only under a
regime naming that variant), the single states or triggers it removes per process, and the
transitional rule for running cases moved to it (R62). The built-in regimes are data
(regimes.toml beside this module); a settings file in the same format adds or replaces
regimes by name, so a new regime that only changes values and availability needs no code.

A case carries its whole regime in its workflow input (the values in its policy), so a worker
never decides with another configuration than the one the case was started or moved with.
Cases started before regimes existed carry none: they run under LEGACY, the 2023 law.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from statemachines.policy import Policy
from statemachines.spec import Process

NAME = r"^[a-z][a-z0-9_]{1,39}$"
BUERGERGELD_2023 = "buergergeld_2023"
GRUNDSICHERUNG_2026 = "grundsicherung_2026"


class Uebergang(BaseModel):
    """R62: what happens to running cases when they move to this regime."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    # Running Schlichtungen: run to their end under the regime they started in, or end at once
    # (state durch_rechtsaenderung_beendet, the plan case goes to ohne_plan).
    schlichtung: Literal["auslaufen", "beenden"] = "auslaufen"


class Regime(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=NAME)
    label: str = Field("", max_length=120)
    gilt_ab: date | None = None  # None: from the beginning (the first regime)
    varianten: frozenset[str] = frozenset()
    nicht_verfuegbar: dict[str, frozenset[str]] = Field(default_factory=dict)  # process -> state/trigger names
    werte: dict[str, Any] = Field(default_factory=dict)  # Policy fields
    uebergang: Uebergang = Uebergang()

    def verfuegbar(self, process: str, item: Any) -> bool:
        """Whether a declared state or trigger exists under this regime."""
        variante = getattr(item, "variante", None)
        if variante is not None and variante not in self.varianten:
            return False
        return item.name not in self.nicht_verfuegbar.get(process, frozenset())

    # Sets travel as sorted lists: the same regime is the same JSON on every side (the operator
    # command signs it, the workflow checks the signature on what it received).
    @field_serializer("varianten")
    def _sorted_varianten(self, value: frozenset[str]) -> list[str]:
        return sorted(value)

    @field_serializer("nicht_verfuegbar")
    def _sorted_nicht_verfuegbar(self, value: dict[str, frozenset[str]]) -> dict[str, list[str]]:
        return {process: sorted(names) for process, names in sorted(value.items())}

    def policy(self, overrides: Mapping[str, Any] | None = None) -> Policy:
        """The regime's policy: its values, then the explicitly configured ones (environment)."""
        return Policy.model_validate({**self.werte, **(overrides or {})})

    @property
    def availability_key(self) -> tuple:
        return (
            self.name,
            self.varianten,
            tuple(sorted((p, tuple(sorted(n))) for p, n in self.nicht_verfuegbar.items())),
        )


# Cases started before regimes existed: the 2023 law with exactly the process they were started with.
LEGACY = Regime(name=BUERGERGELD_2023, label="Bürgergeld (Recht bis 30.06.2026)")


def parse(text: str) -> list[Regime]:
    """Regimes from TOML text ([[regime]] tables); raises ValueError on a bad entry."""
    data = tomllib.loads(text)
    entries = data.get("regime", [])
    if not isinstance(entries, list):
        raise ValueError("[[regime]] erwartet eine Liste von Tabellen")
    regimes = [Regime.model_validate(entry) for entry in entries]
    for r in regimes:
        r.policy()  # unknown or invalid values fail here, not when the first case starts
    return regimes


def builtin() -> list[Regime]:
    return parse(resources.files("statemachines").joinpath("regimes.toml").read_text(encoding="utf-8"))


class Regimes:
    """The catalogue: regimes by name, and which one is in force on a date."""

    def __init__(self, regimes: Iterable[Regime]):
        self.by_name: dict[str, Regime] = {}
        for r in regimes:
            self.by_name[r.name] = r  # a later one (a settings file) replaces a built-in of that name
        starts = [r.gilt_ab for r in self.by_name.values()]
        if starts.count(None) != 1:
            raise ValueError("genau ein Rechtsstand braucht keinen Beginn (gilt_ab), alle anderen einen")
        if len(set(starts)) != len(starts):
            raise ValueError("zwei Rechtsstände beginnen am selben Tag")
        self.ordered = sorted(self.by_name.values(), key=lambda r: r.gilt_ab or date.min)

    @classmethod
    def load(cls, extra: Path | None = None) -> Regimes:
        regimes = builtin()
        if extra is not None:
            regimes += parse(extra.read_text(encoding="utf-8"))
        return cls(regimes)

    def get(self, name: str) -> Regime:
        return self.by_name[name]

    def in_force(self, on: date) -> Regime:
        return [r for r in self.ordered if (r.gilt_ab or date.min) <= on][-1]

    def gilt_bis(self, name: str) -> date | None:
        """The last day of a regime: the day before the next one starts (None: open-ended)."""
        later = [r.gilt_ab for r in self.ordered if r.gilt_ab and r.gilt_ab > (self.get(name).gilt_ab or date.min)]
        return date.fromordinal(later[0].toordinal() - 1) if later else None


_VARIANTS: dict[tuple, Process] = {}


def for_regime(process: Process, regime: Regime | None, *, reachable_only: bool = False) -> Process:
    """The process as it exists under `regime`: its unavailable states and triggers removed,
    with every transition, deadline and refusal that uses them. `reachable_only` also drops
    states no transition reaches from the initial one (for diagrams: a state kept only for
    cases moved over from an older regime, e.g. in_schlichtung under grundsicherung_2026)."""
    regime = regime or LEGACY
    key = (process.name, id(process), regime.availability_key, reachable_only)
    found = _VARIANTS.get(key)
    if found is None:
        found = _VARIANTS[key] = _variant(process, regime, reachable_only)
    return found


def _variant(process: Process, regime: Regime, reachable_only: bool) -> Process:
    states = {s.name for s in process.states if regime.verfuegbar(process.name, s)}
    triggers = {t.name for t in process.triggers if regime.verfuegbar(process.name, t)}
    if process.initial not in states:
        raise ValueError(f"{process.name}: Anfangszustand unter {regime.name} nicht verfügbar")
    transitions = _transitions(process, states, triggers)
    if reachable_only:
        states = _reachable(process.initial, transitions)
        transitions = _transitions(process, states, triggers)
    kept_states = tuple(
        replace(
            s,
            deadlines=tuple(
                d for d in s.deadlines if any(d.trigger == t.trigger and s.name in t.source for t in transitions)
            ),
            refusals={k: v for k, v in s.refusals.items() if k in triggers},
        )
        for s in process.states
        if s.name in states
    )
    return replace(
        process,
        states=kept_states,
        triggers=tuple(t for t in process.triggers if t.name in triggers),
        transitions=transitions,
        on_child_end={c: t for c, t in process.on_child_end.items() if t in triggers},
        _index={},
    )


def _transitions(process: Process, states: set[str], triggers: set[str]) -> tuple:
    kept = []
    for t in process.transitions:
        sources = tuple(s for s in t.source if s in states)
        if t.trigger in triggers and sources and (t.dest is None or t.dest in states):
            kept.append(t if sources == t.source else replace(t, source=sources))
    return tuple(kept)


def _reachable(initial: str, transitions: tuple) -> set[str]:
    seen, todo = {initial}, [initial]
    while todo:
        here = todo.pop()
        for t in transitions:
            if here in t.source and t.dest is not None and t.dest not in seen:
                seen.add(t.dest)
                todo.append(t.dest)
    return seen
