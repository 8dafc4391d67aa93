"""The fast JSON writers of the output-bound commands against the standard library's.

``bd.core.jsonfmt.dumps_indented`` must write byte for byte what
``json.dumps(obj, ensure_ascii=False, indent=2)`` writes, and ``shapes.issue_text`` what
``encode_json(issue_json(rec), indent=2)`` writes, for any record (canonical or not): the
golden tests pin a few shapes, these pin every one hypothesis finds.
"""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bd.core import shapes
from bd.core.jsonfmt import dumps_indented, flat_dict_text, list_text
from bd.core.model import ISSUE_FIELDS, canonical, encode_json, go_escape, to_line

# Text with everything an encoder escapes or might: quotes, backslashes, control
# characters, Go's HTML escapes, the line separators, non-ASCII and astral characters,
# lone surrogates, and the separators the fast writers look for.
_TRICKY = st.sampled_from(['"', "\\", "\n", "\r", "\t", "\b", "\f", "\x00", "\x1f", "\x7f",
                           "<", ">", "&", "\u2028", "\u2029", "é", "€", "😀", "\ud800",
                           '": [', '": {', ",\n", "[", "]", "{", "}", ":", ","])
TEXT = st.one_of(st.text(max_size=12),
                 st.lists(st.one_of(_TRICKY, st.text(max_size=3)), max_size=6).map("".join))
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70),
                    st.floats(allow_nan=True, allow_infinity=True), TEXT)
JSON = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.tuples(inner, inner),
    st.dictionaries(TEXT, inner, max_size=4)), max_leaves=20)
PADS = st.sampled_from(["\n", "\n  ", "\n    "])


def reference(obj: Any, pad: str = "\n") -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2).replace("\n", pad)


@given(JSON, PADS)
@settings(max_examples=400)
@example({}, "\n")
@example([], "\n")
@example({"a": [], "b": {}, "c": [[]], "d": [{}]}, "\n")
@example({"x": float("nan"), "y": -0.0, "z": 1e300, "w": -math.inf}, "\n  ")
@example({3: "int key", None: "null key", True: "bool key", 2.5: "float key"}, "\n")
@example({"t": ("a", 1), "l": ["a", 1, None]}, "\n")
def test_dumps_indented_is_json_dumps(obj: Any, pad: str) -> None:
    assert dumps_indented(obj, pad) == reference(obj, pad)


@given(st.lists(st.one_of(TEXT, SCALARS), max_size=5), PADS)
def test_list_text_is_json_dumps(items: list[Any], pad: str) -> None:
    assert list_text(items, pad) == reference(items, pad)


@given(st.dictionaries(TEXT, SCALARS, min_size=1, max_size=6), PADS)
def test_flat_dict_text_is_json_dumps_but_the_closing_line(d: dict[str, Any], pad: str
                                                            ) -> None:
    text = flat_dict_text(d, pad)
    if text is not None:  # None is allowed: the caller takes the general writer
        assert text + pad + "}" == reference(d, pad)


def test_what_json_dumps_refuses_it_refuses_the_same_way() -> None:
    for bad in ({"a": object()}, {("t",): 1}, [1, {2}]):
        try:
            json.dumps(bad, ensure_ascii=False, indent=2)
        except TypeError as exc:
            want = str(exc)
        try:
            dumps_indented(bad)
        except TypeError as exc:
            assert str(exc) == want
        else:
            raise AssertionError(f"{bad!r} was written")
    loop: list[Any] = []
    loop.append(loop)
    try:
        dumps_indented({"a": loop})
    except ValueError as exc:
        assert "Circular" in str(exc)


# -- issue rows --------------------------------------------------------------------------

_STR_FIELDS = [f for f in ISSUE_FIELDS if f not in (
    "priority", "estimated_minutes", "compaction_level", "original_size", "labels",
    "dependencies", "comments", "ephemeral", "pinned", "is_template", "timeout",
    "bonded_from", "validations", "waiters", "creator")]
