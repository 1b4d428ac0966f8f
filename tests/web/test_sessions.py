"""Sessions live on the server: signing out, or ending one from another browser, kills the old cookie."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from integrator.application.sessions import Sessions
from integrator.application.tokens import Tokens
from integrator.store.db import connect, migrate
from integrator.store.sessions import SqlSessionStore
from integrator.store.tokens import SqlTokenStore
from integrator.web.auth import SESSION_COOKIE
from tests.support import FakeClock
from tests.web.conftest import BASE_URL, World
from tests.web.helpers import csrf_token


def sign_in(app: FastAPI, token: str, agent: str) -> TestClient:
    browser = TestClient(app, base_url=BASE_URL, headers={"User-Agent": agent})
    page = browser.get("/signin")
    form = {"csrf_token": csrf_token(page.text), "token": token, "next": "/"}
    assert browser.post("/signin", data=form, follow_redirects=False).status_code == 303
    return browser


def replay(app: FastAPI, cookie: str) -> int:
    """What a stolen copy of the session cookie gets from the form page."""
    thief = TestClient(app, base_url=BASE_URL)
    return thief.get(
        "/", headers={"Cookie": f"{SESSION_COOKIE}={cookie}"}, follow_redirects=False
    ).status_code


def test_after_signing_out_the_old_session_cookie_no_longer_works(
    client: TestClient, app: FastAPI, token: str
) -> None:
    browser = sign_in(app, token, "Firefox")
    cookie = browser.cookies[SESSION_COOKIE]
    assert replay(app, cookie) == 200

    browser.post("/signout", data={"csrf_token": csrf_token(browser.get("/").text)})

    assert replay(app, cookie) == 303


def test_a_person_sees_their_sessions_and_ends_another_one(
    client: TestClient, app: FastAPI, token: str
) -> None:
    laptop = sign_in(app, token, "Firefox on the laptop")
    phone = sign_in(app, token, "Safari on the phone")
    phone_cookie = phone.cookies[SESSION_COOKIE]

    listed = laptop.get("/sessions")
    assert "Firefox on the laptop" in listed.text
    assert "(this browser)" in listed.text
    assert "Safari on the phone" in listed.text
    end = listed.text.split('action="/sessions/')[2].split("/end")[0]  # the phone's, listed second

    ended = laptop.post(
        f"/sessions/{end}/end", data={"csrf_token": csrf_token(listed.text)}, follow_redirects=False
    )

    assert ended.headers["location"] == "/sessions"
    assert replay(app, phone_cookie) == 303
    assert phone.get("/", follow_redirects=False).status_code == 303
    assert laptop.get("/", follow_redirects=False).status_code == 200
    assert "Safari on the phone" not in laptop.get("/sessions").text


def test_ending_a_session_needs_the_csrf_token(client: TestClient, app: FastAPI, token: str) -> None:
    laptop = sign_in(app, token, "Firefox")
    phone = sign_in(app, token, "Safari")

    answer = laptop.post("/sessions/2/end", data={})

    assert answer.status_code == 403
    assert phone.get("/", follow_redirects=False).status_code == 200


def test_a_person_cannot_end_a_session_of_another_token(
    client: TestClient, app: FastAPI, token: str, world: World
) -> None:
    mine = sign_in(app, token, "Firefox")
    theirs = sign_in(app, world.tokens.create("other"), "Safari")
    page = mine.get("/sessions")

    mine.post("/sessions/2/end", data={"csrf_token": csrf_token(page.text)})

    assert "Safari" not in page.text
    assert theirs.get("/", follow_redirects=False).status_code == 200


def test_revoking_the_token_ends_every_session_made_with_it(
    client: TestClient, app: FastAPI, token: str, world: World
) -> None:
    browsers = [sign_in(app, token, agent) for agent in ("Firefox", "Safari")]

    world.tokens.revoke("ci")

    assert [b.get("/", follow_redirects=False).status_code for b in browsers] == [303, 303]


def test_sessions_begin_resume_and_end_on_sqlite_and_postgresql(database_url: str) -> None:
    engine = connect(database_url)
    migrate(engine)
    clock = FakeClock()
    tokens = Tokens(SqlTokenStore(engine), clock=clock)
    sessions = Sessions(SqlSessionStore(engine), tokens=tokens, clock=clock)
    try:
        plaintext = tokens.create("ci")
        first = sessions.begin(plaintext, agent="Firefox")
        second = sessions.begin(plaintext, agent="x" * 500)
        assert first
        assert second
        assert sessions.begin("itk_unknown", agent="") is None
        signed = sessions.resume(first)
        assert signed is not None
        assert [s.agent for s in sessions.others(signed)] == ["Firefox", "x" * 200]

        assert sessions.end(signed, sessions.others(signed)[1].id)

        assert sessions.resume(second) is None
        assert sessions.resume(first) is not None
    finally:
        engine.dispose()
