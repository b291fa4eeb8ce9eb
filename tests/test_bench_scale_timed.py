"""bench/scale_queries.timed: a call the server throttles (HTTP 429) is repeated after the pause it
asks for and not timed, so the visibility bench completes at 10,000 cases and reports it."""

from __future__ import annotations

from bench.scale_queries import Throttled, timed


async def test_throttled_calls_are_repeated_counted_and_not_timed():
    answers = iter([Throttled(0.01), None, Throttled(0.01), Throttled(0.01), None, None])

    async def call() -> None:
        answer = next(answers)
        if answer is not None:
            raise answer

    throttled = [0]
    samples = await timed(3, call, throttled)
    assert len(samples) == 3 and throttled == [3]
    assert all(s < 0.01 for s in samples)  # the pauses are not in the samples
