"""Typed search attributes every case workflow upserts, so operators can filter
cases in the Temporal UI. Values are never personal data."""

from temporalio.common import SearchAttributeIndexedValueType as Indexed
from temporalio.common import SearchAttributeKey

PROCESS = SearchAttributeKey.for_keyword("FahrplanProcess")
STATE = SearchAttributeKey.for_keyword("FahrplanState")
CASE_ID = SearchAttributeKey.for_keyword("FahrplanCaseId")
DEADLINE = SearchAttributeKey.for_datetime("FahrplanDeadline")
OVERDUE = SearchAttributeKey.for_bool("FahrplanOverdue")
REGIME = SearchAttributeKey.for_keyword("FahrplanRegime")  # the legal regime (R61), e.g. grundsicherung_2026

ALL = (PROCESS, STATE, CASE_ID, DEADLINE, OVERDUE, REGIME)

_CLI_TYPES = {
    Indexed.KEYWORD: "Keyword",
    Indexed.DATETIME: "Datetime",
    Indexed.BOOL: "Bool",
}


def cli_flags() -> list[str]:
    """`--search-attribute Name=Type` flags for `temporal server start-dev`."""
    flags: list[str] = []
    for key in ALL:
        flags += ["--search-attribute", f"{key.name}={_CLI_TYPES[key.indexed_value_type]}"]
    return flags
