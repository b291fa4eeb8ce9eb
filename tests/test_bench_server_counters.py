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


def test_the_table_puts_paths_side_by_side_and_leaves_out_what_is_rare():
    counts = server_counters.parse(SCRAPE.splitlines())
    fewer = {key: value / 2 for key, value in counts.items()}
    lines = server_counters.table({"bare": (fewer, 10), "workflow": (counts, 10)}, least=0.5)
    assert lines[0].split() == ["server", "counter", "per", "transition", "bare", "workflow"]
    rows = {line.split()[0]: [float(v) for v in line.split()[1:]] for line in lines[1:]}
    assert rows == {
        "persistence_requests/history/GetNamespace": [0.3, 0.6],
        "persistence_requests/history/UpdateWorkflowExecution": [2.2, 4.4],
        "service_requests/frontend/PollWorkflowTaskQueue": [2.0, 4.0],
        "service_requests/frontend/UpdateWorkflowExecution": [1.0, 2.0],
        "service_requests/history/UpdateWorkflowExecution": [1.0, 2.0],
    }  # the visibility upsert: 0.15 and 0.3 per transition, under 0.5 in both


TIMED = """\
service_latency_sum{operation="UpdateWorkflowExecution",service_name="frontend"} 4.0
service_latency_count{operation="UpdateWorkflowExecution",service_name="frontend"} 20
service_latency_sum{operation="UpdateWorkflowExecution",service_name="history"} 3.9
service_latency_count{operation="UpdateWorkflowExecution",service_name="history"} 20
service_latency_nouserlatency_sum{operation="UpdateWorkflowExecution",service_name="frontend"} 4.0
persistence_latency_sum{operation="UpdateWorkflowExecution",service_name="history"} 0.11
persistence_latency_count{operation="UpdateWorkflowExecution",service_name="history"} 22
visibility_persistence_latency_sum{operation="UpsertWorkflowExecution",service_name="history"} 0.06
visibility_persistence_latency_count{operation="UpsertWorkflowExecution",service_name="history"} 3
visibility_persistence_latency_sum{operation="RecordWorkflowExecutionStarted",service_name="history"} 0.02
visibility_persistence_latency_count{operation="RecordWorkflowExecutionStarted",service_name="history"} 1
semaphore_latency_sum{operation="ShardInfo",service_name="history"} 0.5
semaphore_latency_count{operation="ShardInfo",service_name="history"} 25
"""


def test_the_timings_are_counts_and_means_per_transition_of_what_the_server_took():
    counts = server_counters.parse((SCRAPE + TIMED).splitlines())
    assert counts["service_latency_sum/frontend/UpdateWorkflowExecution"] == 4.0
    assert not any(key.startswith("service_latency_nouserlatency") for key in counts)
    assert server_counters.timings(counts, 10) == (
        "server time per transition: updates 2.00 x 200.0 ms, mutable-state writes 2.20 x 5.0 ms, "
        "visibility writes 0.40 x 20.0 ms, shard lock waits 2.50 x 20.0 ms"
    )  # no workflow-task completion reported: left out
    assert server_counters.timings(server_counters.parse(SCRAPE.splitlines()), 10) == ""


def test_the_table_and_summary_leave_the_timings_out():
    counts = server_counters.parse((SCRAPE + TIMED).splitlines())
    lines = server_counters.table({"bare": (counts, 10)}, least=0.0)
    assert not any("latency" in line for line in lines)
    plain = server_counters.parse(SCRAPE.splitlines())
    assert server_counters.summary(counts, 10) == server_counters.summary(plain, 10)
