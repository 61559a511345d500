"""Dates: reading the many ways sources write them, and the ranges users type.

Source dates become a UTC datetime when the source gives a time and a plain date when it
gives only a day; anything unreadable or absurd becomes None, never a guess.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import warnings

from .errors import UsageError

UTC = dt.timezone.utc
# Wire archives start with the telegraph; anything outside this window is a typo.
EARLIEST_YEAR = 1800
MONTHS = {name: number for number, name in enumerate(calendar.month_abbr) if name}

# Reuters-21578: "26-FEB-1987 15:01:01.79", sometimes with junk around it, an hour of 605
# or one decimal digit. The day part is always readable.
# The same form elsewhere may have no seconds, AM or PM, and end with a UTC offset
# ("10-JAN-2017 14:30:00 +0500", "GMT+0500") or a zone's abbreviation ("11:30 PM EST").
_DAY_MON_YEAR = re.compile(r"(\d{1,2})-([A-Za-z]{3})-(\d{4})"
                           r"(?:\s+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?"
                           r"(?:\s*([AaPp])\.?[Mm]\.?(?![A-Za-z]))?"
                           r"(?:\s*(?:(?:GMT|UTC)\s*)?([+-])(\d{1,2})(?::?(\d{2}))?\b"
                           r"|\s+([A-Z]{1,5})\b)?)?")
# "GMT-0500" means five hours behind UTC, as wires write it; dateutil reads "GMT" or
# "UTC" before an offset the POSIX way round (GMT-5 is five hours ahead), so the name
# is left out before it parses.
_NAMED_OFFSET = re.compile(r"\b(?:GMT|UTC)\s*(?=[+-]\d)")
_HAS_TIME = re.compile(r"\d{1,2}:\d{2}|T\d{2}")
_YEAR_ONLY = re.compile(r"^[+-]?\d{4}$")

# Time-zone abbreviations wires print after a time ("21:30 EST"), as UTC offsets in
# hours. No library maps them (an abbreviation can name several zones): these are the
# readings English-language wires mean. CST is US Central (not China), IST India; the
# ones with no such reading (AST, ADT) are not guessed at: any other abbreviation is
# read as UTC, as a time with no zone is.
_ZONE_HOURS = {
    "GMT": 0, "UTC": 0, "Z": 0,
    "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
    "AKST": -9, "AKDT": -8, "HST": -10, "WET": 0, "WEST": 1, "BST": 1, "IST": 5.5,
    "CET": 1, "CEST": 2, "MET": 1, "MEST": 2, "EET": 2, "EEST": 3, "MSK": 3, "JST": 9,
    "KST": 9, "HKT": 8, "SGT": 8, "AWST": 8, "ACST": 9.5, "ACDT": 10.5, "AEST": 10,
    "AEDT": 11, "NZST": 12, "NZDT": 13,
}
_ZONES = {name: dt.timezone(dt.timedelta(hours=hours), name)
          for name, hours in _ZONE_HOURS.items()}


class AbsurdDate(ValueError):
    """A date that parses but cannot be a story's date (year 2987, year 12)."""


def parse_source_date(text: str | None, today: dt.date | None = None) -> dt.date | None:
    """Read a source's date. Returns None when there is nothing readable; raises
    AbsurdDate when the text is a date outside any plausible range."""
    if not text or not text.strip():
        return None
    text = text.strip()
    try:
        value = _parse_day_mon_year(text)
        if value is None:
            value = _parse_general(text)
    except OverflowError:  # past year 9999 once in UTC ("9999-12-31T23:59-05:00")
        raise AbsurdDate(f"date {text!r} is outside {EARLIEST_YEAR}-9999") from None
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
    (day, month_name, year, hour, minute, second, half, sign, zone_hours, zone_minutes,
     zone_name) = match.groups()
    month = MONTHS.get(month_name.title())
    if month is None:
        return None
    try:
        day_value = dt.date(int(year), month, int(day))
    except ValueError:
        return None
    if hour is None:
        return day_value
    hour_value = int(hour)
    if half and 1 <= hour_value <= 12:
        hour_value = hour_value % 12 + (12 if half in "Pp" else 0)
    zone = _ZONES.get(zone_name, UTC)  # another abbreviation: read as UTC, as dateutil's
    if sign:
        offset = dt.timedelta(hours=int(zone_hours), minutes=int(zone_minutes or 0))
        if offset < dt.timedelta(hours=24):
            zone = dt.timezone(-offset if sign == "-" else offset)
    try:
        return dt.datetime(day_value.year, day_value.month, day_value.day, hour_value,
                           int(minute), int(second or 0), tzinfo=zone).astimezone(UTC)
    except ValueError:
        return day_value  # a broken time of day: the day is still right


