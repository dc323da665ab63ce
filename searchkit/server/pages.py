"""The HTML pages: the search page (``/``) and one article (``/view/{id}``), rendered on
the server with Jinja2 and working without JavaScript. Parameters are read leniently (a
page never answers 422): anything unreadable takes its default."""

from __future__ import annotations

import calendar
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import jinja2
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from .. import __version__, text
from ..errors import QuerySyntaxError
from ..search import Index
from .api import MAX_OFFSET, current_index
from .messages import in_vietnamese, no_result_hints

__all__ = ["router", "page_route", "highlight_parts", "error_page_renderer"]

PAGE_SIZE = 10  # hits per page
TEMPLATES = Path(__file__).resolve().parent / "templates"

# No script may run at all (the pages need none), on top of Jinja2's autoescaping of every
# document field and of the query.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

_Endpoint = TypeVar("_Endpoint", bound=Callable[..., Any])


def page_route(endpoint: _Endpoint) -> _Endpoint:
    """Mark ``endpoint`` as a page, so that the error handler answers it with HTML."""
    endpoint.is_page = True  # type: ignore[attr-defined]
    return endpoint


def highlight_parts(
    snippet: str, highlights: list[tuple[int, int]] | list[list[int]]
) -> list[tuple[str, bool]]:
    """``snippet`` cut into ``(text, highlighted)`` pieces from ``[start, end)`` offsets.

    Offsets out of range or overlapping an earlier span are clamped or dropped, so a bad
    offset can never break the page; the template escapes every piece.
    """
    parts: list[tuple[str, bool]] = []
    at = 0
    for start, end in sorted((int(s), int(e)) for s, e in highlights):
        start, end = max(start, at), min(end, len(snippet))
        if start >= end:
            continue
        if start > at:
            parts.append((snippet[at:start], False))
        parts.append((snippet[start:end], True))
        at = end
    if at < len(snippet):
        parts.append((snippet[at:], False))
    return parts


def _display_date(iso: str | None, with_time: bool = False) -> str:
    """``2023-03-09T08:21:54+07:00`` → ``09/03/2023`` (``09/03/2023 08:21`` ``with_time``),
    as Vietnamese readers write dates, in the article's own time zone."""
    if not iso:
        return ""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso[:16].replace("T", " ")
    if not with_time or moment.hour == moment.minute == moment.second == 0:
        return moment.strftime("%d/%m/%Y")
    return moment.strftime("%d/%m/%Y %H:%M")


def _number(value: int) -> str:
    """``133877`` → ``133.877``: Vietnamese groups thousands with dots."""
    return f"{value:,}".replace(",", ".")


def _safe_url(url: str) -> str | None:
    """Only http(s) links are rendered (a ``javascript:`` URL in a document must not be)."""
    url = (url or "").strip()
    return url if url.lower().startswith(("http://", "https://")) else None


def view_url(doc_id: str) -> str:
    return "/view/" + quote(doc_id, safe="/")


def _int_param(value: str | None, default: int, low: int, high: int) -> int:
    """A lenient integer: anything unreadable is the default."""
    try:
        number = int(value) if value not in (None, "") else default
    except ValueError:
        return default
    return min(max(number, low), high)


def _flag(value: str | None) -> bool:
    """A lenient boolean: true, 1, yes or on (any case) is True."""
    return (value or "").strip().lower() in ("true", "1", "yes", "on")


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,  # every document field and the query are escaped
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.globals.update(view_url=view_url, display_date=_display_date, version=__version__)
    env.filters["vi"] = in_vietnamese
    env.filters["number"] = _number
    return env


_templates = _environment()


def render(template: str, status_code: int = 200, /, **context: Any) -> HTMLResponse:
    html = _templates.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status_code, headers=PAGE_HEADERS)


def error_page_renderer(status: int, message: str) -> HTMLResponse:
    """The page the error handler shows for an error on a page route."""
    return render("error.html", status, status=status, message=message, q="")


