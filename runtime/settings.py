"""All configuration in one pydantic-settings class (environment and .env).

Environment variables are prefixed FAHRPLAN_; nested values use "__", e.g.
FAHRPLAN_POLICY__WIEDERVORLAGE_INTERVALL=P14D.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from statemachines.policy import Policy

ROLES = ("egs", "jobcoach", "ifk", "ifk_reha", "leistung", "teamleitung", "teilnehmende", "schlichtungsstelle")
PARTICIPANT = "teilnehmende"  # a group-coaching participant (R22): sees and books only for their own case


class TokenUser(BaseModel):
    user: str
    roles: list[str]
    case_id: str | None = None  # participants: the case whose bookings the token may see and change


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="FAHRPLAN_", env_file=".env", env_nested_delimiter="__", extra="ignore",
        hide_input_in_errors=True,  # a refused setting must not print tokens or keys
    )

    mode: Literal["local", "production"] = "local"
    data_dir: Path = Path("var")
    database_url: str = Field("", description="sqlite:///… or postgresql://…; empty: SQLite in data_dir")

    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    temporal_tls: bool = False
    temporal_api_key: SecretStr | None = None
    temporal_ui_url: str = "http://127.0.0.1:8233"
    task_queue: str = "fahrplan"
    # Workflows kept in the worker's memory between tasks (each about 0.3 MB in the sandbox,
    # less without it; bench/scale.py); an evicted one is replayed from its history on its next task.
    worker_max_cached_workflows: int = Field(1000, ge=0, description="the worker's workflow cache (0: none)")
    # Run workflow code in Temporal's sandbox (workflows/runner.py): the tests always do; the
    # production worker does not by default, as the sandbox costs CPU on every workflow task.
    workflow_sandbox: bool = Field(False, description="run workflows in the Temporal sandbox")
    # Payload encryption (runtime/codec.py): key id -> base64 of 32 bytes; the active key id encrypts,
    # the others only decrypt (rotation). Local mode without keys: <data_dir>/codec_keys.json.
    codec_keys: dict[str, SecretStr] = Field(default_factory=dict, description="payload keys: {kid: base64 32 bytes}")
    codec_key_id: str = Field("", description="the key id new payloads are encrypted with")
    codec_cors_origins: list[str] = Field(default_factory=list, description="UI origins for /codec; empty: temporal_ui_url's")

    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_tokens: dict[str, TokenUser] = Field(default_factory=dict, description="static bearer tokens (local mode only)")
    oidc_issuer: str = Field("", description="OIDC issuer (the tokens' iss); setting it turns on OIDC bearer tokens")
    oidc_audience: str = Field("", description="the tokens' aud: Fahrplan's client id or API identifier at the issuer")
    oidc_jwks_url: str = Field("", description="the issuer's JSON Web Key Set (signing keys)")
    oidc_roles_claim: str = Field("roles", description='roles claim, or a dotted path ("realm_access.roles")')
    oidc_user_claim: str = Field("preferred_username", description="claim naming the user; falls back to sub")
    oidc_case_claim: str = Field("case_id", description="claim with a participant's (teilnehmende) case id")
    oidc_jwks_cache_seconds: float = Field(300, gt=0, description="how long fetched signing keys are used")
    oidc_jwks_cooldown_seconds: float = Field(30, ge=0, description="least time between refetches for an unknown kid")
    update_timeout_seconds: float = 30.0
    max_body_bytes: int = Field(64 * 1024, ge=1024, description="largest request body; larger ones get 413")

    policy: Policy = Field(default_factory=Policy)

    @model_validator(mode="after")
    def _production_needs_explicit_services(self) -> Settings:
        if self.mode == "production" and not self.database_url:
            raise ValueError("FAHRPLAN_DATABASE_URL must be set outside local mode")
        return self

    @model_validator(mode="after")
    def _authentication_fits_mode(self) -> Settings:
        check_authentication(self)
        return self

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer)

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'fahrplan.db').resolve()}"


OIDC_REQUIRED = ("oidc_issuer", "oidc_audience", "oidc_jwks_url")
LOOPBACK = ("127.0.0.1", "::1", "localhost")


def check_authentication(settings: Settings) -> None:
    """Static tokens only in local mode; production authenticates with OIDC, keys over HTTPS."""
    given = [name for name in OIDC_REQUIRED if getattr(settings, name)]
    if given and len(given) < len(OIDC_REQUIRED):
        names = ", ".join(f"FAHRPLAN_{n.upper()}" for n in OIDC_REQUIRED)
        raise ValueError(f"{names} must be set together (OIDC is half configured)")
    if given and urlsplit(settings.oidc_jwks_url).scheme not in ("http", "https"):
        raise ValueError("FAHRPLAN_OIDC_JWKS_URL must be an http(s):// URL")
    if settings.mode == "local":
        return
    if settings.api_tokens:
        raise ValueError(
            "FAHRPLAN_API_TOKENS (static bearer tokens) is only allowed in local mode; "
            "outside it Fahrplan accepts OIDC tokens only: remove FAHRPLAN_API_TOKENS"
        )
    if not given:
        raise ValueError(
            "outside local mode FAHRPLAN_OIDC_ISSUER, FAHRPLAN_OIDC_AUDIENCE and FAHRPLAN_OIDC_JWKS_URL must be set"
        )
    url = urlsplit(settings.oidc_jwks_url)
    if url.scheme != "https" and not (url.scheme == "http" and url.hostname in LOOPBACK):
        raise ValueError("FAHRPLAN_OIDC_JWKS_URL must be an https:// URL outside local mode (http only on loopback)")
