"""Articles and the readers that turn files into them.

(Readers are being written; this module's public face is ``Article``, ``ReadProblem``,
``FileRead``, ``read_file`` and ``source_files``.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple


@dataclass
class Article:
    """One news article, as read from a file, before any analysis."""

    id: str
    title: str
    body: str  # paragraphs separated by "\n"
    sapo: str = ""  # the lead paragraph, when the source has one apart from the body
    date: datetime | None = None  # publication time, timezone-aware
    author: str = ""
    url: str = ""
    category: str = ""
    tags: list[str] = field(default_factory=list)
    views: int | None = None
    photo_credit: str = ""
    path: str = ""  # the file it came from, relative to the indexed root


class ReadProblem(NamedTuple):
    """Why a file, or one record in it, was skipped."""

    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.message}"


class FileRead(NamedTuple):
    articles: list[Article]
    problems: list[ReadProblem]
