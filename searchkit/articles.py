"""Articles and the readers that turn files into them.

The public face of this module is :class:`Article`, :class:`ReadProblem`, :class:`FileRead`,
:data:`SUPPORTED_SUFFIXES`, :func:`source_files` (which files to read), :class:`ArticleReader`
(one file to articles, streamed) and :func:`read_file` (the same, all at once).

Supported files:

* ``.txt``: one article saved from a newspaper page (see ``_parse_newspaper`` for the
  layout), or any plain text, whose first non-empty line is then the title;
* ``.jsonl``: one JSON object per line; ``.json``: one object or a list of objects
  (fields in ``_article_from_record``);
* ``.json.gz`` and ``.jsonl.gz``: the same, gzip-compressed.

Text must be UTF-8 (with or without a BOM) or UTF-16 with a BOM; legacy encodings are
rejected with a message saying how to convert, never guessed.

Nothing here raises on bad input: an indexing run over an archive must not stop at one bad
file, so every failure becomes a :class:`ReadProblem` naming the file (and the line or item)
and the caller decides what to do with it. Standard library only, because ``searchkit``
imports this module on paths that must stay fast.
"""

from __future__ import annotations

import codecs
import gzip
import json
import os
import re
import stat
import unicodedata
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, time
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from .dates import VIETNAM, from_epoch, parse_date


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


# --------------------------------------------------------------------------- walking

SUPPORTED_SUFFIXES: tuple[str, ...] = (".txt", ".json", ".jsonl", ".json.gz", ".jsonl.gz")
# Longest first, so "x.jsonl.gz" is a ".jsonl.gz" and not a ".gz" of something else.
_SUFFIXES_LONGEST_FIRST = tuple(sorted(SUPPORTED_SUFFIXES, key=len, reverse=True))
_Report = Callable[[ReadProblem], None]


def _file_kind(name: str) -> str | None:
    """The supported suffix ``name`` ends with (case-insensitively), or None."""
    lower = name.lower()
    return next((s for s in _SUFFIXES_LONGEST_FIRST if lower.endswith(s)), None)


def source_files(
    roots: Iterable[str | Path], problems: list[ReadProblem] | None = None
) -> Iterator[tuple[Path, Path]]:
    """Yield ``(root, file)`` for every supported file under each of ``roots``.

    A root may be a file or a directory. Directories are walked recursively in sorted
    order, so runs are reproducible; hidden entries (name starting with ".") are skipped;
    symbolic links to directories are followed, but no directory is walked twice, which
    also stops symlink loops. Nothing raises: a missing root, an unreadable directory, a
    loop or a broken link is appended to ``problems`` (when given) and the walk goes on;
    entries that vanish while walking are skipped silently.
    """

    def report(problem: ReadProblem) -> None:
        if problems is not None:
            problems.append(problem)

    for raw in roots:
        yield from _walk_root(Path(raw), report)


def _walk_root(root: Path, report: _Report) -> Iterator[tuple[Path, Path]]:
    try:
        st = root.stat()
    except FileNotFoundError:
        report(ReadProblem(str(root), None, "no such file or directory"))
        return
    except OSError as exc:
        report(ReadProblem(str(root), None, f"cannot read: {exc.strerror or exc}"))
        return
    if stat.S_ISDIR(st.st_mode):
        yield from _walk_dir(root, (st.st_dev, st.st_ino), report)
    elif not stat.S_ISREG(st.st_mode):
        report(ReadProblem(str(root), None, "not a regular file or directory"))
    elif _file_kind(root.name) is None:
        # Named explicitly, so say why it is ignored rather than dropping it silently.
        report(
            ReadProblem(str(root), None, f"unsupported file type (expected {', '.join(SUPPORTED_SUFFIXES)})")
        )
    else:
        yield root, root


