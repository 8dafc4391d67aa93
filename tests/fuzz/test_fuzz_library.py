"""Hypothesis fuzzing of bd's pure functions with hostile input.

Each function either returns a sound result or raises a BdError (a one-line message, never
a traceback for the user): the JSONL loader, the store reading any file, the merge driver's
three inputs, import files, time expressions, ids, config values and the record codec.
"""

from __future__ import annotations

import json
import string
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from fuzzkit import (
    IDS,
    argv_text,
    fuzz_settings,
    hostile_text,
    json_values,
    jsonl_files,
    jsonl_lines,
    valid_files,
)
from hypothesis import assume, given
from hypothesis import strategies as st

from bd.core import codec, ids, merge, model, timeutil
from bd.errors import BdError, DataError, UsageError, ValidationError
from bd.git import resolve
from bd.ops import transfer
from bd.store import config, jsonl

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


# -- the JSONL loader ---------------------------------------------------------------------------

@fuzz_settings(250)
@given(jsonl_files())
def test_the_loader_accepts_or_names_file_and_line(raw: bytes) -> None:
    try:
        lines = codec.Lines("f.jsonl", raw)
        recs = [lines.record(rid) for rid in lines.ids]
    except DataError as exc:
        assert str(exc).startswith("f.jsonl:") and "\n" not in str(exc)
        assert exc.line is not None and 1 <= exc.line <= raw.count(b"\n") + 1
        return
    for rid, rec in zip(lines.ids, recs, strict=True):
        assert rec is not None and rec["id"] == rid
    if codec.is_plain(raw, list(lines.ids) == sorted(set(lines.ids))):
        fast = codec.SortedLines("f.jsonl", raw)
        for rid in lines.ids:
            assert fast.record(rid) == lines.record(rid)


@fuzz_settings(250)
@given(jsonl_lines())
def test_a_parsed_record_can_be_stored_and_written_back(line: bytes) -> None:
    """What parse_line accepts, bd can encode again (same value) and render as a row."""
    try:
        rec = codec.parse_line(line, "f", 3)
    except DataError as exc:
        assert exc.path == "f" and exc.line == 3
        return
    out = model.to_line(rec)
    assert out.endswith(b"\n") and out.count(b"\n") == 1
    again = codec.parse_line(out[:-1], "f", 3)
    assert again == model.canonical(rec) or _same_but_empties(again, rec)
    from bd.store.cache import issue_row

    issue_row(rec, line, b"h")  # every column value sqlite can bind
    assert json.loads(model.encode_json(rec, indent=2)) == rec


