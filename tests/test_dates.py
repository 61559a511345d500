import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wiresearch.dates import AbsurdDate, epoch_seconds, parse_source_date, parse_user_date
from wiresearch.errors import UsageError
from wiresearch.query import date_range

UTC = dt.timezone.utc


@pytest.mark.parametrize("text, expected", [
    ("26-FEB-1987 15:01:01.79", dt.datetime(1987, 2, 26, 15, 1, 1, tzinfo=UTC)),
    ("  3-APR-1987 07:09:06.48", dt.datetime(1987, 4, 3, 7, 9, 6, tzinfo=UTC)),
    ("3-MAR-1987  09:15:05.40", dt.datetime(1987, 3, 3, 9, 15, 5, tzinfo=UTC)),
    ("27-MAR-1987 00:02:59.13\x05\x05\x05RM", dt.datetime(1987, 3, 27, 0, 2, 59, tzinfo=UTC)),
    # An impossible hour keeps the day.
    ("6-APR-1987 605:00:00.00", dt.date(1987, 4, 6)),
    ("20170707T101500+0200", dt.datetime(2017, 7, 7, 8, 15, tzinfo=UTC)),
    ("2017-07-07", dt.date(2017, 7, 7)),
    ("2004-05-01T12:00:00Z", dt.datetime(2004, 5, 1, 12, tzinfo=UTC)),
    # Zone abbreviations and offsets are honoured, across midnight too.
    ("Tue, 10 Jan 2017 21:30:00 EST", dt.datetime(2017, 1, 11, 2, 30, tzinfo=UTC)),
    ("2017-07-10 14:30 PDT", dt.datetime(2017, 7, 10, 21, 30, tzinfo=UTC)),
    ("Jan 10, 2017 9:30 CET", dt.datetime(2017, 1, 10, 8, 30, tzinfo=UTC)),
    ("10-JAN-2017 14:30:00 +0500", dt.datetime(2017, 1, 10, 9, 30, tzinfo=UTC)),
    ("10 Jan 2017 14:30 GMT", dt.datetime(2017, 1, 10, 14, 30, tzinfo=UTC)),
    # "GMT-0500" is five hours behind, as wires mean it (not the POSIX way round).
    ("Tue, 10 Jan 2017 14:30:00 GMT-0500", dt.datetime(2017, 1, 10, 19, 30, tzinfo=UTC)),
    ("2017-01-10 14:30:00 GMT+0100", dt.datetime(2017, 1, 10, 13, 30, tzinfo=UTC)),
    ("10 Jan 2017 14:30 UTC+2", dt.datetime(2017, 1, 10, 12, 30, tzinfo=UTC)),
    ("10-JAN-2017 14:30:00 GMT+0500", dt.datetime(2017, 1, 10, 9, 30, tzinfo=UTC)),
    ("10-JAN-2017 14:30 GMT+5", dt.datetime(2017, 1, 10, 9, 30, tzinfo=UTC)),
    # The day-month-year form with a zone's name, AM or PM, no seconds.
    ("10-Jan-2017 14:30:00 EST", dt.datetime(2017, 1, 10, 19, 30, tzinfo=UTC)),
    ("10-Jan-2017 11:30:00 PM", dt.datetime(2017, 1, 10, 23, 30, tzinfo=UTC)),
    ("10-Jan-2017 11:30 p.m. EST", dt.datetime(2017, 1, 11, 4, 30, tzinfo=UTC)),
    ("10-Jan-2017 12:10 AM", dt.datetime(2017, 1, 10, 0, 10, tzinfo=UTC)),
    # A zone no one can place is read as UTC, as a time with no zone is.
    ("2017-01-10 21:30 XYZ", dt.datetime(2017, 1, 10, 21, 30, tzinfo=UTC)),
    # A month without a day is the first of the month, a weekday before it or not.
    ("July 2017", dt.date(2017, 7, 1)),
    ("Tuesday, July 2017", dt.date(2017, 7, 1)),
    # ISO 8601 forms beyond Python's own reader: 24:00, an ordinal date.
    ("2017-07-07T24:00:00", dt.datetime(2017, 7, 8, tzinfo=UTC)),
    ("2017-188", dt.date(2017, 7, 7)),
])
def test_source_dates_become_utc(text, expected):
    assert parse_source_date(text) == expected


