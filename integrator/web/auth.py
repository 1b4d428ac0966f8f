"""Who is asking: bearer tokens for tools, a trusted proxy's header or a signed session for browsers.

- `token` mode: the API takes `Authorization: Bearer <token>`; people sign in with a token on
  `/signin` and get a signed, HttpOnly, SameSite cookie naming a server-side session, which lives
  until it is signed out or ended from another session, the token is revoked, or 7 days pass.
- `proxy` mode: a reverse proxy (oauth2-proxy) puts the signed-in user's email in a header; it is
  believed only from `auth.trusted_proxies`. Bearer tokens still work for tools.
- `none` mode: the local demo; everyone is "local demo". `create_app` refuses it off loopback.

Credentials a browser sends on its own (session cookie, proxy header) need the CSRF token on
every unsafe request; a bearer token does not (a page on another site cannot attach one).
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import ip_address, ip_network
from typing import Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from itsdangerous import BadSignature, URLSafeTimedSerializer

from integrator.application.sessions import Sessions, Signed
from integrator.application.tokens import Tokens
from integrator.errors import ConfigError
from integrator.settings import AuthSettings
from integrator.web.pages import Pages
from integrator.web.problems import AuthRequired, Forbidden
from integrator.web.security import Csrf, form_text

SESSION_COOKIE = "integrator_session"
SESSION_SECONDS = 7 * 24 * 3600
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass(frozen=True)
class Principal:
    name: str  # a token's name, a proxy-asserted email, or "local demo"
    via: Literal["token", "session", "proxy", "none"]
    signed: Signed | None = None  # the server-side session, when signed in through one

    @property
    def ambient(self) -> bool:
        """Sent by the browser on its own, so a forged cross-site request would carry it too."""
        return self.via != "token"

    @property
    def email(self) -> str | None:
        return self.name if "@" in self.name else None


def refuse_open_mode_off_loopback(mode: str, host: str) -> None:
    if mode == "none" and host not in LOOPBACK:
        raise ConfigError(
            f"INTEGRATOR_AUTH__MODE=none (no sign-in) is the local demo and binds to 127.0.0.1 only;"
            f" refusing to serve it on {host}. Use token or proxy mode."
        )


class Authenticator:
    def __init__(
        self, settings: AuthSettings, *, tokens: Tokens, sessions: Sessions, secret: bytes, csrf: Csrf
    ) -> None:
        self.settings = settings
        self.tokens = tokens
        self.sessions = sessions
        self.csrf = csrf
        self.cookies = URLSafeTimedSerializer(secret, salt="integrator.session")
        self.proxies = [ip_network(p, strict=False) for p in settings.trusted_proxies]

    @property
    def mode(self) -> str:
        return self.settings.mode

    def api(self, request: Request) -> Principal:
        """The caller of an API route; ambient credentials must carry the CSRF header on writes."""
        header = request.headers.get("authorization", "")
        if header:
            scheme, _, value = header.partition(" ")
            token = self.tokens.verify(value.strip()) if scheme.lower() == "bearer" else None
            if token is None:
                raise _bad_token("the bearer token is unknown or revoked")
            return Principal(token.name, "token")
        principal = self.ambient(request)
        if principal is None:
            raise _bad_token("send `Authorization: Bearer <token>` (made by `integrator token create`)")
        if principal.via != "none" and request.method in UNSAFE:
            self.csrf.check(request, request.headers.get(self.csrf.header))
        return principal

    def web(self, request: Request) -> Principal:
        """The person using the pages; `AuthRequired` sends them to sign in."""
        principal = self.ambient(request)
        if principal is None:
            if self.mode == "proxy":
                raise AuthRequired("sign in through the company's single sign-on proxy")
            raise AuthRequired("sign in with an API token")
        return principal

    def session_cookie(self, plaintext: str, *, agent: str) -> str | None:
        """A new session's signed cookie value for a valid token, else None."""
        secret = self.sessions.begin(plaintext, agent=agent)
        return None if secret is None else self.cookies.dumps({"sid": secret})

    def ambient(self, request: Request) -> Principal | None:
        """Who the browser is signed in as (session, proxy header or the demo), without a bearer token."""
        if self.mode == "none":
            return Principal("local demo", "none")
        if self.mode == "proxy":
            return self._proxy(request)
        return self._session(request)

    def _proxy(self, request: Request) -> Principal | None:
        user = request.headers.get(self.settings.proxy_header, "").strip()
        if not user:
            return None
        peer = request.client.host if request.client else ""
        try:
            trusted = any(ip_address(peer) in network for network in self.proxies)
        except ValueError:
            trusted = False
        if not trusted:
            raise Forbidden(f"{self.settings.proxy_header} is accepted only from the trusted proxies")
        return Principal(user, "proxy")

    def _session(self, request: Request) -> Principal | None:
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie:
            return None
        try:
            data = self.cookies.loads(cookie, max_age=SESSION_SECONDS)
        except BadSignature:
            return None
        secret = data.get("sid") if isinstance(data, dict) else None
        signed = self.sessions.resume(secret) if isinstance(secret, str) else None
        return Principal(signed.token.name, "session", signed) if signed else None


def _bad_token(message: str) -> AuthRequired:
    return AuthRequired(message, headers={"WWW-Authenticate": 'Bearer realm="integrator"'})


def router(auth: Authenticator, pages: Pages, *, secure: bool) -> APIRouter:
    """`/signin` and `/signout` (token mode): a token in, a session cookie out."""
    routes = APIRouter(include_in_schema=False)

    @routes.get("/signin")
    def sign_in_form(request: Request, next: str = "/") -> Response:
        return pages.render(request, "signin.html", {"next": _local(next), "error": None})

    @routes.post("/signin")
    async def sign_in(request: Request) -> Response:
        form = await request.form()
        auth.csrf.check_form(request, form)
        target = _local(form_text(form, "next") or "/")
        agent = request.headers.get("user-agent", "")
        cookie = auth.session_cookie(form_text(form, "token") or "", agent=agent)
        if cookie is None:
            context = {"next": target, "error": "That token is unknown or revoked."}
            return pages.render(request, "signin.html", context, status=401)
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            SESSION_COOKIE, cookie, max_age=SESSION_SECONDS, httponly=True, samesite="lax", secure=secure
        )
        return response

    @routes.post("/signout")
    async def sign_out(request: Request) -> Response:
        form = await request.form()
        auth.csrf.check_form(request, form)
        principal = auth.ambient(request)
        if principal is not None and principal.signed is not None:
            auth.sessions.end(principal.signed, principal.signed.session.id)  # the old cookie is dead
        response = RedirectResponse("/signin", status_code=303)
        response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax", secure=secure)
        return response

    return routes


def _local(target: str) -> str:
    """Only paths on this site (no `//evil.example`, no scheme): an open redirect is a phishing aid."""
    return target if target.startswith("/") and not target.startswith(("//", "/\\")) else "/"
