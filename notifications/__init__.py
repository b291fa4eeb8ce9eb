"""Notifications: German letters and Fallübergabe text blocks rendered into the outbox."""

from notifications.render import AKTE, BRIEF, TEMPLATES, Absender, Rendered, TemplateInfo, render

__all__ = ["AKTE", "BRIEF", "TEMPLATES", "Absender", "Rendered", "TemplateInfo", "render"]
