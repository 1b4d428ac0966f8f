"""The slice of JQL the fake Jira understands: `field = value`, `!=`, `in (...)`, `not in (...)`, and AND.

`ORDER BY` is accepted and ignored. Values may be bare words or quoted ("..." or '...', with
backslash escapes). Anything else is a `JqlError`, which the fake answers with Jira's 400.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<quoted>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<op>!=|=|\(|\)|,)
      | (?P<word>[^\s=!(),"']+)
    )""",
    re.VERBOSE,
)


class JqlError(ValueError):
    """A query outside the supported slice, or a field the fake does not know."""


@dataclass(frozen=True)
class Clause:
    field: str  # lower case
    negated: bool
    values: tuple[str, ...]

    def holds(self, actual: Sequence[str]) -> bool:
        wanted = {value.casefold() for value in self.values}
        hit = any(value.casefold() in wanted for value in actual)
        return hit != self.negated


@dataclass(frozen=True)
class Token:
    kind: str  # "quoted", "op" or "word"
    text: str


def parse(jql: str) -> list[Clause]:
    """The clauses of `jql`, all of which must hold."""
    tokens = _tokens(jql)
    tokens = _without_order_by(tokens)
    clauses: list[Clause] = []
    position = 0
    while position < len(tokens):
        if clauses:
            if tokens[position].text.upper() != "AND":
                raise JqlError(f"Expecting 'AND' but got '{tokens[position].text}' (only AND is supported).")
            position += 1
        clause, position = _clause(tokens, position)
        clauses.append(clause)
    return clauses


def matches(clauses: Sequence[Clause], values_of: Callable[[str], Sequence[str]]) -> bool:
    """Whether every clause holds for the issue whose field values `values_of` gives."""
    return all(clause.holds(values_of(clause.field)) for clause in clauses)


def _tokens(jql: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(jql):
        if jql[position:].strip() == "":
            break
        found = _TOKEN.match(jql, position)
        if found is None or found.lastgroup is None:
            raise JqlError(f"Error in the JQL Query: the character at position {position} is not expected.")
        text = found.group(found.lastgroup)
        if found.lastgroup == "quoted":
            text = re.sub(r"\\(.)", r"\1", text[1:-1])
        tokens.append(Token(found.lastgroup, text))
        position = found.end()
    return tokens


def _without_order_by(tokens: list[Token]) -> list[Token]:
    for index, token in enumerate(tokens[:-1]):
        if token.kind == "word" and token.text.upper() == "ORDER" and tokens[index + 1].text.upper() == "BY":
            return tokens[:index]
    return tokens


def _clause(tokens: list[Token], position: int) -> tuple[Clause, int]:
    def at(index: int) -> Token:
        if index >= len(tokens):
            raise JqlError("Error in the JQL Query: the query ended unexpectedly.")
        return tokens[index]

    field = at(position)
    if field.kind == "op":
        raise JqlError(f"Error in the JQL Query: expecting a field name but got '{field.text}'.")
    operator = at(position + 1)
    if operator.text in ("=", "!="):
        value = at(position + 2)
        if value.kind == "op":
            raise JqlError(f"Error in the JQL Query: expecting a value but got '{value.text}'.")
        return Clause(field.text.lower(), operator.text == "!=", (value.text,)), position + 3
    negated = operator.text.upper() == "NOT"
    if negated:
        position += 1
        operator = at(position + 1)
    if operator.text.upper() != "IN" or at(position + 2).text != "(":
        raise JqlError(
            f"Error in the JQL Query: the operator '{operator.text}' is not supported by the fake."
        )
    values: list[str] = []
    position += 3
    while at(position).text != ")":
        if at(position).kind == "op":
            raise JqlError(f"Error in the JQL Query: expecting a value but got '{at(position).text}'.")
        values.append(at(position).text)
        position += 1
        if at(position).text == ",":
            position += 1
    return Clause(field.text.lower(), negated, tuple(values)), position + 1
