"""All configuration in one pydantic-settings class (environment and .env).

Environment variables are prefixed FAHRPLAN_; nested values use "__", e.g.
FAHRPLAN_POLICY__WIEDERVORLAGE_INTERVALL=P14D.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

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
    model_config = SettingsConfigDict(env_prefix="FAHRPLAN_", env_file=".env", env_nested_delimiter="__", extra="ignore")

    mode: Literal["local", "production"] = "local"
    data_dir: Path = Path("var")
    database_url: str = Field("", description="sqlite:///… or postgresql://…; empty: SQLite in data_dir")

    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    temporal_tls: bool = False
    temporal_api_key: SecretStr | None = None
    temporal_ui_url: str = "http://127.0.0.1:8233"
    task_queue: str = "fahrplan"

    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_tokens: dict[str, TokenUser] = Field(default_factory=dict, description="static bearer tokens (local mode)")
    update_timeout_seconds: float = 30.0

    policy: Policy = Field(default_factory=Policy)

    @model_validator(mode="after")
    def _production_needs_explicit_services(self) -> Settings:
        if self.mode == "production" and not self.database_url:
            raise ValueError("FAHRPLAN_DATABASE_URL must be set outside local mode")
        return self

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'fahrplan.db').resolve()}"
