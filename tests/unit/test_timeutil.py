from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bd.core import timeutil as tu
from bd.errors import UsageError

UTC = UTC
PST = timezone(timedelta(hours=-8))
IST = timezone(timedelta(hours=5, minutes=30))


@pytest.fixture
def local_tz():
    """Switch the process's local zone for a test, restoring it afterwards."""
    saved = os.environ.get("TZ")

    def set_tz(name):
        os.environ["TZ"] = name
        time.tzset()

    yield set_tz
    if saved is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = saved
    time.tzset()


# --- format_ts --------------------------------------------------------------------------


def test_format_ts_examples():
    assert tu.format_ts(datetime(2026, 1, 6, 23, 51, 29, 123456, PST)) == (
        "2026-01-06T23:51:29.123456-08:00"
    )
    assert tu.format_ts(datetime(2026, 1, 6, 23, 51, 29, 120000, PST)) == (
        "2026-01-06T23:51:29.12-08:00"
    )
    assert tu.format_ts(datetime(2026, 1, 6, 23, 51, 29, 0, UTC)) == "2026-01-06T23:51:29Z"
    assert tu.format_ts(datetime(2026, 1, 6, 23, 51, 29, 5, IST)) == (
        "2026-01-06T23:51:29.000005+05:30"
    )
    assert tu.format_ts(datetime(2026, 1, 6, 0, 0, 0, 0, timezone(timedelta(0)))) == (
        "2026-01-06T00:00:00Z"
    )
    assert tu.format_ts(datetime(5, 1, 2, 3, 4, 5, tzinfo=UTC)) == "0005-01-02T03:04:05Z"


def test_format_ts_sub_minute_offset_falls_back_to_utc():
    odd = timezone(timedelta(minutes=9, seconds=21))  # historical LMT-like offset
    dt = datetime(2026, 1, 6, 12, 0, 0, tzinfo=odd)
    s = tu.format_ts(dt)
    assert s.endswith("Z")
    assert tu.parse_ts(s) == dt


def test_format_ts_naive_is_local(local_tz):
    local_tz("America/New_York")
    assert tu.format_ts(datetime(2025, 7, 1, 12, 0, 0)) == "2025-07-01T12:00:00-04:00"
    assert tu.format_ts(datetime(2025, 1, 1, 12, 0, 0)) == "2025-01-01T12:00:00-05:00"


def test_now_ts(local_tz):
    local_tz("Asia/Kolkata")
    before = datetime.now(UTC)
    s = tu.now_ts()
    after = datetime.now(UTC)
    assert s.endswith("+05:30")
    dt = tu.parse_ts(s)
    assert before - timedelta(microseconds=1) <= dt <= after
    local_tz("UTC")
    assert tu.now_ts().endswith("Z")


# --- parse_ts / ts_key ------------------------------------------------------------------


@pytest.mark.parametrize(
    "s,expected",
    [
        ("2026-01-06T23:51:29-08:00", datetime(2026, 1, 6, 23, 51, 29, tzinfo=PST)),
        ("2026-01-06T23:51:29Z", datetime(2026, 1, 6, 23, 51, 29, tzinfo=UTC)),
        ("2026-01-06T23:51:29.1Z", datetime(2026, 1, 6, 23, 51, 29, 100000, UTC)),
        ("2026-01-06T23:51:29.123456-08:00", datetime(2026, 1, 6, 23, 51, 29, 123456, PST)),
        ("2026-01-06T23:51:29.123456789-08:00", datetime(2026, 1, 6, 23, 51, 29, 123456, PST)),
        ("2026-01-06t23:51:29.5z", datetime(2026, 1, 6, 23, 51, 29, 500000, UTC)),
        ("2026-01-06 23:51:29", datetime(2026, 1, 6, 23, 51, 29, tzinfo=UTC)),
        ("2026-01-06 23:51:29.25+05:30", datetime(2026, 1, 6, 23, 51, 29, 250000, IST)),
    ],
)
def test_parse_ts_accepts(s, expected):
    got = tu.parse_ts(s)
    assert got == expected
    assert got.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    "s",
    [
        "",
        "garbage",
        "2026-01-06",
        "2026-01-06T23:51:29",  # RFC 3339 needs an offset
        "2026-01-06T23:51:29.Z",
        "2026-01-06T23:51:29.1234567890Z",
        "2026-13-06T23:51:29Z",
        "2026-01-06T24:00:00Z",
        "2026-01-06T23:51:29+25:00",
        "2026-01-06T23:51:29+0800",
        " 2026-01-06T23:51:29Z",
        "2026-01-06T23:51:29Z\n",
        "２０２６-01-06T23:51:29Z",  # full-width digits
        "20260106T235129Z",
    ],
)
def test_parse_ts_rejects(s):
    assert tu.parse_ts(s) is None
    assert tu.ts_key(s) is None


