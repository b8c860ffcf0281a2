"""The tokenizer of the run-search language: one anchored regex per token class, no backtracking.

An identifier is a word optionally followed by dotted segments (`metrics.loss.max`); a segment
after a dot may be quoted with backticks or double quotes (`metrics.\"val loss\"`), so a double
quote starts a key right after a dot and a string value everywhere else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, TypeAlias

from opsloop.errors import QuerySyntaxError

TokenKind: TypeAlias = Literal["ident", "string", "number", "op", "keyword", "(", ")", ",", "end"]

KEYWORDS = frozenset({"AND", "OR", "NOT", "LIKE", "ILIKE", "IN", "IS", "NULL"})

_SPACE = re.compile(r"\s*")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_KEY = re.compile(r"[\w\-/:]+")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_GLUED = re.compile(r"[\w.:\-]*")
_OPERATOR = re.compile(r"==|!=|<>|<=|>=|=|<|>")
_SINGLE = re.compile(r"'((?:[^'\\]|\\.|'')*)'", re.DOTALL)
_DOUBLE = re.compile(r'"((?:[^"\\]|\\.|"")*)"', re.DOTALL)
_BACKTICK = re.compile(r"`((?:[^`]|``)*)`", re.DOTALL)
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_PUNCTUATION: dict[str, TokenKind] = {"(": "(", ")": ")", ",": ","}
_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "t": "\t", "r": "\r"}


@dataclass(frozen=True, slots=True)
class Part:
    """One dotted segment of an identifier."""

    text: str
    pos: int
    quoted: bool


@dataclass(frozen=True, slots=True)
class Token:
    kind: TokenKind
    value: str  # keyword in upper case, operator symbol, unescaped string, number text, raw ident text
    pos: int
    end: int
    parts: tuple[Part, ...] = ()


def unescape(body: str, quote: str) -> str:
    """Undo a string literal's escapes. Unknown escapes keep their backslash, so LIKE escapes
    such as `'50\\%'` reach the pattern as written."""
    body = body.replace(quote + quote, quote)
    if "\\" not in body:
        return body
    return _ESCAPE.sub(lambda m: _ESCAPES.get(m.group(1), m.group(0)), body)


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = _skip_space(text, 0)
    length = len(text)
    while pos < length:
        char = text[pos]
        if char in _PUNCTUATION:
            token = Token(_PUNCTUATION[char], char, pos, pos + 1)
        elif char == "'" or char == '"':
            token = _string(text, pos)
        elif (match := _NUMBER.match(text, pos)) is not None:
            token = _number(text, match)
        elif (match := _WORD.match(text, pos)) is not None:
            token = _word(text, match)
        elif (match := _OPERATOR.match(text, pos)) is not None:
            symbol = match.group()
            token = Token("op", {"==": "=", "<>": "!="}.get(symbol, symbol), pos, match.end())
        elif char == "`":
            raise QuerySyntaxError(
                "a backtick-quoted key needs a prefix, e.g. metrics.`val loss`", query=text, position=pos
            )
        else:
            raise QuerySyntaxError(f"unexpected character {char!r}", query=text, position=pos)
        tokens.append(token)
        pos = _skip_space(text, token.end)
    tokens.append(Token("end", "", length, length))
    return tokens


def _skip_space(text: str, pos: int) -> int:
    match = _SPACE.match(text, pos)
    return pos if match is None else match.end()


def _string(text: str, pos: int) -> Token:
    quote = text[pos]
    match = (_SINGLE if quote == "'" else _DOUBLE).match(text, pos)
    if match is None:
        raise QuerySyntaxError("unterminated string", query=text, position=pos)
    return Token("string", unescape(match.group(1), quote), pos, match.end())


def _number(text: str, match: re.Match[str]) -> Token:
    end = match.end()
    if end < len(text) and (text[end].isalnum() or text[end] in "._:-"):
        glued_match = _GLUED.match(text, match.start())
        glued = match.group() if glued_match is None else glued_match.group()
        raise QuerySyntaxError(
            f"invalid number {glued!r} (quote dates and durations: '{glued}')",
            query=text,
            position=match.start(),
        )
    return Token("number", match.group(), match.start(), end)


def _word(text: str, match: re.Match[str]) -> Token:
    start, end = match.span()
    word = match.group()
    if end >= len(text) or text[end] != ".":
        upper = word.upper()
        if upper in KEYWORDS:
            return Token("keyword", upper, start, end)
        return Token("ident", word, start, end, (Part(word, start, False),))
    parts = [Part(word, start, False)]
    while end < len(text) and text[end] == ".":
        part, end = _segment(text, end + 1, start)
        parts.append(part)
    return Token("ident", text[start:end], start, end, tuple(parts))


def _segment(text: str, pos: int, start: int) -> tuple[Part, int]:
    char = text[pos] if pos < len(text) else ""
    if char == "`" or char == '"':
        match = (_BACKTICK if char == "`" else _DOUBLE).match(text, pos)
        if match is None:
            raise QuerySyntaxError(f"unterminated {char}-quoted key", query=text, position=pos)
        key = match.group(1).replace("``", "`") if char == "`" else unescape(match.group(1), '"')
        return Part(key, pos, True), match.end()
    match = _KEY.match(text, pos)
    if match is None:
        raise QuerySyntaxError(
            f"expected a key after '{text[start:pos]}' (quote keys with other characters "
            "in backticks, e.g. metrics.`val loss`)",
            query=text,
            position=pos,
        )
    return Part(match.group(), pos, False), match.end()