router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class SearchState:
    """What the search page shows, all of it in its URL: the query, sort, filters and
    page. Every link of the page (facets, timeline, paging, articles, export) is this
    state with a change."""

    q: str = ""
    sort: str = "relevance"
    since: str = ""
    until: str = ""
    author: str = ""
    category: str = ""
    strict: bool = False
    offset: int = 0

    @classmethod
    def read(cls, params: dict[str, str | None]) -> SearchState:
        """The state in a page's parameters, read leniently (never a 422)."""

        def text(name: str) -> str:
            return " ".join((params.get(name) or "").split())

        return cls(
            q=(params.get("q") or "").strip(),
            sort="date" if params.get("sort") == "date" else "relevance",
            since=text("since"),
            until=text("until"),
            author=text("author"),
            category=text("category"),
            strict=_flag(params.get("strict")),
            offset=_int_param(params.get("offset"), 0, 0, MAX_OFFSET),
        )

    @property
    def filters(self) -> dict[str, str]:
        """The filters given (and strict mode), as the form's hidden fields carry them."""
        given = {name: getattr(self, name) for name in FILTERS if getattr(self, name)}
        return {**given, **({"strict": "true"} if self.strict else {})}

    def params(self, **changes: Any) -> dict[str, Any]:
        """The URL parameters of this state with ``changes``: defaults left out (None or
        "" removes a parameter)."""
        values = {"q": self.q, "sort": self.sort, **self.filters, "offset": self.offset, **changes}
        defaults = {"sort": "relevance", "offset": 0}
        return {k: v for k, v in values.items() if v not in (None, "", False) and defaults.get(k) != v}

    def search_options(self) -> dict[str, Any]:
        """The ``Index.search`` arguments of this state other than the query, the page,
        the order and the dates (which the timeline leaves out)."""
        return {"author": self.author or None, "category": self.category or None, "strict": self.strict}

    def url(self, path: str = "/", /, **changes: Any) -> str:
        return path + "?" + urlencode(self.params(**changes))

    def month(self) -> str | None:
        """The month (``YYYY-MM``) the dates narrow to, when they are exactly one."""
        if not (_DAY.fullmatch(self.since) and _DAY.fullmatch(self.until)):
            return None
        for period in (self.since[:7], self.since[:4]):
            if _period_dates(period) == (self.since, self.until):
                return period
        return None


def page_state(request: Request) -> SearchState:
    """The search state in a page's URL: one reading for every page that carries it."""
    return SearchState.read(dict(request.query_params))


FILTERS = ("since", "until", "author", "category")
_DAY = re.compile(r"\d{4}-(0[1-9]|1[0-2])-\d{2}")
FACET_SHOWN = 8  # values shown per facet; more behind "more"
FACET_LISTED = 100  # values listed at most per facet: an archive has thousands of bylines
YEARLY_ABOVE = 120  # months on the timeline beyond which it counts years instead
TIMELINE_MONTHS = 12  # the shortest span the timeline draws


def _period_dates(period: str) -> tuple[str, str]:
    """The first and last day of a month (``YYYY-MM``) or a year (``YYYY``)."""
    year = int(period[:4])
    if len(period) == 4:
        return f"{year:04d}-01-01", f"{year:04d}-12-31"
    month = int(period[5:7])
    return f"{year:04d}-{month:02d}-01", f"{year:04d}-{month:02d}-{calendar.monthrange(year, month)[1]:02d}"


def _period_label(period: str) -> str:
    """``2023-03`` → ``03/2023``; a year as it is."""
    return f"{period[5:7]}/{period[:4]}" if len(period) == 7 else period