def _walk_dir(root: Path, root_key: tuple[int, int], report: _Report) -> Iterator[tuple[Path, Path]]:
    """Depth-first, sorted walk with an explicit stack (deep trees must not hit the recursion limit)."""
    walked = {root_key}  # every directory entered, by (st_dev, st_ino): walk each once
    ancestors = [root_key]  # the directories on the current path, to tell a loop from a second link
    stack = [iter(_sorted_entries(root, root, report))]
    while stack:
        entry = next(stack[-1], None)
        if entry is None:
            stack.pop()
            ancestors.pop()
            continue
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        try:
            is_dir, is_file = entry.is_dir(), entry.is_file()  # both follow symlinks
            key = _dir_key(entry) if is_dir else None
        except OSError as exc:
            # A symlink that resolves to itself (ELOOP) or cannot be followed is named;
            # an entry that vanished since the directory was listed is skipped silently.
            if not isinstance(exc, FileNotFoundError) and _file_kind(entry.name) is not None:
                report(
                    ReadProblem(
                        _relative(path, root), None, f"cannot follow symbolic link: {exc.strerror or exc}"
                    )
                )
            continue
        if key is not None:
            if key in ancestors:
                report(
                    ReadProblem(
                        _relative(path, root),
                        None,
                        "symbolic link loop (points back to an enclosing directory); not followed",
                    )
                )
            elif key not in walked:
                walked.add(key)
                ancestors.append(key)
                stack.append(iter(_sorted_entries(path, root, report)))
            # else: a directory already walked through another link; once is enough.
        elif is_file:
            if _file_kind(entry.name) is not None:
                yield root, path
        elif _file_kind(entry.name) is not None and entry.is_symlink():
            report(ReadProblem(_relative(path, root), None, "broken symbolic link"))


def _dir_key(entry: os.DirEntry) -> tuple[int, int]:
    st = entry.stat()  # follows the link: the identity of the directory itself
    return st.st_dev, st.st_ino


def _sorted_entries(directory: Path, root: Path, report: _Report) -> list[os.DirEntry]:
    try:
        with os.scandir(directory) as entries:
            return sorted(entries, key=lambda e: e.name)
    except FileNotFoundError:  # removed while walking: nothing to read, nothing lost
        return []
    except OSError as exc:
        report(ReadProblem(_relative(directory, root), None, f"cannot read directory: {exc.strerror or exc}"))
        return []


def _relative(path: Path, root: Path | None) -> str:
    """``path`` relative to ``root`` as a posix string; the file name when there is no better one."""
    if root is not None:
        try:
            rel = path.relative_to(root)
        except ValueError:
            rel = None
        if rel is not None and rel != Path("."):
            return rel.as_posix()
    return path.name


# --------------------------------------------------------------------------- reading


# One article's text (title, sapo and body) is at most this long. News articles are far
# shorter; anything larger is a dump or a broken export, and analysing it would take
# minutes (pyvi runs at roughly 200 kB/s) and hold the whole run up.
MAX_ARTICLE_CHARS = 1_000_000


def _too_large(size: int) -> str:
    return f"too large for one article: {size:,} characters (at most {MAX_ARTICLE_CHARS:,})"


class _Unreadable(Exception):
    """The whole file cannot be read; the message says why, in words for the user."""


class _RecordError(ValueError):
    """One record cannot become an article; the message says why."""


def read_file(path: Path, root: Path | None = None) -> FileRead:
    """Read all the articles in ``path`` at once; never raises (see :class:`ArticleReader`).

    A file that cannot be read at all gives no articles and one problem; a JSON file with
    bad records gives the good ones plus one problem per bad record.
    """
    problems: list[ReadProblem] = []
    articles = list(ArticleReader(path, root, problems.append))
    return FileRead(articles, problems)


