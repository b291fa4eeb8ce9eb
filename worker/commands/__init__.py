"""The `fahrplan` sub-commands, one module each; `worker/cli.py` registers them with each module's `add`.

Modules import what only their command needs inside the command, so `fahrplan diagrams`
does not load the API, the worker or the Temporal client.
"""

from __future__ import annotations

from pydantic import ValidationError

from runtime import logs
from runtime.settings import Settings


def load_settings() -> Settings:
    """The settings, or a clear message (exit code 1) instead of a traceback.

    The messages never carry the refused values (`hide_input_in_errors`, and no token is part
    of an error's location), so a bad FAHRPLAN_API_TOKENS does not end up in a terminal log.
    """
    try:
        settings = Settings()
    except ValidationError as invalid:
        lines = []
        for error in invalid.errors(include_input=False, include_url=False):
            loc = [str(part) for part in error["loc"]]
            if loc[:1] == ["api_tokens"]:
                del loc[1:2]  # that key is the token itself
            where = f"FAHRPLAN_{loc[0].upper()}" + (f" ({'.'.join(loc[1:])})" if loc[1:] else "") + ": " if loc else ""
            lines.append("  " + where + error["msg"].removeprefix("Value error, "))
        raise SystemExit("Ungültige Einstellungen (invalid settings):\n" + "\n".join(lines)) from None
    logs.configure(settings.log_format, settings.log_level)
    return settings
