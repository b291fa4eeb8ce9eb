"""`fahrplan demo`: a handful of sample cases in different states, made through
the running API exactly as staff would make them (names are invented)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import httpx

from runtime.settings import Settings
from runtime.tokens import load_tokens

WARM = {"uebergabe": "warm"}
TERMIN = {"termin": (datetime.now(timezone.utc) + timedelta(days=3)).replace(microsecond=0).isoformat()}

# (first name, last name, start facts, [(trigger, data), ...])
SAMPLES = [
    ("Anna", "Beispiel", {"antragsweg": "persoenlich"}, [("an_clearing_uebergeben", WARM)]),
    ("Ben", "Muster", {"antragsweg": "online"}, []),
    ("Clara", "Probe", {"antragsweg": "persoenlich"}, [("an_clearing_uebergeben", WARM), ("clearingtermin_vereinbart", TERMIN)]),
    ("David", "Test", {"antragsweg": "persoenlich"}, [("an_clearing_uebergeben", WARM), ("gruppencoaching_zugesagt", {})]),
    ("Emma", "Vorlage", {"antragsweg": "persoenlich"}, [
        ("an_clearing_uebergeben", WARM), ("kontaktversuch_gescheitert", {"art": "telefon"}),
        ("kontaktversuch_gescheitert", {"art": "telefon"}), ("kontaktversuch_gescheitert", {"art": "schriftlich"}),
    ]),
    ("Felix", "Schablone", {"antragsweg": "persoenlich", "rehabilitand": True}, [("an_clearing_uebergeben", WARM), ("als_rehabilitand_erfasst", {})]),
    ("Greta", "Entwurf", {"antragsweg": "persoenlich"}, [("an_clearing_uebergeben", WARM), ("eigenen_plan_erfasst", {})]),
    ("Hannes", "Skizze", {"antragsweg": "persoenlich"}, [
        ("an_clearing_uebergeben", WARM), ("alg1_bezug_erfasst", {"alg1_ende": (date.today() + timedelta(days=45)).isoformat()}),
    ]),
    ("Ida", "Modell", {"antragsweg": "persoenlich"}, [
        ("an_clearing_uebergeben", WARM), ("gruppencoaching_abgelehnt", {}), ("leistung_bewilligt", {}),
    ]),
]


def run_demo(settings: Settings, api: str | None) -> int:
    by_role = {user.roles[0]: token for token, user in load_tokens(settings).items()}
    if "egs" not in by_role:
        print("Keine lokalen Tokens gefunden: zuerst `fahrplan up` starten.")
        return 1
    base = (api or f"http://{settings.api_host}:{settings.api_port}").rstrip("/") + "/api/v1"
    with httpx.Client(base_url=base, timeout=60) as http:
        processes = {p["name"]: p for p in http.get("/processes").raise_for_status().json()}
        roles = {t["name"]: t["roles"] for t in processes["neuantrag"]["triggers"]}
        for vorname, nachname, facts, steps in SAMPLES:
            person = {"vorname": vorname, "nachname": nachname, "anschrift": {"strasse": "Musterweg 1", "plz": "58285", "ort": "Gevelsberg"}}
            case = http.post("/cases", json={"process": "neuantrag", "person": person, "facts": facts},
                             headers=_auth(by_role["egs"])).raise_for_status().json()
            for trigger, data in steps:
                role = next(r for r in roles[trigger] if r in by_role)
                r = http.post(f"/cases/{case['case_id']}/transitions", json={"trigger": trigger, "data": data},
                              headers=_auth(by_role[role]))
                r.raise_for_status()
                case = r.json()
            print(f"{case['case_id']}  {case['state']['label']:<32} {case['temporal_ui_url']}")
    return 0


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
