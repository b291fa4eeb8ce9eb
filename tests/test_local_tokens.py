"""Static tokens of local mode (runtime/tokens.py, runtime/settings.py): every token has a known
role, and `fahrplan up` shows only the tokens it created itself, once."""

from __future__ import annotations

import json
import stat

import pytest
from pydantic import ValidationError

from runtime.settings import PARTICIPANT, ROLES, Settings, TokenUser
from runtime.tokens import ensure_local_tokens, load_tokens, tokens_file


@pytest.mark.parametrize(
    ("roles", "problem"), [([], "keine Rolle / no role"), (["egs", "chef"], "unbekannte Rolle / unknown role 'chef'")]
)
def test_a_token_needs_known_roles_and_the_error_never_names_it(tmp_path, roles, problem):
    with pytest.raises(ValidationError) as refused:
        Settings(data_dir=tmp_path, api_tokens={"geheim-123": {"user": "anna", "roles": roles}})
    text = str(refused.value)
    assert problem in text and "Eintrag 1 (user 'anna')" in text and "geheim-123" not in text


def test_the_tokens_file_is_checked_the_same_way(tmp_path):
    tokens_file(Settings(data_dir=tmp_path)).write_text(json.dumps({"geheim-456": {"user": "b", "roles": []}}))
    with pytest.raises(ValueError, match="keine Rolle") as refused:
        load_tokens(Settings(data_dir=tmp_path))
    assert "geheim-456" not in str(refused.value)


def test_only_created_tokens_are_returned_for_showing_and_only_once(tmp_path):
    configured = {"aus-der-umgebung": TokenUser(user="env", roles=["egs"])}
    settings = Settings(data_dir=tmp_path, api_tokens=configured)
    tokens, created = ensure_local_tokens(settings)
    assert "aus-der-umgebung" in tokens and "aus-der-umgebung" not in created
    # one token per staff role; none for participants (their access is issued per case)
    assert sorted(r for u in created.values() for r in u.roles) == sorted(r for r in ROLES if r != PARTICIPANT)
    assert all(u.case_id is None and PARTICIPANT not in u.roles for u in created.values())
    assert set(created) <= set(tokens)
    assert stat.S_IMODE(tokens_file(settings).stat().st_mode) == 0o600
    again, created_again = ensure_local_tokens(settings)
    assert created_again == {} and set(again) == set(tokens)
