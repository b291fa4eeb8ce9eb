"""Reading a urlencoded form post, bounded: the pages' forms and the codec sign-in share it."""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.requests import Request

NUL = "\x00"


async def urlencoded_form(request: Request, max_bytes: int, max_fields: int) -> dict[str, list[str]] | None:
    """The form's fields, or None when the body is no urlencoded form, is larger than `max_bytes`
    (read no further), has more than `max_fields` fields, is no UTF-8 or holds a NUL."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            return None
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=max_fields)
    except (UnicodeDecodeError, ValueError):
        return None
    if any(NUL in k or any(NUL in v for v in vs) for k, vs in fields.items()):
        return None
    return fields
