"""Timestamps (RFC 3339, as the original writes them) and user time expressions.

Stored timestamps carry the writer's local offset, microsecond precision with trailing
zeros trimmed, and ``Z`` for a zero offset.  Readers accept ``Z``/``±hh:mm`` and 0-9
fraction digits, plus SQLite's ``YYYY-MM-DD HH:MM:SS`` (UTC).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, tzinfo

from bd.errors import UsageError

UTC = UTC
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# RFC 3339 (either case for T/Z, as the RFC allows) and the space-separated SQL form.
# re.ASCII: \d must not match other scripts' digits.
_TS_RE = re.compile(
    r"(\d{4}-\d\d-\d\d)([Tt ])(\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?([Zz]|[+-]\d\d:\d\d)?",
    re.ASCII,
)
_DATE_RE = re.compile(r"\d{4}-\d\d-\d\d", re.ASCII)
_COMPACT_RE = re.compile(r"([+-]?)(\d+)([hdwmy])", re.ASCII)


# --- formatting -------------------------------------------------------------------------


def format_ts(dt: datetime) -> str:
    """RFC 3339 with the datetime's own offset (naive = local), fraction trimmed."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        dt = dt.astimezone()
    off = dt.utcoffset()
    assert off is not None
    total = off.days * 86400 + off.seconds
    if off.microseconds or total % 60:
        # RFC 3339 offsets have minute precision; keep the instant exact by using UTC.
        dt = dt.astimezone(UTC)
        total = 0
    s = (
        f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}"
        f"T{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}"
    )
    if dt.microsecond:
        s += f".{dt.microsecond:06d}".rstrip("0")
    if total == 0:
        return s + "Z"
    sign = "+" if total > 0 else "-"
    total = abs(total)
    return f"{s}{sign}{total // 3600:02d}:{total % 3600 // 60:02d}"


def now_ts() -> str:
    """The current time, formatted like :func:`format_ts` with the local offset."""
    return format_ts(datetime.now().astimezone())


# --- parsing ----------------------------------------------------------------------------


def _parse(s: str) -> tuple[datetime, str, str | None] | None:
    """``(datetime possibly naive, separator, raw fraction digits)`` or None."""
    m = _TS_RE.fullmatch(s)
    if m is None:
        return None
    sep, frac, off = m.group(2), m.group(4), m.group(5)
    if sep == "t" or off == "z":
        s = s.upper()
    try:
        # 3.11's fromisoformat takes Z, space separators and truncates >6 fraction digits.
        return datetime.fromisoformat(s), sep, frac
    except ValueError:  # out-of-range field, e.g. month 13 or offset +25:00
        return None


def parse_ts(s: str) -> datetime | None:
    """Aware datetime for a stored timestamp, or None when it is not one."""
    if not isinstance(s, str):
        return None
    parsed = _parse(s)
    if parsed is None:
        return None
    dt, sep, _ = parsed
    if dt.tzinfo is None:
        if sep != " ":  # only SQLite's CURRENT_TIMESTAMP form is implicitly UTC
            return None
        dt = dt.replace(tzinfo=UTC)
    return dt


def ts_key(s: str) -> int | None:
    """Epoch nanoseconds of a stored timestamp (all 9 fraction digits), or None."""
    if not isinstance(s, str):
        return None
    # Fast path for the common shape (a fraction of at most 6 digits, then Z or +hh:mm):
    # fromisoformat alone, no regex. Anything else takes the exact path below.
    if len(s) >= 20 and s[10] == "T":
        k = 19
        if s[19] == ".":
            k = 20
            while k < len(s) and s[k].isdigit():
                k += 1
        tail = s[k:]
        if (k == 19 or 21 <= k <= 26) and (tail == "Z" or len(tail) == 6 and tail[3] == ":"
                                           and tail[0] in "+-"):
            try:
                dt = datetime.fromisoformat(s)
            except ValueError:
                dt = None
            if dt is not None and dt.tzinfo is not None:
                delta = dt - _EPOCH
                return ((delta.days * 86400 + delta.seconds) * 1_000_000_000
                        + delta.microseconds * 1000)
    parsed = _parse(s)
    if parsed is None:
        return None
    dt, sep, frac = parsed
    if dt.tzinfo is None:
        if sep != " ":
            return None
        dt = dt.replace(tzinfo=UTC)
    delta = dt - _EPOCH
    ns = (delta.days * 86400 + delta.seconds) * 1_000_000_000
    if frac:
        ns += int(frac.ljust(9, "0"))
    return ns


# --- time expressions -------------------------------------------------------------------

_WEEKDAYS = {
    name: i
    for i, names in enumerate(
        (
            ("monday", "mon"),
            ("tuesday", "tue", "tues"),
            ("wednesday", "wed"),
            ("thursday", "thu", "thur", "thurs"),
            ("friday", "fri"),
            ("saturday", "sat"),
            ("sunday", "sun"),
        )
    )
    for name in names
}

# Long-form units for "in N <unit>" / "N <unit> ago" (singular, after dropping a final "s").
_UNITS = {
    "minute": "minutes",
    "min": "minutes",
    "hour": "hours",
    "hr": "hours",
    "day": "days",
    "week": "weeks",
    "month": "months",
    "year": "years",
}


def _precision_ns(s: str) -> int:
    """The unit of the last digit written: 10**9 for whole seconds, 10**3 for microseconds."""
    dot = s.find(".", 19)
    if dot < 0:
        return 1_000_000_000
    k = dot + 1
    while k < len(s) and s[k].isdigit():
        k += 1
    digits = min(k - dot - 1, 9)
    return 10 ** (9 - digits)


