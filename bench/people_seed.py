"""The people bench's data: N people with one open case, one open task each and a Vermerk on
every fifth case, written straight into a fresh database (bench/people.py)."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import create_engine, insert, update

from persistence import models as m
from persistence.db import sync_url
from persistence.people import KUNDENNUMMER, format_kundennummer, search_key
from persistence.vermerke import Vermerk
from runtime.temporal import workflow_id

NACHNAMEN = [
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Schäfer",
    "Koch",
    "Bauer",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Krüger",
    "Hofmann",
    "Hartmann",
    "Lange",
    "Schmitt",
    "Werner",
    "Schmitz",
    "Krause",
    "Meier",
    "Lehmann",
    "Schmid",
    "Schulze",
    "Maier",
    "Köhler",
    "Herrmann",
    "König",
    "Walter",
    "Mayer",
    "Huber",
    "Kaiser",
    "Fuchs",
    "Peters",
    "Lang",
    "Scholz",
    "Möller",
    "Weiß",
    "Jung",
    "Hahn",
    "Schubert",
    "Vogel",
    "Friedrich",
    "Keller",
    "Günther",
    "Frank",
    "Berger",
    "Winkler",
    "Roth",
    "Beck",
    "Lorenz",
    "Baumann",
    "Franke",
    "Albrecht",
    "Schuster",
    "Simon",
    "Ludwig",
    "Böhm",
    "Winter",
    "Kraus",
    "Martin",
    "Schumacher",
    "Krämer",
    "Vogt",
    "Stein",
    "Jäger",
    "Otto",
    "Sommer",
    "Groß",
    "Seidel",
    "Heinrich",
    "Brandt",
    "Haas",
    "Schreiber",
    "Graf",
    "Schulte",
    "Dietrich",
    "Ziegler",
    "Kuhn",
    "Kühn",
    "Pohl",
    "Engel",
    "Horn",
    "Busch",
    "Bergmann",
    "Thomas",
    "Voigt",
    "Sauer",
    "Arnold",
    "Wolff",
    "Pfeiffer",
    "Öztürk",
    "Yılmaz",
    "Kaya",
    "Nowak",
    "Kowalski",
    "Popescu",
    "Ivanova",
]
VORNAMEN = [
    "Anna",
    "Emma",
    "Mia",
    "Sophie",
    "Marie",
    "Lena",
    "Lea",
    "Hannah",
    "Laura",
    "Julia",
    "Sarah",
    "Jürgen",
    "Jörg",
    "Björn",
    "Günter",
    "Uwe",
    "Klaus",
    "Peter",
    "Michael",
    "Thomas",
    "Andreas",
    "Stefan",
    "Frank",
    "Markus",
    "Christian",
    "Daniel",
    "Tobias",
    "Jan",
    "Lukas",
    "Felix",
    "Jonas",
    "Leon",
    "Paul",
    "Max",
    "Ali",
    "Mehmet",
    "Fatma",
    "Ayşe",
    "Olga",
    "Natalia",
    "Sören",
    "Gül",
    "Zoë",
    "Renée",
    "André",
    "Özlem",
    "Hüseyin",
    "Ömer",
    "Chantal",
    "Kevin",
    "Dennis",
    "Sandra",
    "Nicole",
]
PROCESSES = (  # (process, state, task role, share)
    ("neuantrag", "clearing_offen", "jobcoach", 0.5),
    ("neuantrag", "antrag_eingegangen", "egs", 0.2),
    ("kooperationsplan", "aktiv", "ifk", 0.2),
    ("gruppencoaching", "angeboten", "ifk", 0.1),
)
BATCH = 2000


def seed(database_url: str, n: int, rng: random.Random) -> tuple[list[str], list[str]]:
    """N people with one open case, one open task each, a Vermerk on every fifth case; the person
    ids, and the Kundennummern of the people with a Neuantrag (the EGS finds those)."""
    engine = create_engine(sync_url(database_url))
    now = datetime.now(UTC)
    kinds = [p for p in PROCESSES for _ in range(round(p[3] * 100))]
    person_ids: list[str] = []
    egs_numbers: list[str] = []
    with engine.begin() as conn:
        for start in range(0, n, BATCH):
            people, cases, tasks, vermerke = [], [], [], []
            for i in range(start, min(start + BATCH, n)):
                pid, cid = str(uuid.uuid4()), str(uuid.uuid4())
                vorname, nachname = rng.choice(VORNAMEN), rng.choice(NACHNAMEN)
                born = date(1960, 1, 1) + timedelta(days=rng.randrange(365 * 45))
                created = now - timedelta(minutes=n - i)
                people.append(
                    {
                        "person_id": pid,
                        "vorname": vorname,
                        "nachname": nachname,
                        "geburtsdatum": born,
                        "strasse": "Hauptstraße 1",
                        "plz": "58285",
                        "ort": "Gevelsberg",
                        "created_at": created,
                        "kundennummer": format_kundennummer(i + 1),
                        "vorname_suche": search_key(vorname),
                        "nachname_suche": search_key(nachname),
                    }
                )
                process, state, role, _ = rng.choice(kinds)
                due = now + timedelta(days=rng.randrange(-10, 30))
                cases.append(
                    {
                        "case_id": cid,
                        "process": process,
                        "state": state,
                        "person_id": pid,
                        "facts": {},
                        "deadlines": {"items": []},
                        "deadline": None,
                        "overdue": False,
                        "final": False,
                        "version": 1,
                        "workflow_id": workflow_id(process, cid),
                        "links": {},
                        "created_at": created,
                        "updated_at": created,
                        "policy_id": None,
                    }
                )
                tasks.append(
                    {
                        "case_id": cid,
                        "sequence": 1,
                        "kind": "bench",
                        "role": role,
                        "title": "Aufgabe",
                        "priority": rng.randrange(1, 6),
                        "due": due,
                        "state": state,
                        "status": "offen",
                        "created_at": created,
                        "vorrang": rng.random() < 0.05,
                    }
                )
                if i % 5 == 0:
                    vermerke.append(
                        {
                            "case_id": cid,
                            "nummer": 1,
                            "textbaustein": "beratungsgespraech",
                            "text": "Bewerbungsunterlagen besprochen.",
                            "text_digest": "0" * 64,  # read, never verified here
                            "gespraech_am": created,
                            "actor": "bench",
                            "role": role,
                            "created_at": created,
                            "fingerprint": "0" * 64,
                            "prev_hash": "0" * 64,
                            "key_id": "bench",
                            "hash": "0" * 64,
                        }
                    )
                person_ids.append(pid)
                if process == "neuantrag":
                    egs_numbers.append(format_kundennummer(i + 1))
            conn.execute(insert(m.Person.__table__), people)
            conn.execute(insert(m.Case.__table__), cases)
            conn.execute(insert(m.Task.__table__), tasks)
            if vermerke:
                conn.execute(insert(Vermerk.__table__), vermerke)
        conn.execute(update(m.Counter.__table__).where(m.Counter.name == KUNDENNUMMER).values(value=n))
    with engine.connect() as conn:  # fresh planner statistics, as a production database keeps them
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
    engine.dispose()
    return person_ids, egs_numbers
