"""`fahrplan demo`: a handful of sample cases in different states, made through
the running API exactly as staff would make them (names are invented).

Kooperationsplan cases show both legal regimes (R61): plans whose legal start lies before
1 July 2026 (taken over from 2025, one with a running Schlichtung) run under buergergeld_2023,
a plan begun today under the regime in force (grundsicherung_2026 unless FAHRPLAN_REGIME pins
another) and reaches pflichten_per_verwaltungsakt. A step the case's regime does not offer is
skipped and named."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime, timedelta

import httpx

from runtime.settings import Settings
from runtime.tokens import load_tokens
from statemachines.roles import EGS, IFK
from worker.commands import load_settings

WARM = {"uebergabe": "warm"}
TERMIN = {"termin": (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0).isoformat()}

# (first name, last name, start facts, [(trigger, data), ...])
SAMPLES = [
    ("Anna", "Beispiel", {"antragsweg": "persoenlich"}, [("an_clearing_uebergeben", WARM)]),
    ("Ben", "Muster", {"antragsweg": "online"}, []),
    (
        "Clara",
        "Probe",
        {"antragsweg": "persoenlich"},
        [("an_clearing_uebergeben", WARM), ("clearingtermin_vereinbart", TERMIN)],
    ),
    (
        "David",
        "Test",
        {"antragsweg": "persoenlich"},
        [("an_clearing_uebergeben", WARM), ("gruppencoaching_zugesagt", {})],
    ),
    (
        "Emma",
        "Vorlage",
        {"antragsweg": "persoenlich"},
        [
            ("an_clearing_uebergeben", WARM),
            ("kontaktversuch_gescheitert", {"art": "telefon"}),
            ("kontaktversuch_gescheitert", {"art": "telefon"}),
            ("kontaktversuch_gescheitert", {"art": "schriftlich"}),
        ],
    ),
    (
        "Felix",
        "Schablone",
        {"antragsweg": "persoenlich", "rehabilitand": True},
        [("an_clearing_uebergeben", WARM), ("als_rehabilitand_erfasst", {})],
    ),
    (
        "Greta",
        "Entwurf",
        {"antragsweg": "persoenlich"},
        [("an_clearing_uebergeben", WARM), ("eigenen_plan_erfasst", {})],
    ),
    (
        "Hannes",
        "Skizze",
        {"antragsweg": "persoenlich"},
        [
            ("an_clearing_uebergeben", WARM),
            ("alg1_bezug_erfasst", {"alg1_ende": (date.today() + timedelta(days=45)).isoformat()}),
        ],
    ),
    (
        "Ida",
        "Modell",
        {"antragsweg": "persoenlich"},
        [
            ("an_clearing_uebergeben", WARM),
            ("gruppencoaching_abgelehnt", {}),
            ("leistung_bewilligt", {}),
        ],
    ),
]


# Kooperationsplan: (first name, last name, legal start or None for today, [(trigger, data), ...])
PLAENE = [
    (
        "Jana",
        "Altfall",
        "2025-03-01",
        [("potenzialanalyse_abgeschlossen", {}), ("schlichtung_beantragt", {"initiiert_von": "elb"})],
    ),
    ("Karl", "Uebernahme", "2025-09-15", [("potenzialanalyse_abgeschlossen", {})]),
    (
        "Lena",
        "Neurecht",
        None,
        [("potenzialanalyse_abgeschlossen", {}), ("keine_einigung", {}), ("verwaltungsakt_erlassen", {})],
    ),
]


def run_demo(settings: Settings, api: str | None) -> int:
    by_role = {user.roles[0]: token for token, user in load_tokens(settings).items()}
    if EGS not in by_role:
        print("Keine lokalen Tokens gefunden: zuerst `fahrplan up` starten.")
        return 1
    base = (api or f"http://{settings.api_host}:{settings.api_port}").rstrip("/") + "/api/v1"
    with httpx.Client(base_url=base, timeout=60) as http:
        processes = {p["name"]: p for p in http.get("/processes").raise_for_status().json()}
        roles = {t["name"]: t["roles"] for t in processes["neuantrag"]["triggers"]}
        for vorname, nachname, facts, steps in SAMPLES:
            person = {
                "vorname": vorname,
                "nachname": nachname,
                "anschrift": {"strasse": "Musterweg 1", "plz": "58285", "ort": "Gevelsberg"},
            }
            case = (
                http.post(
                    "/cases",
                    json={"process": "neuantrag", "person": person, "facts": facts},
                    headers=_auth(by_role[EGS]),
                )
                .raise_for_status()
                .json()
            )
            for trigger, data in steps:
                role = next(r for r in roles[trigger] if r in by_role)
                r = http.post(
                    f"/cases/{case['case_id']}/transitions",
                    json={"trigger": trigger, "data": data},
                    headers=_auth(by_role[role]),
                )
                r.raise_for_status()
                case = r.json()
            print(f"{case['case_id']}  {case['state']['label']:<32} {case['temporal_ui_url']}")
        if IFK in by_role:
            _plaene(http, by_role[IFK])
    return 0


def _plaene(http: httpx.Client, token: str) -> None:
    """Kooperationsplan cases under both regimes, one with a running Schlichtung (R61, R62)."""
    for vorname, nachname, beginn, steps in PLAENE:
        person = {"vorname": vorname, "nachname": nachname}
        body = {"process": "kooperationsplan", "person": person, "facts": {}}
        if beginn:
            body["rechtlicher_beginn"] = beginn
        case = http.post("/cases", json=body, headers=_auth(token)).raise_for_status().json()
        for trigger, data in steps:
            if trigger not in {t["name"] for t in case["allowed_triggers"]}:
                print(f"  ({trigger} gibt es unter {case['regime']} hier nicht: übersprungen)")
                break
            r = http.post(
                f"/cases/{case['case_id']}/transitions", json={"trigger": trigger, "data": data}, headers=_auth(token)
            )
            case = r.raise_for_status().json()
        line = f"{case['case_id']}  {case['state']['label']:<36} {case['regime']:<20} {case['temporal_ui_url']}"
        print(line)
        if "schlichtung" in case["links"]:
            print(f"  Schlichtung läuft: {case['links']['schlichtung']}")


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def run(args: argparse.Namespace) -> int:
    return run_demo(load_settings(), args.api)


def add(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("demo", help="Beispielfälle über die laufende API anlegen")
    parser.add_argument("--api", default=None, help="Basis-URL der API (Standard: aus den Einstellungen)")
    parser.set_defaults(func=run)
