"""How the store reports a database failure to the layers above: as `StoreUnavailable`, never SQLAlchemy's."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import SQLAlchemyError

from integrator.errors import StoreUnavailable


@contextmanager
def translated() -> Iterator[None]:
    """Run a store call; a database error leaves as `StoreUnavailable` naming only its class.

    The class alone: SQLAlchemy's own message carries the statement and its parameters.
    """
    try:
        yield
    except SQLAlchemyError as exc:
        raise StoreUnavailable(f"the database did not answer ({type(exc).__name__})") from exc
