"""NUL characters (U+0000) are refused at the edge with 422, wherever they hide.

PostgreSQL cannot store NUL in text (psycopg raises DataError, which was a 500) and SQLite
stores it, so it reached letters. No field of Fahrplan needs one. Checked: the path (as the
server decoded it, and `%00` in the raw path), the percent-decoded query string (names and
values), and the decoded strings and keys of a JSON body. In JSON a NUL is the escape
`\\u0000` (or a raw byte, which is not valid JSON); a literal backslash before `u0000`
(`"\\\\u0000"`) is six ordinary characters, so the body is parsed instead of searched.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from api.errors import MAX_TEXT, problem_response

NUL = "\x00"
TITLE = "Ungültige Anfrage"


def _refuse(request: Request, where: str, loc: list[str | int]) -> Response:
    return problem_response(
        request,
        422,
        "nul-zeichen",
        TITLE,
        f"Die Anfrage enthält ein NUL-Zeichen (U+0000) {where}. NUL-Zeichen sind nirgends erlaubt.",
        errors=[{"loc": loc, "msg": "NUL-Zeichen (U+0000) ist nicht erlaubt", "type": "nul_character"}],
    )


def _shown(name: str) -> str:
    """A name for the error, without the NUL itself and never long (it is echoed)."""
    name = name.replace(NUL, "\\u0000")
    return name if len(name) <= MAX_TEXT else name[:MAX_TEXT] + "…"


def in_url(request: Request) -> Response | None:
    """422 for a NUL in the path or the (percent-decoded) query string, else None."""
    scope = request.scope
    if NUL in scope["path"] or b"%00" in (scope.get("raw_path") or b""):
        return _refuse(request, "im Pfad", ["path"])
    query = scope.get("query_string", b"")
    if b"%00" not in query and b"\x00" not in query:
        return None
    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="replace"):
        if NUL in name:
            return _refuse(request, "im Namen eines Suchparameters", ["query", _shown(name)])
        if NUL in value:
            return _refuse(request, f"im Suchparameter „{_shown(name)}“", ["query", _shown(name)])
    return None


def in_body(request: Request, body: bytes) -> Response | None:
    """422 for a NUL in a decoded string or key of the JSON body, else None.

    A body that is no readable JSON is left to the route (400), unless it is UTF-8 text
    with a raw NUL byte in it."""
    if b"\x00" not in body and b"\\u0000" not in body:
        return None  # the common case: no byte sequence that could decode to a NUL
    try:
        document = json.loads(body)  # bytes: the encoding is detected as the route will do it
    except (ValueError, RecursionError):
        if b"\x00" in body and _utf8(body):
            return _refuse(request, "im Anfrageinhalt", ["body"])
        return None
    found = first_nul(document)
    if found is None:
        return None
    path, in_key = found
    shown = ".".join(str(p) for p in path) or "Anfrageinhalt"
    where = f"in einem Feldnamen unter {shown}" if in_key else f"im Feld {shown}"
    return _refuse(request, where, ["body", *path])


def _utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def first_nul(document: Any) -> tuple[list[str | int], bool] | None:
    """The path to the first string or key holding a NUL, and whether it is a key; None if none.
    Iterative: nesting depth is the parser's business, not the call stack's."""
    todo: list[tuple[list[str | int], Any]] = [([], document)]
    while todo:
        path, value = todo.pop()
        if isinstance(value, str):
            if NUL in value:
                return path, False
        elif isinstance(value, dict):
            for key, item in reversed(list(value.items())):
                if NUL in key:
                    return path, True
                todo.append(([*path, _shown(key)], item))
        elif isinstance(value, list):
            todo.extend(([*path, index], item) for index, item in reversed(list(enumerate(value))))
    return None
