"""The accounts table: each account as its latest report left it, behind `records.AccountStore`.

`remember` runs inside the transaction that stores the escalation (`Store.add`), so accepting a
report stays one commit; the rule for what is kept is `domain.accounts.remembered`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, Row, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite

from integrator.domain.accounts import ROLES, Account, Contact, account_key, remembered
from integrator.domain.report import Deal
from integrator.errors import NotFound
from integrator.store.errors import translated
from integrator.store.tables import accounts


class SqlAccountStore:
    """Reads remembered accounts; every method is one transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def find(self, prefix: str, *, limit: int) -> list[Account]:
        """Accounts whose name starts with `prefix` (any case), ordered by name, at most `limit`."""
        query = select(accounts).order_by(accounts.c.name_key).limit(limit)
        key = account_key(prefix)
        if key:
            query = query.where(accounts.c.name_key >= key, accounts.c.name_key < successor(key))
        with translated(), self.engine.connect() as conn:
            return [_account(row) for row in conn.execute(query)]

    def get(self, name: str) -> Account:
        with translated(), self.engine.connect() as conn:
            row = conn.execute(select(accounts).where(accounts.c.name_key == account_key(name))).first()
        if row is None:
            raise NotFound(f"no account named {name!r} has been reported")
        return _account(row)


def successor(key: str) -> str:
    """The least string after every string that starts with `key` (code point order)."""
    last = ord(key[-1]) + 1
    if 0xD800 <= last <= 0xDFFF:  # surrogates are not characters: step over them
        last = 0xE000
    return key[:-1] + chr(min(last, 0x10FFFF))


# Run with every report accepted: built once (the insert and the lock per dialect).
_BY_KEY = select(accounts).where(accounts.c.name_key == bindparam("key"))
_LOCKED = {"postgresql": _BY_KEY.with_for_update()}  # two reports of one account: the second waits
_INSERT = {
    name: dialect.insert(accounts).on_conflict_do_nothing(index_elements=["name_key"])
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}
_COLUMNS = (
    *("name_key", "name", "arr", "currency", "poc_ends_on", "escalation_id", "updated_at"),
    *(f"{role}_{part}" for role in ROLES for part in ("name", "email")),
)
_UPDATE = (
    update(accounts)
    .where(accounts.c.name_key == bindparam("key"))
    .values({column: bindparam(f"new_{column}") for column in _COLUMNS})
)


def remember(conn: Connection, deal: Deal, *, escalation_id: str, at: datetime) -> None:
    """Update (or create) the deal's account within the caller's transaction."""
    key = account_key(deal.account)
    fresh = remembered(deal, before=None, escalation_id=escalation_id, at=at)
    if fresh is None:
        return  # too long a name to remember
    before = _locked(conn, key)
    if before is None:
        if conn.execute(_INSERT[conn.dialect.name], _row(fresh, key)).rowcount == 1:
            return
        before = _locked(conn, key)  # another report of this new account was first; it is there now
    after = remembered(deal, before=before, escalation_id=escalation_id, at=at)
    if after is not None:
        conn.execute(_UPDATE, {"key": key, **{f"new_{c}": v for c, v in _row(after, key).items()}})


def _locked(conn: Connection, key: str) -> Account | None:
    row = conn.execute(_LOCKED.get(conn.dialect.name, _BY_KEY), {"key": key}).first()
    return _account(row) if row else None


def _row(account: Account, key: str) -> dict[str, Any]:
    row: dict[str, Any] = {
        "name_key": key,
        "name": account.name,
        "arr": str(account.arr),
        "currency": account.currency,
        "poc_ends_on": account.poc_ends_on,
        "escalation_id": account.escalation_id,
        "updated_at": account.updated_at,
    }
    for role in ROLES:
        contact = account.contact(role)
        row[f"{role}_name"] = contact.name if contact else None
        row[f"{role}_email"] = contact.email if contact else None
    return row


def _account(row: Row[Any]) -> Account:
    people = {role: _contact(row, role) for role in ROLES}
    return Account(
        name=row.name,
        arr=Decimal(row.arr),
        currency=row.currency,
        poc_ends_on=row.poc_ends_on,
        escalation_id=row.escalation_id,
        updated_at=row.updated_at,
        **people,
    )


def _contact(row: Row[Any], role: str) -> Contact | None:
    name, email = row._mapping[f"{role}_name"], row._mapping[f"{role}_email"]
    return None if name is None and email is None else Contact(name or "", email)
