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

from statemachines import textbausteine
from statemachines.policy import Policy
from statemachines.regimes import Regime, Regimes
from statemachines.roles import PARTICIPANT, ROLES  # declared there; imported from here by tokens and auth
from statemachines.textbausteine import Textbaustein

__all__ = ["PARTICIPANT", "ROLES", "Settings", "TokenUser"]


class TokenUser(BaseModel):
    user: str
    roles: list[str]
    case_id: str | None = None  # participants: the case whose bookings the token may see and change


class Standortangaben(BaseModel):
    """R19: where a unit sits at one location, as a letter names it (sender and place of appointments)."""

    anschrift: tuple[str, ...] = Field(min_length=1, description="Zeilen der Anschrift, z. B. Straße, PLZ Ort")
    telefon: str | None = None
    oeffnungszeiten: str | None = None
    raum: str | None = Field(None, description="wo Termine stattfinden, z. B. 'Erdgeschoss, Raum 0.12'")


class Einheit(BaseModel):
    """R19: one unit of the Jobcenter as the sender of letters, at its main and further locations."""

    bezeichnung: str = Field(min_length=1, max_length=100)
    ansprechpartner: str | None = Field(None, description="Ansprechperson oder Team, das im Brief genannt wird")
    email: str | None = None
    sitz: Standortangaben
    standorte: dict[str, Standortangaben] = Field(
        default_factory=dict, description="abweichende Angaben je Standort (Name wie in rkw_kalender)"
    )

    def am(self, standort: str | None) -> Standortangaben:
        return self.standorte.get(standort or "", self.sitz)


_HAUPTSITZ = Standortangaben(
    anschrift=("Hauptstraße 1", "58285 Gevelsberg"),
    telefon="02332 0000-0",
    oeffnungszeiten="Mo–Fr 08:00–12:30 Uhr, Do 14:00–17:00 Uhr",
)
_WITTEN = Standortangaben(
    anschrift=("Bahnhofstraße 1", "58452 Witten"),
    telefon="02302 0000-0",
    oeffnungszeiten="Mo–Fr 08:00–12:30 Uhr, Do 14:00–17:00 Uhr",
)


def _einheit(bezeichnung: str, ansprechpartner: str, raum: str) -> Einheit:
    return Einheit(
        bezeichnung=bezeichnung,
        ansprechpartner=ansprechpartner,
        sitz=_HAUPTSITZ.model_copy(update={"raum": raum}),
        standorte={"Witten": _WITTEN.model_copy(update={"raum": raum})},
    )


