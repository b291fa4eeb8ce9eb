"""Schemathesis hooks (loaded through SCHEMATHESIS_HOOKS): point most generated ids at
the real objects the seed created, so the fuzzer reaches past the 404s; and put a NUL
character into one string of one generated case in NUL_EVERY (body, query or path),
because the fuzzer alone rarely puts one where it reaches the database (issue 13: with
the default settings it sent a few dozen, all refused early by a schema). The choices
depend on the generated value, so runs with the same seed stay reproducible."""

from __future__ import annotations

import json
import os
import zlib

import schemathesis

IDS: dict[str, list] = json.loads(os.environ.get("FAHRPLAN_FUZZ_IDS", "{}"))
NUL_EVERY = 8


def _pick(name: str, value):
    known = IDS.get(name) or []
    if not known:
        return value
    index = zlib.crc32(repr(value).encode()) % (len(known) + 1)
    return value if index == len(known) else known[index]  # one in len+1 keeps the generated value


def _with_nul(value, where: str):
    """One case in NUL_EVERY: the value with a NUL in the middle of its first string."""
    if zlib.crc32(f"{where}:{value!r}".encode()) % NUL_EVERY:
        return value
    return _inject(value)[0]


def _inject(value):
    """(value with a NUL in its first string, whether one was put in)."""
    if isinstance(value, str):
        middle = len(value) // 2
        return value[:middle] + "\x00" + value[middle:], True
    if isinstance(value, dict):
        for key, item in value.items():
            changed, done = _inject(item)
            if done:
                return value | {key: changed}, True
    if isinstance(value, list):
        for index, item in enumerate(value):
            changed, done = _inject(item)
            if done:
                return [*value[:index], changed, *value[index + 1 :]], True
    return value, False


@schemathesis.hook
def map_path_parameters(context, path_parameters):
    if not isinstance(path_parameters, dict):  # negative data may be anything
        return path_parameters
    return _with_nul({name: _pick(name, value) for name, value in path_parameters.items()}, "path")


@schemathesis.hook
def map_query(context, query):
    return _with_nul(query, "query") if isinstance(query, dict) else query


@schemathesis.hook
def map_body(context, body):
    if isinstance(body, dict) and isinstance(body.get("case_id"), str):
        body = body | {"case_id": _pick("case_id", body["case_id"])}
    return _with_nul(body, "body")