def _same_but_empties(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Equal once the empty values the writer omits are dropped from ``b``."""
    return a == model.canonical({k: v for k, v in b.items() if k in model.ALWAYS
                                 or not model._empty(v)})


@pytest.mark.parametrize("line,words", [
    (b'{"id":"t-a","title":5}', 'field "title" must be a string'),
    (b'{"id":"t-a","title":"x","priority":"high"}', 'field "priority" must be an integer'),
    (b'{"id":"t-a","title":"x","labels":"x"}', 'field "labels" must be an array'),
    (b'{"id":"t-a","title":"x","labels":[1]}', "labels[0] must be a string"),
    (b'{"id":"t-a","title":"x","dependencies":[1]}', "dependencies[0] must be an object"),
    (b'{"id":"t-a","title":"x","dependencies":[{"depends_on_id":[]}]}',
     "dependencies[0].depends_on_id must be a string"),
    (b'{"id":"t-a","title":"x","comments":[{"id":1.5}]}', "comments[0].id must be an integer"),
    (b'{"id":"t-a","title":"x","priority":99999999999999999999}', "out of range"),
    (b'{"id":"t-a","title":"x","pinned":"yes"}', "must be true or false"),
    (b'{"id":"t-a","title":"x","id":"t-b"}', 'two "id" keys'),
    (b'{"id":"t-a","title":"x","x":NaN}', "malformed JSON"),
    (b'{"id":"t-a","title":"x","x":1e999}', "malformed JSON"),
    (b'{"id":"t-a","title":"\\ud800"}', "lone surrogate"),
    (b'{"id":"t-a","title":"\xff"}', "not UTF-8"),
    (b'{"id":"t-a","x":' + b"[" * 150 + b"]" * 150 + b"}", "nested more than 100"),
    (b"[" * 100_000, "malformed JSON"),
    (b'{"id":5}', "record has no id"),
    (b"<<<<<<< HEAD", "conflict markers"),
])
def test_a_bad_line_is_a_clean_error_naming_file_and_line(line: bytes, words: str) -> None:
    raw = b'{"id":"t-0","title":"ok"}\n' + line + b"\n"
    with pytest.raises(DataError) as err:
        lines = codec.Lines("x/issues.jsonl", raw)
        for rid in lines.ids:
            lines.record(rid)
    assert str(err.value).startswith("x/issues.jsonl:2: ") and words in str(err.value)


def test_odd_but_valid_lines_load() -> None:
    """Tolerated: a duplicate non-id key (the last wins, as in Go), nulls, unknown keys of
    any shape, a UTF-8 byte-order mark, escaped surrogate pairs, CRLF line ends."""
    raw = (b'\xef\xbb\xbf{"id":"t-a","title":"x","title":"y","notes":null,"x":{"y":[1,2.5]}}'
           b'\r\n{"id":"t-b","title":"\\ud83d\\ude00","labels":null,"big":123456789012345678901'
           b'234567890}\r\n')
    lines = codec.Lines("f", raw)
    assert lines.record("t-a")["title"] == "y"
    assert lines.record("t-b")["title"] == "\U0001f600"


# -- text fields round-trip exactly -----------------------------------------------------------

@fuzz_settings(300)
@given(st.dictionaries(st.sampled_from(["title", "description", "notes", "design", "assignee",
                                        "close_reason", "external_ref", "x_unknown"]),
                       hostile_text, min_size=1),
       st.lists(hostile_text, max_size=3))
def test_any_text_round_trips_through_a_line(fields: dict[str, str], labels: list[str]) -> None:
    rec = {"id": "t-a", **fields, "priority": 2, "created_at": "c", "updated_at": "u"}
    if labels:
        rec["labels"] = labels
    line = model.to_line(rec)
    assert line.count(b"\n") == 1 and b"\r" not in line and b"\x00" not in line
    assert codec.parse_line(line[:-1], "f", 1) == model.canonical(rec)
    assert codec.Lines("f", line).ids == ["t-a"]


def test_lone_surrogates_in_library_text_are_written_as_replacement_characters() -> None:
    rec = {"id": "t-a", "title": "a\ud800b", "comments": [{"text": "\udcff"}]}
    model.scrub(rec)
    assert rec == {"id": "t-a", "title": "a\ufffdb", "comments": [{"text": "\ufffd"}]}


# -- the store reading any file ---------------------------------------------------------------

def _workspace(tmp: Path, data: bytes) -> Path:
    beads = tmp / ".beads"
    beads.mkdir(parents=True, exist_ok=True)
    (beads / "config.yaml").write_text('issue-prefix: "t"\n')
    (beads / "issues.jsonl").write_bytes(data)
    for name in ("beads.db", "beads.db-wal", "beads.db-shm"):
        (beads / name).unlink(missing_ok=True)
    return beads


@fuzz_settings(120)
@given(valid_files(ids=IDS[:6]), jsonl_files(ids=IDS[:6]))
def test_the_store_reads_any_file_or_fails_cleanly(tmp_path_factory: Any, first: bytes,
                                                   raw: bytes) -> None:
    """A cache built from one file, then the file replaced by anything: the refresh takes
    it or fails cleanly, and a failed refresh leaves no trace once the file is good again."""
    from bd.store.store import Store

    beads = _workspace(tmp_path_factory.mktemp("ws"), first)
    with Store(str(beads)) as store:
        store.all_records()
    jsonl.atomic_write(str(beads / "issues.jsonl"), raw)
    with Store(str(beads)) as store:
        try:
            recs = store.all_records()
        except DataError:
            jsonl.atomic_write(str(beads / "issues.jsonl"), first)
            assert len(store.all_records()) == first.count(b"\n")
            return
        store.list(), store.ready(), store.blocked(), store.stats(), store.label_counts()
        for rec in recs:
            store.get(rec["id"])
            store.graph().tree(rec["id"], direction="both", max_depth=5)
        for rid in ("t-a", "a", "t-", "é"):
            try:
                store.resolve(rid)
            except BdError:
                pass
    assert (beads / "issues.jsonl").read_bytes() == raw  # reading never writes


def test_a_write_never_stores_what_the_loader_would_refuse(tmp_path: Path) -> None:
    """Library callers: lone surrogates are written as U+FFFD (the returned record, the cache
    and the event log agree with the line); an out-of-range number fails before the write."""
    from bd.ops import issues as ops
    from bd.store.store import Store

    beads = _workspace(tmp_path, b"")
    with Store(str(beads), actor="actor \udcff") as store:
        rec = ops.create(store, "title \ud800", description="\udfff")
        assert rec["title"] == "title \ufffd" and rec["created_by"] == "actor \ufffd"
        assert store.get(rec["id"])["title"] == "title \ufffd"
        ops.add_comment(store, rec["id"], "comment \ud800", "author \udc80")
        before = (beads / "issues.jsonl").read_bytes()
        with pytest.raises(ValidationError, match="estimated_minutes"):
            ops.create(store, "too big", estimate=2**64)
        with pytest.raises(ValidationError, match="out of range"):
            ops.update(store, rec["id"], {"estimated_minutes": -(2**70)})
        assert (beads / "issues.jsonl").read_bytes() == before
    assert "\ufffd" in (beads / "events.jsonl").read_text()
    codec.Lines("f", before).record(rec["id"])


@fuzz_settings(80)
@given(valid_files(ids=IDS[:6]), jsonl_files(ids=IDS[:6], max_lines=4))
def test_import_of_any_file_succeeds_or_changes_nothing(tmp_path_factory: Any, mine: bytes,
                                                        theirs: bytes) -> None:
    from bd.store.store import Store

    beads = _workspace(tmp_path_factory.mktemp("ws"), mine)
    with Store(str(beads)) as store:
        try:
            store.all_records()
        except DataError:
            return  # a valid line per record can still be a duplicate-free but odd file
        try:
            recs = transfer.parse_input(theirs, "in.jsonl")
            transfer.import_records(store, recs, force=True)
        except BdError:
            assert (beads / "issues.jsonl").read_bytes() == mine
            return
        after = (beads / "issues.jsonl").read_bytes()
        lines = codec.Lines("after", after)
        for rid in lines.ids:
            lines.record(rid)
        store.list()


# -- the merge driver's three inputs ----------------------------------------------------------

@fuzz_settings(150)
@given(jsonl_files(ids=IDS[:5]), jsonl_files(ids=IDS[:5]), jsonl_files(ids=IDS[:5]),
       st.booleans())
def test_merge_of_hostile_inputs_is_a_result_or_a_clean_error(base: bytes, left: bytes,
                                                              right: bytes,
                                                              strict: bool) -> None:
    try:
        res = merge.merge_bytes(base, left, right, now_ns=10**18, strict=strict)
    except DataError as exc:
        assert str(exc).split(":")[0] in ("base", "left", "right", "merge") \
            and "\n" not in str(exc)
        return
    # An input the merge passes through whole (the other side unchanged) is not checked
    # line by line: garbage in, the same garbage out.  From loadable inputs, a loadable file.
    if not res.conflicts and all(_loadable(x) for x in (base, left, right)):
        assert _loadable(res.data)


def _loadable(raw: bytes) -> bool:
    try:
        lines = codec.Lines("f", raw)
        for rid in lines.ids:
            lines.record(rid)
    except DataError:
        return False
    return True


@fuzz_settings(100)
@given(valid_files(ids=IDS[:5]), valid_files(ids=IDS[:5]), valid_files(ids=IDS[:5]))
def test_merge_of_valid_inputs_is_valid_and_symmetric(base: bytes, left: bytes,
                                                      right: bytes) -> None:
    try:
        res = merge.merge_bytes(base, left, right, now_ns=10**18)
    except DataError as exc:
        raise AssertionError(f"valid inputs refused: {exc}") from None
    lines = codec.Lines("merged", res.data)
    for rid in lines.ids:
        lines.record(rid)
    assert merge.merge_bytes(base, right, left, now_ns=10**18).data == res.data


@fuzz_settings(120)
@given(jsonl_files(ids=IDS[:5]))
def test_conflict_marker_splitting_never_crashes(raw: bytes) -> None:
    try:
        sides = resolve.split_markers(raw, "f")
        merge.merge_bytes(*sides, now_ns=10**18)
    except BdError:
        pass


# -- import files ---------------------------------------------------------------------------

@fuzz_settings(150)
@given(jsonl_files())
def test_import_parsing_returns_records_or_a_clean_error(raw: bytes) -> None:
    try:
        recs = transfer.parse_input(raw, "in.jsonl")
    except BdError as exc:
        assert "\n" not in str(exc)
        return
    assert all(isinstance(r, dict) and isinstance(r["id"], str) for r in recs)


# -- time expressions -----------------------------------------------------------------------

_time_words = st.sampled_from(["now", "today", "tomorrow", "yesterday", "eod", "next",
                               "monday", "week", "month", "year", "in", "ago", "a", "an",
                               "days", "hours", "minutes", "+", "-", "d", "h", "m", "w", "y",
                               "9" * 30, "0", "1", "2025-01-15", "T", "Z", "+25:00", ":", "."])
time_exprs = st.one_of(
    hostile_text,
    st.lists(_time_words, min_size=1, max_size=4).map(" ".join),
    st.lists(_time_words, min_size=1, max_size=4).map("".join),
    st.from_regex(r"[+-]?\d{1,25}[hdwmy]", fullmatch=True),
    st.from_regex(r"\d{4}-\d\d-\d\d([Tt ]\d\d:\d\d:\d\d(\.\d{1,12})?([Zz]|[+-]\d\d:\d\d)?)?",
                  fullmatch=True),
)
_nows = st.one_of(st.just(NOW), st.datetimes(min_value=datetime(1, 1, 3),
                                             max_value=datetime(9999, 12, 29),
                                             timezones=st.sampled_from(
                                                 [UTC, timezone(timedelta(hours=14)),
                                                  timezone(timedelta(hours=-12))])))


@fuzz_settings(600)
@given(time_exprs, _nows)
def test_time_expressions_parse_or_fail_cleanly(expr: str, now: datetime) -> None:
    try:
        dt = timeutil.parse_time_expr(expr, now, tz=UTC)
    except UsageError as exc:
        assert "cannot parse time expression" in str(exc)
        return
    assert dt.tzinfo is not None
    stamp = timeutil.format_ts(dt)
    assert timeutil.ts_key(stamp) is not None and timeutil.parse_ts(stamp) is not None


@fuzz_settings(600)
@given(st.one_of(time_exprs, hostile_text))
def test_stored_timestamps_of_any_shape_never_crash_the_readers(text: str) -> None:
    key = timeutil.ts_key(text)
    dt = timeutil.parse_ts(text)
    assert (key is None) == (dt is None)


# -- ids --------------------------------------------------------------------------------------

id_text = st.one_of(hostile_text, st.sampled_from(IDS),
                    st.text(alphabet=string.ascii_lowercase + string.digits + "-.", max_size=12))


@fuzz_settings(600)
@given(id_text, st.sampled_from(["t", "my-proj", "", "a.b"]), st.lists(id_text, max_size=8))
def test_partial_ids_resolve_to_a_candidate_or_fail_cleanly(query: str, prefix: str,
                                                            candidates: list[str]) -> None:
    try:
        got = ids.resolve_partial(query, prefix, candidates)
    except BdError as exc:
        assert type(exc).__name__ in ("NotFoundError", "AmbiguousIdError")
        return
    assert got in candidates


@fuzz_settings(600)
@given(st.one_of(id_text, st.text(max_size=300)), st.sampled_from(["t", "my-proj"]),
       st.booleans())
def test_explicit_ids_are_checked(issue_id: str, prefix: str, force: bool) -> None:
    try:
        ids.validate_explicit_id(issue_id, prefix, ["other"], force)
    except ValidationError as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 400
        return
    assert len(issue_id) <= ids.MAX_ID_LENGTH
    assert all(c.isprintable() and not c.isspace() and c not in "\"\\" for c in issue_id)
    ids.depth(issue_id), ids.parent_of(issue_id), ids.child_number(issue_id)


# -- config ---------------------------------------------------------------------------------

@fuzz_settings(300)
@given(st.from_regex(r"[a-z][a-z0-9_.-]{0,12}", fullmatch=True), argv_text)
def test_config_values_round_trip(tmp_path_factory: Any, key: str, value: str) -> None:
    assume(key not in ("issue_prefix",))  # a synonym of issue-prefix
    path = str(tmp_path_factory.mktemp("cfg") / "config.yaml")
    config.set_value(path, key, value)
    assert config.load(path)[config.canonical_key(key)] == value


@fuzz_settings(300)
@given(argv_text)
def test_a_hostile_config_key_is_refused(key: str) -> None:
    path = "/nonexistent-dir/config.yaml"
    try:
        config.set_value(path, key, "v")
    except BdError:
        return
    except OSError:  # the key was accepted: only then is the file written
        assert key and all(c.isalnum() or c in "_.-" for c in key)


@fuzz_settings(300)
@given(st.one_of(hostile_text, st.lists(hostile_text, max_size=5).map("\n".join),
                 st.lists(st.tuples(hostile_text, json_values), max_size=4).map(
                     lambda kv: "\n".join(f"{k}: {json.dumps(v)}" for k, v in kv))))
def test_any_config_text_parses_or_fails_cleanly(text: str) -> None:
    try:
        config.parse(text)
    except BdError:
        pass


def test_deeply_nested_config_is_a_clean_error() -> None:
    with pytest.raises(BdError):
        config.parse("a: " + "[" * 100_000)


# -- option values --------------------------------------------------------------------------

@fuzz_settings(500)
@given(st.one_of(hostile_text, json_values))
def test_priorities_parse_or_fail_cleanly(value: Any) -> None:
    try:
        p = model.parse_priority(value)
    except ValidationError:
        return
    assert 0 <= p <= 4


@fuzz_settings(300)
@given(st.one_of(hostile_text, json_values), st.one_of(hostile_text, json_values))
def test_record_validation_never_crashes(title: Any, status: Any) -> None:
    rec = {"id": "t-a", "title": title, "status": status}
    if model.type_problem(rec) is None:
        try:
            model.validate(rec)
        except ValidationError:
            pass




@fuzz_settings(500)
@given(st.one_of(hostile_text, st.text(max_size=150)))
def test_prefixes_are_checked_and_directory_names_made_safe(name: str) -> None:
    safe = ids.safe_prefix(name)
    if safe:
        ids.check_prefix(safe)
        ids.validate_explicit_id(f"{safe}-abc", safe)
    try:
        ids.check_prefix(name)
    except ValidationError:
        return
    ids.validate_explicit_id(f"{name}-abc", name)
