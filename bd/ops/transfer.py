"""Import and export of JSONL.

Import merges by id (spec git-and-merge §2.5, without the original's defects): a newer
incoming record replaces the local one whole (its labels and dependency removals included,
its own ``updated_at`` kept), comments are never lost (union), a local tombstone is never
resurrected, and nothing is written unless the whole input is valid.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from bd.core import codec, model
from bd.core.progress import SILENT, Progress
from bd.errors import DataError, ValidationError
from bd.store import jsonl
from bd.store.store import Store

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any


def _comment_key(c: Any) -> tuple[str, str, str]:
    if not isinstance(c, dict):
        return ("", str(c), "")
    return (str(c.get("author", "")), str(c.get("text", "")).strip(), str(c.get("created_at", "")))


def _union_comments(local: dict[str, Any], incoming: dict[str, Any]) -> list[Any]:
    seen = {_comment_key(c) for c in incoming.get("comments") or []}
    merged = list(incoming.get("comments") or [])
    merged += [c for c in local.get("comments") or [] if _comment_key(c) not in seen]
    return merged


class Incoming(list):  # type: ignore[type-arg]
    """The records of an import file (a list, one per id), plus its non-issue lines
    (``others``, bytes kept) and where each record was (``where``: id -> "file:line")."""

    def __init__(self) -> None:
        super().__init__()
        self.others: list[bytes] = []
        self.where: dict[str, str] = {}


def parse_input(data: bytes, path: str, *, progress: Progress = SILENT) -> Incoming:
    """All records of an import file; a line bd could not load fails the whole import.

    It reads what loading reads: non-issue lines (``_type`` other than "issue") are carried
    along as they are, and an id repeated on several lines is one record, merged by the
    merge engine's rules.  A file with git conflict markers is first rebuilt with the merge
    engine (from git's index stages when the file is conflicted in git, else from the
    conflict blocks).
    """
    from bd.errors import ConflictMarkersError

    try:
        lines = codec.Lines(path, data)  # conflict markers, unreadable lines, missing ids
    except ConflictMarkersError:
        from bd.core import merge
        from bd.git import resolve

        staged = resolve.stages_from_git(path) if path != "-" else None
        sides = staged if staged is not None else resolve.split_markers(data, path)
        data = merge.merge_bytes(*sides, names=("base", "ours", "theirs")).data
        lines = codec.Lines(path, data)
    out = Incoming()
    with progress.task("Reading", total=len(lines.index)) as task:
        for rid, i in lines.index.items():
            rec = lines.record(rid)
            assert rec is not None
            out.append(rec)
            out.where[rid] = f"{path}:{lines.linenos[i]}"
            task.advance()
    out.others = lines.other_lines()
    return out


def import_records(store: Store, records: Iterable[dict[str, Any]], *, dry_run: bool = False,
                   skip_existing: bool = False, force: bool = False,
                   progress: Progress = SILENT) -> dict[str, int]:
    from bd.core.timeutil import ts_key

    if not isinstance(records, Incoming):
        records = list(records)
    prefix = store.prefix
    allowed = [prefix, *store.config_list("allowed_prefixes")]
    for rec in records:
        model.apply_defaults(rec)
        status = model.status_of(rec)
        if status == "closed" and not rec.get("closed_at"):
            rec["closed_at"] = rec.get("updated_at")
        if not force and status != "tombstone" and not any(
                rec["id"].startswith(p + "-") for p in allowed):
            raise ValidationError(
                f"prefix mismatch: database uses '{prefix}-' but found issue {rec['id']} "
                "(add its prefix to allowed_prefixes, or use --force)", issue_id=rec["id"])
        try:
            model.validate(rec, custom_statuses=store.custom_statuses,
                           custom_types=store.custom_types)
        except ValidationError as exc:
            # Loading the same file would work, so importing it does too: the record is kept
            # as it is (an unknown status or type from another tool or version, say).
            where = getattr(records, "where", {}).get(rec["id"], "")
            hint = {"status": " (list it under status.custom in config.yaml)",
                    "issue_type": " (list it under types.custom in config.yaml)"}.get(
                        exc.field or "", "")
            store.notices.append(f"bd: warning: {where or rec['id']}: {rec['id']}: "
                                 f"{exc.message}{hint}; imported as it is")
    counts = {"created": 0, "updated": 0, "unchanged": 0, "skipped": 0}
    others = list(getattr(records, "others", []))
    with store.transaction() as tx, progress.task("Importing", total=len(records)) as task:
        if others:
            have = tx.other_lines()
            new = [x for x in others if x not in have]
            if new:
                tx.set_other_lines([*have, *new])
                store.notices.append(f"bd: imported {len(new)} non-issue line(s) (memories "
                                     "and the like) as they are")
        for rec in records:
            task.advance()
            rid = rec["id"]
            local = tx.get(rid)
            if local is None:
                counts["created"] += 1
                tx.put(rec)
                continue
            if model.status_of(local) == "tombstone" and model.status_of(rec) != "tombstone":
                counts["skipped"] += 1  # deletions are not undone by an import
                continue
            if skip_existing:
                counts["skipped"] += 1
                continue
            if model.canonical(local) == model.canonical(rec):
                counts["unchanged"] += 1
                continue
            newer = (ts_key(str(rec.get("updated_at", ""))) or 0) > (
                ts_key(str(local.get("updated_at", ""))) or 0)
            if newer:
                merged = dict(rec)
                comments = _union_comments(local, rec)
                if comments:
                    merged["comments"] = comments
                tx.put(merged)
                counts["updated"] += 1
            else:
                comments = _union_comments(rec, local)
                if len(comments) != len(local.get("comments") or []):
                    local["comments"] = comments
                    tx.put(local, affects_ready=False)
                    counts["updated"] += 1
                else:
                    counts["unchanged"] += 1
        if dry_run:
            tx.changed.clear()
            tx.others = None
    return counts


def export_bytes(store: Store, *, status: str | None = None,
                 records: list[dict[str, Any]] | None = None,
                 progress: Progress = SILENT, only: set[str] | None = None) -> bytes:
    """The JSONL (canonical lines, sorted, tombstones and comments kept, wisps left out; an id
    repeated on several lines written once, merged; non-issue lines at the end, as they are,
    unless a filter asks for some issues only); ``only`` keeps just those ids (the export
    filters)."""
    return b"".join(export_lines(store, status=status, progress=progress, only=only))


def export_lines(store: Store, *, status: str | None = None,
                 progress: Progress = SILENT, only: set[str] | None = None
                 ) -> Iterator[bytes]:
    """:func:`export_bytes` one line at a time.  A plain file (sorted, as bd writes it) is
    read in order through a mapping, so exporting 100,000 issues holds one line at a time;
    any other file is read whole and sorted."""
    cache = store.cache()  # validates the file (a malformed JSONL fails here)
    path = store.jsonl_path
    total: int | None
    others: list[bytes] = []
    rows: Iterator[tuple[bytes, int]]
    if cache.is_plain() and cache.is_fresh(path):
        rows, total = _file_order(path), None
    else:
        lines = codec.Lines(path, jsonl.read_bytes(path))
        total = len(lines.index)
        rows = (_export_row(lines, rid, i) for rid, i in sorted(lines.index.items()))
        if status is None and only is None:
            others = lines.other_lines()
    with progress.task("Exporting", total=total) as task:
        k = 0
        for k, (line, n) in enumerate(rows, 1):
            if not k & 255:
                task.update(k)
            if only is not None and (codec.fast_id(line)
                                     or codec.parse_line(line, path, n)["id"]) not in only:
                continue
            if status is None and b'"ephemeral":true' not in line:
                yield line + b"\n"
                continue
            rec = codec.parse_line(line, path, n)
            if rec.get("ephemeral") or (status and model.status_of(rec) != status):
                continue
            yield line + b"\n"
        task.update(k, k)
    for line in others:
        yield line + b"\n"


def _export_row(lines: codec.Lines, rid: str, i: int) -> tuple[bytes, int]:
    """An id's line, or the one line of its merged record when it is on several lines."""
    if rid in lines.duplicates:
        merged = lines.record(rid)
        assert merged is not None
        return model.to_line(merged)[:-1], lines.linenos[i]
    return lines.lines[i], lines.linenos[i]


def _file_order(path: str) -> Iterator[tuple[bytes, int]]:
    """(line, line number) of a plain file, in file order, read through a small buffer."""
    with open(path, "rb") as fh:
        for n, line in enumerate(fh, 1):
            yield line[:-1] if line.endswith(b"\n") else line, n


def check_export_target(path: str, data: bytes, force: bool) -> None:
    """Refuse an export that would drop ids present in the target file."""
    if force:
        return
    existing = jsonl.read_bytes(path)
    if not existing.strip():
        return
    try:
        old = set(codec.Lines(path, existing).index)
    except DataError:
        return
    new = set(codec.Lines("<export>", data).index)
    lost = sorted(old - new)
    if lost:
        raise DataError(f"refusing to export: it would drop {len(lost)} issue(s) present in the "
                        f"target (e.g. {', '.join(lost[:3])}); use --force to overwrite",
                        path=path)
