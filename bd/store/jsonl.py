"""The JSONL file on disk: reading it whole, and atomic writes (temp file, fsync, rename).

The line codec (parsing, canonical lines, splicing) is pure and lives in ``bd.core.codec``;
this module is the only place that turns its bytes into a file.
"""

from __future__ import annotations

import os

from bd.errors import DataError


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
    real = os.path.realpath(path)
    directory = os.path.dirname(real) or "."
    tmp = os.path.join(directory, f".{os.path.basename(real)}.{os.getpid()}.tmp")
    # O_NOFOLLOW: a link planted under the temporary name must not redirect the write.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0),
                 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
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
