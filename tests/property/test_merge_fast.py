"""The merge's way for plain inputs (bd.core.mergefast) must give what the general way gives,
byte for byte, with the same notes and the same errors; and it must be the way taken when
the inputs are plain (sorted lines with the id first), which is what makes the merge driver
fast on large files."""

from __future__ import annotations

import json
import os
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bd.core import merge, mergefast, model
from bd.errors import DataError
from tests.property.test_merge_props import NOW, TIMES, dump, records, variant

# "t-a!" and "t-a b" sort before "t-a" by their line's bytes ('{"id":"t-a!"' < '{"id":"t-a"')
# but after it as strings: a file sorted by id is then not sorted by line.
IDS = [f"t-{c}" for c in "abcdefgh"] + ["t-a.1", "t-a.2", "t-a!", "t-ü"]
SETTINGS = settings(max_examples=int(os.environ.get("BD_PROP_EXAMPLES", "300")), deadline=None)


def outcome(b: bytes, lf: bytes, r: bytes, fast: bool, **kw: Any) -> Any:
    try:
        res = merge.merge_bytes(b, lf, r, now_ns=NOW, fast=fast, **kw)
    except DataError as exc:
        return ("error", str(exc))
    # notes and details come in the order of a set of ids: compare them as multisets
    return (res.data, sorted(res.notes), sorted(map(json.dumps, res.details)), res.renamed,
            sorted(map(json.dumps, res.renumbered)), sorted(res.conflicts), res.merged)


def assert_same(b: bytes, lf: bytes, r: bytes, **kw: Any) -> None:
    assert outcome(b, lf, r, True, **kw) == outcome(b, lf, r, False, **kw)


def is_plain(b: bytes, lf: bytes, r: bytes) -> bool:
    base = mergefast.read_base(b)
    return base is not None and mergefast.changes(base, lf) is not None and \
        mergefast.changes(base, r) is not None


@st.composite
def base_files(draw: Any) -> dict[str, dict[str, Any]]:
    return {rid: draw(records(rid)) for rid in draw(st.sets(st.sampled_from(IDS), max_size=8))}


def by_line(recs: dict[str, dict[str, Any]]) -> bytes:
    """The records sorted by their lines' bytes (how bd and the original write them)."""
    return b"".join(sorted(model.to_line(rec) for rec in recs.values()))


@st.composite
def plain_triples(draw: Any) -> tuple[bytes, bytes, bytes]:
    base = draw(base_files())
    return by_line(base), by_line(draw(variant(base))), by_line(draw(variant(base)))


@SETTINGS
@given(plain_triples(), st.booleans())
def test_plain_inputs_take_the_fast_way_to_the_same_result(t: tuple[bytes, bytes, bytes],
                                                           strict: bool) -> None:
    b, lf, r = t
    assert is_plain(b, lf, r)
    assert_same(b, lf, r, strict=strict)
    assert_same(b, r, lf, strict=strict)
    assert_same(b, lf, lf)
    assert_same(b, b, r)


def perturb(data: bytes, how: str, n: int) -> bytes:
    lines = data.splitlines(keepends=True)
    k = n % len(lines) if lines else 0
    if how == "reversed":
        return b"".join(reversed(lines))
    if how == "blank line":
        return b"".join([*lines[:k], b"\n", *lines[k:]])
    if how == "repeated id" and lines:
        return b"".join([*lines[:k + 1], lines[k], *lines[k + 1:]])
    if how == "memory line":
        return b"".join([*lines[:k], model.other_line({"_type": "memory", "key": "k",
                                                       "value": "v"}), *lines[k:]])
    if how == "typed issue line" and lines:
        lines[k] = lines[k].replace(b'{"id":', b'{"_type":"issue","id":', 1)
    elif how == "space" and lines:
        lines[k] = lines[k].replace(b'{"id":', b'{ "id":', 1)
    elif how == "no final newline":
        return data[:-1]
    elif how == "crlf" and lines:
        lines[k] = lines[k][:-1] + b"\r\n"
    elif how == "escaped id" and lines:
        lines[k] = lines[k].replace(b'"id":"t-', b'"id":"\\u0074-', 1)
    elif how == "second id key" and lines:
        lines[k] = lines[k][:-2] + b',"id":"t-zz"}\n'
    elif how == "renumbered" and lines:  # moved off a colliding id by an earlier merge
        lines[k] = lines[k][:-2] + b',"renumbered_from":["t-b","t-c"]}\n'
    elif how == "conflict markers":
        return b"".join([*lines[:k], b"<<<<<<< ours\n", *lines[k:]])
    return b"".join(lines)


