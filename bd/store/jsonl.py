"""The JSONL file on disk: reading it whole, and atomic writes (temp file, fsync, rename).

The line codec (parsing, canonical lines, splicing) is pure and lives in ``bd.core.codec``;
this module is the only place that turns its bytes into a file.
"""

from __future__ import annotations

import mmap
import os
from collections.abc import Callable, Iterable, Sequence

from bd.errors import DataError

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any


def read_bytes(path: str) -> bytes:
    """The file's bytes; a missing file is empty. A directory or unreadable file is an error."""
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        return b""
    except IsADirectoryError:
        raise DataError("is a directory, expected a JSONL file", path=path) from None
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror}", path=path) from None


# Test hook for crash tests: called with a step name between the steps of a write.
_crash_hook = None


def _step(name: str) -> None:
    if _crash_hook is not None:
        _crash_hook(name)


def atomic_write(path: str, data: bytes, *, spare: bool = False) -> None:
    """Write ``data`` to ``path`` so a crash leaves either the old or the new file, never a mix.

    ``spare``: the file is one bd rewrites often (the JSONL), so a large one keeps its last
    version as a spare to write the next version into (see :func:`_atomic`)."""

    def fill(fd: int) -> None:
        _write_all(fd, data)

    _atomic(path, fill, spare=spare)


def atomic_write_parts(path: str, parts: Iterable[bytes | memoryview]) -> None:
    """:func:`atomic_write` of the concatenation of ``parts``, written a batch of pieces per
    system call (a large file is not joined into one more copy first)."""

    def fill(fd: int) -> None:
        batch: list[bytes | memoryview] = []
        for part in parts:
            batch.append(part)
            if len(batch) == _IOV_MAX:
                _write_batch(fd, batch)
                batch = []
        _write_batch(fd, batch)

    _atomic(path, fill)


_IOV_MAX = 1024  # pieces per writev (POSIX guarantees at least 16; Linux takes 1024)


def _write_batch(fd: int, batch: list[bytes | memoryview]) -> None:
    writev = getattr(os, "writev", None)
    done = writev(fd, batch) if writev is not None and batch else 0
    for part in batch:  # what a short write (or no writev) left, piece by piece
        if done >= len(part):
            done -= len(part)
            continue
        _write_all(fd, memoryview(part)[done:])
        done = 0


def atomic_splice(path: str, edits: Sequence[tuple[int, int, bytes]]) -> None:
    """Rewrite ``path`` atomically with byte spans replaced: each ``(start, end, line)`` puts
    ``line`` where ``[start, end)`` of the current file was (spans sorted, not overlapping).

    The untouched bytes are copied file to file inside the kernel (``copy_file_range``), so
    the cost is the write the file needs and memory does not grow with the file: a one-line
    change of a 100,000-issue JSONL never holds the file in this process.
    """
    real = os.path.realpath(path)

    def fill(fd: int) -> None:
        src = os.open(real, os.O_RDONLY)
        try:
            pos = 0
            for start, end, line in edits:
                _copy_range(src, fd, pos, start - pos)
                _write_all(fd, line)
                pos = end
            _copy_range(src, fd, pos, os.fstat(src).st_size - pos)
        finally:
            os.close(src)

    _atomic(path, fill, spare=True)


def map_bytes(path: str) -> bytes | mmap.mmap:
    """The file mapped read-only (pages are read only where a caller looks); ``b""`` when it
    is empty or missing.  Callers hold the workspace lock: bd never rewrites the JSONL in
    place (a write replaces the file), so the mapping stays valid."""
    try:
        with open(path, "rb") as fh:
            if os.fstat(fh.fileno()).st_size == 0:
                return b""
            return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    except FileNotFoundError:
        return b""
    except (IsADirectoryError, ValueError):
        return read_bytes(path)
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror}", path=path) from None


def _write_all(fd: int, data: bytes | memoryview) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


_COPY_CHUNK = 1 << 20


def _copy_range(src: int, dst: int, offset: int, count: int) -> None:
    """Copy ``count`` bytes at ``offset`` of ``src`` to the current position of ``dst``."""
    copy = getattr(os, "copy_file_range", None)
    while count > 0:
        if copy is not None:
            try:
                n = copy(src, dst, count, offset)
            except OSError:  # another filesystem, an old kernel: copy through a buffer
                copy = None
                continue
        else:
            chunk = os.pread(src, min(count, _COPY_CHUNK), offset)
            if not chunk:
                raise DataError("the file shrank while it was being rewritten")
            _write_all(dst, chunk)
            n = len(chunk)
        if n == 0:
            raise DataError("the file shrank while it was being rewritten")
        offset += n
        count -= n


# A large JSONL keeps its previous version as a spare file, and the next write fills the
# spare in place instead of a new temporary file: overwriting blocks the file system has
# already allocated, and renaming over a file whose blocks stay in use (the old version
# becomes the next spare), costs about half of allocating 56 MB and freeing 56 MB on every
# write (ext4, 100,000 issues: 25 ms instead of 54 ms, bench/write_floor.py).  The atomicity
# is the same: the spare is filled and fsynced under its own name, then renamed over the file.
SPARE_MIN_BYTES = 4 << 20
# A spare is reused only this long after it stopped being the file: a reader that opened the
# old version (git hashing it, a slow copy) must not see it rewritten under it.
SPARE_MIN_AGE_NS = 2_000_000_000
SPARE_DIR = ".bd-spare"  # beside the file, with a .gitignore of "*": git never sees it


