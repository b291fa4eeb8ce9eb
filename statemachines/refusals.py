"""Why something is refused: one set of kinds for the workflow's update validator and the use cases.

A refusal changes nothing. The workflow raises it as a Temporal ApplicationError whose type is
the kind's value: the three kinds the workflow uses keep the type strings it has always sent, so
updates in flight and recorded histories mean what they meant. The use cases (api/usecases/)
raise `DomainError`; api/errors.py is the one place that turns it into problem+json, a page
shows its German title and detail.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from pydantic import ValidationError


class Refusal(StrEnum):
    NOT_ALLOWED = "TriggerNotAllowed"  # not possible in the case's current state
    FORBIDDEN = "RoleNotAllowed"  # the caller's role (or person) may not do it
    INVALID = "InvalidPayload"  # the input does not fit: unknown name, bad data, too long
    UNKNOWN = "Unknown"  # no such case, task, session …, or one the caller may not see
    CONFLICT = "Conflict"  # the thing's own condition forbids it now: full, done, cancelled, booked
    UNAVAILABLE = "Unavailable"  # Temporal, the database or the identity provider does not answer: try again


class DomainError(Exception):
    """A refusal with its German text. `slug` names the problem type (/problems/<slug>), `extra`
    carries what helps the caller (allowed triggers, roles, errors …); `retry_after` says when
    trying again makes sense (seconds)."""

    def __init__(
        self, kind: Refusal, slug: str, title: str, detail: str, *, retry_after: int | None = None, **extra: Any
    ):
        super().__init__(detail)
        self.kind, self.slug, self.title, self.detail = kind, slug, title, detail
        self.retry_after, self.extra = retry_after, extra

    def with_extra(self, **extra: Any) -> DomainError:
        return DomainError(
            self.kind, self.slug, self.title, self.detail, retry_after=self.retry_after, **{**self.extra, **extra}
        )

    def __repr__(self) -> str:
        return f"DomainError({self.kind.name}, {self.slug!r}, {self.detail!r})"


RETRY_AFTER_SECONDS = 5  # a service that does not answer is usually back within seconds


def unknown(detail: str) -> DomainError:
    return DomainError(Refusal.UNKNOWN, "not-found", "Nicht gefunden", detail)


def role_not_allowed(detail: str, **extra: Any) -> DomainError:
    return DomainError(Refusal.FORBIDDEN, "role-not-allowed", "Rolle nicht berechtigt", detail, **extra)


def not_allowed(detail: str, **extra: Any) -> DomainError:
    return DomainError(Refusal.NOT_ALLOWED, "trigger-not-allowed", "Auslöser nicht möglich", detail, **extra)


def invalid(slug: str, title: str, detail: str, **extra: Any) -> DomainError:
    return DomainError(Refusal.INVALID, slug, title, detail, **extra)


def invalid_payload(detail: str, **extra: Any) -> DomainError:
    return invalid("invalid-payload", "Ungültige Daten", detail, **extra)


def conflict(slug: str, title: str, detail: str, **extra: Any) -> DomainError:
    return DomainError(Refusal.CONFLICT, slug, title, detail, **extra)


def unavailable(detail: str, slug: str = "unavailable", title: str = "Vorübergehend nicht verfügbar") -> DomainError:
    return DomainError(Refusal.UNAVAILABLE, slug, title, detail, retry_after=RETRY_AFTER_SECONDS)


def validation_errors(refused: ValidationError) -> list[dict[str, Any]]:
    """A pydantic error list as JSON (loc, msg, type, ctx; never the input): api/errors.py words it
    in German from type and ctx."""
    return json.loads(refused.json(include_url=False, include_input=False))