HOWS = ["reversed", "blank line", "repeated id", "memory line", "typed issue line", "space",
        "no final newline", "crlf", "escaped id", "second id key", "conflict markers",
        "renumbered"]


@SETTINGS
@given(plain_triples(), st.sampled_from(HOWS), st.integers(0, 2), st.integers(0, 50))
def test_inputs_that_are_not_plain_give_the_same_result(t: tuple[bytes, bytes, bytes],
                                                        how: str, which: int, n: int) -> None:
    files = list(t)
    files[which] = perturb(files[which], how, n)
    assert_same(*files)


BAD = [
    b'{"id":"t-q","title":"x",\n',                       # not JSON
    b'{"id":"t-q","title":"x","priority":"high"}\n',     # a field of the wrong type
    b'{"id":"t-q","labels":[1]}\n',                      # a label that is not a string
    b'{"id":"t-q","dependencies":[{"type":5}]}\n',       # a link field of the wrong type
    b'{"id":"t-q","comments":[{"id":1e3}]}\n',           # a comment id that is not an integer
    b'{"id":"t-q","priority":9223372036854775808}\n',    # out of int64
    b'{"id":"t-q","title":"\\ud800"}\n',                 # a lone surrogate
    b'{"id":"t-q","title":"\xff"}\n',                    # not UTF-8
    b'{"id":"t-q","x":NaN}\n',                           # not JSON for Go
    b'{"id":"t-q","x":' + b"[" * 120 + b"]" * 120 + b"}\n",  # nested too deeply
    b'["t-q"]\n',                                        # not an object
]


@SETTINGS
@given(plain_triples(), st.sampled_from(BAD), st.integers(0, 3), st.integers(0, 50))
def test_a_bad_line_is_the_same_error_on_either_way(t: tuple[bytes, bytes, bytes], bad: bytes,
                                                    where: int, n: int) -> None:
    """``where`` 3: the bad line is on all three inputs (identical, so never merged)."""
    files = []
    for i, data in enumerate(t):
        lines = data.splitlines(keepends=True)
        if where in (i, 3):
            k = n % (len(lines) + 1)
            lines.insert(k, bad)
        files.append(b"".join(lines))
    assert_same(*files)


def big_file(rng: random.Random, n: int) -> dict[str, dict[str, Any]]:
    recs = {}
    for k in range(n):
        rid = f"bd-{k:05d}{rng.choice('abc')}"
        recs[rid] = {"id": rid, "title": f"issue {k}", "description": "d" * rng.randint(0, 600),
                     "status": rng.choice(["open", "closed", "tombstone"]),
                     "priority": rng.randint(0, 4), "created_at": rng.choice(TIMES),
                     "updated_at": rng.choice(TIMES), "deleted_at": rng.choice(TIMES)}
    return recs


def edited(rng: random.Random, base: dict[str, dict[str, Any]], side: str
           ) -> dict[str, dict[str, Any]]:
    out = dict(base)
    for rid in rng.sample(sorted(base), min(len(base), rng.randint(0, 30))):
        action = rng.choice(["edit", "edit", "drop"])
        if action == "drop":
            del out[rid]
        else:
            out[rid] = {**base[rid], "notes": f"{side} {rng.random()}",
                        "updated_at": rng.choice(TIMES)}
    for k in range(rng.randint(0, 5)):
        rid = f"bd-{rng.randint(0, 99999):05d}{side}{k}"
        out[rid] = {"id": rid, "title": side, "created_at": rng.choice(TIMES)}
    return out


@pytest.mark.parametrize("seed", range(12))
def test_large_files_same_result(seed: int) -> None:
    """Files of many kilobytes: the runs of equal bytes between changes are found by the
    doubling and halving comparison, not in the first block."""
    rng = random.Random(seed)
    base = big_file(rng, rng.choice([1, 50, 400]))
    b = by_line(base)
    lf, r = by_line(edited(rng, base, "l")), by_line(edited(rng, base, "r"))
    assert is_plain(b, lf, r)
    assert_same(b, lf, r)
    assert_same(b, lf, b"")
    assert_same(b"", lf, r)


