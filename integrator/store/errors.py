"""How the store reports database failures to the layers above, in our words, never SQLAlchemy's.

A broken constraint is `AlreadyRecorded` (another worker, or an earlier request, was first); any
other database error is `StoreUnavailable`. Messages name the error's class only: SQLAlchemy's own
message carries the statement and its parameters.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from integrator.errors import AlreadyRecorded, StoreUnavailable


@contextmanager
def translated() -> Iterator[None]:
    """Run a store call; its database errors leave as `AlreadyRecorded` or `StoreUnavailable`."""
    try:
        yield
    except IntegrityError as exc:
        raise AlreadyRecorded(f"already recorded ({type(exc.orig).__name__})") from exc
    except SQLAlchemyError as exc:
        raise StoreUnavailable(f"the database did not answer ({type(exc).__name__})") from exc
