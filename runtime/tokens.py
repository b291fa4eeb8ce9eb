"""Static bearer tokens for local mode: one per staff role, created on first start."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from runtime.settings import PARTICIPANT, ROLES, Settings, TokenUser, token_roles_problem


def tokens_file(settings: Settings) -> Path:
    return settings.data_dir / "tokens.json"


def load_tokens(settings: Settings) -> dict[str, TokenUser]:
    """Local mode only: the configured tokens plus the ones `fahrplan up` created."""
    if settings.mode != "local":
        return {}
    tokens = dict(settings.api_tokens)
    path = tokens_file(settings)
    if path.exists():
        for number, (token, raw) in enumerate(json.loads(path.read_text()).items(), 1):
            user = TokenUser.model_validate(raw)
            problem = token_roles_problem(user)
            if problem:
                raise ValueError(f"{path}, Eintrag {number} (user {user.user!r}): {problem}")
            tokens[token] = user
    return tokens


def ensure_local_tokens(settings: Settings) -> tuple[dict[str, TokenUser], dict[str, TokenUser]]:
    """Create one token per staff role on the first local start; returns (all tokens, those created now).

    Only the created ones may be shown (once): tokens from FAHRPLAN_API_TOKENS belong to whoever
    configured them and are never printed. Outside local mode there are no static tokens (OIDC
    only): nothing is created.
    """
    if settings.mode != "local":
        return {}, {}
    path = tokens_file(settings)
    if path.exists():
        return load_tokens(settings), {}
    # Staff roles only: a participant's token belongs to one case and is issued for it by a
    # Jobcoach or IFK (POST /api/v1/cases/{id}/teilnehmendenzugang); one bound to no case opens nothing.
    staff = [role for role in ROLES if role != PARTICIPANT]
    created = {secrets.token_urlsafe(24): TokenUser(user=f"{role}-lokal", roles=[role]) for role in staff}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never readable by others, not even briefly
    with os.fdopen(fd, "w") as out:
        out.write(json.dumps({t: u.model_dump() for t, u in created.items()}, indent=2))
    return load_tokens(settings), created
