"""The filter and order-by parser: valid syntax, typed values, exact error positions, and a
render -> parse round trip over random trees."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opsloop.core.clock import parse_instant_ms
from opsloop.errors import QuerySyntaxError
from opsloop.tracking.query import (
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
    parse_filter,
    parse_order_by,
    render_filter,
    render_order_key,
)

AUC = Field("metric", "auc", "last")
LR = Field("param", "lr")
MODEL = Field("param", "model")
TEAM = Field("tag", "team")
STATUS = Field("attribute", "status")
NAME = Field("attribute", "name")


def c(field: Field, op: str, value: str | int | float) -> Comparison:
    return Comparison(field, op, value)  # type: ignore[arg-type]


# --- valid filters --------------------------------------------------------------------------------
@pytest.mark.parametrize("text", [None, "", "   ", "\n\t"])
def test_blank_filter_is_none(text: str | None) -> None:
    assert parse_filter(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("metrics.auc > 0.9", c(AUC, ">", 0.9)),
        ("metric.auc>=1", c(AUC, ">=", 1.0)),
        ("metrics.auc < -1e-3", c(AUC, "<", -0.001)),
        ("metrics.auc <= .5", c(AUC, "<=", 0.5)),
        ("metrics.auc = '0.5'", c(AUC, "=", 0.5)),
        ("metrics.auc == 2", c(AUC, "=", 2.0)),
        ("metrics.auc != 2", c(AUC, "!=", 2.0)),
        ("metrics.auc <> 2", c(AUC, "!=", 2.0)),
        ("metrics.auc.min < 1", c(Field("metric", "auc", "min"), "<", 1.0)),
        ("metrics.auc.MAX < 1", c(Field("metric", "auc", "max"), "<", 1.0)),
        ("metrics.auc.last < 1", c(AUC, "<", 1.0)),
        ("metrics.`val loss` < 1", c(Field("metric", "val loss", "last"), "<", 1.0)),
        ('metrics."val loss" < 1', c(Field("metric", "val loss", "last"), "<", 1.0)),
        ("metrics.`train.loss`.max < 1", c(Field("metric", "train.loss", "max"), "<", 1.0)),
        ("metrics.`a``b` < 1", c(Field("metric", "a`b", "last"), "<", 1.0)),
        ("metrics.eval/f1-score:v2 < 1", c(Field("metric", "eval/f1-score:v2", "last"), "<", 1.0)),
        ("metrics.min < 1", c(Field("metric", "min", "last"), "<", 1.0)),
        ("metrics.2nd < 1", c(Field("metric", "2nd", "last"), "<", 1.0)),
        ("params.lr > 0.01", c(LR, ">", 0.01)),
        ("param.lr = '0.01'", c(LR, "=", "0.01")),
        ("params.`model.depth` = 3", c(Field("param", "model.depth"), "=", 3.0)),
        ("params.model = 'rf'", c(MODEL, "=", "rf")),
        ('params.model = "rf"', c(MODEL, "=", "rf")),
        ("tags.team = 'ml'", c(TEAM, "=", "ml")),
        ("tag.team LIKE 'ml%'", c(TEAM, "LIKE", "ml%")),
        ("tags.team like 'ml%'", c(TEAM, "LIKE", "ml%")),
        ("tags.team ILIKE 'ML%'", c(TEAM, "ILIKE", "ML%")),
        ("tags.team NOT LIKE 'ml%'", c(TEAM, "NOT LIKE", "ml%")),
        ("tags.team not ilike 'ml%'", c(TEAM, "NOT ILIKE", "ml%")),
        ("status = 'finished'", c(STATUS, "=", "FINISHED")),
        ("attributes.status = 'Failed'", c(STATUS, "=", "FAILED")),
        ("attr.status != 'RUNNING'", c(STATUS, "!=", "RUNNING")),
        ("run.status = 'killed'", c(STATUS, "=", "KILLED")),
        ("name = 'x'", c(NAME, "=", "x")),
        ("run_name = 'x'", c(NAME, "=", "x")),
        ("attributes.run_name = 'x'", c(NAME, "=", "x")),
        ("id = 'abc'", c(Field("attribute", "run_id"), "=", "abc")),
        ("run_id = 'abc'", c(Field("attribute", "run_id"), "=", "abc")),
        ("experiment = 'exp'", c(Field("attribute", "experiment"), "=", "exp")),
        ("experiment_id = '1'", c(Field("attribute", "experiment_id"), "=", "1")),
        ("user = 'bob'", c(Field("attribute", "user"), "=", "bob")),
        ("git_commit = 'abc'", c(Field("attribute", "git_commit"), "=", "abc")),
        ("source LIKE '%.py'", c(Field("attribute", "source"), "LIKE", "%.py")),
        ("parent_run_id = 'p'", c(Field("attribute", "parent_run_id"), "=", "p")),
        ("lifecycle_stage = 'ACTIVE'", c(Field("attribute", "lifecycle_stage"), "=", "active")),
        ("lifecycle_stage = 'deleted'", c(Field("attribute", "lifecycle_stage"), "=", "archived")),
        ("start_time > 1700000000000", c(Field("attribute", "start_time"), ">", 1_700_000_000_000)),
        ("start_time > 1.7e12", c(Field("attribute", "start_time"), ">", 1_700_000_000_000)),
        (
            "start_time > '2026-01-01'",
            c(Field("attribute", "start_time"), ">", parse_instant_ms("2026-01-01")),
        ),
        ("end_time <= '2026-01-01T10:00:00Z'", c(Field("attribute", "end_time"), "<=", 1767261600000)),
        ("duration > '90s'", c(Field("attribute", "duration"), ">", 90_000)),
        ("duration < '2h'", c(Field("attribute", "duration"), "<", 7_200_000)),
        ("duration < 500", c(Field("attribute", "duration"), "<", 500)),
        ("duration < 0.5", c(Field("attribute", "duration"), "<", 0.5)),
        ("name = 'it''s'", c(NAME, "=", "it's")),
        ("name = 'it\\'s'", c(NAME, "=", "it's")),
        ('name = "say ""hi"""', c(NAME, "=", 'say "hi"')),
        ("name = 'a\\\\b'", c(NAME, "=", "a\\b")),
        ("name = 'tab\\there'", c(NAME, "=", "tab\there")),
        ("name LIKE '50\\%'", c(NAME, "LIKE", "50\\%")),
        ("name = 'ünï cödé'", c(NAME, "=", "ünï cödé")),
        ("metrics.auc IS NULL", NullCheck(AUC)),
        ("metrics.auc is not null", NullCheck(AUC, negated=True)),
        ("end_time IS NULL", NullCheck(Field("attribute", "end_time"))),
        ("params.lr IN (1, 2.5)", InList(LR, (1.0, 2.5))),
        ("params.lr IN (1, 'a')", InList(LR, ("1", "a"))),
        ("params.lr NOT IN ('a','b')", InList(LR, ("a", "b"), negated=True)),
        ("metrics.auc in (1, '2')", InList(AUC, (1.0, 2.0))),
        ("status IN ('finished', 'failed')", InList(STATUS, ("FINISHED", "FAILED"))),
        ("start_time IN ('2026-01-01', 5)", InList(Field("attribute", "start_time"), (1767225600000, 5))),
    ],
)
def test_predicates(text: str, expected: Expr) -> None:
    assert parse_filter(text) == expected


