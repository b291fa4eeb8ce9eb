"""Static bearer tokens for local mode: one per role, created on first start."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from runtime.settings import ROLES, Settings, TokenUser


def tokens_file(settings: Settings) -> Path:
    return settings.data_dir / "tokens.json"


def load_tokens(settings: Settings) -> dict[str, TokenUser]:
    """Local mode only: the configured tokens plus the ones `fahrplan up` created."""
    if settings.mode != "local":
        return {}
    tokens = dict(settings.api_tokens)
    path = tokens_file(settings)
    if path.exists():
        tokens.update({t: TokenUser.model_validate(u) for t, u in json.loads(path.read_text()).items()})
    return tokens


def ensure_local_tokens(settings: Settings) -> tuple[dict[str, TokenUser], bool]:
    """Create one token per role on the first local start; returns (tokens, created).

    Outside local mode there are no static tokens (OIDC only): nothing is created.
    """
    if settings.mode != "local":
        return {}, False
    path = tokens_file(settings)
    if path.exists():
        return load_tokens(settings), False
    tokens = {secrets.token_urlsafe(24): TokenUser(user=f"{role}-lokal", roles=[role]) for role in ROLES}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({t: u.model_dump() for t, u in tokens.items()}, indent=2))
    path.chmod(0o600)
    return load_tokens(settings), True
