"""Dates, the one way searchkit reads them: from articles (``date`` fields, newspaper
headers) and from users (``since``/``until``). A date without a zone is Vietnamese time."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

__all__ = ["VIETNAM", "parse_date", "from_epoch", "at_vietnam"]

VIETNAM = timezone(timedelta(hours=7))

_DMY_RE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_EPOCH_RE = re.compile(r"\d{9,13}")
_EPOCH_MS_ABOVE = 1e11  # epoch seconds that large are past the year 5000: they are milliseconds


def at_vietnam(moment: datetime) -> datetime:
    """``moment`` with Vietnam's zone when it has none."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=VIETNAM)


def from_epoch(seconds: float) -> datetime:
    """The moment of ``seconds`` (or milliseconds, when that large) since the epoch, in
    Vietnam's zone; ValueError when out of range."""
    if abs(seconds) > _EPOCH_MS_ABOVE:
        seconds /= 1000
    try:
        return datetime.fromtimestamp(seconds, VIETNAM)
    except (OverflowError, OSError, ValueError):
        raise ValueError("out of range for a timestamp") from None


def parse_date(value: str) -> date | datetime:
    """A day (a :class:`date`) or a moment (an aware :class:`datetime`) from ISO 8601
    (``2023-04-04``, ``2023-04-04T16:10:37+07:00``, ``…Z``), ``dd/mm/yyyy [hh:mm[:ss]]``
    or epoch seconds or milliseconds. Raises ValueError saying what is wrong."""
    s = value.strip()
    if _EPOCH_RE.fullmatch(s):
        return from_epoch(int(s))
    if s and "T" not in s and " " not in s and ":" not in s:
        try:
            return date.fromisoformat(s)
        except ValueError:
            pass
    try:
        return at_vietnam(datetime.fromisoformat(s[:-1] + "+00:00" if s[-1:] in "Zz" and s else s))
    except ValueError:
        pass
    m = _DMY_RE.fullmatch(s)
    if not m:
        raise ValueError("not a date (use ISO 8601, e.g. 2023-04-04T16:10:37+07:00)")
    try:
        day, month, year, hour, minute, second = (int(g or 0) for g in m.group(1, 2, 3, 4, 5, 6))
        if m.group(4) is None:
            return date(year, month, day)
        return datetime(year, month, day, hour, minute, second, tzinfo=VIETNAM)
    except ValueError as exc:
        raise ValueError(f"not a valid date ({exc})") from None
