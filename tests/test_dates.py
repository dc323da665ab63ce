"""The one date parser, for article dates and for since/until."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from searchkit.dates import VIETNAM, parse_date
from searchkit.errors import InvalidParameterError
from searchkit.filters import date_bound


def test_days_and_moments():
    assert parse_date("2024-03-15") == date(2024, 3, 15)
    assert parse_date("15/03/2024") == date(2024, 3, 15)
    assert parse_date("15/03/2024 08:30") == datetime(2024, 3, 15, 8, 30, tzinfo=VIETNAM)
    assert parse_date("2024-03-15T08:30") == datetime(2024, 3, 15, 8, 30, tzinfo=VIETNAM)
    assert parse_date("2024-03-15T01:30Z") == datetime(2024, 3, 15, 1, 30, tzinfo=timezone.utc)
    assert parse_date("1700000000") == datetime.fromtimestamp(1700000000, VIETNAM)
    assert parse_date("1700000000000") == datetime.fromtimestamp(1700000000, VIETNAM)


@pytest.mark.parametrize("bad", ["", "hôm qua", "31/02/2024", "2024-13-01"])
def test_not_dates_say_why(bad):
    with pytest.raises(ValueError, match="not a"):
        parse_date(bad)


def test_a_day_bounds_the_whole_vietnamese_day():
    start, end = date_bound("15/03/2024", "since"), date_bound("2024-03-15", "until")
    assert start == datetime(2024, 3, 14, 17, 0)  # midnight in Vietnam, as naive UTC
    assert end is not None and end - start == timedelta(days=1, microseconds=-1)
    with pytest.raises(InvalidParameterError):
        date_bound("yesterday", "since")