class Briefkopf(BaseModel):
    """R19: the sender of every letter: the Jobcenter and its units (keys as in notifications' TEMPLATES).

    The defaults are placeholders for local mode and tests: a production Jobcenter sets its own,
    e.g. FAHRPLAN_BRIEFKOPF__JOBCENTER="Jobcenter Ennepe-Ruhr-Kreis" or the whole block as JSON in
    FAHRPLAN_BRIEFKOPF.
    """

    jobcenter: str = Field("Jobcenter Musterkreis", min_length=1, max_length=100)
    einheiten: dict[str, Einheit] = Field(
        default_factory=lambda: {
            "jobakademie": _einheit("Jobakademie", "Team Clearing der Jobakademie", "Jobakademie, Raum 0.12"),
            "ifk": _einheit("Integrationsfachkräfte", "Ihre Integrationsfachkraft", "Raum 1.05"),
            "schlichtungsstelle": _einheit("Schlichtungsstelle", "Schlichtungsstelle", "Besprechungsraum 2.01"),
            "rechtskreiswechsel": _einheit("Team Rechtskreiswechsel", "Team Rechtskreiswechsel", "Raum 1.20"),
            "leistung": _einheit("Leistungsabteilung", "Ihr Team Leistung", "Raum 0.20"),
        }
    )

    @model_validator(mode="after")
    def _every_unit_of_the_letters(self) -> Briefkopf:
        missing = {"jobakademie", "ifk", "schlichtungsstelle", "rechtskreiswechsel", "leistung"} - set(self.einheiten)
        if missing:
            raise ValueError("briefkopf.einheiten fehlt: " + ", ".join(sorted(missing)))
        return self


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="FAHRPLAN_",
        env_file=".env",
        env_nested_delimiter="__",
        extra="ignore",
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
    codec_accept_plain: bool = Field(
        False, description="outside local mode: still accept unencrypted payloads (histories from before encryption)"
    )
    # Audit chain keys (runtime/audit_keys.py): key id -> base64 of at least 32 bytes; the active key id
    # hashes new events, the others only verify (rotation). Local mode without keys: <data_dir>/audit_keys.json.
    audit_keys: dict[str, SecretStr] = Field(default_factory=dict, description="audit chain keys: {kid: base64}")
    audit_key_id: str = Field("", description="the key id new audit events are hashed with")
    # Transition signing keys (runtime/signing.py): key id -> base64 of at least 32 bytes; the API
    # signs with the active one, the workers verify with all (rotation). Local mode without keys:
    # <data_dir>/signing_keys.json.
    signing_keys: dict[str, SecretStr] = Field(
        default_factory=dict, description="transition signing keys: {kid: base64}"
    )
    signing_key_id: str = Field("", description="the key id the API signs transition requests with")
    codec_cors_origins: list[str] = Field(
        default_factory=list, description="UI origins for /codec; empty: temporal_ui_url's"
    )
    codec_session_hours: float = Field(
        8.0, gt=0, le=24, description="how long a sign-in on /codec/anmelden lets the UI decode (api/codec_session.py)"
    )

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
    # The workbench (api/pages/): how long a sign-in lasts, and the OIDC client for its sign-in
    # (authorization code with PKCE); without the two endpoints and the client id only tokens sign in.
    session_timeout_minutes: float = Field(30, gt=0, le=720, description="a workbench sign-in ends after this")
    oidc_authorize_url: str = Field("", description="the issuer's authorization endpoint (workbench sign-in)")
    oidc_token_url: str = Field("", description="the issuer's token endpoint (workbench sign-in)")
    oidc_client_id: str = Field("", description="the workbench's client id at the issuer")
    oidc_client_secret: SecretStr | None = Field(None, description="its secret, for a confidential client")
    update_timeout_seconds: float = 30.0
    max_body_bytes: int = Field(64 * 1024, ge=1024, description="largest request body; larger ones get 413")
    # Slow and many clients (README "Limits"; runtime/http_server.py, api/body_timeout.py).
    api_max_connections: int = Field(512, ge=1, description="open connections at most; more get 503")
    api_header_timeout_seconds: float = Field(10.0, gt=0, description="time for a request's line and headers")
    api_body_timeout_seconds: float = Field(20.0, gt=0, description="time for a request's body after its headers")
    api_keep_alive_seconds: float = Field(5.0, gt=0, description="an idle keep-alive connection closes after this")

    # Operations (README "Operations"): Prometheus endpoints, logs, traces.
    metrics_host: str = Field("127.0.0.1", description="address the worker's metrics endpoints listen on")
    worker_metrics_port: int = Field(9464, ge=0, le=65535, description="the worker's Fahrplan metrics (0: off)")
    temporal_metrics_port: int = Field(9465, ge=0, le=65535, description="the Temporal SDK's metrics (0: off)")
    metrics_token: SecretStr | None = Field(None, description="if set, the API's /metrics wants this bearer token")
    log_format: Literal["json", "text"] = Field("json", description="one JSON object per line, or plain text")
    log_level: str = Field("INFO", description="the level of Fahrplan's own loggers; libraries log WARNING and up")
    otlp_endpoint: str = Field(
        "", description="OTLP/HTTP trace collector, e.g. http://127.0.0.1:4318/v1/traces (empty: no tracing)"
    )

    policy: Policy = Field(default_factory=Policy)
    briefkopf: Briefkopf = Field(default_factory=Briefkopf, description="R19: Absender der Briefe je Einheit")
    # Legal regimes (R61, README "Legal regimes"): new cases start under the regime in force on their
    # legal start date, unless `regime` pins one (a training or test system, a Jobcenter's own date).
    # Values set under FAHRPLAN_POLICY__… override every regime's own values.
    regime: str = Field("", description="pin the regime in force (e.g. buergergeld_2023); empty: by date")
    regimes_file: Path | None = Field(None, description="TOML with further [[regime]] tables (or replacements)")

    @model_validator(mode="after")
    def _regime_known(self) -> Settings:
        catalogue = self.regimes()
        if self.regime and self.regime not in catalogue.by_name:
            raise ValueError(f"FAHRPLAN_REGIME={self.regime!r}: unbekannt (bekannt: {', '.join(catalogue.by_name)})")
        return self

    def regimes(self) -> Regimes:
        """The regime catalogue: the built-in regimes and those of `regimes_file`."""
        key = str(self.regimes_file or "")
        if key not in _CATALOGUES:
            _CATALOGUES[key] = Regimes.load(self.regimes_file)
        return _CATALOGUES[key]

    def policy_overrides(self) -> dict:
        """The policy values set explicitly (environment, .env): they apply under every regime."""
        return self.policy.model_dump(include=self.policy.model_fields_set)

    def regime_policy(self, regime: Regime) -> Policy:
        return regime.policy(self.policy_overrides())

    # Termin-Textbausteine for Gesprächsvermerke (R15): name -> label and template. A setting
    # (FAHRPLAN_TEXTBAUSTEINE as JSON) replaces the defaults and must keep the five R15 names.
    textbausteine: dict[str, Textbaustein] = Field(default_factory=textbausteine.defaults)
    # Participant access (POST /cases/{id}/teilnehmendenzugang): how long an access is valid.
    teilnehmendenzugang_tage: int = Field(90, ge=1, le=366, description="days a participant access is valid")

    @model_validator(mode="after")
    def _textbausteine_keep_r15(self) -> Settings:
        lacking = textbausteine.missing(self.textbausteine)
        if lacking:
            raise ValueError("FAHRPLAN_TEXTBAUSTEINE: es fehlen die Textbausteine (R15) " + ", ".join(lacking))
        return self

    @model_validator(mode="after")
    def _production_needs_explicit_services(self) -> Settings:
        if self.mode == "production" and not self.database_url:
            raise ValueError("FAHRPLAN_DATABASE_URL must be set outside local mode")
        return self

    @model_validator(mode="after")
    def _static_tokens_have_known_roles(self) -> Settings:
        for number, user in enumerate(self.api_tokens.values(), 1):
            problem = token_roles_problem(user)
            if problem:  # names the entry by number and user, never by the token itself
                raise ValueError(f"FAHRPLAN_API_TOKENS, Eintrag {number} (user {user.user!r}): {problem}")
        return self

    @model_validator(mode="after")
    def _authentication_fits_mode(self) -> Settings:
        check_authentication(self)
        return self

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer)

    @property
    def oidc_sign_in(self) -> bool:
        """The workbench signs in through the issuer (authorization code with PKCE)."""
        return bool(self.oidc_enabled and self.oidc_authorize_url and self.oidc_token_url and self.oidc_client_id)

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'fahrplan.db').resolve()}"


def token_roles_problem(user: TokenUser) -> str | None:
    """Why a static token's roles are unusable (German / English), or None."""
    known = ", ".join(ROLES)
    if not user.roles:
        return f"keine Rolle / no role (mindestens eine / at least one of: {known})"
    unknown = [role for role in user.roles if role not in ROLES]
    if unknown:
        return f"unbekannte Rolle / unknown role {', '.join(map(repr, unknown))} (bekannt / known: {known})"
    return None


_CATALOGUES: dict[str, Regimes] = {}  # per regimes file; a changed file needs a restart

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