def _months_between(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:7])
    months = []
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _shifted(month: str, by: int) -> str:
    index = int(month[:4]) * 12 + int(month[5:7]) - 1 + by
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def timeline(months: dict[str, int], state: SearchState) -> dict[str, Any] | None:
    """The bars of the timeline: matches per month for the current query (per year when
    the months span more than :data:`YEARLY_ABOVE`), empty periods included so that the
    axis is time, each a link narrowing the search to its period. A span shorter than
    :data:`TIMELINE_MONTHS` is widened to it, around the matches: a single month drawn
    as one page-wide bar would say nothing about when."""
    dated = sorted(m for m in months if len(m) == 7 and m[:4].isdigit() and m[5:].isdigit())
    if not dated:
        return None
    missing = TIMELINE_MONTHS - len(_months_between(dated[0], dated[-1]))
    first, last = dated[0], dated[-1]
    if missing > 0 and "0001" < first and last < "9999":
        first, last = _shifted(first, -(missing // 2)), _shifted(last, missing - missing // 2)
    periods = _months_between(first, last)
    counts = dict(months)
    if len(periods) > YEARLY_ABOVE:
        counts = {}
        for month in dated:
            counts[month[:4]] = counts.get(month[:4], 0) + months[month]
        periods = [str(year) for year in range(int(dated[0][:4]), int(dated[-1][:4]) + 1)]
    highest = max(counts.get(p, 0) for p in periods)
    chosen = state.month()
    bars = []
    for at, period in enumerate(periods):
        count = counts.get(period, 0)
        since, until = _period_dates(period)
        bars.append(
            {
                "x": at,
                "height": count / highest * 100 if highest else 0,
                "count": count,
                "label": _period_label(period),
                "url": state.url(since=since, until=until, offset=None),
                "chosen": period == chosen,
            }
        )
    return {
        "bars": bars,
        "width": len(bars),
        "highest": highest,
        "first": bars[0]["label"],
        "last": bars[-1]["label"],
        "yearly": len(periods[0]) == 4,
        "chosen": any(bar["chosen"] for bar in bars),
    }


def _facet(
    counts: dict[str, int], state: SearchState, name: str, by_count: bool = True
) -> list[dict[str, Any]]:
    """The values of one facet as links narrowing the search (the chosen one, a link
    removing it), most frequent first."""
    chosen = text.normalize_term(getattr(state, name)) if getattr(state, name) else None
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0])) if by_count else counts.items()
    values = []
    for value, count in ordered:
        is_chosen = chosen is not None and text.normalize_term(value) == chosen
        values.append(
            {
                "value": value,
                "count": count,
                "chosen": is_chosen,
                "url": state.url(**{name: None if is_chosen else value, "offset": None}),
            }
        )
    return values


def _month_facet(months: dict[str, int], state: SearchState) -> list[dict[str, Any]]:
    """Months newest first, each a link to its dates (the chosen one removes them)."""
    chosen = state.month()
    values = []
    for month in sorted(months, reverse=True):
        since, until = _period_dates(month)
        is_chosen = month == chosen
        changes = {"since": None, "until": None} if is_chosen else {"since": since, "until": until}
        values.append(
            {
                "value": _period_label(month),
                "count": months[month],
                "chosen": is_chosen,
                "url": state.url(**changes, offset=None),
            }
        )
    return values


def _chosen_filters(state: SearchState) -> list[dict[str, str]]:
    """The filters in force, each with a link removing it."""
    chosen = []
    month = state.month()
    if month:
        chosen.append(
            {
                "label": f"{'Năm' if len(month) == 4 else 'Tháng'} {_period_label(month)}",
                "url": state.url(since=None, until=None, offset=None),
            }
        )
    else:
        for name, label in (("since", "Từ"), ("until", "Đến")):
            value = getattr(state, name)
            if value:
                shown = _display_date(value) if len(value) == 10 else value
                chosen.append({"label": f"{label} {shown}", "url": state.url(**{name: None, "offset": None})})
    for name, label in (("category", "Chuyên mục"), ("author", "Tác giả")):
        value = getattr(state, name)
        if value:
            chosen.append({"label": f"{label}: {value}", "url": state.url(**{name: None, "offset": None})})
    return chosen