# Nothing is taken from today's date: no year or no month is no date.
@pytest.mark.parametrize("text", [None, "", "   ", "not a date at all", "March 5", "2017",
                                  "12", "Tuesday"])
def test_unreadable_source_dates_are_none(text):
    assert parse_source_date(text) is None


def test_absurd_source_dates_are_refused():
    with pytest.raises(AbsurdDate):
        parse_source_date("2987-01-01")
    with pytest.raises(AbsurdDate):  # past Python's last year once in UTC
        parse_source_date("9999-12-31T23:59:59-05:00")
    with pytest.raises(AbsurdDate):
        parse_source_date("01-JAN-1200 00:00:00.00")


@pytest.mark.parametrize("text, start, end", [
    ("1987", dt.date(1987, 1, 1), dt.date(1988, 1, 1)),
    ("1987-03", dt.date(1987, 3, 1), dt.date(1987, 4, 1)),
    ("1987-12", dt.date(1987, 12, 1), dt.date(1988, 1, 1)),
    ("1987-03-15", dt.date(1987, 3, 15), dt.date(1987, 3, 16)),
    # The last year Python's dates hold: its range ends at their end.
    ("9999", dt.date(9999, 1, 1), dt.date.max),
    ("9999-12-31", dt.date(9999, 12, 31), dt.date.max),
])
def test_user_dates_are_half_open_ranges(text, start, end):
    assert parse_user_date(text) == (start, end)


def test_the_last_day_python_holds_is_a_whole_day():
    start, end = parse_user_date("9999-12-31")
    assert epoch_seconds(end) - epoch_seconds(start) == 86400
    node = date_range("9999-12-31", "9999-12-31")
    assert (node.start, node.end) == (epoch_seconds(start), epoch_seconds(start) + 86400)


@pytest.mark.parametrize("text", ["1987-13", "87-03", "1987/03", "1987-02-30", "soon", ""])
def test_bad_user_dates_say_how_to_write_them(text):
    with pytest.raises(UsageError):
        parse_user_date(text)


@pytest.mark.parametrize("text, part", [("1987-13", "month"), ("1987-00-05", "month"),
                                        ("1987-02-30", "day"), ("0000", "year"),
                                        ("9999-13", "month"), ("9999-02-30", "day")])
def test_bad_user_dates_name_the_wrong_part(text, part):
    with pytest.raises(UsageError, match=f"no such {part}$"):
        parse_user_date(text)


@given(st.text(max_size=40))
def test_user_date_parser_only_raises_usage_errors(text):
    try:
        start, end = parse_user_date(text)
    except UsageError:
        return
    assert start < end


@given(st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2020, 1, 1)),
       st.integers(min_value=-12 * 60, max_value=14 * 60).map(lambda m: m - m % 15),
       st.sampled_from(["{iso}{offset}", "{rfc} GMT{offset}", "{rfc} UTC{offset}",
                        "{rfc} {offset}", "{day} GMT{offset}", "{day} {offset}"]))
def test_a_written_offset_is_read_the_way_wires_mean_it(local, minutes, form):
    local = local.replace(second=0, microsecond=0)
    sign = "-" if minutes < 0 else "+"
    offset = f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"
    text = form.format(iso=local.isoformat(), rfc=local.strftime("%a, %d %b %Y %H:%M:%S"),
                       day=local.strftime("%d-%b-%Y %H:%M:%S"), offset=offset)
    expected = (local - dt.timedelta(minutes=minutes)).replace(tzinfo=UTC)
    assert parse_source_date(text) == expected, text


@given(st.text(max_size=60))
def test_source_date_parser_never_crashes(text):
    try:
        value = parse_source_date(text)
    except AbsurdDate:
        return
    assert value is None or isinstance(value, dt.date)


@given(st.one_of(
    st.dates(min_value=dt.date(1000, 1, 1)),
    st.datetimes(min_value=dt.datetime(1000, 1, 1), timezones=st.just(dt.timezone.utc))
    .map(lambda value: value.replace(microsecond=0))))
def test_stored_dates_read_back_as_written(value):
    from wiresearch.model import format_date, parse_stored_date

    assert parse_stored_date(format_date(value)) == value
