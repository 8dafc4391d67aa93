"""Hypothesis properties of the merge engine: symmetry, idempotence, identity, determinism,
no live record lost, canonical sorted output."""

from __future__ import annotations

import json
import os
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bd.core import merge, model
from bd.core.timeutil import ts_key

NOW = ts_key("2025-06-01T00:00:00Z")
IDS = [f"t-{c}" for c in "abcdef"] + ["t-a.1", "t-a.2"]
TIMES = [f"2025-0{m}-0{d}T00:00:00Z" for m in (1, 2, 5) for d in (1, 2, 3)]
STATUSES = ["open", "in_progress", "blocked", "closed", "deferred", "custom_state"]

times = st.sampled_from(TIMES)
texts = st.sampled_from(["", "alpha", "beta", "gamma <&>", "ünï"])


@st.composite
def records(draw: Any, rid: str) -> dict[str, Any]:
    rec: dict[str, Any] = {"id": rid, "title": draw(st.sampled_from(["A", "B", "C"])),
                           "priority": draw(st.integers(0, 4)),
                           "created_at": draw(times), "updated_at": draw(times)}
    if draw(st.booleans()):
        rec["description"] = draw(texts)
    if draw(st.booleans()):
        rec["notes"] = draw(texts)
    status = draw(st.sampled_from(STATUSES + ["tombstone"]))
    rec["status"] = status
    if status == "closed":
        rec["closed_at"] = draw(times)
        rec["close_reason"] = draw(texts)
    if status == "tombstone":
        rec["deleted_at"] = draw(times)
        rec["deleted_by"] = draw(st.sampled_from(["a", "b"]))
    if draw(st.booleans()):
        rec["labels"] = sorted(draw(st.sets(st.sampled_from(["x", "y", "z"]), max_size=3)))
    if draw(st.booleans()):
        targets = draw(st.sets(st.sampled_from(IDS), max_size=3))
        rec["dependencies"] = [{"issue_id": rid, "depends_on_id": t,
                                "type": draw(st.sampled_from(["blocks", "related"])),
                                "created_at": draw(times)} for t in sorted(targets)]
    if draw(st.booleans()):
        rec["comments"] = [{"id": i, "issue_id": rid, "author": "a", "text": draw(texts),
                            "created_at": draw(times)} for i in range(draw(st.integers(0, 2)))]
    if draw(st.booleans()):
        rec["x_custom"] = draw(st.one_of(st.integers(0, 3), texts, st.lists(st.integers(0, 2))))
    return rec


@st.composite
def files(draw: Any) -> dict[str, dict[str, Any]]:
    ids = draw(st.sets(st.sampled_from(IDS), max_size=6))
    return {rid: draw(records(rid)) for rid in ids}


@st.composite
def variant(draw: Any, base: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """A side: each base record kept, edited, replaced or removed; some records added."""
    out: dict[str, dict[str, Any]] = {}
    for rid, rec in base.items():
        action = draw(st.sampled_from(["keep", "keep", "edit", "replace", "drop"]))
        if action == "keep":
            out[rid] = rec
        elif action == "edit":
            edited = dict(rec)
            field = draw(st.sampled_from(["title", "priority", "notes", "labels", "status"]))
            if field == "priority":
                edited["priority"] = draw(st.integers(0, 4))
            elif field == "labels":
                edited["labels"] = sorted(draw(st.sets(st.sampled_from(["x", "y", "w"]))))
            elif field == "status":
                edited["status"] = draw(st.sampled_from(STATUSES))
            else:
                edited[field] = draw(texts)
            edited["updated_at"] = draw(times)
            out[rid] = edited
        elif action == "replace":
            out[rid] = draw(records(rid))
    for rid in draw(st.sets(st.sampled_from(IDS), max_size=3)):
        if rid not in out:
            out[rid] = draw(records(rid))
    return out


def dump(recs: dict[str, dict[str, Any]]) -> bytes:
    return b"".join(model.to_line(recs[rid]) for rid in sorted(recs))


def ids_of(data: bytes) -> list[str]:
    return [json.loads(line)["id"] for line in data.splitlines()]


@st.composite
def triples(draw: Any) -> tuple[bytes, bytes, bytes]:
    base = draw(files())
    return dump(base), dump(draw(variant(base))), dump(draw(variant(base)))


# BD_PROP_EXAMPLES=5000 for a longer run by hand.
SETTINGS = settings(max_examples=int(os.environ.get("BD_PROP_EXAMPLES", "300")), deadline=None)


@SETTINGS
@given(triples())
def test_symmetric_and_deterministic(t: tuple[bytes, bytes, bytes]) -> None:
    b, l, r = t
    one = merge.merge_bytes(b, l, r, now_ns=NOW)
    assert one.data == merge.merge_bytes(b, r, l, now_ns=NOW).data
    assert one.data == merge.merge_bytes(b, l, r, now_ns=NOW).data


@SETTINGS
@given(triples())
def test_idempotent_and_identity(t: tuple[bytes, bytes, bytes]) -> None:
    b, x, _ = t
    assert merge.merge_bytes(b, x, x, now_ns=NOW).data == x
    # One side unchanged: the other side's file -- plus any tombstone of the base, still
    # within its TTL, whose line that side dropped (a deletion keeps travelling).
    have = set(ids_of(x))
    kept = [line for line in b.splitlines() if json.loads(line)["id"] not in have
            and json.loads(line).get("status") == "tombstone"
            and not merge.tombstone_expired(json.loads(line), NOW, merge.DEFAULT_TTL_DAYS)]
    want = b"".join(sorted(line + b"\n" for line in [*x.splitlines(), *kept]))
    assert merge.merge_bytes(b, b, x, now_ns=NOW).data == want
    assert merge.merge_bytes(b, x, b, now_ns=NOW).data == want


@SETTINGS
@given(triples())
def test_output_is_canonical_sorted_and_loads(t: tuple[bytes, bytes, bytes]) -> None:
    res = merge.merge_bytes(*t, now_ns=NOW)
    ids = ids_of(res.data)
    assert ids == sorted(ids) and len(ids) == len(set(ids))
    for line in res.data.splitlines(keepends=True):
        assert model.to_line(json.loads(line)) == line


@SETTINGS
@given(triples())
def test_no_live_record_lost(t: tuple[bytes, bytes, bytes]) -> None:
    b, l, r = t
    res = merge.merge_bytes(b, l, r, now_ns=NOW)
    out = {x["id"]: x for x in map(json.loads, res.data.splitlines())}
    base = {x["id"]: x for x in map(json.loads, b.splitlines())}
    sides = [{x["id"]: x for x in map(json.loads, s.splitlines())} for s in (l, r)]
    for i, side in enumerate(sides):
        other = sides[1 - i]
        for rid, rec in side.items():
            if rec.get("status") == "tombstone":
                continue
            changed = base.get(rid) != rec
            if not changed and rid not in other:
                continue  # removed on the other side, untouched here: removal honoured
            if rid in res.renamed and out.get(rid, {}).get("title") != rec.get("title"):
                rid = res.renamed[rid]
            assert rid in out, f"live {rid} from side {i} lost"
    # every comment a side added survives (in the live record or its tombstone)
    for side in sides:
        for rid, rec in side.items():
            had = (base.get(rid) or {}).get("comments") or []
            for c in rec.get("comments") or ():
                if c in had:
                    continue
                if rid in out and rid not in res.renamed:
                    texts = [(x["author"], x["text"]) for x in out[rid].get("comments") or ()]
                    if out[rid].get("status") != "tombstone" or rec.get("status") == "tombstone":
                        assert (c["author"], c["text"]) in texts
