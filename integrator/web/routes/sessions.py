"""`/sessions` (token mode): the signed-in person's sessions, each of which they may end."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from integrator.application.sessions import Signed
from integrator.web.auth import Authenticator
from integrator.web.pages import Pages
from integrator.web.problems import AuthRequired


def router(auth: Authenticator, pages: Pages) -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    @routes.get("/sessions")
    def list_sessions(request: Request) -> Response:
        signed = _signed(auth, request)
        context = {"sessions": auth.sessions.others(signed), "current": signed.session.id}
        return pages.render(request, "sessions.html", context, user=signed.token.name)

    @routes.post("/sessions/{session_id}/end")
    async def end_session(request: Request, session_id: int) -> Response:
        form = await request.form()
        auth.csrf.check_form(request, form)
        signed = _signed(auth, request)
        auth.sessions.end(signed, session_id)  # another token's session, or an ended one: nothing
        target = "/signin" if session_id == signed.session.id else "/sessions"
        return RedirectResponse(target, status_code=303)

    return routes


def _signed(auth: Authenticator, request: Request) -> Signed:
    """The session the browser is signed in with; `AuthRequired` sends it to sign in."""
    principal = auth.web(request)
    if principal.signed is None:
        raise AuthRequired("sign in with an API token")
    return principal.signed