def read_source(source: str, stdin: BinaryIO | None = None) -> list[Article]:
    """The articles of one file named on a command line, or of ``stdin`` when ``source`` is
    ``-`` (read as a ``.txt`` article: a page saved from the newspaper site, or plain text).

    For commands that take one input, such as ``summarize``: an input that gives no article
    raises :class:`~searchkit.errors.SearchkitError` with the reader's one-line reason.
    """
    from .errors import SearchkitError

    if source == "-":
        data = stdin.read() if stdin is not None else b""
        try:
            text = _decode(data)
        except _Unreadable as exc:
            raise SearchkitError(f"standard input: {exc}") from None
        if not text.strip():
            raise SearchkitError("standard input is empty: nothing to summarise")
        if len(text) > MAX_ARTICLE_CHARS:
            raise SearchkitError(f"standard input: {_too_large(len(text))}")
        try:
            article = _parse_newspaper(text, "-")
        except _Unreadable as exc:
            raise SearchkitError(f"standard input: {exc}") from None
        # One paragraph of plain text is a text to summarise, not a headline.
        return [replace(article, title="", body=article.title) if not article.body else article]
    path = Path(source)
    if not path.is_file():
        raise SearchkitError(f"no such file: {source}")
    read = read_file(path, path.parent)
    if not read.articles:
        raise SearchkitError(str(read.problems[0]) if read.problems else f"no article in {source}")
    return read.articles


