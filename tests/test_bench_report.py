"""bench/report.py: every bench with a goal, its ratio against that goal, one table."""

from __future__ import annotations

import sys

import pytest

from bench import report

TRANSITIONS_OUTPUT = """\
setup: temporal dev server file /tmp/x/temporal.db (wal journal)
round 1: bare 101.3/s, fahrplan 72.0/s
bare:       101.3 transitions/s  p50   95.9 ms  p99  154.1 ms  (200 in 1.97 s)
fahrplan:    72.0 transitions/s  p50  134.4 ms  p99  221.0 ms  (200 in 2.78 s)
ratio=0.710

"""


def fake(lines: list[str], code: int = 0) -> list[str]:
    """A bench stand-in: prints the lines and exits with `code`."""
    return [sys.executable, "-c", f"import sys; print({chr(10).join(lines)!r}); sys.exit({code})"]


def test_the_ratio_is_read_from_the_last_line_with_the_rates_as_detail():
    ratio, detail = report.read(TRANSITIONS_OUTPUT)
    assert ratio == 0.710
    assert detail == (
        "bare:       101.3 transitions/s  p50   95.9 ms  p99  154.1 ms  (200 in 1.97 s)",
        "fahrplan:    72.0 transitions/s  p50  134.4 ms  p99  221.0 ms  (200 in 2.78 s)",
    )


def test_a_ratio_that_is_not_on_the_last_line_is_no_ratio():
    # e.g. a bench that printed its ratio and then a traceback while cleaning up
    assert report.read("ratio=0.9\nTraceback (most recent call last):\n  boom")[0] is None
    assert report.read("")[0] is None


def test_latency_keeps_each_level_and_scale_its_summary():
    latency = "C=1  ratio p50=1.525 p99=1.457\nC=20 ratio p50=1.414 p99=1.430\nend: load 1.0\nratio=1.457\n"
    assert report.read(latency) == (1.457, ("C=1  ratio p50=1.525 p99=1.457", "C=20 ratio p50=1.414 p99=1.430"))
    scale = "summary\n  worker: idle RSS 202 MB, peak 202 MB\n  GET /cases (all queries): api p99 2.4 ms\nratio=1.85\n"
    assert report.read(scale)[1] == ("worker: idle RSS 202 MB, peak 202 MB", "GET /cases (all queries): api p99 2.4 ms")


@pytest.mark.parametrize(
    ("bench", "ratio", "database", "met"),
    [
        ("transitions", 0.85, "sqlite", True),
        ("transitions", 0.84, "sqlite", False),
        ("transitions", 0.82, "postgresql", True),  # its own target there: 0.80
        ("transitions", 0.79, "postgresql", False),
        ("latency", 1.3, "sqlite", True),
        ("latency", 1.31, "postgresql", False),
        ("scale_out", 1.49, "postgresql", False),
        ("people", 2.9, "sqlite", True),
    ],
)
def test_each_goal_points_its_own_way(bench, ratio, database, met):
    assert report.GOALS[bench].met(ratio, database) is met


def test_without_postgresql_only_sqlite_is_planned_and_scale_out_left_out():
    assert report.plan(["transitions", "scale_out"], None) == [("transitions", "sqlite", None)]
    url = "postgresql://postgres@127.0.0.1:5432/test"
    assert report.plan(["transitions", "scale_out"], url) == [
        ("transitions", "sqlite", None),
        ("transitions", "postgresql", url),
        ("scale_out", "postgresql", url),
    ]


def test_the_command_is_the_bench_script_with_the_database_and_the_quick_sizes():
    argv = report.command("people", "postgresql://h/db", quick=True)
    assert argv[0] == sys.executable and argv[1].endswith("bench/people.py")
    assert argv[2:] == ["--database-url", "postgresql://h/db", *report.QUICK["people"]]
    assert report.command("latency", None, quick=False)[2:] == []
    assert sorted(report.QUICK) == sorted(report.GOALS)


def test_the_log_shows_the_command_without_a_database_password(tmp_path):
    argv = [*fake(["ratio=0.9"]), "--database-url", "postgresql://fahrplan:geheim@db.example:5432/x"]
    done = report.run("transitions", "postgresql", argv, tmp_path)
    first = done.log.read_text().splitlines()[0]
    assert "geheim" not in first and "postgresql://fahrplan:***@db.example:5432/x" in first
    assert report.shown_command(["--database-url", "postgresql://postgres@127.0.0.1:5432/test"]) == (
        "--database-url postgresql://postgres@127.0.0.1:5432/test"
    )


def test_a_run_keeps_the_whole_output_and_a_failed_bench_has_no_ratio(tmp_path):
    done = report.run("transitions", "sqlite", fake(TRANSITIONS_OUTPUT.splitlines()), tmp_path)
    assert (done.ratio, done.verdict()) == (0.71, "not met")
    assert "round 1: bare 101.3/s" in done.log.read_text()
    failed = report.run("latency", "sqlite", fake(["ratio=1.0"], code=1), tmp_path)
    assert (failed.ratio, failed.verdict()) == (None, "failed")
    assert failed.log.name == "latency-sqlite.log" and "ratio=1.0" in failed.log.read_text()


def test_the_report_tables_every_bench_and_fails_when_one_gave_no_ratio(tmp_path, monkeypatch, capsys):
    outputs = {"transitions": (["ratio=0.9"], 0), "latency": (["Traceback", "boom"], 1)}
    monkeypatch.setattr(report, "command", lambda bench, url, quick: fake(*outputs[bench]))
    code = report.main(["--benches", "transitions,latency", "--logs", str(tmp_path)])
    printed = capsys.readouterr().out
    assert code == 1
    assert "| transitions | sqlite | throughput, Fahrplan / bare | 0.900 | ≥ 0.85 | met |" in printed
    assert "| latency | sqlite | latency p99, Fahrplan / bare, worst of 1 and 20 clients | – | ≤ 1.3 | failed |" in (
        printed
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latency-sqlite.log", "transitions-sqlite.log"]
    assert "  Traceback\n  boom" in printed  # a failed bench's last lines, for a CI that keeps no logs
    outputs["latency"] = (["ratio=1.2"], 0)
    assert report.main(["--benches", "transitions,latency", "--logs", str(tmp_path)]) == 0


@pytest.mark.parametrize(
    "argv", [["--benches", "throughput"], ["--benches", ","], ["--database-url", "sqlite:///x.db"]]
)
def test_unknown_benches_and_other_databases_are_refused(argv, tmp_path, capsys):
    with pytest.raises(SystemExit) as refused:
        report.main([*argv, "--logs", str(tmp_path)])
    assert refused.value.code == 2
    assert ("--benches: " if argv[0] == "--benches" else "--database-url") in capsys.readouterr().err
    assert not list(tmp_path.iterdir())  # refused before anything ran
