"""Notifications: German letters and Fallübergabe text blocks rendered into the outbox."""

from notifications.render import (
    AKTE,
    BRIEF,
    EINLADUNGEN,
    TEMPLATES,
    Absender,
    Rendered,
    TemplateInfo,
    aktenzeichen,
    render,
)

__all__ = [
    "AKTE",
    "BRIEF",
    "EINLADUNGEN",
    "TEMPLATES",
    "Absender",
    "Rendered",
    "TemplateInfo",
    "aktenzeichen",
    "render",
]