class ArticleReader:
    """The articles of one file, one at a time; iterating never raises.

    Ids and ``Article.path`` are relative to ``root`` (see ``_relative``). Problems go
    to ``on_problem`` as they are found: one for a file that cannot be read at all (it
    then gives no articles), one per bad record of a JSON file (the good ones are still
    given).

    JSON Lines files (``.jsonl``, ``.jsonl.gz``) are streamed, so memory does not grow
    with the file: a first pass checks the whole file (gzip integrity, encoding, control
    bytes) without parsing it, then records are parsed a line at a time. The first pass
    keeps the rule that a file unreadable anywhere gives no articles at all (its
    documents already in the index stay), and costs about a third of the parsing. Other
    files are one article (``.txt``) or one JSON document, read whole.
    """

    def __init__(self, path: str | Path, root: Path | None = None, on_problem: _Report | None = None) -> None:
        self.path = Path(path)
        self.rel = _relative(self.path, root)
        self._report = on_problem or (lambda problem: None)
        self._file: BinaryIO | None = None  # the file on disk while it is being read
        self._read_to = 0  # where reading stopped in the file on disk

    @property
    def bytes_read(self) -> int:
        """How far into the file on disk reading has got (compressed bytes for gzip;
        the decompressor reads ahead, so this runs a little ahead of the articles given)."""
        return self._file.tell() if self._file is not None else self._read_to

    def __iter__(self) -> Iterator[Article]:
        try:
            kind = _file_kind(self.path.name)
            if kind is None:
                raise _Unreadable(f"unsupported file type (expected {', '.join(SUPPORTED_SUFFIXES)})")
            if kind.startswith(".jsonl") and self._check_lines(kind):
                yield from self._stream_lines(kind)
                return
            text = _decode(_load_bytes(self.path, kind))
            if not text.strip():
                raise _Unreadable("empty file")
            if kind == ".txt":
                if len(text) > MAX_ARTICLE_CHARS:
                    raise _Unreadable(_too_large(len(text)))
                yield _parse_newspaper(text, self.rel)
            elif kind.startswith(".jsonl"):
                yield from self._records(text.split("\n"))
            else:
                yield from self._read_json(text)
        except (_Unreadable, _RecordError) as exc:
            self._problem(None, str(exc))
        except OSError as exc:
            self._problem(None, f"cannot read file: {exc.strerror or exc}")
        except Exception as exc:  # a bug or an exotic failure must cost one file, not the run
            self._problem(None, f"cannot read file: {type(exc).__name__}: {exc}")

    def _problem(self, line: int | None, message: str) -> None:
        self._report(ReadProblem(self.rel, line, message))

    @contextmanager
    def _open(self, kind: str) -> Iterator[BinaryIO | gzip.GzipFile]:
        """The file's bytes, uncompressed; the file on disk is kept for ``bytes_read``."""
        with self.path.open("rb") as raw:
            self._file = raw
            try:
                if kind.endswith(".gz"):
                    with gzip.GzipFile(fileobj=raw, mode="rb") as stream:
                        yield stream
                else:
                    yield raw
            finally:
                self._read_to, self._file = raw.tell(), None

    def _check_lines(self, kind: str) -> bool:
        """Check the whole of a JSON Lines file in bounded memory; raise ``_Unreadable``
        for a file that cannot be read. False for UTF-16 (then read whole: rare, small)."""
        decoder = codecs.getincrementaldecoder("utf-8")()
        offset, blank = 0, True
        with _gzip_errors(), self._open(kind) as stream:
            while chunk := stream.read(_CHUNK_BYTES):
                if offset == 0:
                    if chunk.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                        return False
                    if chunk.startswith(codecs.BOM_UTF8):
                        chunk, offset = chunk[len(codecs.BOM_UTF8) :], len(codecs.BOM_UTF8)
                _check_utf8(decoder, chunk, offset)
                blank = blank and not chunk.strip()
                offset += len(chunk)
            _check_utf8(decoder, b"", offset, final=True)
        if blank:
            raise _Unreadable("empty file")
        return True

    def _stream_lines(self, kind: str) -> Iterator[Article]:
        with self._open(kind) as stream:
            # Binary lines split at b"\n" only, as JSON Lines must be (U+2028 is legal
            # inside JSON strings); 0x0A never occurs inside a multi-byte UTF-8 character.
            # _check_lines has seen every byte decode, so the decoding cannot fail.
            # A line is whole characters, so each decodes to one string; "-sig" drops a BOM.
            yield from self._records(codecs.iterdecode(stream, "utf-8-sig"))

    def _records(self, lines: Iterable[str]) -> Iterator[Article]:
        """One record per non-empty line; a bad line costs that record only."""
        seen: dict[str, Any] = {}
        number = 0
        for lineno, line in enumerate(lines, 1):
            if not line.strip():
                continue
            number += 1
            try:
                article = _article_from_record(_loads(line), self.rel, number)
                _check_unique(article, seen, f"line {lineno}")
            except _RecordError as exc:
                self._problem(lineno, str(exc))
                continue
            yield article

    def _read_json(self, text: str) -> Iterator[Article]:
        """A single record (an object) or a list of records; a bad item costs that item only."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            if exc.msg == "Extra data":  # several top-level values: JSON Lines with a .json name
                yield from self._records(text.split("\n"))
            else:
                self._problem(exc.lineno, f"not valid JSON: {exc.msg} (column {exc.colno})")
            return
        except RecursionError:
            raise _Unreadable("not readable JSON: nested too deeply") from None
        if isinstance(data, dict):
            yield _article_from_record(data, self.rel, 1)
            return
        if not isinstance(data, list):
            raise _Unreadable(f"expected a JSON object or a list of objects, got {_json_type(data)}")
        seen: dict[str, Any] = {}
        for number, item in enumerate(data, 1):
            try:
                article = _article_from_record(item, self.rel, number)
                _check_unique(article, seen, f"item {number}")
            except _RecordError as exc:
                self._problem(None, f"item {number}: {exc}")
                continue
            yield article


_CHUNK_BYTES = 1 << 20


@contextmanager
def _gzip_errors() -> Iterator[None]:
    try:
        yield
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise _Unreadable(f"corrupt gzip file ({exc})") from None


def _load_bytes(path: Path, kind: str) -> bytes:
    data = path.read_bytes()
    if not kind.endswith(".gz"):
        return data
    with _gzip_errors():
        return gzip.decompress(data)


# C0 control characters other than tab, line feed, vertical tab, form feed and carriage
# return never occur in text files; NUL in particular marks a binary file.
_CONTROL_BYTE_VALUES = tuple(bytes([b]) for b in (*range(0x00, 0x09), *range(0x0E, 0x20)))
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0e-\x1f]")
_CONVERT_HINT = "convert it to UTF-8 (e.g. `iconv -f CP1258 -t UTF-8` for Windows-1258)"


def _first_control_byte(data: bytes, start: int = 0) -> int:
    """Index of the first control byte in ``data[start:]``, or -1. One ``find`` per byte
    value: memchr scans several times faster than a regular expression's character class."""
    found = [i for i in (data.find(b, start) for b in _CONTROL_BYTE_VALUES) if i >= 0]
    return min(found, default=-1)