def _spare_paths(real: str) -> tuple[str, str]:
    directory = os.path.dirname(real) or "."
    folder = os.path.join(directory, SPARE_DIR)
    return folder, os.path.join(folder, os.path.basename(real))


def _open_spare(real: str) -> int | None:
    """The spare of ``real`` opened for overwriting, when one may be reused, else None."""
    import stat as st
    import time

    spare = _spare_paths(real)[1]
    try:
        fd = os.open(spare, os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    info = os.fstat(fd)
    try:  # the spare is renamed over the file: it must be on the file's file system
        here = os.stat(os.path.dirname(real) or ".")
    except OSError:
        here = None
    if (not st.S_ISREG(info.st_mode) or info.st_nlink != 1 or here is None
            or info.st_dev != here.st_dev
            or time.time_ns() - info.st_ctime_ns < SPARE_MIN_AGE_NS):
        os.close(fd)
        return None
    return fd


def _keep_spare(real: str) -> str | None:
    """A second name for the current file inside the spare folder (so renaming the new
    version over it keeps its blocks in use), or None when the file is small or links are
    not supported here.  Leftovers of an interrupted write are removed first."""
    try:
        if os.stat(real).st_size < SPARE_MIN_BYTES:
            return None
    except OSError:
        return None
    folder, _ = _spare_paths(real)
    try:
        os.mkdir(folder, 0o755)
        with open(os.path.join(folder, ".gitignore"), "w") as fh:
            fh.write("# bd: the previous version of a large JSONL, reused by the next write\n*\n")
    except FileExistsError:
        pass
    except OSError:
        return None
    retiring = os.path.join(folder, f".retiring.{os.getpid()}")
    try:
        for name in os.listdir(folder):
            if name.startswith(".retiring."):
                os.unlink(os.path.join(folder, name))
        os.link(real, retiring)
    except OSError:
        return None
    return retiring


def _fsync_dir(directory: str) -> None:
    try:
        dfd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def _atomic(path: str, fill: Callable[[int], None], *, spare: bool = False) -> None:
    """Temp file beside ``path``, filled by ``fill(fd)``, fsynced, renamed over ``path``, the
    directory fsynced: a crash leaves the old file or the new one, never a mix.

    ``spare``: a large file's previous version is kept and the next write fills it in
    place of a new temporary file (``SPARE_MIN_BYTES``, ``SPARE_MIN_AGE_NS``)."""
    real = os.path.realpath(path)
    directory = os.path.dirname(real) or "."
    kept = _open_spare(real) if spare else None
    reused = kept is not None
    if kept is not None:
        fd, tmp = kept, _spare_paths(real)[1]
    else:
        tmp = os.path.join(directory, f".{os.path.basename(real)}.{os.getpid()}.tmp")
        # O_NOFOLLOW: a link planted under the temporary name must not redirect the write.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC
                     | getattr(os, "O_NOFOLLOW", 0), 0o644)
    try:
        fill(fd)
        if reused:  # the spare may have been longer than the new version
            os.ftruncate(fd, os.lseek(fd, 0, os.SEEK_CUR))
        _step("written")
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        os.unlink(tmp)
        raise
    os.close(fd)
    try:
        mode = os.stat(real).st_mode & 0o777
        os.chmod(tmp, mode)
    except FileNotFoundError:
        pass
    _step("synced")
    retiring = _keep_spare(real) if spare else None
    os.replace(tmp, real)
    _step("renamed")
    if retiring is not None:
        # The old version is the next spare.  Not fsynced: lost in a crash, the name is a
        # leftover the next write removes (``_keep_spare``), and that write takes a new file.
        os.replace(retiring, _spare_paths(real)[1])
    _fsync_dir(directory)


def check(path: str) -> None:
    """Raise DataError (file and line) unless the JSONL at ``path`` reads cleanly; bd checks
    before it commits the file and after it pulls one."""
    from bd.core import codec

    codec.Lines(path, read_bytes(path))


def other_lines(path: str) -> list[tuple[int, bytes, dict[str, Any]]]:
    """The non-issue lines of the JSONL at ``path`` as (line number, bytes, record)."""
    from bd.core import codec

    lines = codec.Lines(path, read_bytes(path))
    return [(n, line, codec.parse_line(line, path, n, others=True)) for n, line in lines.others]


def duplicates_notice(path: str, ids_text: str) -> str:
    """The one warning line every command prints while ids repeat in the JSONL."""
    ids = ids_text.split(",")
    more = f" and {len(ids) - 5} more" if len(ids) > 5 else ""
    return (f"bd: warning: {path} has duplicate ids ({', '.join(ids[:5])}{more}): each is "
            "read as one merged record; run 'bd doctor --fix' to merge the lines")
