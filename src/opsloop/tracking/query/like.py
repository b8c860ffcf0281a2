"""LIKE patterns: `%` matches any run of characters, `_` one character, and a backslash makes
the next character literal (a trailing backslash is itself literal).

Each pattern is split once into pieces and rendered for every backend (a regex for the Python
evaluator, a canonical LIKE pattern, a GLOB pattern for SQLite's case-sensitive match), so all
of them agree on what matches, including the odd corners.
"""

from __future__ import annotations

import enum
import re
from functools import lru_cache
from typing import TypeAlias


class Wildcard(enum.Enum):
    ANY = "%"
    ONE = "_"


ANY = Wildcard.ANY
ONE = Wildcard.ONE
Piece: TypeAlias = str | Wildcard


@lru_cache(maxsize=512)
def split_pattern(pattern: str) -> tuple[Piece, ...]:
    pieces: list[Piece] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            pieces.append(pattern[index + 1])
            index += 2
            continue
        if char == "%":
            if not pieces or pieces[-1] is not ANY:  # '%%' is the same as '%'
                pieces.append(ANY)
        elif char == "_":
            pieces.append(ONE)
        else:
            pieces.append(char)
        index += 1
    return tuple(pieces)


@lru_cache(maxsize=512)
def like_regex(pattern: str, case_insensitive: bool) -> re.Pattern[str]:
    """A regex for `fullmatch`. Case folding is ASCII-only, as SQLite's LIKE and lower() do."""
    parts = [
        re.escape(piece) if isinstance(piece, str) else ".*" if piece is ANY else "."
        for piece in split_pattern(pattern)
    ]
    flags = re.DOTALL | (re.IGNORECASE | re.ASCII if case_insensitive else 0)
    return re.compile("".join(parts), flags)


def canonical_like(pattern: str) -> str:
    """The pattern for `LIKE ... ESCAPE '\\'`, with every literal wildcard or backslash escaped."""
    out: list[str] = []
    for piece in split_pattern(pattern):
        if isinstance(piece, str):
            out.append("\\" + piece if piece in "%_\\" else piece)
        else:
            out.append(piece.value)
    return "".join(out)


def glob_pattern(pattern: str) -> str:
    """The same pattern for SQLite's GLOB, which is case-sensitive and has no escape character
    (a bracket expression makes `*`, `?` and `[` literal)."""
    out: list[str] = []
    for piece in split_pattern(pattern):
        if isinstance(piece, str):
            out.append(f"[{piece}]" if piece in "*?[" else piece)
        else:
            out.append("*" if piece is ANY else "?")
    return "".join(out)