def _control_byte(byte: int, offset: int) -> _Unreadable:
    return _Unreadable(
        f"not UTF-8 or UTF-16 text (control byte 0x{byte:02X} at offset {offset}: a binary file?)"
    )


def _invalid_utf8(byte: int, offset: int) -> _Unreadable:
    return _Unreadable(
        f"not UTF-8 or UTF-16 text (invalid byte 0x{byte:02X} at offset {offset}); {_CONVERT_HINT}"
    )


def _check_utf8(decoder: codecs.IncrementalDecoder, chunk: bytes, offset: int, final: bool = False) -> None:
    """Raise ``_Unreadable`` if ``chunk`` (at ``offset`` in the file) is not UTF-8 text."""
    control = _first_control_byte(chunk)
    if control >= 0:
        raise _control_byte(chunk[control], offset + control)
    try:
        decoder.decode(chunk, final)
    except UnicodeDecodeError as exc:
        # The decoder's input is the bytes it held back from the last chunk, then this one.
        raise _invalid_utf8(
            exc.object[exc.start], offset - (len(exc.object) - len(chunk)) + exc.start
        ) from None


def _decode(data: bytes) -> str:
    """Text from ``data``: UTF-8 (BOM optional) or UTF-16 with a BOM; anything else is refused.

    Legacy Vietnamese encodings (Windows-1258, TCVN3, VNI) are not guessed: a wrong guess
    would index garbage silently, while a refusal tells the user exactly what to fix.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode_utf16(data)
    start = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    control = _first_control_byte(data, start)
    if control >= 0:
        raise _control_byte(data[control], control)
    try:
        return (data[start:] if start else data).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _invalid_utf8(data[start + exc.start], start + exc.start) from None


# Vietnamese is written in the Latin alphabet, so real UTF-16 text is mostly ASCII (letters
# without diacritics, spaces, digits). Arbitrary bytes behind an FF FE that happen to decode
# come out as a soup of CJK and Hangul with almost no ASCII: refuse those.
_UTF16_MIN_ASCII_SHARE = 0.1


def _decode_utf16(data: bytes) -> str:
    codec = "utf-16-le" if data.startswith(codecs.BOM_UTF16_LE) else "utf-16-be"
    try:
        text = data[2:].decode(codec)
    except UnicodeDecodeError as exc:
        raise _Unreadable(
            f"not valid UTF-16 text despite its byte-order mark ({exc.reason} at offset {2 + exc.start}); "
            f"{_CONVERT_HINT}"
        ) from None
    control = _CONTROL_CHARS.search(text)
    if control:
        raise _Unreadable(
            f"not UTF-16 text (control character at character {control.start()}: a binary file?)"
        )
    ascii_count = len(text.encode("ascii", "ignore"))
    if text and ascii_count < _UTF16_MIN_ASCII_SHARE * len(text):
        raise _Unreadable(
            "does not look like UTF-16 text "
            "(almost no ASCII characters: a binary file with a byte-order mark?)"
        )
    return text


# --------------------------------------------------------------------------- newspaper .txt

_WEEKDAY = r"(?:thứ\s*(?:[2-7]|hai|ba|tư|năm|sáu|bảy|bẩy)|chủ\s*nhật|cn)"
# `Thứ 3, 30/07/2024, 05:20[GMT+7]`: when the page was saved, not published; dropped.
_SAVED_RE = re.compile(
    rf"{_WEEKDAY}\s*,?\s*\d{{1,2}}/\d{{1,2}}/\d{{4}}\s*,\s*\d{{1,2}}:\d{{2}}(?::\d{{2}})?"
    r"\s*(?:\[?\s*GMT\s*[+-]\s*\d{1,2}(?::?\d{2})?\s*\]?)?",
    re.IGNORECASE,
)
# `Thứ 3, 04/04/2023 | 16:10:37`: the publication time (GMT+7).
_PUBLISHED_RE = re.compile(
    rf"(?:{_WEEKDAY}\s*,?\s*)?(\d{{1,2}})/(\d{{1,2}})/(\d{{4}})\s*\|\s*(\d{{1,2}}):(\d{{2}})(?::(\d{{2}}))?",
    re.IGNORECASE,
)
_VIEWS_RE = re.compile(r"(\d{1,3}(?:[.,]\d{3})+|\d+)\s*lượt\s+xem", re.IGNORECASE)
# Site navigation after the article: it and everything after it are not part of the article.
_NAVIGATION = frozenset({"tin cùng chuyên mục", "xem tin theo ngày"})
_MEDIA_LINE_RE = re.compile(r"(?:video|audio|clip|podcast)\s*:.*", re.IGNORECASE)
_MEDIA_FILE_RE = re.compile(
    r"[^\s/\\]+\.(?:mp4|m4v|mov|webm|avi|flv|mkv|mp3|m4a|aac|wav|ogg|oga|jpe?g|png|gif|webp)(?:\?\S*)?",
    re.IGNORECASE,
)
_PHOTO_CREDIT_RE = re.compile(r"ảnh(?:\s+minh\s+ho[ạa]|\s+minh\s+họa)?\s*:\s*(.+?)\.?", re.IGNORECASE)
_HEADER_LINES = 6  # the headline, dates and view count are all among the first lines
_BYLINE_MAX_CHARS = 40
_BYLINE_SEARCH = 3  # the byline is one of the last few lines that are neither credits nor repeats


@dataclass
class _Header:
    title: str | None = None
    date: datetime | None = None
    views: int | None = None
    saved_seen: bool = False
    published_seen: bool = False
    views_seen: bool = False

    @property
    def is_newspaper(self) -> bool:
        """Whether any line of the newspaper layout was recognised."""
        return self.saved_seen or self.published_seen or self.views_seen


def _parse_newspaper(text: str, rel: str) -> Article:
    """An article from a page saved from the newspaper site, or from plain text.

    Layout (see docs/seed-article-format.md): saved-at line, headline, publication line,
    view count, body paragraphs (with captions, media lines, sub-headings), byline, photo
    credit, site navigation. Lines may be missing or the header lines reordered; when no
    line of the layout is recognised the text is plain: first line title, the rest body.
    """
    lines = [line.strip() for line in unicodedata.normalize("NFC", text).splitlines()]
    lines = [line for line in lines if line]  # str.strip also removes the pages' lone NBSPs
    header, start = _parse_header(lines)
    if header.title is None:
        raise _Unreadable("no headline or text, only the date and view-count lines")
    body = lines[start:]
    author = photo_credit = ""
    if header.is_newspaper:
        body = [line for line in _before_navigation(body) if not _is_media(line)]
        body, author, photo_credit = _split_byline(body)
    return Article(
        id=rel,
        title=header.title,
        body="\n".join(body),
        date=header.date,
        views=header.views,
        author=author,
        photo_credit=photo_credit,
        path=rel,
    )


def _parse_header(lines: list[str]) -> tuple[_Header, int]:
    """Take the headline and the metadata lines around it; return them and where the body starts.

    The saved-at, publication and view-count lines are recognised by their shape, each at
    most once, in any order around the headline: the first other line is the headline and
    the next other line starts the body.
    """
    header = _Header()
    i = 0
    while i < min(len(lines), _HEADER_LINES):
        line = lines[i]
        if not header.saved_seen and _SAVED_RE.fullmatch(line):
            header.saved_seen = True
        elif not header.published_seen and (m := _PUBLISHED_RE.fullmatch(line)):
            header.published_seen = True
            header.date = _published_at(m)
        elif not header.views_seen and (m := _VIEWS_RE.fullmatch(line)):
            header.views_seen = True
            header.views = int(re.sub(r"[.,]", "", m.group(1)))
        elif header.title is None:
            header.title = line
        else:
            break
        i += 1
    return header, i


def _published_at(m: re.Match[str]) -> datetime | None:
    day, month, year, hour, minute = (int(g) for g in m.groups()[:5])
    second = int(m.group(6) or 0)
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=VIETNAM)
    except ValueError:  # 31/02 and the like: the line is still metadata, the date is unknown
        return None


def _before_navigation(lines: list[str]) -> list[str]:
    for i, line in enumerate(lines):
        if line.casefold() in _NAVIGATION:
            return lines[:i]
    return lines


def _is_media(line: str) -> bool:
    """An embedded video or audio player, or a bare media file name: not text of the article."""
    return bool(_MEDIA_LINE_RE.fullmatch(line) or _MEDIA_FILE_RE.fullmatch(line))


def _split_byline(lines: list[str]) -> tuple[list[str], str, str]:
    """Split the byline and photo credit off the end of the body: ``(body, author, photo_credit)``.

    Rule for the end of an article: the body ends at the byline. Walking back from the
    last line, photo-credit lines (``Ảnh: Thành Tâm``) and lines that repeat an earlier
    paragraph exactly are passed over, because saved pages sometimes repeat a block of
    the article after the byline; among the next few other lines (``_BYLINE_SEARCH``) the
    first one that looks like a byline (2-5 capitalised words, no final punctuation) is
    the author. After the byline, credits and repeats leave the body, but unique lines
    stay in it: text that occurs nowhere else is never dropped. Without a byline only
    the photo credits at the very end leave the body.
    """
    first_index: dict[str, int] = {}
    for i, line in enumerate(lines):
        first_index.setdefault(line, i)
    credits: list[str] = []  # nearest the end first
    unique_after: list[str] = []  # unique lines after the byline candidate, nearest the end first
    for j in range(len(lines) - 1, -1, -1):
        line = lines[j]
        credit = _PHOTO_CREDIT_RE.fullmatch(line)
        if credit:
            credits.append(credit.group(1).strip())
        elif first_index[line] < j:
            continue  # a repeat of an earlier paragraph
        elif _looks_like_byline(line):
            photo_credit = credits[-1] if credits else ""  # the credit nearest the byline
            return lines[:j] + unique_after[::-1], line, photo_credit
        elif len(unique_after) < _BYLINE_SEARCH - 1:
            unique_after.append(line)
        else:
            break
    end = len(lines)
    photo_credit = ""
    while end > 0 and (credit := _PHOTO_CREDIT_RE.fullmatch(lines[end - 1])):
        photo_credit = credit.group(1).strip()
        end -= 1
    return lines[:end], "", photo_credit


def _looks_like_byline(line: str) -> bool:
    """A person's name on its own line: 2-5 capitalised words of letters, no final punctuation.

    Sub-headings are short too, but Vietnamese capitalises only their first word
    (``Phát huy nội lực``), while every syllable of a name is capitalised (``Đào Quyên``).
    """
    words = line.split()
    return (
        len(line) <= _BYLINE_MAX_CHARS
        and 2 <= len(words) <= 5
        and all(w.isalpha() and w[0].isupper() for w in words)
    )


# --------------------------------------------------------------------------- JSON records


def _loads(line: str) -> Any:
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise _RecordError(f"not valid JSON: {exc.msg} (column {exc.colno})") from None
    except RecursionError:
        raise _RecordError("not readable JSON: nested too deeply") from None


def _check_unique(article: Article, seen: dict[str, Any], where: str) -> None:
    """Refuse a second record with an id already used in this file: ids must name one article."""
    first = seen.setdefault(article.id, where)
    if first != where:
        raise _RecordError(f"duplicate id {article.id!r} (first used at {first}); record skipped")


_BODY_FIELDS = ("body", "text", "content", "sentences")


def _article_from_record(record: Any, rel: str, number: int) -> Article:
    """An article from one JSON object.

    Fields: ``id`` or ``_id`` (string or integer; default ``<path>#<number>``), ``title``,
    the body from the first of ``body``, ``text``, ``content``, ``sentences`` that is
    present (a string, or a list of strings), ``sapo``, ``date`` (ISO 8601 or epoch
    seconds; naive times are Vietnam time), ``author``, ``url``, ``category``, ``tags``
    (list or comma-separated string), ``views``. Other fields are ignored, on purpose
    ``abstract``: in the development data it is a summarisation reference, not page text.
    """
    if not isinstance(record, dict):
        raise _RecordError(f"expected a JSON object, got {_json_type(record)}")
    title = " ".join(_string(record, "title").split())
    body = _body(record)
    size = len(title) + len(body) + len(record.get("sapo") or "")
    if size > MAX_ARTICLE_CHARS:
        raise _RecordError(_too_large(size))
    if not title and not body:
        raise _RecordError(
            f"no title and no body (expected 'title' and one of {', '.join(map(repr, _BODY_FIELDS))})"
        )
    return Article(
        id=_record_id(record) or f"{rel}#{number}",
        title=title,
        body=body,
        sapo=_paragraphs(_string(record, "sapo")),
        date=_date(record.get("date")),
        author=_author(record.get("author")),
        url=_string(record, "url").strip(),
        category=_string(record, "category").strip(),
        tags=_tags(record.get("tags")),
        views=_views(record.get("views")),
        path=rel,
    )


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


def _string(record: dict, key: str) -> str:
    value = record.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _RecordError(f"{key!r} must be a string, not {_json_type(value)}")
    return value


def _record_id(record: dict) -> str:
    for key in ("id", "_id"):
        value = record.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise _RecordError(f"{key!r} must be a string or an integer, not {_json_type(value)}")
        if str(value).strip():
            return str(value).strip()
    return ""


def _body(record: dict) -> str:
    for key in _BODY_FIELDS:
        value = record.get(key)
        if value is None:
            continue
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            # Sentences make one paragraph; other lists are taken as paragraphs.
            value = (" " if key == "sentences" else "\n").join(value)
        if not isinstance(value, str):
            raise _RecordError(f"{key!r} must be a string or a list of strings, not {_json_type(value)}")
        if value.strip():
            return _paragraphs(value)
    return ""


def _paragraphs(text: str) -> str:
    """Paragraphs one per line, stripped, blank lines dropped: the shape ``Article.body`` promises."""
    return "\n".join(p for p in (line.strip() for line in text.splitlines()) if p)


def _date(value: Any) -> datetime | None:
    """A timezone-aware datetime from a record's ``date`` (dates.parse_date's forms, or a number)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise _RecordError(f"'date' must be a string or a number, not {_json_type(value)}")
    try:
        parsed = from_epoch(value) if not isinstance(value, str) else parse_date(value)
    except ValueError as exc:
        raise _RecordError(f"'date' {value!r} is {exc}") from None
    if isinstance(parsed, datetime):
        return parsed
    return datetime.combine(parsed, time.min, VIETNAM)


def _author(value: Any) -> str:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ", ".join(v.strip() for v in value if v.strip())
    return _string({"author": value}, "author").strip()


def _tags(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(
        isinstance(v, (str, int)) and not isinstance(v, bool) for v in value
    ):
        raise _RecordError("'tags' must be a list of strings or a comma-separated string")
    return [t for t in (str(v).strip() for v in value) if t]


def _views(value: Any) -> int | None:
    """A view count; "1,234" and "1.234" (thousands separators) are accepted."""
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+|\d+", value.strip()):
        value = int(re.sub(r"[.,]", "", value))
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _RecordError(f"'views' must be a non-negative whole number, not {value!r}")
    return value
