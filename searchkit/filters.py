"""What narrows and summarises a search besides its words: the date, author and category
filters, and the facet counts over every matching document."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timezone

import numpy as np
from whoosh import query as wq

from . import text
from .dates import at_vietnam, parse_date
from .errors import InvalidParameterError
from .reader import IndexReader

__all__ = ["Filters", "date_bound", "facet_counts", "FACETS"]

DateValue = date | datetime | str | None

# The facets, by name, and the column each counts.
FACETS = {"month": "month", "category": "category", "author": "author_name"}


@dataclass(frozen=True)
class Filters:
    """``since``/``until`` bound the publication date (inclusive; a day means the whole day
    in Vietnam's time zone); ``author`` and ``category`` must match."""

    since: DateValue = None
    until: DateValue = None
    author: str | None = None
    category: str | None = None

    def check(self) -> tuple[datetime | None, datetime | None]:
        """The date bounds as UTC-naive datetimes, or InvalidParameterError."""
        return date_bound(self.since, "since"), date_bound(self.until, "until")

    def mask(self, reader: IndexReader) -> np.ndarray | None:
        """Documents passing every filter given (None when there is none)."""
        mask: np.ndarray | None = None

        def narrow(more: np.ndarray) -> None:
            nonlocal mask
            mask = more if mask is None else mask & more

        start, end = self.check()
        if start or end:
            narrow(reader.date_mask(start, end))
        if self.author:
            names = [text.fold_diacritics(s.text) for s in text.syllables(self.author)]
            if names:
                narrow(reader.phrase_mask("author", names))
        if self.category:
            folded = text.fold_diacritics(text.normalize_term(self.category)).strip()
            narrow(reader.mask_of(wq.Term("category_fold", folded)))
        return mask


def date_bound(value: DateValue, name: str) -> datetime | None:
    """A UTC-naive datetime for the ``since``/``until`` value (a day means the whole day:
    its start for ``since``, its end for ``until``), or InvalidParameterError."""
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return None
        try:
            value = parse_date(value)
        except (ValueError, OverflowError) as exc:
            raise InvalidParameterError(name, f"invalid {name} date {value!r}: use YYYY-MM-DD") from exc
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.combine(value, time.max if name == "until" else time.min)
    try:
        return at_vietnam(value).astimezone(timezone.utc).replace(tzinfo=None)
    except OverflowError as exc:
        raise InvalidParameterError(name, f"{name} date out of range: {value.date().isoformat()}") from exc


def facet_counts(reader: IndexReader, matched: np.ndarray) -> dict[str, dict[str, int]]:
    """Matching documents per value of each facet column (documents without one left out)."""
    counts = {}
    for name, column_name in FACETS.items():
        column = reader.column(column_name)
        tally = Counter(column[d] for d in matched.tolist())
        # Spellings that differ only in case or tone-mark placement are one value, shown
        # as most of its documents spell it.
        merged: dict[str, Counter[str]] = {}
        for label, count in tally.items():
            if label:
                merged.setdefault(text.normalize_term(label), Counter())[label] += count
        values = {spellings.most_common(1)[0][0]: sum(spellings.values()) for spellings in merged.values()}
        counts[name] = dict(sorted(values.items(), key=lambda item: (text.normalize_term(item[0]), item[0])))
    return counts