_DEP = st.fixed_dictionaries({"issue_id": st.just("t-1"), "depends_on_id": TEXT,
                              "type": st.sampled_from(["blocks", "parent-child"]),
                              "created_at": st.just("2026-01-01T00:00:00Z")})


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    rec: dict[str, Any] = {"id": draw(st.sampled_from(["t-1", "a<b>&c", "t-😀"]))}
    usual = ("title", "description", "status", "priority", "issue_type", "labels",
             "dependencies")
    # Most records have no field after labels but the relations (the shortcut's case).
    last = len(ISSUE_FIELDS) if draw(st.integers(0, 3)) == 0 else ISSUE_FIELDS.index(
        "comments") + 1
    for key in ISSUE_FIELDS[1:last]:
        if draw(st.integers(0, 3)) > (2 if key in usual else 0):
            continue
        if key in ("status", "issue_type"):
            rec[key] = draw(st.one_of(st.sampled_from(["", None, "open", "bug"]), TEXT))
        elif key in _STR_FIELDS:
            rec[key] = draw(st.one_of(TEXT, st.sampled_from(["", "open", "task"])))
        elif key == "priority":
            rec[key] = draw(st.one_of(st.integers(0, 4), st.sampled_from([None, "1", True])))
        elif key in ("estimated_minutes", "compaction_level", "original_size", "timeout"):
            rec[key] = draw(st.integers(0, 10**6))
        elif key in ("ephemeral", "pinned", "is_template"):
            rec[key] = draw(st.booleans())
        elif key == "labels":
            rec[key] = draw(st.one_of(st.none(), st.lists(TEXT, max_size=3)))
        elif key == "dependencies":
            rec[key] = draw(st.lists(_DEP, max_size=2))
        elif key == "comments":
            rec[key] = draw(st.lists(st.fixed_dictionaries({"id": st.integers(1, 9),
                                                            "text": TEXT}), max_size=2))
        else:
            rec[key] = draw(JSON)
    if draw(st.booleans()):  # the usual record: what every bd write leaves
        for key, value in (("title", "T"), ("status", "open"), ("priority", 2),
                           ("issue_type", "task")):
            rec.setdefault(key, value)
        rec = canonical(rec)
    if draw(st.integers(0, 3)) == 0:  # keys bd does not know, anywhere
        extra = draw(st.dictionaries(TEXT, JSON, max_size=2))
        items = list(rec.items())
        at = draw(st.integers(0, len(items)))
        rec = dict(items[:at] + list(extra.items()) + items[at:])
    if draw(st.integers(0, 3)) == 0:  # keys in another order
        items = list(rec.items())
        rec = dict(draw(st.permutations(items)))
    if draw(st.booleans()):  # what blocked adds
        by = draw(st.lists(TEXT, max_size=3))
        rec["blocked_by_count"] = len(by)
        rec["blocked_by"] = by
    return rec


@given(records(), PADS)
@settings(max_examples=400)
def test_issue_text_is_the_indented_issue_json(rec: dict[str, Any], pad: str) -> None:
    want = go_escape(json.dumps(shapes.issue_json(rec), ensure_ascii=False, indent=2))
    assert shapes.issue_text(rec, pad) == want.replace("\n", pad)
    assert encode_json(shapes.issue_json(rec), indent=2) == want


@given(records(), st.booleans())
@settings(max_examples=400)
def test_issue_json_shortcut_is_the_general_rule(rec: dict[str, Any], labels: bool) -> None:
    got = shapes.issue_json(rec, labels=labels)
    want = shapes._general(rec, labels)
    assert list(got.items()) == list(want.items())


@given(records())
def test_a_record_read_back_from_its_line_prints_the_same(rec: dict[str, Any]) -> None:
    try:
        line = to_line(rec)
    except ValueError:  # not representable (nested too deep, a float nan in Go): no line
        return
    back = json.loads(line)
    assert shapes.issue_text(back, "\n  ") == encode_json(
        shapes.issue_json(back), indent=2).replace("\n", "\n  ")