def test_parse_ts_non_string():
    assert tu.parse_ts(None) is None  # type: ignore[arg-type]
    assert tu.ts_key(12) is None  # type: ignore[arg-type]


def test_ts_key_uses_nanoseconds_and_instants():
    a = tu.ts_key("2026-01-06T23:51:29.123456789-08:00")
    b = tu.ts_key("2026-01-06T23:51:29.123456788-08:00")
    assert a - b == 1
    assert tu.ts_key("2026-01-07T07:51:29.123456789Z") == a
    assert tu.ts_key("1970-01-01T00:00:00Z") == 0
    assert tu.ts_key("1970-01-01T00:00:01.5Z") == 1_500_000_000
    assert tu.ts_key("1969-12-31T23:59:59.5Z") == -500_000_000
    assert tu.ts_key("1970-01-01 00:00:10") == 10_000_000_000


offsets = st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59).map(
    lambda m: timezone(timedelta(minutes=m))
)
aware = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=offsets
)


@given(aware)
def test_format_parse_round_trip(dt):
    s = tu.format_ts(dt)
    back = tu.parse_ts(s)
    assert back == dt
    assert back.utcoffset() == dt.utcoffset()
    assert tu.format_ts(back) == s
    epoch_us = (dt - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    assert tu.ts_key(s) == epoch_us * 1000


@given(aware, aware)
def test_ts_key_orders_like_instants(a, b):
    ka, kb = tu.ts_key(tu.format_ts(a)), tu.ts_key(tu.format_ts(b))
    assert (ka < kb) == (a < b)
    assert (ka == kb) == (a == b)


# --- parse_time_expr --------------------------------------------------------------------

# Wednesday 15 January 2025, 10:30 in a fixed -08:00 zone.
NOW = datetime(2025, 1, 15, 10, 30, 0, tzinfo=PST)


def pte(expr, now=NOW, tz=PST):
    return tu.parse_time_expr(expr, now, tz=tz)


def at(*args):
    return datetime(*args, tzinfo=PST)


@pytest.mark.parametrize(
    "expr,expected",
    [
        ("+6h", at(2025, 1, 15, 16, 30)),
        ("-6h", at(2025, 1, 15, 4, 30)),
        ("6h", at(2025, 1, 15, 16, 30)),
        ("+2d", at(2025, 1, 17, 10, 30)),
        ("-1d", at(2025, 1, 14, 10, 30)),
        ("+1w", at(2025, 1, 22, 10, 30)),
        ("+1m", at(2025, 2, 15, 10, 30)),  # m is months, not minutes
        ("+13m", at(2026, 2, 15, 10, 30)),
        ("-1m", at(2024, 12, 15, 10, 30)),
        ("+1y", at(2026, 1, 15, 10, 30)),
        ("+0d", NOW),
        ("  +6H  ", at(2025, 1, 15, 16, 30)),
    ],
)
def test_compact(expr, expected):
    assert pte(expr) == expected


def test_compact_month_clamps_day():
    jan31 = at(2025, 1, 31, 9, 0)
    assert pte("+1m", jan31) == at(2025, 2, 28, 9, 0)
    assert pte("+1m", at(2024, 1, 31, 9, 0)) == at(2024, 2, 29, 9, 0)
    assert pte("+1y", at(2024, 2, 29, 9, 0)) == at(2025, 2, 28, 9, 0)
    assert pte("-1m", at(2025, 3, 31, 9, 0)) == at(2025, 2, 28, 9, 0)


def test_dates_and_timestamps():
    assert pte("2025-03-01") == at(2025, 3, 1)
    assert pte("2025-03-01T08:15:00") == at(2025, 3, 1, 8, 15)
    assert pte("2025-03-01 08:15:00") == at(2025, 3, 1, 8, 15)
    got = pte("2025-03-01T08:15:00Z")
    assert got == datetime(2025, 3, 1, 8, 15, tzinfo=UTC)
    assert got.utcoffset() == timedelta(0)  # an explicit offset is kept
    assert pte("2025-03-01T08:15:00.5+05:30") == datetime(2025, 3, 1, 8, 15, 0, 500000, IST)


@pytest.mark.parametrize(
    "expr,expected",
    [
        ("now", NOW),
        ("NOW", NOW),
        ("today", at(2025, 1, 15)),
        ("tomorrow", at(2025, 1, 16)),
        ("Tomorrow", at(2025, 1, 16)),
        ("yesterday", at(2025, 1, 14)),
        ("next week", at(2025, 1, 22, 10, 30)),
        ("next   week", at(2025, 1, 22, 10, 30)),
        ("next month", at(2025, 2, 15, 10, 30)),
        ("in 3 days", at(2025, 1, 18, 10, 30)),
        ("in 1 day", at(2025, 1, 16, 10, 30)),
        ("in 2 weeks", at(2025, 1, 29, 10, 30)),
        ("in 5 hours", at(2025, 1, 15, 15, 30)),
        ("in an hour", at(2025, 1, 15, 11, 30)),
        ("in 2 months", at(2025, 3, 15, 10, 30)),
        ("3 days ago", at(2025, 1, 12, 10, 30)),
        ("2 weeks ago", at(2025, 1, 1, 10, 30)),
        ("eod", at(2025, 1, 15, 23, 59, 59)),
        ("end of day", at(2025, 1, 15, 23, 59, 59)),
        # NOW is a Wednesday: weekdays mean the next occurrence, strictly after today.
        ("thursday", at(2025, 1, 16)),
        ("next monday", at(2025, 1, 20)),
        ("monday", at(2025, 1, 20)),
        ("next wednesday", at(2025, 1, 22)),
        ("wednesday", at(2025, 1, 22)),
        ("next tuesday", at(2025, 1, 21)),
        ("next sunday", at(2025, 1, 19)),
        ("saturday", at(2025, 1, 18)),
        ("Fri", at(2025, 1, 17)),
    ],
)
def test_natural_language(expr, expected):
    got = pte(expr)
    assert got == expected
    assert got.tzinfo is not None


@pytest.mark.parametrize(
    "expr",
    [
        "",
        "   ",
        "soon",
        "+6x",
        "+6",
        "6 h",
        "++6h",
        "2025-02-30",
        "2025-1-5",
        "in 3 fortnights",
        "in days",
        "next friday please",
        "last monday",
        "+99999999999y",
        "+" + "9" * 5000 + "d",
    ],
)
def test_unparseable(expr):
    with pytest.raises(UsageError) as ei:
        pte(expr)
    assert str(ei.value) == (
        f'cannot parse time expression: "{expr.strip()}" (examples: +6h, tomorrow, 2025-01-15)'
    )
    assert ei.value.exit_code == 2


def test_now_in_other_zone_is_converted_to_tz():
    # Same instant given in UTC: wall-clock forms still use the requested zone.
    now_utc = NOW.astimezone(UTC)
    assert pte("today", now_utc) == at(2025, 1, 15)
    assert pte("+2d", now_utc) == at(2025, 1, 17, 10, 30)


def test_system_local_zone_and_dst(local_tz):
    local_tz("America/New_York")
    now = datetime(2025, 1, 15, 15, 30, tzinfo=UTC)  # 10:30 EST
    got = tu.parse_time_expr("2025-07-01", now)
    assert got.utcoffset() == timedelta(hours=-4)  # offset for the target date, not now
    assert got == datetime(2025, 7, 1, 4, 0, tzinfo=UTC)
    assert tu.parse_time_expr("today", now) == datetime(2025, 1, 15, 5, 0, tzinfo=UTC)
    # Calendar days keep the wall clock across the March DST change ...
    mar = datetime(2025, 3, 8, 15, 0, tzinfo=UTC)  # 10:00 EST, Saturday
    assert tu.parse_time_expr("+1d", mar) == datetime(2025, 3, 9, 14, 0, tzinfo=UTC)
    # ... while hours are elapsed time.
    assert tu.parse_time_expr("+24h", mar) == datetime(2025, 3, 9, 15, 0, tzinfo=UTC)


def test_default_now_is_current_time():
    before = datetime.now(UTC)
    got = tu.parse_time_expr("now")
    assert before <= got <= datetime.now(UTC)
    assert tu.parse_time_expr("+1h") - got >= timedelta(minutes=59)


def test_naive_now_is_local(local_tz):
    local_tz("UTC")
    assert tu.parse_time_expr("today", datetime(2025, 1, 15, 10, 0)) == datetime(
        2025, 1, 15, tzinfo=UTC
    )


def test_zoneinfo_tz():
    zoneinfo = pytest.importorskip("zoneinfo")
    try:
        ny = zoneinfo.ZoneInfo("America/New_York")
    except zoneinfo.ZoneInfoNotFoundError:
        pytest.skip("no tz database")
    now = datetime(2025, 1, 15, 10, 30, tzinfo=ny)
    got = tu.parse_time_expr("+6m", now, tz=ny)
    assert got.utcoffset() == timedelta(hours=-4)
    assert (got.month, got.day, got.hour) == (7, 15, 10)