A = c(AUC, ">", 1.0)
B = c(LR, "=", "x")
C = c(STATUS, "=", "FINISHED")
D = c(NAME, "=", "d")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("metrics.auc > 1 AND params.lr = 'x'", And((A, B))),
        ("metrics.auc > 1 and params.lr = 'x' AnD status = 'finished'", And((A, B, C))),
        ("metrics.auc > 1 OR params.lr = 'x' AND status = 'finished'", Or((A, And((B, C))))),
        ("metrics.auc > 1 AND params.lr = 'x' OR status = 'finished'", Or((And((A, B)), C))),
        ("(metrics.auc > 1 OR params.lr = 'x') AND status = 'finished'", And((Or((A, B)), C))),
        ("NOT metrics.auc > 1 AND params.lr = 'x'", And((Not(A), B))),
        ("NOT (metrics.auc > 1 AND params.lr = 'x')", Not(And((A, B)))),
        ("not not metrics.auc > 1", Not(Not(A))),
        ("((metrics.auc > 1))", A),
        ("metrics.auc > 1 AND (params.lr = 'x' AND status = 'finished')", And((A, And((B, C))))),
        (
            "metrics.auc > 1 or params.lr = 'x' or (status = 'finished' and not name = 'd')",
            Or((A, B, And((C, Not(D))))),
        ),
        ("metrics.auc>1AND(params.lr='x')", None),  # '1AND' is not a number
    ],
)
def test_boolean_structure(text: str, expected: Expr | None) -> None:
    if expected is None:
        with pytest.raises(QuerySyntaxError):
            parse_filter(text)
    else:
        assert parse_filter(text) == expected