def test_a_streamed_array_is_what_json_prints(capsys: Any) -> None:
    """Output.json_stream writes in chunks; whatever the count, the bytes are Output.json's."""
    from bd.cli.console import Output

    rows = [{"id": f"t-{n}", "title": "a<b>", "labels": ["x"] if n % 2 else []}
            for n in range(600)]
    for count in (0, 1, 255, 256, 257, 512, 600):
        Output(json_mode=True).json(rows[:count])
        want = capsys.readouterr().out
        Output(json_mode=True).json_stream(iter(rows[:count]))
        assert capsys.readouterr().out == want
        Output(json_mode=True).json_stream(iter(rows[:count]), shapes.issue_text)
        Output(json_mode=True).json([shapes.issue_json(r) for r in rows[:count]])
        streamed, whole = capsys.readouterr().out.split("\n]\n" if count else "[]\n", 1)
        assert streamed + ("\n]\n" if count else "[]\n") == whole


# -- records read for printing (dependencies and comments left unparsed) -----------------

_NESTED_DEP = st.fixed_dictionaries({
    "issue_id": st.just("t-1"), "depends_on_id": TEXT,
    "type": st.sampled_from(["blocks", "parent-child"]),
    "metadata": st.one_of(TEXT, JSON, st.just({"comments": [1], "x": ["],\"a"]}))})


@st.composite
def stored_lines(draw: st.DrawFn) -> str:
    """Lines as bd writes them, and as other writers might: relations anywhere, keys after
    them, nested containers inside them, comments that are not a list."""
    rec = draw(records())
    for key in ("blocked_by_count", "blocked_by"):
        rec.pop(key, None)
    if draw(st.booleans()):
        rec["dependencies"] = draw(st.lists(st.one_of(_DEP, _NESTED_DEP), min_size=1,
                                            max_size=3))
    if draw(st.integers(0, 3)) == 0:
        rec["comments"] = draw(st.one_of(st.none(), st.lists(st.fixed_dictionaries(
            {"id": st.integers(1, 9), "text": TEXT}), max_size=2)))
    if draw(st.integers(0, 3)) == 0:  # a key after the relations
        rec[draw(st.sampled_from(["source_formula", "pinned", "zz_unknown", "labels"]))] = \
            draw(JSON)
    if draw(st.booleans()):
        try:
            return to_line(rec).decode("utf-8").rstrip("\n")
        except (ValueError, UnicodeError):
            pass
    items = list(rec.items())
    if draw(st.booleans()):
        items = draw(st.permutations(items))
    return json.dumps(dict(items), ensure_ascii=draw(st.booleans()),
                      separators=(",", ":"))


@given(stored_lines())
@settings(max_examples=500)
@example('{"id":"a","title":"t","status":"open","priority":1,"issue_type":"task",'
         '"dependencies":[{"issue_id":"a","depends_on_id":"b","type":"blocks"}],'
         '"comments":[{"id":1,"text":"x"}]}')
@example('{"id":"a","title":"t","dependencies":[{"x":[1],"comments":[2]}],'
         '"source_formula":"f"}')
@example('{"id":"a","title":"t","dependencies":[],"labels":["x"],"dependencies":[{}]}')
@example('{"id":"a","t":{"u":1,"dependencies":[1]},"dependencies":[]}')
@example('{"id":"a","dependencies":[{"a":"],\\"comments\\":["}],"comments":null}')
def test_a_line_read_for_printing_prints_what_the_whole_record_prints(line: str) -> None:
    from bd.store.queries import _row_record

    full = json.loads(line)
    got = _row_record(line)
    if got != full:  # the relations were left out, and nothing else
        assert set(full) - set(got) <= {"dependencies", "comments"}
        assert list(got.items()) == [(k, v) for k, v in full.items() if k in got]
    assert shapes.issue_text(got, "\n  ") == shapes.issue_text(full, "\n  ")
