"""Files a user names on the command line (``--body-file``, ``--file``, ``--from-file``,
``import -i``): read whole, bytes that are not UTF-8 as U+FFFD (as in arguments), errors as
one line naming the file.  The CLI reads no file itself; it asks here.
"""

from __future__ import annotations

from bd.errors import DataError


def read_bytes(path: str) -> bytes:
    """The file's bytes; a missing, unreadable or directory path is a DataError."""
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        raise DataError("no such file", path=path) from None
    except IsADirectoryError:
        raise DataError("is a directory, expected a file", path=path) from None
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror}", path=path) from None


def read_text(path: str) -> str:
    """The file's text (invalid UTF-8 becomes U+FFFD)."""
    return read_bytes(path).decode("utf-8", "replace")


def read_ids(path: str) -> list[str]:
    """Issue ids, one per line; blank lines and ``#`` comments skipped."""
    return [line.strip() for line in read_text(path).splitlines()
            if line.strip() and not line.lstrip().startswith("#")]
