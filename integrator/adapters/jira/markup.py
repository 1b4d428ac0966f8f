"""Jira's text languages: user text as literal wiki markup (and back), traces in `{noformat}`, quoted JQL."""

from __future__ import annotations

import re
from collections.abc import Collection

_SPECIAL = re.compile(r"[\\&*_\-+^~?{}\[\]|!#()]|:(?=[PD])")
_BLOCK_START = re.compile(r"^([ \t]*)(h[1-6]|bq)\.", re.MULTILINE)
_NOFORMAT = re.compile(r"\{(?=noformat)", re.IGNORECASE)
_ESCAPED = re.compile(r"\\([\\&*_\-+^~?{}\[\]|!#()])")
_ENTITY = re.compile(r"&(amp|#\d+);")


def escape_wiki(value: str) -> str:
    """`value` as literal text in Jira wiki markup: no formatting, links, macros, tables or headings.

    Markup characters get a backslash; a backslash itself becomes `&#92;` (two backslashes would
    be a line break), `&` becomes `&amp;`, the colon of the `:P` and `:D` emoticons `&#58;`, and
    `h1.` or `bq.` opening a line loses its meaning.
    """
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    escaped = _SPECIAL.sub(_escape_char, value)
    return _BLOCK_START.sub(lambda m: f"{m[1]}&#{ord(m[2][0])};{m[2][1:]}.", escaped)


def _escape_char(match: re.Match[str]) -> str:
    char = match[0]
    return {"\\": "&#92;", "&": "&amp;", ":": "&#58;"}.get(char, "\\" + char)


def unescape_wiki(markup: str) -> str:
    """The plain text of escaped wiki markup (the inverse of `escape_wiki`), line endings as `\\n`, trimmed.

    Used to compare a comment Jira shows with the text we sent: Jira Cloud keeps comments in its
    own format and renders them back to wiki markup, not always with the same escapes.
    """
    markup = markup.replace("\r\n", "\n").replace("\r", "\n")
    plain = _ESCAPED.sub(r"\1", markup)
    plain = _ENTITY.sub(lambda m: "&" if m[1] == "amp" else chr(int(m[1][1:])), plain)
    return plain.strip()


def noformat(value: str) -> str:
    """`value` in a `{noformat}` block; a `{noformat}` in it gets a zero-width space, so cannot close it."""
    return "{noformat}\n" + _NOFORMAT.sub("{\u200b", value.rstrip("\n")) + "\n{noformat}"


def jql_string(value: str) -> str:
    """`value` as a quoted JQL string."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def keys_jql(keys: Collection[str]) -> str:
    """`key in ("ING-1", ...)`: every key quoted, so no key can change the query."""
    return f"key in ({', '.join(jql_string(key) for key in keys)})"
