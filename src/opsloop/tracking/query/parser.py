"""Recursive-descent parser of run-search filters and order-by keys.

Grammar (keywords case-insensitive; NOT binds tighter than AND, AND tighter than OR):

    filter    := or_expr
    or_expr   := and_expr ("OR" and_expr)*
    and_expr  := not_expr ("AND" not_expr)*
    not_expr  := "NOT" not_expr | "(" or_expr ")" | predicate
    predicate := field ( CMP value | ["NOT"] ("LIKE" | "ILIKE") string
                       | ["NOT"] "IN" "(" value ("," value)* ")" | "IS" ["NOT"] "NULL" )
    order_key := field ["ASC" | "DESC"]

Values are checked and typed for their field here (see `ast`), so every mistake is reported
with the position of the token that causes it. Results are cached: the same filter text comes
back on every page of a search.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from functools import lru_cache
from typing import NoReturn, cast

from opsloop.errors import QuerySyntaxError
from opsloop.tracking.query.ast import (
    Aggregate,
    And,
    CompareOp,
    Comparison,
    Expr,
    Field,
    FieldKind,
    InList,
    Not,
    NullCheck,
    Or,
    OrderKey,
)
from opsloop.tracking.query.attributes import ATTRIBUTES, attribute_names, canonical_attribute
from opsloop.tracking.query.lexer import Part, Token, tokenize
from opsloop.tracking.query.values import coerce_list, coerce_value

PREFIXES: dict[str, FieldKind] = {
    "metrics": "metric",
    "metric": "metric",
    "params": "param",
    "param": "param",
    "tags": "tag",
    "tag": "tag",
    "attributes": "attribute",
    "attribute": "attribute",
    "attr": "attribute",
    "run": "attribute",
}
_AGGREGATES: dict[str, Aggregate] = {"last": "last", "min": "min", "max": "max"}
_SUGGESTIBLE_PREFIXES = ("metrics", "params", "tags", "attributes")


def parse_filter(text: str | None) -> Expr | None:
    """The syntax tree of a filter; None when the filter is None or blank.

    Raises QuerySyntaxError with the 0-based position of the offending token.
    """
    if text is None or not text.strip():
        return None
    return _parse_filter_cached(text)


def parse_order_by(items: Sequence[str] | None) -> list[OrderKey]:
    """Order keys such as `metrics.auc DESC` or `name` (ascending by default). An item may
    also hold several keys separated by commas."""
    if not items:
        return []
    if isinstance(items, str):  # one key given as a bare string, not a list of them
        items = [items]
    return list(_parse_order_cached(tuple(items)))


@lru_cache(maxsize=1024)
def _parse_filter_cached(text: str) -> Expr:
    parser = _Parser(text)
    expr = parser.or_expr()
    parser.expect_end("AND, OR or the end of the filter")
    return expr


@lru_cache(maxsize=256)
def _parse_order_cached(items: tuple[str, ...]) -> tuple[OrderKey, ...]:
    keys: list[OrderKey] = []
    for item in items:
        parser = _Parser(item)
        while True:
            keys.append(parser.order_key())
            if parser.peek().kind != ",":
                break
            parser.index += 1
        parser.expect_end("ASC, DESC, ',' or the end of the order-by key")
    return tuple(keys)


class _Parser:
    __slots__ = ("index", "text", "tokens")

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0

    # --- helpers -------------------------------------------------------------------------------
    def peek(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def at_keyword(self, word: str) -> bool:
        token = self.tokens[self.index]
        return token.kind == "keyword" and token.value == word

    def fail(self, message: str, position: int) -> NoReturn:
        raise QuerySyntaxError(message, query=self.text, position=position)

    def describe(self, token: Token) -> str:
        return "the end" if token.kind == "end" else repr(self.text[token.pos : token.end])

    def expect_end(self, expected: str) -> None:
        token = self.peek()
        if token.kind == "end":
            return
        if token.kind == ")":
            self.fail("unbalanced parenthesis: unexpected ')'", token.pos)
        self.fail(f"expected {expected}, got {self.describe(token)}", token.pos)

    # --- boolean structure ---------------------------------------------------------------------
    def or_expr(self) -> Expr:
        items = [self.and_expr()]
        while self.at_keyword("OR"):
            self.index += 1
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self) -> Expr:
        items = [self.not_expr()]
        while self.at_keyword("AND"):
            self.index += 1
            items.append(self.not_expr())
        return items[0] if len(items) == 1 else And(tuple(items))

    def not_expr(self) -> Expr:
        token = self.advance()
        if token.kind == "keyword" and token.value == "NOT":
            return Not(self.not_expr())
        if token.kind == "(":
            inner = self.or_expr()
            closing = self.peek()
            if closing.kind == "end":
                self.fail("unbalanced parenthesis: '(' is never closed", token.pos)
            if closing.kind != ")":
                self.fail(f"expected AND, OR or ')', got {self.describe(closing)}", closing.pos)
            self.index += 1
            return inner
        if token.kind == "ident":
            return self.predicate(token)
        previous = self.tokens[self.index - 2] if self.index >= 2 else None
        after = f" after {self.describe(previous)}" if previous is not None else ""
        if token.kind == "end":
            self.fail(f"expected a condition{after}", token.pos)
        if token.kind == ")":
            self.fail(f"expected a condition{after}, got ')'", token.pos)
        self.fail(f"expected a condition{after}, got {self.describe(token)}", token.pos)

    # --- predicates ----------------------------------------------------------------------------
    def predicate(self, ident: Token) -> Expr:
        field = self.field(ident)
        token = self.advance()
        if token.kind == "op":
            op = cast(CompareOp, token.value)
            return Comparison(field, op, self.value(field, op, token), ident.pos)
        if token.kind == "keyword":
            negated = token.value == "NOT"
            keyword = self.advance() if negated else token
            if keyword.kind == "keyword" and keyword.value in ("LIKE", "ILIKE"):
                op = cast(CompareOp, f"NOT {keyword.value}" if negated else keyword.value)
                return Comparison(field, op, self.value(field, op, keyword), ident.pos)
            if keyword.kind == "keyword" and keyword.value == "IN":
                return InList(field, self.in_values(field, keyword), negated, ident.pos)
            if negated:
                self.fail(f"expected LIKE, ILIKE or IN after NOT, got {self.describe(keyword)}", keyword.pos)
            if token.value == "IS":
                is_not = self.at_keyword("NOT")
                if is_not:
                    self.index += 1
                if not self.at_keyword("NULL"):
                    after = "IS NOT" if is_not else "IS"
                    self.fail(
                        f"expected NULL after {after}, got {self.describe(self.peek())}", self.peek().pos
                    )
                self.index += 1
                return NullCheck(field, is_not, ident.pos)
        self.fail(f"expected an operator after {ident.value!r}, got {self.describe(token)}", token.pos)

    def value(self, field: Field, op: CompareOp, operator: Token) -> str | int | float:
        token = self.advance()
        if token.kind in ("string", "number"):
            return coerce_value(field, op, token, self.text, operator.pos)
        if token.kind == "keyword" and token.value == "NULL":
            self.fail("compare with NULL using IS NULL or IS NOT NULL", operator.pos)
        got = "" if token.kind == "end" else f", got {self.describe(token)}"
        self.fail(f"expected a value after {operator.value!r}{got}", token.pos)

    def in_values(self, field: Field, keyword: Token) -> tuple[str | int | float, ...]:
        opening = self.advance()
        if opening.kind != "(":
            self.fail(f"expected '(' after IN, got {self.describe(opening)}", opening.pos)
        if self.peek().kind == ")":
            self.fail("empty IN list", opening.pos)
        literals: list[Token] = []
        while True:
            token = self.advance()
            if token.kind not in ("string", "number"):
                got = "" if token.kind == "end" else f", got {self.describe(token)}"
                self.fail(f"expected a value in the IN list{got}", token.pos)
            literals.append(token)
            separator = self.advance()
            if separator.kind == ")":
                break
            if separator.kind == "end":
                self.fail("unbalanced parenthesis: '(' is never closed", opening.pos)
            if separator.kind != ",":
                self.fail(
                    f"expected ',' or ')' in the IN list, got {self.describe(separator)}", separator.pos
                )
        return coerce_list(field, literals, self.text, keyword.pos)

    # --- fields --------------------------------------------------------------------------------
    def order_key(self) -> OrderKey:
        token = self.advance()
        if token.kind != "ident":
            got = "" if token.kind == "end" else f", got {self.describe(token)}"
            self.fail(f"expected a field to order by{got}", token.pos)
        field = self.field(token)
        direction = self.peek()
        if direction.kind == "ident" and direction.value.upper() in ("ASC", "DESC"):
            self.index += 1
            return OrderKey(field, direction.value.upper() == "DESC")
        return OrderKey(field, False)

    def field(self, ident: Token) -> Field:
        parts = ident.parts
        head = parts[0]
        if len(parts) == 1:
            return Field("attribute", self.attribute(head))
        kind = PREFIXES.get(head.text.lower())
        if kind is None:
            hint = _suggest(head.text.lower(), _SUGGESTIBLE_PREFIXES)
            hint = hint or " (use metrics., params., tags. or attributes.)"
            self.fail(f"unknown identifier prefix {head.text!r}{hint}", head.pos)
        key = parts[1]
        if kind == "attribute":
            if len(parts) > 2:
                self.fail("attributes have no sub-fields", parts[2].pos - 1)
            return Field("attribute", self.attribute(key))
        if not key.text:
            self.fail("empty key", key.pos)
        if kind != "metric":
            if len(parts) > 2:
                dotted = ".".join(part.text for part in parts[1:])
                self.fail(
                    f"quote keys containing dots in backticks: {head.text}.`{dotted}`", parts[2].pos - 1
                )
            return Field(kind, key.text)
        if len(parts) == 2:
            return Field("metric", key.text, "last")
        aggregate = _AGGREGATES.get(parts[2].text.lower()) if not parts[2].quoted else None
        if aggregate is None or len(parts) > 3:
            bad = parts[2] if aggregate is None else parts[3]
            dotted = ".".join(part.text for part in parts[1:])
            self.fail(
                f"unknown metric aggregate {bad.text!r} (use .min or .max; quote keys containing dots "
                f"in backticks: {head.text}.`{dotted}`)",
                bad.pos,
            )
        return Field("metric", key.text, aggregate)

    def attribute(self, part: Part) -> str:
        name = canonical_attribute(part.text)
        if name is not None:
            return name
        lowered = part.text.lower()
        if lowered in PREFIXES and not part.quoted:
            self.fail(f"expected '.' and a key after {part.text!r}, e.g. {lowered}.`my key`", part.pos)
        hint = _suggest(lowered, attribute_names()) or f" (attributes: {', '.join(ATTRIBUTES)})"
        self.fail(f"unknown attribute {part.text!r}{hint}", part.pos)


def _suggest(word: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
