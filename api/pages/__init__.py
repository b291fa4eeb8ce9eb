"""The workbench: German, server-rendered pages for staff and trainers, mounted at `/` beside the
JSON API (/api/v1), its docs (/docs, /redoc) and the codec (/codec). No JavaScript, nothing from
outside the app; handlers only call the use cases (api/usecases/).

    signin    /anmelden (token form or OIDC with PKCE), /abmelden
    inbox     /  the tasks; /aufgaben/{id}/… claim, complete, reassign
    people    /personen?q= the search, /personen/{id} the Fallakte (R16)
    new_case  /neuer-fall, /neuer-fall/{process}  open a case (a new person or the Fallakte's)
    cases     /faelle/{id}  the case page; /faelle/{id}/schritt/{trigger} a trigger's form
    team      /team/infoveranstaltungen  the team lead's information events
    sessions  /team/sitzungen  group sessions: plan, bookings, R21 decisions
    training  /schulung, /schulung/{process}  without sign-in
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.responses import RedirectResponse

from api.pages import cases, core, inbox, new_case, people, sessions, signin, team, training

STATIC = "/static"


def install(app: FastAPI) -> None:
    for module in (signin, inbox, people, new_case, cases, team, sessions, training):
        app.include_router(module.router)
    app.mount(STATIC, StaticFiles(directory=core.HERE / "static"), name="static")

    @app.exception_handler(core.SignInRequired)
    async def _sign_in(request: Request, _: core.SignInRequired) -> RedirectResponse:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method != "GET":
            target = "/"
        return RedirectResponse(f"/anmelden?weiter={quote(target)}", status_code=303)
