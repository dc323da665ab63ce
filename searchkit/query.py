"""The query language: parsing a user's query string into a small syntax tree.

Standard library only; scoring the tree against an index is ranking.py's job.

Syntax (documented in the README):

=====================  ======================================================
``nông thôn mới``      bare words: any may match, more matches rank higher
``"nông thôn mới"``    a phrase: required, syllables adjacent and in order
``-từ`` ``-"cụm từ"``  excluded: no result contains it
``+từ``                required word
``a OR b``             either; binds the two neighbouring items
``( … )``              grouping, e.g. ``(hà nội OR hải phòng) "giao thông"``
``title:từ``           in the title (``title:"cụm từ"`` for a phrase); required
``author:tên``         by this author (``author:"Đào Quyên"``); required
=====================  ======================================================

A lone ``-`` or ``+`` between spaces is punctuation, as in ``kinh tế - xã hội``; an
unknown ``name:value`` is plain text.

Queries are read as people type and paste them: by default (lenient mode) a query with
at least one word to search for never raises. What cannot be read as typed is read as
follows, with one line in :attr:`ParsedQuery.notes` for each kind of repair:

* an unbalanced ``"`` opens a phrase that runs to the end of the query; a ``"`` inside
  a word (``ab"cd``) separates two words;
* curly quotes ``“ ”`` are quotes when they pair up (``“…” … “…”``), also with straight
  ones when every quote pairs up in order (``"giá vàng” tăng``), else punctuation
  (ignored), so a pasted ``“Trùm`` is the word ``trùm``;
* an unmatched ``(`` or ``)`` is ignored, the rest parsed as if it were not there;
* an ``OR`` without an item on each side (at either end, next to a parenthesis or to
  another ``OR``, or next to an excluded item) is dropped: a word "or" is rarely what
  was meant, and ``a OR OR b`` keeps one ``OR`` between ``a`` and ``b``;
* ``title:`` or ``author:`` with nothing after it is dropped (a field being typed);
* a query that only excludes (``-thuế``) searches for the excluded items instead.

A query with no word at all (``""``, ``()``, ``-- ++``, ``OR``) and a query longer than
:data:`MAX_QUERY_LENGTH` raise :class:`~searchkit.errors.QuerySyntaxError` in both modes.
``strict=True`` reads the query exactly as searchkit did before lenient mode: curly quotes
are punctuation, and every repair above is an error instead (an unbalanced quote or
parenthesis, ``OR`` without a term on both sides, ``title:`` without a value, nothing
but exclusions).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from . import text
from .abbreviations import spelled_out
from .errors import QuerySyntaxError

__all__ = ["Term", "Phrase", "Group", "AnyOf", "Clause", "ParsedQuery", "parse_query", "FIELDS"]

FIELDS = ("title", "author")
MAX_QUERY_LENGTH = 1000  # characters; longer queries are refused rather than truncated

Occur = Literal["should", "must", "not"]


@dataclass(frozen=True)
class Term:
    """One syllable, normalised and lower-cased; ``field`` None means title and body."""

    syllable: str
    field: str | None = None


@dataclass(frozen=True)
class Phrase:
    syllables: tuple[str, ...]
    field: str | None = None


@dataclass
class Group:
    """Clauses in parentheses, combined like a whole query."""

    clauses: list[Clause]


@dataclass
class AnyOf:
    """``a OR b OR c``; or, with ``abbreviation``, a bare abbreviation and its words
    (``ubnd`` OR ``"ủy ban nhân dân"``, abbreviations.py): the parser's reading, which
    the ranking never grows into neighbouring words as it does a typed OR's."""

    options: list[Node]
    abbreviation: bool = False


Node = Term | Phrase | Group | AnyOf


@dataclass
class Clause:
    node: Node
    occur: Occur


