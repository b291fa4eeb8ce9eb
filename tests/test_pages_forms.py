"""A trigger's form from its payload model and back (api/pages/forms.py): every payload field of
every process gets a German-labelled input; form values become the data the API takes."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from pydantic import BaseModel, ValidationError

from api.pages import forms
from statemachines import PROCESSES
from statemachines.neuantrag import Alg1BezugErfasst, AnClearingUebergeben, ClearingterminVereinbart

PAYLOADS = [
    (p.name, t.name, t.api_payload or t.payload)
    for p in PROCESSES.values()
    for t in p.triggers
    if (t.api_payload or t.payload) is not None and not t.timer_only
]


@pytest.mark.parametrize(("process", "trigger", "model"), PAYLOADS, ids=[f"{p}.{t}" for p, t, _ in PAYLOADS])
def test_every_payload_field_has_a_german_label_and_an_input(process, trigger, model):
    for f in forms.fields_of(model):
        assert f.label == forms.FIELD_LABELS[f.name], (process, trigger, f.name)  # German, not the id
        assert f.kind in ("select", "bool", "date", "datetime", "number", "text", "json")
        if f.kind == "select":
            assert f.choices and all(label != value for value, label in f.choices), f.choices  # German


def test_fields_the_system_fills_in_get_no_input():
    from statemachines.minderung import Feststellung

    names = [f.name for f in forms.fields_of(Feststellung)]
    assert names == ["prozent", "monate", "beginn", "entzug", "haertepruefung", "haertepruefung_am"]
    assert Feststellung.model_json_schema()["properties"]["geprueft"]["readOnly"] is True


def test_inputs_follow_the_types():
    (uebergabe,) = forms.fields_of(AnClearingUebergeben)
    assert (uebergabe.kind, uebergabe.required, uebergabe.label) == ("select", True, "Art der Übergabe")
    assert [v for v, _ in uebergabe.choices] == ["warm", "aufgabe", "terminslot"]
    assert forms.fields_of(Alg1BezugErfasst)[0].kind == "date"
    assert forms.fields_of(ClearingterminVereinbart)[0].kind == "datetime"


def test_form_values_become_the_payload_in_berlin_time():
    data, errors = forms.data_of(ClearingterminVereinbart, {"termin": ["2030-03-04T09:30"], "csrf": ["x"]})
    assert not errors and data == {"termin": "2030-03-04T09:30:00+01:00"}
    assert ClearingterminVereinbart.model_validate(data).termin == datetime.fromisoformat("2030-03-04T08:30:00+00:00")
    data, errors = forms.data_of(Alg1BezugErfasst, {"alg1_ende": ["2030-05-31"]})
    assert Alg1BezugErfasst.model_validate(data).alg1_ende == date(2030, 5, 31)
    assert forms.data_of(ClearingterminVereinbart, {"termin": ["gestern"]})[1] == {
        "termin": "Bitte Datum und Uhrzeit angeben."
    }


def test_refusals_come_back_in_german_at_their_fields():
    class Model(BaseModel):
        termin: datetime
        art: AnClearingUebergeben

    try:
        Model.model_validate({"art": {"uebergabe": "zu Fuß"}})
    except ValidationError as refused:
        errors = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in refused.errors()]
    found = forms.field_errors([{**e, "loc": ["body", "data", *e["loc"]]} for e in errors])
    assert found == {"termin": "Bitte ausfüllen.", "art": "Bitte einen der angebotenen Werte wählen. (uebergabe)"}
