"""Files a user names on the command line (``--body-file``, ``--file``, ``--from-file``,
``import -i``): read whole, bytes that are not UTF-8 as U+FFFD (as in arguments), errors as
one line naming the file.  The CLI reads no file itself; it asks here.
"""

from __future__ import annotations

import mmap
import os

from bd.errors import DataError


def read_bytes(path: str) -> bytes:
    """The file's bytes; a missing, unreadable or directory path is a DataError."""
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise _error(exc, path) from None


def map_bytes(path: str) -> bytes | mmap.mmap:
    """The file's bytes as a read-only mapping (nothing copied into memory, pages read as
    they are used), or read when it cannot be mapped (empty, a pipe); errors as
    :func:`read_bytes`.  Only for a file nobody rewrites in place meanwhile (git's merge
    driver inputs): a mapped file that shrinks under the reader kills the process."""
    try:
        with open(path, "rb") as fh:
            try:
                if os.fstat(fh.fileno()).st_size:
                    return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
            except (OSError, ValueError):
                pass
            return fh.read()
    except OSError as exc:
        raise _error(exc, path) from None


def _error(exc: OSError, path: str) -> DataError:
    if isinstance(exc, FileNotFoundError):
        return DataError("no such file", path=path)
    if isinstance(exc, IsADirectoryError):
        return DataError("is a directory, expected a file", path=path)
    return DataError(f"cannot read: {exc.strerror}", path=path)


def read_text(path: str) -> str:
    """The file's text (invalid UTF-8 becomes U+FFFD)."""
    return read_bytes(path).decode("utf-8", "replace")


def read_ids(path: str) -> list[str]:
    """Issue ids, one per line; blank lines and ``#`` comments skipped."""
    return [line.strip() for line in read_text(path).splitlines()
            if line.strip() and not line.lstrip().startswith("#")]
