"""API tokens: shown once, stored as a hash, revocable by name; and the `integrator token` commands."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from integrator.application.tokens import TokenNameRefused, Tokens
from integrator.cli.app import app
from integrator.errors import NotFound
from integrator.store.db import connect, migrate
from integrator.store.tables import tokens as tokens_table
from integrator.store.tokens import SqlTokenStore
from tests.support import FakeClock
from tests.web.conftest import World


def test_a_created_token_verifies_and_only_its_sha256_is_stored(world: World) -> None:
    plaintext = world.tokens.create("ci")

    with world.services.store.engine.connect() as conn:
        rows = conn.execute(select(tokens_table)).all()
    assert [row.hash for row in rows] == [hashlib.sha256(plaintext.encode()).hexdigest()]
    assert all(plaintext not in str(tuple(row)) for row in rows)
    verified = world.tokens.verify(plaintext)
    assert verified is not None
    assert verified.name == "ci"


def test_a_revoked_token_no_longer_verifies(world: World) -> None:
    plaintext = world.tokens.create("ci")

    world.tokens.revoke("ci")

    assert world.tokens.verify(plaintext) is None


def test_a_name_has_one_live_token_and_may_be_reissued_after_revoking(world: World) -> None:
    old = world.tokens.create("ci")
    with pytest.raises(TokenNameRefused, match="revoke it first"):
        world.tokens.create("ci")

    world.tokens.revoke("ci")
    new = world.tokens.create("ci")

    assert world.tokens.verify(new) is not None
    assert world.tokens.verify(old) is None
    assert [(t.name, t.live) for t in world.tokens.list()] == [("ci", False), ("ci", True)]


@pytest.mark.parametrize("name", ["", " ci", "a b", "x" * 101, "-dash-first"])
def test_a_malformed_name_is_refused(world: World, name: str) -> None:
    with pytest.raises(TokenNameRefused):
        world.tokens.create(name)


def test_revoking_an_unknown_name_is_not_found(world: World) -> None:
    with pytest.raises(NotFound, match="no live token named 'ghost'"):
        world.tokens.revoke("ghost")


def test_token_create_prints_the_token_alone_on_stdout(world: World) -> None:
    result = CliRunner().invoke(app, ["token", "create", "--name", "priya@acme.example"], obj=world.services)

    assert result.exit_code == 0
    printed = result.stdout
    assert printed.count("\n") == 1
    token = printed.strip()
    assert token.startswith("itk_")
    assert "not shown again" in result.stderr
    verified = world.tokens.verify(token)
    assert verified is not None
    assert verified.name == "priya@acme.example"


def test_token_revoke_and_list_through_the_command_line(world: World) -> None:
    runner = CliRunner()
    runner.invoke(app, ["token", "create", "--name", "ci"], obj=world.services)

    revoked = runner.invoke(app, ["token", "revoke", "ci"], obj=world.services)
    listed = runner.invoke(app, ["token", "list", "--json"], obj=world.services)
    again = runner.invoke(app, ["token", "revoke", "ci"], obj=world.services)

    assert revoked.exit_code == 0
    assert "Revoked token 'ci'" in revoked.stdout
    assert '"revoked_at": "2026-11-28T15:00:00+00:00"' in listed.stdout
    assert again.exit_code == 1
    assert "no live token named 'ci'" in again.stderr


def test_tokens_live_revoke_and_reissue_on_sqlite_and_postgresql(database_url: str) -> None:
    engine = connect(database_url)
    migrate(engine)
    tokens = Tokens(SqlTokenStore(engine), clock=FakeClock())
    try:
        first = tokens.create("ci")
        with pytest.raises(TokenNameRefused):
            tokens.create("ci")
        tokens.revoke("ci")
        second = tokens.create("ci")

        assert tokens.verify(first) is None
        assert tokens.verify(second) is not None
    finally:
        engine.dispose()