def same_instant(a: object, b: object) -> bool:
    """True when two stored timestamps denote the same instant at the coarser of their
    precisions: ``...00Z`` = ``...00.000000Z``, and ``12:00:01Z`` = ``12:00:01.734Z`` (one
    writer truncated to whole seconds).  Offsets are compared as instants, not as text."""
    if a == b:
        return True
    if not isinstance(a, str) or not isinstance(b, str):
        return False
    ka, kb = ts_key(a), ts_key(b)
    if ka is None or kb is None:
        return False
    unit = max(_precision_ns(a), _precision_ns(b))
    return ka // unit == kb // unit


def _days_in_month(year: int, month: int) -> int:
    if month == 12:
        return 31
    return (date(year, month + 1, 1) - date(year, month, 1)).days


def _add_months(wall: datetime, n: int) -> datetime:
    """Calendar-month arithmetic; the day is clamped (Jan 31 + 1 month = Feb 28/29)."""
    years, m0 = divmod(wall.month - 1 + n, 12)
    year, month = wall.year + years, m0 + 1
    return wall.replace(year=year, month=month, day=min(wall.day, _days_in_month(year, month)))


class _Clock:
    """``now`` plus the zone in which wall-clock expressions are interpreted."""

    def __init__(self, now: datetime | None, tz: tzinfo | None) -> None:
        self.tz = tz
        if now is None:
            now = datetime.now(UTC)
        elif now.tzinfo is None:
            now = now.astimezone()  # naive means local
        self.now = self.to_local(now)
        self.wall = self.now.replace(tzinfo=None)
        self.midnight = self.wall.replace(hour=0, minute=0, second=0, microsecond=0)

    def to_local(self, aware: datetime) -> datetime:
        return aware.astimezone(self.tz) if self.tz is not None else aware.astimezone()

    def at(self, wall: datetime) -> datetime:
        """Attach the zone to a wall-clock time (offset looked up for that date: DST)."""
        if self.tz is not None:
            return wall.replace(tzinfo=self.tz)
        return wall.astimezone()

    def shift(self, amount: int, unit: str) -> datetime:
        if unit in ("minutes", "hours"):
            # Elapsed time: add in UTC so DST transitions do not skew it.
            td = timedelta(**{unit: amount})
            return self.to_local(self.now.astimezone(UTC) + td)
        if unit == "days":
            return self.at(self.wall + timedelta(days=amount))
        if unit == "weeks":
            return self.at(self.wall + timedelta(weeks=amount))
        if unit == "months":
            return self.at(_add_months(self.wall, amount))
        return self.at(_add_months(self.wall, 12 * amount))  # years


_COMPACT_UNITS = {"h": "hours", "d": "days", "w": "weeks", "m": "months", "y": "years"}


def _count(word: str) -> int | None:
    if word in ("a", "an", "one"):
        return 1
    if word.isascii() and word.isdigit():
        return int(word)
    return None


def _unit(word: str) -> str | None:
    return _UNITS.get(word[:-1] if word.endswith("s") else word)


def _natural(text: str, clock: _Clock) -> datetime | None:
    if text == "now":
        return clock.now
    if text == "today":
        return clock.at(clock.midnight)
    if text == "tomorrow":
        return clock.at(clock.midnight + timedelta(days=1))
    if text == "yesterday":
        return clock.at(clock.midnight - timedelta(days=1))
    if text in ("eod", "end of day"):
        return clock.at(clock.midnight.replace(hour=23, minute=59, second=59))
    words = text.split(" ")
    if len(words) == 2 and words[0] == "next":
        if words[1] == "week":
            return clock.shift(1, "weeks")
        if words[1] == "month":
            return clock.shift(1, "months")
        if words[1] == "year":
            return clock.shift(1, "years")
    if len(words) <= 2 and words[-1] in _WEEKDAYS and (len(words) == 1 or words[0] == "next"):
        # Next occurrence strictly after today, at local midnight.
        ahead = (_WEEKDAYS[words[-1]] - clock.midnight.weekday() - 1) % 7 + 1
        return clock.at(clock.midnight + timedelta(days=ahead))
    if len(words) == 3 and (words[0] == "in" or words[2] == "ago"):
        n, u = (words[1], words[2]) if words[0] == "in" else (words[0], words[1])
        amount, unit = _count(n), _unit(u)
        if amount is not None and unit is not None:
            return clock.shift(amount if words[0] == "in" else -amount, unit)
    return None


def parse_time_expr(
    expr: str, now: datetime | None = None, *, tz: tzinfo | None = None
) -> datetime:
    """Parse a ``--due``/``--defer``/date-filter expression into an aware datetime.

    Wall-clock forms (dates, ``today``, weekdays, ``+2d``) are interpreted in ``tz``,
    or in the system local zone when ``tz`` is None.  Raises UsageError on failure.
    """
    raw = expr.strip()
    text = " ".join(raw.lower().split())
    clock = _Clock(now, tz)
    try:
        m = _COMPACT_RE.fullmatch(text)
        if m is not None:
            amount = int(m.group(2))
            return clock.shift(-amount if m.group(1) == "-" else amount, _COMPACT_UNITS[m.group(3)])
        if _DATE_RE.fullmatch(text):
            return clock.at(datetime.fromisoformat(text))
        parsed = _parse(raw)
        if parsed is not None:
            dt = parsed[0]
            return dt if dt.tzinfo is not None else clock.at(dt)
        result = _natural(text, clock)
        if result is not None:
            return result
    except (ValueError, OverflowError):
        pass  # out-of-range dates and huge counts read as "cannot parse"
    raise UsageError(
        f'cannot parse time expression: "{raw}" (examples: +6h, tomorrow, 2025-01-15)'
    )