def _parse_general(text: str) -> dt.date | None:
    try:
        parsed = dt.datetime.fromisoformat(text)  # whole ISO 8601 dates, the commonest
    except ValueError:
        parsed = _parse_iso(text) or _parse_free(text)
        if parsed is None or not isinstance(parsed, dt.datetime):
            return parsed
    if not _HAS_TIME.search(text):
        return parsed.date()
    if parsed.tzinfo is None:
        # Sources that give no zone are read as UTC (documented in README).
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _parse_iso(text: str) -> dt.datetime | None:
    """ISO 8601 forms Python's own reader does not take (24:00, ordinal and week dates,
    before Python 3.11 basic forms), but not a year alone, which is no story's date."""
    from dateutil import parser as dateparser

    if _YEAR_ONLY.match(text):
        return None
    try:
        return dateparser.isoparse(text)
    except (ValueError, OverflowError, TypeError):
        return None


def _parse_free(text: str) -> dt.date | None:
    """A date in any spelling dateutil reads; None without a year or a month, and the
    first of the month without a day."""
    from dateutil import parser as dateparser

    with warnings.catch_warnings():
        # An unknown zone name is read as no zone, which is UTC here.
        warnings.simplefilter("ignore", dateparser.UnknownTimezoneWarning)
        text = _NAMED_OFFSET.sub("", text)
        try:
            # Parsed twice, with defaults that differ in every part: what dateutil
            # takes from its default (today's, unless told) is what the text omits.
            parsed = dateparser.parse(text, default=_DEFAULTS[0], tzinfos=_ZONES)
            other = dateparser.parse(text, default=_DEFAULTS[1], tzinfos=_ZONES)
        except (ValueError, OverflowError, TypeError):
            return None
    if parsed.year != other.year or parsed.month != other.month:
        return None  # "March 5" or "2017": no year, or no month, is not a story's date
    if parsed.day != other.day:
        return parsed.date().replace(day=1)  # "July 2017": the month is right
    return parsed


def utc_offset(zone: str) -> str | None:
    """`EST` -> `-05:00`: the UTC offset of a zone abbreviation wires print, or None."""
    if zone not in _ZONES:
        return None
    minutes = round(_ZONE_HOURS[zone] * 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


# The day after Python's last date, which parse_user_date gives as the end of a range
# that reaches it: the object stands for that day (epoch_seconds gives its start,
# 10000-01-01), not for 9999-12-31 itself.
AFTER_LAST_DAY = dt.date.max
_AFTER_LAST_DAY_SECONDS = ((dt.date.max - dt.date(1970, 1, 1)).days + 1) * 86400

# Every part differs, the days by more than a week ("Tuesday, July 2017" is read as the
# first Tuesday from the default day).
_DEFAULTS = (dt.datetime(2001, 1, 1), dt.datetime(2002, 2, 15))


_USER_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


def parse_user_date(text: str) -> tuple[dt.date, dt.date]:
    """`YYYY`, `YYYY-MM` or `YYYY-MM-DD` as the half-open range of days it covers."""
    match = _USER_DATE.match(text.strip()) if isinstance(text, str) else None
    if not match:
        raise UsageError(f"bad date {text!r}: use YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = (int(part) if part else None for part in match.groups())
    try:
        if month is None:
            start, months = dt.date(year, 1, 1), 12
        elif day is None:
            start, months = dt.date(year, month, 1), 1
        else:
            start, months = dt.date(year, month, day), 0
    except ValueError:
        if not 1 <= year <= 9999:
            what = "year"
        elif month is not None and not 1 <= month <= 12:
            what = "month"
        elif day is not None and not 1 <= day <= calendar.monthrange(year, month)[1]:
            what = "day"
        else:
            what = "date"
        raise UsageError(f"bad date {text!r}: no such {what}") from None
    try:
        end = add_months(start, months) if months else start + dt.timedelta(days=1)
    except (ValueError, OverflowError):
        end = AFTER_LAST_DAY  # the range ends with the year 9999
    return start, end


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
    if value is AFTER_LAST_DAY:
        return _AFTER_LAST_DAY_SECONDS
    return int(as_datetime(value).timestamp())
