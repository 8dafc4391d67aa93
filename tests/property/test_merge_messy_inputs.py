"""Merge inputs as real repositories hold them (issue 10): ids repeated on several lines
(a line-based merge kept two versions), non-issue ``_type`` lines (memories, written by the
original's later versions) anywhere in the file, lines in any order.  The driver must exit 0,
write each id once, lose no record either side kept or added, keep every non-issue line's
bytes, and give the same answer whichever side is "ours"."""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bd.cli import main
from bd.core import merge, model
from tests.property.test_merge_props import NOW, TIMES, files, variant

MEMORY_KEYS = ["deploy", "style", "owner"]


@st.composite
def messy(draw: Any, recs: dict[str, dict[str, Any]]) -> bytes:
    """``recs`` written as a real file might be: shuffled, some ids on two lines (an older
    or newer version of the record), memory lines in between."""
    lines: list[bytes] = []
    for rid in sorted(recs):
        rec = recs[rid]
        lines.append(model.to_line(rec))
        if draw(st.integers(0, 4)) == 0:
            twin = dict(rec)
            twin["updated_at"] = draw(st.sampled_from(TIMES))
            twin["title"] = draw(st.sampled_from(["A", "B", "twin"]))
            if draw(st.booleans()):
                twin["labels"] = ["dup"]
            lines.append(model.to_line(twin))
    for key in draw(st.sets(st.sampled_from(MEMORY_KEYS), max_size=2)):
        value = draw(st.sampled_from(["v1", "v2 <&>", "ünï"]))
        lines.append(model.other_line({"_type": "memory", "key": key, "value": value}))
    if draw(st.booleans()):
        lines.append(b'{"_type":"issue","id":"t-z","title":"typed","priority":1,'
                     b'"created_at":"2025-01-01T00:00:00Z","updated_at":"2025-01-01T00:00:00Z"}\n')
    order = draw(st.permutations(range(len(lines))))
    return b"".join(lines[i] for i in order)


@st.composite
def messy_triples(draw: Any) -> tuple[bytes, bytes, bytes]:
    base = draw(files())
    return (draw(messy(base)), draw(messy(draw(variant(base)))),
            draw(messy(draw(variant(base)))))


def issue_ids(data: bytes) -> list[str]:
    out = []
    for line in data.splitlines():
        rec = json.loads(line)
        if rec.get("_type") in (None, "issue"):
            out.append(rec["id"])
    return out


def other_lines(data: bytes) -> set[bytes]:
    return {line for line in data.splitlines() if json.loads(line).get("_type") not in
            (None, "issue")}


SETTINGS = settings(max_examples=int(os.environ.get("BD_PROP_EXAMPLES", "200")),
                    deadline=None)


@SETTINGS
@given(messy_triples())
def test_messy_inputs_merge_cleanly(t: tuple[bytes, bytes, bytes]) -> None:
    b, lf, r = t
    one = merge.merge_bytes(b, lf, r, now_ns=NOW)
    assert one.data == merge.merge_bytes(b, r, lf, now_ns=NOW).data  # symmetric
    ids = issue_ids(one.data)
    assert len(ids) == len(set(ids)), "an id written twice"
    base, left, right = set(issue_ids(b)), set(issue_ids(lf)), set(issue_ids(r))
    kept = (left & right) | (left - base) | (right - base)
    assert kept <= set(ids), f"lost {sorted(kept - set(ids))}"
    # Non-issue lines: bytes unchanged, those both sides share or one side added are there.
    out_others = other_lines(one.data)
    assert out_others <= other_lines(lf) | other_lines(r)
    ob, ol, orr = other_lines(b), other_lines(lf), other_lines(r)
    assert ol & orr <= out_others  # kept by both sides
    keys = [json.loads(x)["key"] for x in ol | orr | ob]
    for x in (ol | orr) - ob:  # added on one side, its key untouched elsewhere
        if keys.count(json.loads(x)["key"]) == 1:
            assert x in out_others


@settings(max_examples=int(os.environ.get("BD_PROP_EXAMPLES", "200")) // 10, deadline=None)
@given(messy_triples())
def test_the_driver_exits_0_on_messy_inputs(t: tuple[bytes, bytes, bytes]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for name, data in zip(("base", "ours", "theirs"), t, strict=True):
            path = os.path.join(tmp, name)
            with open(path, "wb") as fh:
                fh.write(data)
            paths.append(path)
        assert main(["merge", paths[1], paths[0], paths[1], paths[2]]) == 0
        with open(paths[1], "rb") as fh:
            out = fh.read()
    ids = issue_ids(out)
    assert len(ids) == len(set(ids))
