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
unknown ``name:value`` is plain text. Malformed queries (an unbalanced quote or
parenthesis, ``OR`` without a term on both sides, ``title:`` without a value, nothing
left to search for) raise :class:`~searchkit.errors.QuerySyntaxError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Union

from . import text
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
    """``a OR b OR c``."""

    options: list[Node]


Node = Union[Term, Phrase, Group, AnyOf]


@dataclass
class Clause:
    node: Node
    occur: Occur


@dataclass
class ParsedQuery:
    """A parsed query: its clauses and, for ranking, the runs of adjacent bare syllables."""

    clauses: list[Clause]
    runs: list[list[str]] = field(default_factory=list)

    def syllables(self) -> list[str]:
        """Every positive syllable (not excluded), in query order: for highlighting."""
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
                for option in node.options:
                    visit(option, False)

        for c in self.clauses:
            visit(c.node, c.occur == "not")
        return found


# -- lexing -----------------------------------------------------------------------------

@dataclass
class _Lexeme:
    kind: Literal["word", "phrase", "open", "close", "or"]
    value: str = ""
    prefix: str = ""  # "-", "+" or ""
    field: str | None = None
    run_break: bool = False  # not adjacent to the previous bare word


def _lex(query: str) -> list[_Lexeme]:
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
        if ch in "-+" and i + 1 < n and not query[i + 1].isspace() and query[i + 1] not in "()":
            prefix, i = ch, i + 1
        field_name = None
        colon = _field_prefix(query, i)
        if colon is not None:
            field_name = query[i:colon].lower()
            i = colon + 1
            if i >= n or query[i].isspace() or query[i] in "()":
                raise QuerySyntaxError(f"{field_name}: needs a value, e.g. {field_name}:\"…\"")
        if i < n and query[i] == '"':
            end = query.find('"', i + 1)
            if end < 0:
                raise QuerySyntaxError("unbalanced quote: every \" needs a closing \"")
            lexemes.append(_Lexeme("phrase", query[i + 1 : end], prefix, field_name))
            i = end + 1
            continue
        j = i
        while j < n and not query[j].isspace() and query[j] not in '()"':
            j += 1
        if j < n and query[j] == '"':
            raise QuerySyntaxError("unbalanced quote: a \" must start a phrase")
        word = query[i:j]
        i = j
        if word == "OR" and not prefix and field_name is None:
            lexemes.append(_Lexeme("or"))
        else:
            lexemes.append(_Lexeme("word", word, prefix, field_name))
    # Mark where runs of adjacent bare words are broken (for the word-bonus n-grams).
    previous_bare = False
    for lx in lexemes:
        bare = lx.kind == "word" and not lx.prefix and lx.field is None
        lx.run_break = not previous_bare
        previous_bare = bare
    return lexemes


def _field_prefix(query: str, i: int) -> int | None:
    """The index of the ':' if ``query[i:]`` starts with a known ``field:``, else None."""
    for name in FIELDS:
        end = i + len(name)
        if query[i:end].lower() == name and end < len(query) and query[end] == ":":
            return end
    return None


# -- parsing ----------------------------------------------------------------------------

class _Parser:
    def __init__(self, lexemes: list[_Lexeme]):
        self.lexemes = lexemes
        self.pos = 0
        self.runs: list[list[str]] = []

    def parse(self) -> list[Clause]:
        clauses = self._clauses(top=True)
        if self.pos < len(self.lexemes):
            raise QuerySyntaxError("unbalanced parenthesis: a ')' has no '('")
        return clauses

    def _clauses(self, top: bool) -> list[Clause]:
        clauses: list[Clause] = []
        while self.pos < len(self.lexemes):
            lx = self.lexemes[self.pos]
            if lx.kind == "close":
                if top:
                    raise QuerySyntaxError("unbalanced parenthesis: a ')' has no '('")
                return clauses
            if lx.kind == "or":
                if not clauses or clauses[-1].occur == "not":
                    raise QuerySyntaxError("OR needs a term on each side")
                self.pos += 1
                if self.pos >= len(self.lexemes) or self.lexemes[self.pos].kind in ("or", "close"):
                    raise QuerySyntaxError("OR needs a term on each side")
                right = self._item()
                if not right or right[0].occur == "not":
                    raise QuerySyntaxError("OR needs a term on each side")
                left = clauses.pop()
                options = left.node.options if isinstance(left.node, AnyOf) else [left.node]
                # "a OR b" joins the two neighbouring items; a multi-syllable right-hand
                # word's first syllable is the alternative, the rest stay bare words.
                first, rest = right[0], right[1:]
                occur: Occur = "must" if left.occur == "must" and first.occur == "must" else "should"
                clauses.append(Clause(AnyOf(options + [first.node]), occur))
                clauses.extend(rest)
                continue
            clauses.extend(self._item())
        if not top:
            raise QuerySyntaxError("unbalanced parenthesis: a '(' is never closed")
        return clauses

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
        occur: Occur = "not" if lx.prefix == "-" else "must" if lx.prefix == "+" else "should"
        if lx.field is not None or lx.kind == "phrase":
            node: Node = Phrase(tuple(syllables), lx.field) if len(syllables) > 1 or lx.field == "author" else Term(syllables[0], lx.field)
            return [Clause(node, "not" if occur == "not" else "must")]
        if occur == "should":
            if lx.run_break or not self.runs:
                self.runs.append([])
            self.runs[-1].extend(syllables)
            return [Clause(Term(s), "should") for s in syllables]
        if len(syllables) > 1:  # -kinh-tế, +covid-19: the chunk as a whole
            return [Clause(Phrase(tuple(syllables)), occur)]
        return [Clause(Term(syllables[0]), occur)]


def parse_query(query: str) -> ParsedQuery:
    """Parse ``query`` (any normal form) into clauses, or raise QuerySyntaxError."""
    if len(query) > MAX_QUERY_LENGTH:
        raise QuerySyntaxError(f"query too long: {len(query)} characters, at most {MAX_QUERY_LENGTH}")
    parser = _Parser(_lex(text.normalize(query)))
    clauses = parser.parse()
    if not clauses:
        raise QuerySyntaxError("empty query: give at least one word to search for")
    if all(c.occur == "not" for c in clauses):
        raise QuerySyntaxError("the query only excludes: add at least one word to search for")
    return ParsedQuery(clauses, [r for r in parser.runs if r])