@router.get("/", response_class=HTMLResponse)
@page_route
def search_page(
    state: SearchState = Depends(page_state),
    index: Index = Depends(current_index),
) -> HTMLResponse:
    context: dict[str, Any] = {
        "q": state.q,
        "state": state,
        "sort": state.sort,
        "filters": state.filters,
        "result": None,
        "error": None,
    }
    if not state.q:
        return render("search.html", **context)
    started = time.perf_counter()
    try:
        result = index.search(
            state.q,
            limit=PAGE_SIZE,
            offset=state.offset,
            since=state.since or None,
            until=state.until or None,
            sort=state.sort,  # type: ignore[arg-type]
            facets=True,
            **state.search_options(),
        )
    except QuerySyntaxError as exc:  # shown in the page, with the form to correct it
        context["error"] = str(exc)
        context["chosen"] = _chosen_filters(state)
        return render("search.html", exc.http_status, **context)
    facets = result.facets or {}
    months = facets.get("month", {})
    if state.since or state.until:
        # The timeline shows the matches without the date filter, the chosen dates among
        # them: narrowed to its own dates it would be one bar, and no way to another month.
        undated = index.search(state.q, limit=0, facets=True, **state.search_options())
        months = (undated.facets or {}).get("month", {})
    context["took_ms"] = (time.perf_counter() - started) * 1000
    start = state.offset
    context.update(
        result=result,
        hits=[
            {
                "hit": hit,
                "parts": highlight_parts(hit.snippet.replace("\n", " "), hit.highlights),
                "url": state.url(view_url(hit.id)),
            }
            for hit in result.hits
        ],
        first=start + 1,
        last=start + len(result.hits),
        prev_url=state.url(offset=max(0, start - PAGE_SIZE)) if start > 0 else None,
        next_url=state.url(offset=start + PAGE_SIZE) if start + len(result.hits) < result.total else None,
        suggestion_url=("/?" + urlencode({"q": result.suggestion})) if result.suggestion else None,
        hints=[]
        if result.total
        else no_result_hints(state.q, filtered=bool(set(state.filters) - {"strict"})),
        sort_urls={sort: state.url(sort=sort, offset=None) for sort in ("relevance", "date")},
        export_urls={form: state.url("/export", offset=None, format=form) for form in ("csv", "jsonl")},
        chosen=_chosen_filters(state),
        timeline=timeline(months, state),
        facets=[
            ("Tháng", "month", _month_facet(facets.get("month", {}), state)),
            ("Chuyên mục", "category", _facet(facets.get("category", {}), state, "category")),
            ("Tác giả", "author", _facet(facets.get("author", {}), state, "author")),
        ],
        facet_shown=FACET_SHOWN,
        facet_listed=FACET_LISTED,
    )
    return render("search.html", **context)


@router.get("/view/{doc_id:path}", response_class=HTMLResponse)
@page_route
def article_page(
    doc_id: str,
    state: SearchState = Depends(page_state),
    index: Index = Depends(current_index),
) -> HTMLResponse:
    """The article; reached from the results, the query's passage and its words marked
    in the whole text, with a link back to those results (the search's state rides along
    in the URL)."""
    matched = None
    if state.q:
        try:
            matched = index.get_matched(doc_id, state.q)
        except QuerySyntaxError:  # no word to mark: the article as it is
            matched = None
    doc = matched.document if matched else index.get(doc_id)  # an unknown id: the 404 page
    context: dict[str, Any] = {
        "doc": doc,
        "q": state.q,
        "state": state,
        "back_url": state.url() if state.q else None,
        "url": _safe_url(doc.url),
        "title_parts": highlight_parts(doc.title, matched.title_highlights if matched else []),
        "sapo_parts": highlight_parts(doc.sapo, matched.sapo_highlights if matched else []),
        "paragraphs": _paragraphs(doc.body, matched.body_highlights if matched else []),
        "passage": None,
        "marks": 0,
    }
    if matched:
        hit = matched.hit
        context["passage"] = highlight_parts(hit.snippet.replace("\n", " "), hit.highlights)
        context["marks"] = len(matched.body_highlights) + len(matched.sapo_highlights)
    return render("document.html", **context)


def _paragraphs(body: str, spans: list[tuple[int, int]]) -> list[list[tuple[str, bool]]]:
    """The body's non-empty lines as paragraphs, each cut into ``(text, highlighted)``
    pieces by the ``spans`` (offsets into the whole body) that fall in it."""
    paragraphs = []
    at = 0
    for line in body.splitlines(keepends=True):
        stripped = line.strip()
        if stripped:
            start = at + line.index(stripped[0])
            end = start + len(stripped)
            inside = [(s - start, e - start) for s, e in spans if s >= start and e <= end]
            paragraphs.append(highlight_parts(stripped, inside))
        at += len(line)
    return paragraphs
