"""The values bd's enumerated options accept, and the one error for a value outside them.

A bad value is a usage error that names the option, lists every valid value and suggests the
nearest (``--status in-progress`` -> ``in_progress``), so a typo never silently matches
nothing.  Custom statuses, types and dependency types come from config (``status.custom``,
``types.custom``, ``types.custom_deps``) and are passed in by the caller.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bd.core.model import BUILTIN_STATUSES, BUILTIN_TYPES, TYPE_ALIASES
from bd.core.suggest import did_you_mean
from bd.errors import UsageError

# What a user may set (tombstones are made by `bd delete` only).
SETTABLE_STATUSES = tuple(s for s in BUILTIN_STATUSES if s != "tombstone")
# What a status filter may name: every stored status, and 'all'.
FILTER_STATUSES = (*BUILTIN_STATUSES, "all")
ISSUE_TYPES = BUILTIN_TYPES
# The dependency types of the original v0.46; only the first four hold work back.
BLOCKING_DEP_TYPES = ("blocks", "parent-child", "conditional-blocks", "waits-for")
DEP_TYPES = (*BLOCKING_DEP_TYPES, "related", "discovered-from", "relates-to", "replies-to",
             "duplicates", "supersedes", "authored-by", "assigned-to", "approved-by",
             "tracks", "until", "caused-by", "validates")
READY_SORTS = ("hybrid", "priority", "oldest")
LIST_SORTS = ("priority", "created", "updated", "closed", "status", "id", "title", "type",
              "assignee")
PRIORITIES = ("0", "1", "2", "3", "4", "P0", "P1", "P2", "P3", "P4")


def invalid(what: str, value: str, valid: Sequence[str]) -> UsageError:
    """The usage error for ``value`` outside ``valid`` (``what``: 'status', '--sort', ...)."""
    return UsageError(f"invalid {what} {value!r} (valid values: {', '.join(valid)})"
                      f"{did_you_mean(value, valid)}")


def check(what: str, value: str, valid: Sequence[str]) -> str:
    if value not in valid:
        raise invalid(what, value, valid)
    return value


def status(value: str, custom: Iterable[str] = (), *, filter: bool = False) -> str:
    """A status to set (``filter``: to match, where 'all' and 'tombstone' are allowed too)."""
    valid = [*(FILTER_STATUSES if filter else SETTABLE_STATUSES), *custom]
    if value == "tombstone" and not filter:
        raise UsageError("cannot set status to tombstone directly; use 'bd delete'")
    return check("status", value, list(dict.fromkeys(valid)))


def issue_type(value: str, custom: Iterable[str] = ()) -> str:
    """An issue type (aliases such as 'feat' expanded)."""
    value = TYPE_ALIASES.get(value, value)
    return check("issue type", value, list(dict.fromkeys([*ISSUE_TYPES, *custom])))


def dep_type(value: str, custom: Iterable[str] = (), *, force: bool = False) -> str:
    """A dependency type: a known one, one from config ``types.custom_deps``, or with
    ``force`` anything storage accepts.  Only BLOCKING_DEP_TYPES affect readiness."""
    if value in DEP_TYPES or value in set(custom) or (force and value):
        return value
    raise UsageError(
        f"invalid dependency type {value!r} (valid values: {', '.join(DEP_TYPES)}; a custom "
        "type needs --force or config types.custom_deps, and does not block)"
        f"{did_you_mean(value, [*DEP_TYPES, *custom])}")


def blocks(dep: str) -> bool:
    return dep in BLOCKING_DEP_TYPES
