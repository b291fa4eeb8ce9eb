"""The remote codec endpoint for the Temporal UI: POST /codec/encode and /codec/decode.

Temporal's codec protocol: the body is a `Payloads` message as protobuf JSON
({"payloads": [{"metadata": {k: base64}, "data": base64}]}), the header
X-Namespace names the namespace. The codec is the API's own client's (the same
keys as worker and API). Encoding needs a bearer token with a role of CODEC_ROLES;
decoding accepts that too (the CLI, a UI that passes its OIDC token) or the
decode-only sign-in cookie (api/codec_session.py, from the page /codec/anmelden),
which is how the dev server's UI decodes: its codec URL carries no secret. The UI
calls from its own origin: `CodecEdge` answers the CORS preflight for the configured
origins only (`codec_cors_origins`, default the origin of `temporal_ui_url`), with
credentials, and refuses other origins.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from google.protobuf import json_format
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Receive, Scope, Send
from temporalio.api.common.v1 import Payloads

from api import codec_login, codec_session
from api.auth import User, current_user
from api.codec_session import CODEC_ROLES
from api.errors import problem_response, unauthorized
from runtime.codec import ENDPOINT_PATH, CodecError, EncryptionCodec, UnknownKey
from runtime.settings import Settings
from statemachines.refusals import DomainError, Refusal, invalid, role_not_allowed, unavailable

PREFIX = ENDPOINT_PATH
ALLOWED_HEADERS = ("authorization", "content-type", "x-namespace")

router = APIRouter(prefix=PREFIX, tags=["codec"], include_in_schema=False)  # not part of /api/v1


def _check_namespace(request: Request) -> None:
    namespace = request.headers.get("x-namespace")
    served = request.app.state.settings.temporal_namespace
    if namespace is not None and namespace != served:
        raise DomainError(
            Refusal.FORBIDDEN,
            "wrong-namespace",
            "Falscher Namensraum",
            f"Dieser Codec-Endpunkt gilt nur für den Namensraum {served}.",
        )


async def _codec_user(request: Request, user: Annotated[User, Depends(current_user)]) -> User:
    if not user.roles & CODEC_ROLES:
        raise role_not_allowed(
            "Nutzdaten in Temporal entschlüsseln darf nur: " + ", ".join(sorted(CODEC_ROLES)) + ".",
            roles=sorted(CODEC_ROLES),
        )
    _check_namespace(request)
    return user


async def _decoding_user(request: Request) -> str:
    """A bearer token with a codec role, or the decode-only cookie of /codec/anmelden."""
    if "authorization" in request.headers:
        return (await _codec_user(request, await current_user(request))).user
    signed = request.cookies.get(codec_session.COOKIE)
    key = codec_login.signing_key(request)
    settings = request.app.state.settings
    user = codec_session.verify(key, signed, settings.temporal_namespace) if signed and key else None
    if user is None:
        raise unauthorized(
            f"Zum Entschlüsseln anmelden: {request.base_url}{codec_login.SIGN_IN.lstrip('/')} "
            "(die Anmeldung fehlt oder ist abgelaufen), oder ein Bearer-Token mit der Rolle teamleitung senden.",
            invalid=False,
        )
    _check_namespace(request)
    return user


CodecUser = Annotated[User, Depends(_codec_user)]
DecodingUser = Annotated[str, Depends(_decoding_user)]


def _codec(request: Request) -> EncryptionCodec:
    client = getattr(request.app.state, "client", None)
    codec = client.data_converter.payload_codec if client is not None else None
    if not isinstance(codec, EncryptionCodec):
        raise unavailable("Der Codec ist noch nicht bereit.")
    return codec


async def _payloads(request: Request) -> Payloads:
    try:
        return json_format.Parse(await request.body(), Payloads())
    except (json_format.ParseError, UnicodeDecodeError, ValueError):
        raise invalid(
            "invalid-payloads",
            "Ungültige Nutzdaten",
            'Erwartet wird {"payloads": [{"metadata": {...}, "data": "<base64>"}]} (Temporal-Codec-Protokoll).',
        ) from None


def _answer(payloads) -> JSONResponse:
    return JSONResponse({"payloads": [json_format.MessageToDict(p) for p in payloads]})


@router.post("/encode", summary="Nutzdaten verschlüsseln (Temporal-Codec-Protokoll)")
async def encode(request: Request, user: CodecUser) -> JSONResponse:
    return _answer(await _codec(request).encode(list((await _payloads(request)).payloads)))


@router.post("/decode", summary="Nutzdaten entschlüsseln (Temporal-Codec-Protokoll)")
async def decode(request: Request, user: DecodingUser) -> JSONResponse:
    codec, payloads = _codec(request), await _payloads(request)
    try:
        return _answer(await codec.decode(list(payloads.payloads)))
    except UnknownKey as unknown:
        raise invalid(
            "unknown-key",
            "Unbekannter Schlüssel",
            f"Die Nutzdaten sind mit dem Schlüssel {unknown.key_id!r} verschlüsselt, der hier nicht konfiguriert ist.",
            key_id=unknown.key_id,
        ) from None
    except CodecError:
        raise invalid(
            "decrypt-failed",
            "Entschlüsselung fehlgeschlagen",
            "Die Nutzdaten lassen sich mit dem angegebenen Schlüssel nicht entschlüsseln.",
        ) from None


def allowed_origins(settings: Settings) -> frozenset[str]:
    if settings.codec_cors_origins:
        return frozenset(o.rstrip("/") for o in settings.codec_cors_origins)
    ui = urlsplit(settings.temporal_ui_url)
    return frozenset({f"{ui.scheme}://{ui.netloc}"})


class CodecEdge:
    """Pure ASGI middleware for /codec/*: the sign-in page, and CORS for the UI's origin."""

    def __init__(self, app: ASGIApp, settings: Settings):
        self.app, self.origins = app, allowed_origins(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX + "/"):
            return await self.app(scope, receive, send)
        if scope["path"] in codec_login.PATHS:  # a page of its own, opened in the browser, not by the UI
            return await codec_login.handle(scope, receive, send)
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is None:  # not a browser: tctl, curl, tests
            return await self.app(scope, receive, send)
        if origin not in self.origins:
            return await self._refuse(scope, receive, send)
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            return await self._preflight(scope, receive, send, headers, origin)

        async def with_cors(message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(self._cors(origin))
            await send(message)

        await self.app(scope, receive, with_cors)

    @staticmethod
    def _cors(origin: str) -> dict[str, str]:
        return {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true", "Vary": "Origin"}

    async def _preflight(self, scope, receive, send, headers: Headers, origin: str) -> None:
        method = headers.get("access-control-request-method", "").upper()
        wanted = {h.strip().lower() for h in headers.get("access-control-request-headers", "").split(",") if h.strip()}
        if method != "POST" or not wanted <= set(ALLOWED_HEADERS):
            return await self._refuse(scope, receive, send)
        cors = self._cors(origin) | {
            "Access-Control-Allow-Methods": "POST, OPTIONS",
            "Access-Control-Allow-Headers": ", ".join(ALLOWED_HEADERS),
            "Access-Control-Max-Age": "600",
        }
        await Response(status_code=204, headers=cors)(scope, receive, send)

    async def _refuse(self, scope, receive, send) -> None:
        request = Request(scope)
        detail = (
            "Der Codec-Endpunkt nimmt Anfragen aus dem Browser nur von der Temporal UI an ("
            + ", ".join(sorted(self.origins))
            + ")."
        )
        await problem_response(
            request, 403, "origin-not-allowed", "Herkunft nicht erlaubt", detail, {"Vary": "Origin"}
        )(scope, receive, send)


def install(app: FastAPI, settings: Settings) -> None:
    """The router, and the CORS edge outside every other middleware (preflights need no body checks)."""
    app.include_router(router)
    app.add_middleware(CodecEdge, settings=settings)
