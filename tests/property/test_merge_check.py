"""The merge's grammar check (bd.core.mergecheck) accepts only lines the merge's parsing check
accepts: a line it lets through unparsed must be one bd could load.  And it accepts the lines
bd writes, or the fast way would never be taken."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bd.core import codec, mergecheck, model
from tests.property.test_merge_props import records

SETTINGS = settings(max_examples=int(os.environ.get("BD_PROP_EXAMPLES", "1000")), deadline=None)


def parses_ok(line: bytes) -> bool:
    """The merge's check of an id-first line (bd.core.mergeinput, the general way)."""
    rid = codec.fast_id(line)
    if rid is None:
        return False
    try:
        got = json.loads(line)
    except (ValueError, RecursionError):
        return False
    return isinstance(got, dict) and got.get("id") == rid and model.type_problem(got) is None


def grammar_ok(line: bytes) -> bool:
    data = line + b"\n"
    return mergecheck.lines_ok(data, 0, len(data), data.isascii())


KNOWN = sorted(model._STR | model._INT | model._BOOL | model._LISTS)
KEYS = st.sampled_from([*KNOWN, "id", "_type", "x_custom", "titleX", "titl\\u0065", "", "ü"])
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2 ** 65), 2 ** 65),
    st.sampled_from([0.5, -0.0, 1e300, 12345678901234567890, 2 ** 63, 2 ** 63 - 1, -(2 ** 63)]),
    st.text(max_size=5), st.sampled_from(["\ud800", "a\"b", "\\", "\x00", "ü", "\u2028"]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3),
    st.dictionaries(KEYS, inner, max_size=3)), max_leaves=6)


@st.composite
def objects(draw: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {"id": draw(st.sampled_from(["t-a", "t-ü", "t a", "", "t\"a"]))}
    for _ in range(draw(st.integers(0, 5))):
        key = draw(KEYS)
        if key in ("dependencies", "comments") and draw(st.booleans()):
            sub = st.sampled_from([*model.DEPENDENCY_FIELDS, *model.COMMENT_FIELDS, "x"])
            rec[key] = draw(st.lists(st.dictionaries(sub, SCALARS, max_size=3), max_size=2))
        elif key == "labels" and draw(st.booleans()):
            rec[key] = draw(st.lists(st.text(max_size=3), max_size=3))
        else:
            rec[key] = draw(VALUES)
    return rec


def dumps(rec: dict[str, Any], ascii: bool) -> bytes:
    return json.dumps(rec, ensure_ascii=ascii, separators=(",", ":")).encode("utf-8",
                                                                            "surrogatepass")


MUTATIONS = [b"", b" ", b",", b"\"", b"\\", b"\x00", b"\xff", b"\xed\xa0\x80", b"}", b"{",
             b"[", b"]", b":", b"0", b"-", b".", b"e", b"\\u", b"\\ud800", b'"id":"x",',
             b"null", b"true", b"NaN", b"1e400", b"\n"]


@SETTINGS
@given(objects(), st.booleans(), st.lists(st.tuples(st.integers(0, 400),
                                                     st.sampled_from(MUTATIONS),
                                                     st.integers(0, 2)), max_size=2))
@example({"id": "t-a", "priority": 2 ** 63}, True, [])
@example({"id": "t-a", "comments": [{"id": 1.5}]}, True, [])
@example({"id": "t-a", "labels": ["x"]}, True, [(19, b",", 0)])
def test_what_the_grammar_accepts_the_parsing_check_accepts(
        rec: dict[str, Any], ascii: bool, edits: list[tuple[int, bytes, int]]) -> None:
    try:
        line = dumps(rec, ascii)
    except (ValueError, UnicodeEncodeError):
        return
    for at, what, drop in edits:
        at %= len(line) + 1
        line = line[:at] + what + line[at + drop:]
    if b"\n" in line:
        return
    if grammar_ok(line):
        assert parses_ok(line), line


@SETTINGS
@given(st.sampled_from(["t-a", "t-ü", "bd-x.1"]).flatmap(records))
def test_the_lines_bd_writes_are_in_the_grammar(rec: dict[str, Any]) -> None:
    if isinstance(rec.get("x_custom"), list):
        return  # a nested value under a field bd does not know: checked by parsing
    assert grammar_ok(model.to_line(rec)[:-1])


@pytest.mark.parametrize("line, ok", [
    (b'{"id":"t-a"}', True),
    (b'{"id":"t-a","title":"x","priority":0,"labels":[],"x":1e5,"pinned":false}', True),
    (b'{"id":"t-a","dependencies":[{"depends_on_id":"t-b","type":"blocks","x":1}]}', True),
    (b'{"id":"t-a","comments":[{"id":5,"text":"t"},{"id":"c1","author":null}]}', True),
    (b'{"id":"t-a","title":"\\ud800 \\u00e9 \\" \\\\ \\/"}', True),
    (b'{"id":"t-a","labels":["x",]}', False),
    (b'{"id":"t-a","labels":[,"x"]}', False),
    (b'{"id":"t-a","labels":[null]}', False),
    (b'{"id":"t-a","dependencies":[{},]}', False),
    (b'{"id":"t-a","dependencies":[{"type":5}]}', False),
    (b'{"id":"t-a","priority":1.5}', False),
    (b'{"id":"t-a","priority":1234567890123456789}', False),
    (b'{"id":"t-a","id":"t-a"}', False),
    (b'{"id":"t-a","titl\\u0065":5}', False),
    (b'{"id":"t-a","title":5}', False),
    (b'{"id":"t-a","x":[1]}', False),
    (b'{"id":"t-a","x":NaN}', False),
    (b'{"id":"t-a","x":01}', False),
    (b'{"id":"t-a", "x":1}', False),
    (b'{"id":"t-a","x":"\xff"}', False),
    (b'{"id":"t-a","x":"\t"}', False),
    (b'{"id":"t\\u0061"}', False),
    (b'{"id":""}', False),
])
def test_lines_in_and_out_of_the_grammar(line: bytes, ok: bool) -> None:
    assert grammar_ok(line) is ok
    if ok:
        assert parses_ok(line)


def test_a_run_of_lines_is_checked_whole() -> None:
    good = b'{"id":"t-a","title":"x"}\n'
    bad = b'{"id":"t-b","title":5}\n'
    data = good * 3 + bad + good
    assert mergecheck.lines_ok(data, 0, 3 * len(good), True)
    assert not mergecheck.lines_ok(data, 0, len(data), True)
    assert not mergecheck.lines_ok(data, 0, len(good) - 1, True)  # not whole lines
