"""JSON text read with a bound on its nesting, checked in linear time before the parser recurses."""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

from integrator.errors import InvalidInput

MAX_DEPTH = 32
# A string, its escapes included, up to its closing quote or the end of the text; possessive, so an
# unterminated string is read once, never again from each of its quotes.
_STRING = re.compile(r'"[^"\\]*+(?:\\[\s\S]?+[^"\\]*+)*+"?+')
_BRACKET = re.compile(r"[\[\]{}]")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def nesting(text: str) -> int:
    """How deeply the arrays and objects of a JSON text nest (brackets inside strings do not count)."""
    brackets = _BRACKET.findall(_STRING.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def load_json(text: str | bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """The value of a JSON text; `InvalidInput` on `body` when it is not JSON or nests too deeply."""
    try:
        if isinstance(text, bytes):
            text = text.decode(json.detect_encoding(text), "surrogatepass")
        if nesting(text) > max_depth:
            raise InvalidInput({"body": f"nests deeper than {max_depth} levels"})
        return json.loads(text)
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise InvalidInput({"body": f"is not valid JSON ({exc})"}) from exc
