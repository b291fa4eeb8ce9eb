"""bench/server_counters.py: the dev server's counters as the throughput bench reports them."""

from __future__ import annotations

from bench import server_counters

SCRAPE = """\
# HELP service_requests service_requests counter
# TYPE service_requests counter
service_requests{namespace="default",operation="UpdateWorkflowExecution",service_name="frontend"} 20
service_requests{namespace="default",operation="UpdateWorkflowExecution",service_name="history"} 20
service_requests{namespace="default",operation="PollWorkflowTaskQueue",service_name="frontend"} 40
persistence_requests{namespace="default",operation="UpdateWorkflowExecution",service_name="history"} 44
persistence_requests{namespace="system",operation="GetNamespace",service_name="history"} 6
visibility_persistence_requests{namespace="default",operation="UpsertWorkflowExecution",service_name="history"} 3
service_latency_bucket{operation="UpdateWorkflowExecution",service_name="frontend",le="0.1"} 99
"""


def test_counters_are_summed_per_series_service_and_operation():
    counts = server_counters.parse(SCRAPE.splitlines())
    assert counts == {
        "service_requests/frontend/UpdateWorkflowExecution": 20.0,
        "service_requests/history/UpdateWorkflowExecution": 20.0,
        "service_requests/frontend/PollWorkflowTaskQueue": 40.0,
        "persistence_requests/history/UpdateWorkflowExecution": 44.0,
        "persistence_requests/history/GetNamespace": 6.0,
        "visibility_persistence_requests/history/UpsertWorkflowExecution": 3.0,
    }


def test_the_summary_counts_per_transition():
    counts = server_counters.parse(SCRAPE.splitlines())
    assert server_counters.summary(counts, 10) == (
        "server per transition: frontend RPCs 6.00, mutable-state writes 4.40, "
        "persistence requests 5.00, visibility writes 0.30"
    )
