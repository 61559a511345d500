"""Dates: reading the many ways sources write them, and the ranges users type.

Source dates become a UTC datetime when the source gives a time and a plain date when it
gives only a day; anything unreadable or absurd becomes None, never a guess.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

from .errors import UsageError

UTC = dt.timezone.utc
# Wire archives start with the telegraph; anything outside this window is a typo.
EARLIEST_YEAR = 1800
MONTHS = {name: number for number, name in enumerate(calendar.month_abbr) if name}

# Reuters-21578: "26-FEB-1987 15:01:01.79", sometimes with junk around it, an hour of 605
# or one decimal digit. The day part is always readable.
_DAY_MON_YEAR = re.compile(r"(\d{1,2})-([A-Za-z]{3})-(\d{4})(?:\s+(\d{1,2}):(\d{2}):(\d{2}))?")
_HAS_TIME = re.compile(r"\d{1,2}:\d{2}|T\d{2}")


class AbsurdDate(ValueError):
    """A date that parses but cannot be a story's date (year 2987, year 12)."""


def parse_source_date(text: str | None, today: dt.date | None = None) -> dt.date | None:
    """Read a source's date. Returns None when there is nothing readable; raises
    AbsurdDate when the text is a date outside any plausible range."""
    if not text or not text.strip():
        return None
    text = text.strip()
    value = _parse_day_mon_year(text)
    if value is None:
        value = _parse_general(text)
    if value is None:
        return None
    latest = (today or dt.date.today()).year + 1
    if not EARLIEST_YEAR <= value.year <= latest:
        raise AbsurdDate(f"date {text!r} is outside {EARLIEST_YEAR}-{latest}")
    return value


def _parse_day_mon_year(text: str) -> dt.date | None:
    match = _DAY_MON_YEAR.search(text)
    if not match:
        return None
    day, month_name, year, hour, minute, second = match.groups()
    month = MONTHS.get(month_name.title())
    if month is None:
        return None
    try:
        day_value = dt.date(int(year), month, int(day))
    except ValueError:
        return None
    if hour is None:
        return day_value
    try:
        return dt.datetime(day_value.year, day_value.month, day_value.day,
                           int(hour), int(minute), int(second), tzinfo=UTC)
    except ValueError:
        return day_value  # a broken time of day: the day is still right


def _parse_general(text: str) -> dt.date | None:
    from dateutil import parser as dateparser

    try:
        parsed = dateparser.parse(text)
    except (ValueError, OverflowError, TypeError):
        try:
            parsed = dateparser.isoparse(text)
        except (ValueError, OverflowError, TypeError):
            return None
    if not _HAS_TIME.search(text):
        return parsed.date()
    if parsed.tzinfo is None:
        # Sources that give no zone are read as UTC (documented in README).
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


_USER_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


def parse_user_date(text: str) -> tuple[dt.date, dt.date]:
    """`YYYY`, `YYYY-MM` or `YYYY-MM-DD` as the half-open range of days it covers."""
    match = _USER_DATE.match(text.strip()) if isinstance(text, str) else None
    if not match:
        raise UsageError(f"bad date {text!r}: use YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = (int(part) if part else None for part in match.groups())
    try:
        if month is None:
            return dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
        if day is None:
            start = dt.date(year, month, 1)
            return start, add_months(start, 1)
        start = dt.date(year, month, day)
        return start, start + dt.timedelta(days=1)
    except (ValueError, OverflowError):
        if not 1 <= year <= 9999:
            what = "year"
        elif month is not None and not 1 <= month <= 12:
            what = "month"
        elif day is not None and not 1 <= day <= calendar.monthrange(year, month)[1]:
            what = "day"
        else:
            what = "year"  # a real day whose range ends after the year 9999
        raise UsageError(f"bad date {text!r}: no such {what}") from None


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after the month of `day`."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def as_datetime(value: dt.date) -> dt.datetime:
    """A date as midnight UTC; a datetime unchanged."""
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime(value.year, value.month, value.day, tzinfo=UTC)


def epoch_seconds(value: dt.date) -> int:
    return int(as_datetime(value).timestamp())
