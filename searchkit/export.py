"""Every match of a search written out for scripts and spreadsheets: JSON Lines or CSV.

The one export format of ``searchkit query --all`` and ``GET /export``: a row per hit
with :data:`EXPORT_FIELDS`, streamed as text in pieces of about :data:`PIECE_CHARS`
characters while :meth:`searchkit.search.Index.search_all` makes the hits one at a time,
so memory does not grow with the number of matches.

CSV is written for spreadsheets: UTF-8 with a byte-order mark (without it, Excel reads
UTF-8 as the local code page and Vietnamese turns to mojibake), RFC 4180 quoting and
line ends, the summary's sentences on lines of their own within one cell.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from .errors import InvalidParameterError
from .records import Hit

__all__ = ["EXPORT_FIELDS", "FORMATS", "MEDIA_TYPES", "export_row", "export_text", "check_format"]

EXPORT_FIELDS = ("id", "title", "date", "author", "url", "score", "passage", "summary")
FORMATS = ("jsonl", "csv")
MEDIA_TYPES = {"jsonl": "application/x-ndjson; charset=utf-8", "csv": "text/csv; charset=utf-8"}
PIECE_CHARS = 64 * 1024  # text handed to the writer at a time: few writes, little held
BOM = "\ufeff"


def check_format(form: str) -> str:
    """``form`` if it is an export format, else InvalidParameterError."""
    if form not in FORMATS:
        raise InvalidParameterError("format", f"unknown format {form!r}: use jsonl or csv")
    return form


def export_row(hit: Hit) -> dict[str, Any]:
    """The exported fields of ``hit``: its passage as ``passage``, its summary as a list."""
    return {
        "id": hit.id,
        "title": hit.title,
        "date": hit.date,
        "author": hit.author,
        "url": hit.url,
        "score": hit.score,
        "passage": hit.snippet,
        "summary": list(hit.summary),
    }


def export_text(hits: Iterable[Hit], form: str) -> Iterator[str]:
    """The export of ``hits`` in ``form`` (``jsonl`` or ``csv``), in pieces of text."""
    check_format(form)
    buffer = io.StringIO()
    if form == "csv":
        buffer.write(BOM)
        writer = csv.writer(buffer)  # RFC 4180: "\r\n" line ends, quotes doubled
        writer.writerow(EXPORT_FIELDS)
    for hit in hits:
        row = export_row(hit)
        if form == "csv":
            row["date"] = row["date"] or ""
            row["summary"] = "\n".join(row["summary"])
            writer.writerow([row[name] for name in EXPORT_FIELDS])
        else:
            buffer.write(json.dumps(row, ensure_ascii=False) + "\n")
        if buffer.tell() >= PIECE_CHARS:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()
