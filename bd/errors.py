"""One exception tree for bd.

Every error carries structured fields (path, line, field, issue id) and composes a single
clear line.  The CLI maps these to exit codes in one place (``bd.cli.main``); the library
never prints or exits.
"""

from __future__ import annotations


class BdError(Exception):
    """Base of every error bd raises on purpose. ``str(err)`` is the one-line message."""

    exit_code = 1
    multiline = False  # the message quotes another program's lines (git): print them as such

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        field: str | None = None,
        issue_id: str | None = None,
    ) -> None:
        self.message = message
        self.path = path
        self.line = line
        self.field = field
        self.issue_id = issue_id
        super().__init__(self.compose())

    def compose(self) -> str:
        where = ""
        if self.path is not None:
            where = self.path
            if self.line is not None:
                where += f":{self.line}"
            where += ": "
        return where + self.message


class UsageError(BdError):
    """Bad command-line usage (unknown flag, missing argument, bad value)."""

    exit_code = 2


class NotInitializedError(BdError):
    """No ``.beads`` workspace was found."""


class DataError(BdError):
    """The JSONL truth is unreadable: malformed line, missing id, duplicates, conflict markers."""


class ConflictMarkersError(DataError):
    """The JSONL file contains git conflict markers."""


class ValidationError(BdError):
    """A record or a requested change breaks a rule of the record model."""


class NotFoundError(BdError):
    """An id (or partial id) matched no issue."""


class AmbiguousIdError(BdError):
    """A partial id matched several issues."""


class CycleError(ValidationError):
    """Adding a dependency would create a cycle."""


class ClaimError(BdError):
    """``--claim`` lost the race: the issue is already claimed."""


class LockTimeoutError(BdError):
    """The workspace lock could not be acquired in time."""


class CacheBusyError(BdError):
    """Another process held the cache database locked for longer than the busy timeout."""


class ConfigError(BdError):
    """config.yaml is unreadable or a config value is invalid."""


class TrackerError(BdError):
    """An external tracker (GitHub, GitLab, Jira, Linear) refused a request or is unreachable,
    or its configuration is incomplete.  The message never contains a token."""


class FormulaError(ValidationError):
    """A formula file is unreadable or invalid, or cannot be cooked."""


class GateError(BdError):
    """A gate could not be checked (the ``gh`` CLI missing or failing, a bad gate)."""