def test_changes_are_only_what_a_side_changed() -> None:
    recs = {f"t-{k:03d}": {"id": f"t-{k:03d}", "title": "x" * 300} for k in range(100)}
    b = dump(recs)
    side = dict(recs)
    side["t-050"] = {**recs["t-050"], "title": "changed"}
    del side["t-099"]
    side["t-0000"] = {"id": "t-0000"}
    side["t-999"] = {"id": "t-999"}
    base = mergefast.read_base(b)
    assert base is not None
    got = mergefast.changes(base, dump(side))
    assert got is not None
    assert {key: line for key, (line, _) in got.items()} == {
        b'{"id":"t-050"': model.to_line(side["t-050"])[:-1], b'{"id":"t-099"': None,
        b'{"id":"t-0000"': b'{"id":"t-0000"}', b'{"id":"t-999"': b'{"id":"t-999"}'}


def test_the_driver_writes_the_pieces_as_the_merged_file(tmp_path: Any) -> None:
    from bd.git import driver

    rng = random.Random(7)
    base = big_file(rng, 300)
    files = {"base": by_line(base), "left": by_line(edited(rng, base, "l")),
             "right": by_line(edited(rng, base, "r"))}
    for name, data in files.items():
        (tmp_path / f"{name}.jsonl").write_bytes(data)
    out = tmp_path / "left.jsonl"  # git's %A: the output replaces the left input
    res = driver.merge_files(str(out), *(str(tmp_path / f"{n}.jsonl")
                                         for n in ("base", "left", "right")), now_ns=NOW)
    assert len(res.parts) > 1  # the fast way's pieces, never joined
    want = merge.merge_bytes(files["base"], files["left"], files["right"], now_ns=NOW,
                             fast=False).data
    assert out.read_bytes() == want == res.data


def test_a_renumbered_issue_keeps_the_fast_way() -> None:
    """An issue moved off a colliding id long ago carries "renumbered_from" for good; when no
    input holds its old id there is nothing to follow, and the fast way is still taken."""
    recs = {f"t-{k:03d}": {"id": f"t-{k:03d}", "title": "x" * 50} for k in range(50)}
    recs["t-007"]["renumbered_from"] = ["t-gone"]
    base = by_line(recs)
    left = by_line({**recs, "t-010": {**recs["t-010"], "title": "left"}})
    right = by_line({**recs, "t-020": {**recs["t-020"], "title": "right"}})
    res = merge.merge_bytes(base, left, right, now_ns=NOW)
    assert len(res.parts) > 1  # the fast way's pieces
    assert_same(base, left, right)


@pytest.mark.parametrize("how", ["plain", "reversed", "repeated id", "memory line", "renumbered",
                                 "empty", "bad line"])
def test_the_driver_reads_mapped_sides_as_bytes(tmp_path: Any, how: str) -> None:
    """The driver maps the sides instead of reading them; whichever way the merge then takes
    (fast, general, an error), the outcome is the one of the same bytes."""
    from bd.git import driver

    rng = random.Random(11)
    base = big_file(rng, 120)
    files = [by_line(base), by_line(edited(rng, base, "l")), by_line(edited(rng, base, "r"))]
    if how == "empty":
        files[2] = b""
    elif how == "bad line":
        files[1] = files[1] + b'{"id":"zz","priority":"high"}\n'
    elif how != "plain":
        files[1] = perturb(files[1], how, 3)
    paths = []
    for name, data in zip(("base", "left", "right"), files, strict=True):
        (tmp_path / f"{name}.jsonl").write_bytes(data)
        paths.append(str(tmp_path / f"{name}.jsonl"))
    out = tmp_path / "out.jsonl"
    try:
        got: Any = driver.merge_files(str(out), *paths, now_ns=NOW).data
        assert out.read_bytes() == got
    except DataError as exc:
        got = ("error", str(exc))
        assert not out.exists()
    try:
        want: Any = merge.merge_bytes(*files, names=tuple(paths), now_ns=NOW, fast=False).data
    except DataError as exc:
        want = ("error", str(exc))
    assert got == want
    assert (how == "bad line") == (got[0] == "error")