def test_comparison_positions_point_at_the_field() -> None:
    expr = parse_filter("metrics.a > 1 AND  params.b IS NULL")
    assert isinstance(expr, And)
    assert [item.position for item in expr.items] == [0, 19]  # type: ignore[union-attr]


# --- errors ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [
        ("metrics.auc >", 13, "expected a value after '>'"),
        ("metrics.auc > AND", 14, "expected a value after '>'"),
        ("metrics.auc 0.9", 12, "expected an operator after 'metrics.auc'"),
        ("metrics.auc", 11, "expected an operator"),
        ("statuss = 'x'", 0, "unknown attribute 'statuss' (did you mean 'status'?)"),
        ("attributes.statuss = 'x'", 11, "did you mean 'status'?"),
        ("metricz.auc = 1", 0, "unknown identifier prefix 'metricz' (did you mean 'metrics'?)"),
        ("foo.auc = 1", 0, "unknown identifier prefix 'foo'"),
        ("metrics = 1", 0, "expected '.' and a key after 'metrics'"),
        ("metrics. = 1", 8, "expected a key after 'metrics.'"),
        ("metrics.auc.mean > 1", 12, "unknown metric aggregate 'mean'"),
        ("metrics.a.min.max > 1", 14, "unknown metric aggregate 'max'"),
        ("params.model.depth = 1", 12, "params.`model.depth`"),
        ("attributes.status.x = 1", 17, "no sub-fields"),
        ("metrics.`` = 1", 8, "empty key"),
        ("metrics.`abc = 1", 8, "unterminated `-quoted key"),
        ("`val loss` = 1", 0, "needs a prefix"),
        ("name = 'abc", 7, "unterminated string"),
        ('name = "abc', 7, "unterminated string"),
        ("name = 'abc\\'", 7, "unterminated string"),
        ("(name = 'a'", 0, "'(' is never closed"),
        ("((name = 'a')", 0, "'(' is never closed"),
        ("name = 'a')", 10, "unexpected ')'"),
        ("(name = 'a' name = 'b')", 12, "expected AND, OR or ')'"),
        ("name = 'a' name = 'b'", 11, "expected AND, OR or the end of the filter"),
        ("name = 'a' AND", 14, "expected a condition after 'AND'"),
        ("AND name = 'a'", 0, "expected a condition"),
        ("()", 1, "expected a condition after '(', got ')'"),
        ("NOT", 3, "expected a condition after 'NOT'"),
        ("name = 'a' OR OR name = 'b'", 14, "expected a condition after 'OR'"),
        ("run_id IN ()", 10, "empty IN list"),
        ("run_id IN 'a'", 10, "expected '(' after IN"),
        ("run_id IN ('a' 'b')", 15, "expected ',' or ')' in the IN list"),
        ("run_id IN ('a',)", 15, "expected a value in the IN list"),
        ("run_id IN ('a'", 10, "'(' is never closed"),
        ("run_id NOT = 'a'", 11, "expected LIKE, ILIKE or IN after NOT"),
        ("run_id IS 'a'", 10, "expected NULL after IS"),
        ("run_id IS NOT 'a'", 14, "expected NULL after IS NOT"),
        ("run_id = NULL", 7, "IS NULL"),
        ("status = 'done'", 9, "invalid status 'done'"),
        ("status IN ('finished', 'dun')", 23, "invalid status 'dun'"),
        ("status = 1", 9, "invalid status"),
        ("lifecycle_stage = 'gone'", 18, "invalid lifecycle stage"),
        ("metrics.auc = 'high'", 14, "metrics compare as numbers; 'high' is not a number"),
        ("metrics.auc IN (1, 'x')", 19, "not a number"),
        ("metrics.auc = 'nan'", 14, "not a number"),
        ("metrics.auc LIKE '1%'", 12, "LIKE applies to text"),
        ("start_time ILIKE '1%'", 11, "ILIKE applies to text"),
        ("name LIKE 5", 10, "LIKE needs a quoted pattern"),
        ("name = 5", 7, "quote the value"),
        ("start_time > 'yesterday'", 13, "invalid date or time 'yesterday'"),
        ("duration > '5 parsecs'", 11, "invalid duration"),
        ("duration > 5m", 11, "invalid number '5m'"),
        ("start_time > 2026-01-01", 13, "quote dates"),
        ("name = 'a' # comment", 11, "unexpected character '#'"),
        ("name ! 'a'", 5, "unexpected character '!'"),
    ],
)
def test_errors_name_the_problem_and_its_position(text: str, position: int, fragment: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse_filter(text)
    error = caught.value
    assert error.position == position, error.message
    assert fragment in error.reason
    assert error.details == {"position": position, "query": text, "reason": error.reason}


# --- order by -------------------------------------------------------------------------------------
def test_order_by() -> None:
    keys = parse_order_by(
        ["metrics.auc DESC", "params.lr", "start_time asc", "name", "metrics.`val loss`.max desc"]
    )
    assert keys == [
        OrderKey(AUC, True),
        OrderKey(LR, False),
        OrderKey(Field("attribute", "start_time"), False),
        OrderKey(NAME, False),
        OrderKey(Field("metric", "val loss", "max"), True),
    ]
    assert parse_order_by(["metrics.auc DESC, run_name"]) == [OrderKey(AUC, True), OrderKey(NAME)]
    assert parse_order_by([]) == [] and parse_order_by(None) == []
    assert parse_order_by("metrics.auc DESC") == [OrderKey(AUC, True)]
    assert [render_order_key(key) for key in keys][-1] == "metrics.`val loss`.max DESC"


@pytest.mark.parametrize(
    ("item", "position", "fragment"),
    [
        ("", 0, "expected a field to order by"),
        ("metrics.auc DOWN", 12, "expected ASC, DESC"),
        ("metrics.auc DESC DESC", 17, "expected ASC, DESC"),
        ("statuss", 0, "did you mean 'status'?"),
        ("metrics.auc,", 12, "expected a field to order by"),
        ("'name'", 0, "expected a field to order by"),
    ],
)
def test_order_by_errors(item: str, position: int, fragment: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse_order_by(["name", item])
    assert caught.value.position == position
    assert fragment in caught.value.reason
    assert caught.value.details["query"] == item


# --- round trip -----------------------------------------------------------------------------------
_keys = st.one_of(
    st.sampled_from(["auc", "val loss", "a.b", "min", "x`y", "é", "a/b:c-d", "AND", "1"]),
    st.text(min_size=1, max_size=6),
)
_texts = st.text(max_size=8)
_numbers = st.floats(allow_nan=False, allow_infinity=True)
_AGGREGATES: list[Aggregate] = ["last", "min", "max"]
_aggregates = st.sampled_from(_AGGREGATES)
_attributes = st.sampled_from(
    ["run_id", "name", "user", "experiment", "experiment_id", "parent_run_id", "git_commit", "source"]
)
_statuses = st.sampled_from(["RUNNING", "FINISHED", "FAILED", "KILLED", "SCHEDULED"])
_times = st.one_of(st.integers(-(2**53), 2**53), st.floats(0.1, 1e6).filter(lambda x: not x.is_integer()))
_compare = st.sampled_from(["=", "!=", "<", "<=", ">", ">="])
_times_fields = st.sampled_from(["start_time", "end_time", "duration"])
_LIKE_OPS: list[CompareOp] = ["LIKE", "ILIKE", "NOT LIKE", "NOT ILIKE"]
_like = st.sampled_from(_LIKE_OPS)


def _predicates(
    fields: st.SearchStrategy[Field], values: st.SearchStrategy[str | int | float]
) -> st.SearchStrategy[Expr]:
    return st.one_of(
        st.builds(Comparison, fields, _compare, values),
        st.builds(InList, fields, st.lists(values, min_size=1, max_size=3).map(tuple), st.booleans()),
        st.builds(NullCheck, fields, st.booleans()),
    )


_FIELD_KINDS: list[FieldKind] = ["param", "tag"]
_keyed = st.builds(Field, st.sampled_from(_FIELD_KINDS), _keys)
_leaves = st.one_of(
    _predicates(st.builds(Field, st.just("metric"), _keys, _aggregates), _numbers),
    _predicates(_keyed, _numbers),
    _predicates(_keyed, _texts),
    _predicates(st.builds(Field, st.just("attribute"), _attributes), _texts),
    _predicates(st.just(STATUS), _statuses),
    _predicates(st.builds(Field, st.just("attribute"), _times_fields), _times),
    st.builds(Comparison, st.sampled_from([NAME, MODEL, TEAM, STATUS]), _like, _texts),
)


_exprs: st.SearchStrategy[Expr] = st.recursive(
    _leaves,
    lambda children: st.one_of(
        st.lists(children, min_size=2, max_size=3).map(lambda items: And(tuple(items))),
        st.lists(children, min_size=2, max_size=3).map(lambda items: Or(tuple(items))),
        children.map(Not),
    ),
    max_leaves=6,
)


@settings(max_examples=200, deadline=None)
@given(_exprs)
def test_render_then_parse_gives_the_same_tree(expr: Expr) -> None:
    text = render_filter(expr)
    assert parse_filter(text) == expr, text


@settings(max_examples=100, deadline=None)
@given(st.lists(st.builds(OrderKey, st.builds(Field, st.just("metric"), _keys, _aggregates), st.booleans())))
def test_order_keys_round_trip(keys: list[OrderKey]) -> None:
    assert parse_order_by([render_order_key(key) for key in keys]) == keys


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("metrics.aucpr_ ()'\"`=<>!ANDORNOTIS0123.-%\\,")), max_size=30))
def test_random_text_parses_or_raises_query_syntax_error(text: str) -> None:
    try:
        parse_filter(text)
    except QuerySyntaxError as error:
        assert 0 <= error.position <= len(text)


def test_parsed_filters_are_cached() -> None:
    # Every page of a search parses the same text again; the cache makes that free.
    text = " AND ".join(f"(metrics.m{i} > {i} OR params.`p {i}` IN ('a', 'b', {i}))" for i in range(20))
    first = parse_filter(text)
    assert first is not None
    assert parse_filter(text) is first
    assert parse_filter(text + " ") == first  # different text, same tree
