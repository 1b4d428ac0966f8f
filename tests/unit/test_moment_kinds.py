"""Recording skips the moments statement for a done effect of a kind that is never a moment: the
kinds it keeps must be exactly those the statement can mark."""

from __future__ import annotations

import re

from sqlalchemy import create_engine

from integrator.domain.escalation import EffectKind
from integrator.store import moments


def test_the_kinds_that_are_moments_are_the_kinds_the_statement_marks() -> None:
    for url in ("sqlite://", "postgresql+psycopg://nobody@127.0.0.1:9/none"):  # nothing is connected
        dialect = create_engine(url).dialect
        sql = str(moments.MARK_DONE.compile(dialect=dialect))
        named = {EffectKind(kind) for kind in re.findall(r"effects\.kind = '([a-z_]+)'", sql)}
        assert named == moments.KINDS
