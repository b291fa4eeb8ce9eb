"""GET /metrics: Prometheus text format for this API process (runtime/metrics.py).

Counts only, labelled with process, state, trigger, role and refusal kind names: no case id, no
personal data. Open by default like /api/v1/healthz (bind the API where only the scraper and
the users reach it); FAHRPLAN_METRICS_TOKEN set: the scraper must send it as a bearer token.
"""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request, Response

from api.errors import unauthorized
from persistence.figures import read_model_figures
from runtime import metrics

router = APIRouter(tags=["health"])


@router.get("/metrics", include_in_schema=False)
async def read_metrics(request: Request) -> Response:
    token = request.app.state.settings.metrics_token
    if token is not None:
        sent = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(sent.encode(), token.get_secret_value().encode()):
            raise unauthorized("Die Metriken brauchen das Token aus FAHRPLAN_METRICS_TOKEN.", invalid=bool(sent))
    try:
        figures = await request.app.state.db.run(read_model_figures, read_only=True)
        read = lambda: figures  # noqa: E731
    except Exception:  # noqa: BLE001 - exported as fahrplan_read_model_up 0
        read = _unreadable
    return Response(metrics.exposition(metrics.registry(read)), media_type=metrics.CONTENT_TYPE)


def _unreadable() -> metrics.Figures:
    raise RuntimeError("read model not readable")
