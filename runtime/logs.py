"""Logging for every Fahrplan process: one line per event, quiet by default.

FAHRPLAN_LOG_FORMAT=json (default): one JSON object per line with ts, level, logger, message and,
when known, case_id, workflow_id and trace_id (the OpenTelemetry trace the line belongs to);
=text: the same as plain text. Fahrplan's own loggers (`fahrplan.*`) log at FAHRPLAN_LOG_LEVEL
(INFO: one line per recorded transition, `fahrplan.transitions`); libraries, Temporal's SDK and
uvicorn log WARNING and up. The database drivers are never below WARNING: at INFO they log SQL
with its parameters, i.e. personal data.

The case id of a line comes from an explicit `extra={"case_id": …}` or from the Temporal workflow
or activity the line is logged in (its workflow id ends in the case id). Messages themselves carry
case ids, process, state and trigger names only (tests/test_logs.py scans them).
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

FAHRPLAN = "fahrplan"
NEVER_BELOW_WARNING = ("sqlalchemy", "aiosqlite", "psycopg", "alembic", "httpx", "httpcore")
CASE_IN_WORKFLOW_ID = re.compile(r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")
_HANDLER_NAME = "fahrplan-log-handler"


def trace_id() -> str | None:
    """The current OpenTelemetry trace id (hex), if tracing is on and a span is current."""
    try:
        from opentelemetry import trace
    except ImportError:
        return None
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None


def _temporal_ids(record: logging.LogRecord) -> tuple[str | None, str | None]:
    """(case id, workflow id) from the Temporal SDK's extra of a workflow or activity log line."""
    info = getattr(record, "temporal_workflow", None) or getattr(record, "temporal_activity", None) or {}
    wid = info.get("workflow_id") if isinstance(info, dict) else None
    found = CASE_IN_WORKFLOW_ID.search(wid or "")
    return (found.group(1) if found else None), wid


def fields(record: logging.LogRecord) -> dict[str, Any]:
    """The structured fields of one log line."""
    case_id, wid = _temporal_ids(record)
    out: dict[str, Any] = {
        "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
        "level": record.levelname,
        "logger": record.name,
        "message": record.getMessage(),
    }
    case_id = getattr(record, "case_id", None) or case_id
    if case_id:
        out["case_id"] = case_id
    if wid:
        out["workflow_id"] = wid
    activity = getattr(record, "temporal_activity", None)
    if isinstance(activity, dict) and activity.get("activity_type"):
        out["activity"] = activity["activity_type"]  # e.g. record_transition, when it fails and retries
    trace = getattr(record, "trace_id", None) or trace_id()
    if trace:
        out["trace_id"] = trace
    if record.exc_info:
        # Only the type and the frames: an exception's message may carry SQL parameters.
        kind = record.exc_info[0].__name__ if record.exc_info[0] else "Exception"
        out["error"] = kind
        out["stack"] = "".join(logging.Formatter().formatException(record.exc_info).splitlines(True)[:-1])
    return out


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(fields(record), ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        f = fields(record)
        extra = " ".join(f"{k}={f[k]}" for k in ("case_id", "trace_id") if k in f)
        line = f"{f['ts']} {f['level']} {f['logger']}: {f['message']}" + (f" [{extra}]" if extra else "")
        return line + (f"\n{f['stack']}{f['error']}" if "error" in f else "")


def configure(log_format: str = "json", level: str = "INFO", stream: Any = None) -> None:
    """Set up the root logger for a process (idempotent: a second call replaces the first)."""
    from temporalio import activity, workflow

    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root.addHandler(handler)
    root.setLevel(logging.WARNING)  # libraries, the SDK, uvicorn
    logging.getLogger(FAHRPLAN).setLevel(level.upper())
    for name in NEVER_BELOW_WARNING:
        logging.getLogger(name).setLevel(logging.WARNING)
    # The SDK appends the workflow's or activity's info dict to each message; the fields carry the ids.
    activity.logger.activity_info_on_message = False
    workflow.logger.workflow_info_on_message = False