@dataclass
class ParsedQuery:
    """A parsed query: its clauses and, for ranking, the runs of adjacent bare syllables.

    ``notes`` has one line per kind of thing read other than as typed (lenient mode).
    """

    clauses: list[Clause]
    runs: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Each syllable the query matches in another spelling than typed (text.canonical_spelling:
    # ``kĩ`` for a typed ``kỹ``, ``5000`` for ``5.000``): that spelling -> the one typed, so
    # that what is shown back to the user (a suggestion) is in the user's spelling.
    typed: dict[str, str] = field(default_factory=dict)

    def syllables(self, spelled_out: bool = True) -> list[str]:
        """Every positive syllable (not excluded), in query order: for highlighting. An
        abbreviation's words are among them unless ``spelled_out`` is False (the query
        as typed)."""
        found: list[str] = []

        def visit(node: Node, excluded: bool) -> None:
            if excluded:
                return
            if isinstance(node, Term):
                found.append(node.syllable)
            elif isinstance(node, Phrase):
                found.extend(node.syllables)
            elif isinstance(node, Group):
                for c in node.clauses:
                    visit(c.node, c.occur == "not")
            else:
                for option in node.options if spelled_out or not node.abbreviation else node.options[:1]:
                    visit(option, False)

        for c in self.clauses:
            visit(c.node, c.occur == "not")
        return found


# -- problems -----------------------------------------------------------------------------


class _Problems:
    """Where the query cannot be read as typed: an error in strict mode, else a note.

    Lexer and parser call :meth:`report` at the very points where they raised before
    lenient mode existed, so strict mode raises the same errors in the same order.
    (Brackets are the exception: lenient mode drops unmatched ones in a pass of their
    own, :func:`_without_unmatched_brackets`, and the parser raises only in strict mode.)
    """

    def __init__(self, strict: bool):
        self.strict = strict
        self.notes: list[str] = []

    def report(self, error: str, note: str) -> None:
        """Raise ``error`` (strict), or note ``note`` and let the caller recover."""
        if self.strict:
            raise QuerySyntaxError(error)
        self.note(note)

    def note(self, note: str) -> None:
        if note not in self.notes:  # one line per kind of repair, however often it happened
            self.notes.append(note)


_DANGLING_OR = "OR needs a term on each side"
_ONLY_EXCLUDES = "the query only excludes: add at least one word to search for"
_EMPTY = "empty query: give at least one word to search for"
_CURLY_OPEN, _CURLY_CLOSE = "\u201c", "\u201d"  # “ ”
_SHOWN_PHRASE = 40  # characters of a phrase quoted back in a note


def _straighten_curly_quotes(query: str, problems: _Problems) -> str:
    """``“…”`` pairs as ``"…"``; so are pairs that mix a straight quote with a curly one
    (``"giá vàng” tăng``, ``“giá vàng" tăng``), when every quote of the query pairs up in
    order that way; curly quotes that do not pair up stay punctuation.

    Pasted text often carries one curly quote of a pair cut off (``“Trùm ma tuý``);
    guessing where its phrase ends would be worse than reading the words one by one. A
    mixed pair is no guess: text edited in several places (a headline retyped in part)
    mixes the two kinds, and each quote has one other to close it.
    """
    marks = [i for i, ch in enumerate(query) if ch in (_CURLY_OPEN, _CURLY_CLOSE, '"')]
    curly = [query[i] for i in marks if query[i] != '"']
    if not curly:
        return query
    straightened = query.replace(_CURLY_OPEN, '"').replace(_CURLY_CLOSE, '"')
    if curly == [_CURLY_OPEN, _CURLY_CLOSE] * (len(curly) // 2):
        return straightened

    def opens(i: int) -> bool:
        """Whether the quote at ``i`` can open a phrase: a curly opening one, or a straight
        one where the lexer reads a phrase (first in its chunk, after a ``+``/``-`` or a
        known ``field:``); elsewhere a straight quote only separates two words."""
        if query[i] != '"':
            return query[i] == _CURLY_OPEN
        chunk = i
        while chunk and not query[chunk - 1].isspace() and query[chunk - 1] not in "()":
            chunk -= 1
        if _operator_at(query, chunk):
            chunk += 1
        return chunk == i or _field_prefix(query, chunk) == i - 1

    if len(marks) % 2 == 0 and all(
        opens(i) and query[j] != _CURLY_OPEN for i, j in zip(marks[::2], marks[1::2])
    ):
        problems.note(f'read mixed quotes (" with {_CURLY_OPEN} or {_CURLY_CLOSE}) as pairs')
        return straightened
    problems.note(f"ignored unmatched curly quotes ({_CURLY_OPEN} {_CURLY_CLOSE})")
    return query


def _to_the_end_note(phrase: str) -> str:
    phrase = " ".join(phrase.split())
    if not text.syllables(phrase):
        return 'ignored an unmatched "'
    if len(phrase) > _SHOWN_PHRASE:
        phrase = phrase[:_SHOWN_PHRASE].rstrip() + "…"
    return f'unbalanced quote: read "{phrase}" to the end of the query as a phrase'


# -- lexing -----------------------------------------------------------------------------


@dataclass
class _Lexeme:
    kind: Literal["word", "phrase", "open", "close", "or"]
    value: str = ""
    prefix: str = ""  # "-", "+" or ""
    field: str | None = None
    run_break: bool = False  # not adjacent to the previous bare word


def _lex(query: str, problems: _Problems, quotes_as_words: bool = False) -> list[_Lexeme]:
    lexemes: list[_Lexeme] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
            continue
        if ch in "()":
            lexemes.append(_Lexeme("open" if ch == "(" else "close"))
            i += 1
            continue
        # A chunk: up to whitespace or a parenthesis, with quoted parts kept whole.
        prefix = ""
        if _operator_at(query, i):
            prefix, i = ch, i + 1
        field_name = None
        colon = _field_prefix(query, i)
        if colon is not None:
            field_name = query[i:colon].lower()
            i = colon + 1
            if i >= n or query[i].isspace() or query[i] in "()":
                # A field still being typed: drop it (and its -/+), read what follows.
                problems.report(
                    f'{field_name}: needs a value, e.g. {field_name}:"…"',
                    f"{field_name}: has no value: ignored",
                )
                continue
        if i < n and query[i] == '"':
            end = query.find('"', i + 1)
            if end < 0:
                note = _to_the_end_note(query[i + 1 :])
                problems.report('unbalanced quote: every " needs a closing "', note)
                end = n  # the phrase runs to the end of the query
            plain = not prefix and field_name is None
            kind: Literal["word", "phrase"] = "word" if quotes_as_words and plain else "phrase"
            lexemes.append(_Lexeme(kind, query[i + 1 : end], prefix, field_name))
            i = end + 1
            continue
        j = i
        while j < n and not query[j].isspace() and query[j] not in '()"':
            j += 1
        word = query[i:j]
        i = j
        if j < n and query[j] == '"':
            problems.report('unbalanced quote: a " must start a phrase', 'ignored a " inside a word')
            i = j + 1  # skip it: it neither opens nor closes a phrase, it only separates
        if word == "OR" and not prefix and field_name is None:
            lexemes.append(_Lexeme("or"))
        else:
            lexemes.append(_Lexeme("word", word, prefix, field_name))
    return lexemes


def _without_unmatched_brackets(lexemes: list[_Lexeme], problems: _Problems) -> list[_Lexeme]:
    """``lexemes`` less every ``(`` never closed and every ``)`` never opened (lenient mode).

    Done before runs are marked, so the words on either side of a dropped bracket are
    as adjacent as if it had never been typed.
    """
    unmatched: set[int] = set()
    open_at: list[int] = []
    for k, lx in enumerate(lexemes):
        if lx.kind == "open":
            open_at.append(k)
        elif lx.kind == "close":
            if open_at:
                open_at.pop()
            else:
                unmatched.add(k)
                problems.note('ignored an unmatched ")"')
    if open_at:
        unmatched.update(open_at)
        problems.note('ignored an unmatched "("')
    return [lx for k, lx in enumerate(lexemes) if k not in unmatched]


def _mark_runs(lexemes: list[_Lexeme]) -> list[_Lexeme]:
    """Mark where runs of adjacent bare words are broken (for the word-bonus n-grams)."""
    previous_bare = False
    for lx in lexemes:
        bare = lx.kind == "word" and not lx.prefix and lx.field is None
        lx.run_break = not previous_bare
        previous_bare = bare
    return lexemes


def _operator_at(query: str, i: int) -> bool:
    """Whether ``query[i]`` is a ``+`` or ``-`` applying to what follows it: something
    other than a space or a parenthesis (in ``- x`` and ``-(x)`` the sign is only text)."""
    return query[i] in "-+" and i + 1 < len(query) and not query[i + 1].isspace() and query[i + 1] not in "()"


def _field_prefix(query: str, i: int) -> int | None:
    """The index of the ':' if ``query[i:]`` starts with a known ``field:``, else None."""
    for name in FIELDS:
        end = i + len(name)
        if query[i:end].lower() == name and end < len(query) and query[end] == ":":
            return end
    return None


# -- parsing ----------------------------------------------------------------------------


class _Parser:
    def __init__(self, lexemes: list[_Lexeme], problems: _Problems):
        self.lexemes = lexemes
        self.problems = problems
        self.pos = 0
        self.runs: list[list[str]] = []
        self.typed: dict[str, str] = {}

    def parse(self) -> list[Clause]:
        clauses = self._clauses(top=True)
        if self.pos < len(self.lexemes):
            raise QuerySyntaxError("unbalanced parenthesis: a ')' has no '('")
        return clauses

    # Brackets are balanced here in lenient mode (_without_unmatched_brackets), so the
    # two bracket errors below are only ever raised in strict mode.
    def _clauses(self, top: bool) -> list[Clause]:
        clauses: list[Clause] = []
        while self.pos < len(self.lexemes):
            lx = self.lexemes[self.pos]
            if lx.kind == "close":
                if top:
                    raise QuerySyntaxError("unbalanced parenthesis: a ')' has no '('")
                return clauses
            if lx.kind == "or":
                self._or(clauses)
                continue
            clauses.extend(self._item())
        if not top:
            raise QuerySyntaxError("unbalanced parenthesis: a '(' is never closed")
        return clauses

    def _or(self, clauses: list[Clause]) -> None:
        """At an ``OR``: join the last of ``clauses`` and the next item into an AnyOf."""
        self.pos += 1
        following = self.lexemes[self.pos] if self.pos < len(self.lexemes) else None
        no_left = not clauses or clauses[-1].occur == "not"
        if no_left or following is None or following.kind in ("or", "close"):
            self.problems.report(_DANGLING_OR, "ignored a dangling OR")
            return
        right = self._item()
        if not right or right[0].occur == "not":
            self.problems.report(_DANGLING_OR, "ignored a dangling OR")
            clauses.extend(right)  # as if the OR were not there
            return
        left = clauses.pop()
        typed_or = isinstance(left.node, AnyOf) and not left.node.abbreviation
        options: list[Node] = left.node.options if typed_or else [left.node]  # type: ignore[union-attr]
        # "a OR b" joins the two neighbouring items; a multi-syllable right-hand
        # word's first syllable is the alternative, the rest stay bare words.
        first, rest = right[0], right[1:]
        occur: Occur = "must" if left.occur == "must" and first.occur == "must" else "should"
        clauses.append(Clause(AnyOf(options + [first.node]), occur))
        clauses.extend(rest)

    def _item(self) -> list[Clause]:
        lx = self.lexemes[self.pos]
        self.pos += 1
        if lx.kind == "open":
            inner = self._clauses(top=False)
            self.pos += 1  # the ')'
            if not inner:
                return []
            return [Clause(Group(inner), "should")]
        if lx.kind == "close" or lx.kind == "or":  # pragma: no cover - handled by caller
            raise QuerySyntaxError("unexpected " + lx.kind)
        syllables = [s.text for s in text.syllables(lx.value)]
        if not syllables:
            return []  # punctuation only
        if lx.field != "author":  # (the byline is matched in Whoosh, folded as written)
            spelled = list(map(text.canonical_spelling, syllables))
            for as_typed, canonical in zip(syllables, spelled):
                if as_typed != canonical:
                    self.typed.setdefault(canonical, as_typed)
            syllables = spelled
        occur: Occur = "not" if lx.prefix == "-" else "must" if lx.prefix == "+" else "should"
        if lx.field is not None or lx.kind == "phrase":
            node: Node = (
                Phrase(tuple(syllables), lx.field)
                if len(syllables) > 1 or lx.field == "author"
                else Term(syllables[0], lx.field)
            )
            return [Clause(node, "not" if occur == "not" else "must")]
        if occur == "should":
            if lx.run_break or not self.runs:
                self.runs.append([])
            self.runs[-1].extend(syllables)
            return [Clause(_bare_word(s), "should") for s in syllables]
        if len(syllables) > 1:  # -kinh-tế, +covid-19: the chunk as a whole
            return [Clause(Phrase(tuple(syllables)), occur)]
        return [Clause(Term(syllables[0]), occur)]


def _bare_word(syllable: str) -> Node:
    """A bare word's node: its syllable, or that or its words for an abbreviation."""
    words = spelled_out(syllable)
    if words is None:
        return Term(syllable)
    return AnyOf([Term(syllable), Phrase(words)], abbreviation=True)


def _included(clause: Clause) -> Clause:
    """An excluded top-level clause read as if typed without its ``-``."""
    bare = isinstance(clause.node, Term) and clause.node.field is None
    return Clause(clause.node, "should" if bare else "must")


def parse_query(query: str, strict: bool = False, quotes_as_words: bool = False) -> ParsedQuery:
    """Parse ``query`` (any normal form) into clauses.

    Raises QuerySyntaxError for a query too long or with nothing to search for; with
    ``strict``, also for any malformed syntax, which lenient mode repairs (see the module
    docstring) and reports in the result's ``notes``. ``quotes_as_words`` reads a plain
    quoted phrase (no ``+``, ``-`` or field before it) as the words it holds: the search
    does so for long pasted text, whose quotes are the article's, not the user's.
    """
    if len(query) > MAX_QUERY_LENGTH:
        raise QuerySyntaxError(f"query too long: {len(query)} characters, at most {MAX_QUERY_LENGTH}")
    problems = _Problems(strict)
    normal = text.normalize(query)
    if not strict:  # strict mode reads curly quotes as it always did: punctuation
        normal = _straighten_curly_quotes(normal, problems)
    lexemes = _lex(normal, problems, quotes_as_words)
    if not strict:
        lexemes = _without_unmatched_brackets(lexemes, problems)
    parser = _Parser(_mark_runs(lexemes), problems)
    clauses = parser.parse()
    if not clauses:
        raise QuerySyntaxError(_EMPTY)
    runs = [r for r in parser.runs if r]
    if all(c.occur == "not" for c in clauses):
        problems.report(_ONLY_EXCLUDES, "the query only excluded words: searched for them instead")
        clauses = [_included(c) for c in clauses]
        # Each bare word its own run, as if typed apart: they were not adjacent bare words.
        runs = [[c.node.syllable] for c in clauses if c.occur == "should" and isinstance(c.node, Term)]
    return ParsedQuery(clauses, runs, problems.notes, parser.typed)
