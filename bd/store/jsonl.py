"""The JSONL file on disk: reading it whole, and atomic writes (temp file, fsync, rename).

The line codec (parsing, canonical lines, splicing) is pure and lives in ``bd.core.codec``;
this module is the only place that turns its bytes into a file.
"""

from __future__ import annotations

import mmap
import os
from collections.abc import Callable, Sequence

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


def atomic_write(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` so a crash leaves either the old or the new file, never a mix."""

    def fill(fd: int) -> None:
        _write_all(fd, data)

    _atomic(path, fill)


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

    _atomic(path, fill)


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


def _atomic(path: str, fill: Callable[[int], None]) -> None:
    """Temp file beside ``path``, filled by ``fill(fd)``, fsynced, renamed over ``path``, the
    directory fsynced: a crash leaves the old file or the new one, never a mix."""
    real = os.path.realpath(path)
    directory = os.path.dirname(real) or "."
    tmp = os.path.join(directory, f".{os.path.basename(real)}.{os.getpid()}.tmp")
    # O_NOFOLLOW: a link planted under the temporary name must not redirect the write.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0),
                 0o644)
    try:
        fill(fd)
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
    os.replace(tmp, real)
    _step("renamed")
    try:
        dfd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


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
