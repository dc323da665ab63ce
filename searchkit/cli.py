"""The ``searchkit`` command: argument handling and printing over the Python API.

Heavy modules (Whoosh, pyvi, sumy, uvicorn) are imported inside the commands that use
them, so ``searchkit --help`` starts in a fraction of a second and ``searchkit query``
never loads pyvi.

Exit codes: 0 success; 1 an error (one line on stderr, nothing changed); 2 bad usage;
3 ``index`` finished but skipped some files or records (each named on stderr).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, cast

import typer
from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from .errors import InvalidParameterError, SearchkitError

if TYPE_CHECKING:
    from .articles import Article
    from .records import Document, Hit
    from .search import SearchResult, Sort

EXIT_SKIPPED = 3

app = typer.Typer(
    help="Full-text search for Vietnamese news archives, with extractive summaries.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

IndexOption = typer.Option("index", "--index", "-i", metavar="DIR", help="Index directory.")


@contextmanager
def _user_errors(as_json: bool = False) -> Iterator[None]:
    """Turn the errors a user can cause into one line and the error's exit status (1, or 2
    for a bad parameter): on stderr, or as ``{"error": …}`` on stdout for ``--json``."""
    try:
        yield
    except SearchkitError as exc:
        if as_json:
            sys.stdout.write(json.dumps({"error": str(exc)}, ensure_ascii=False) + "\n")
        else:
            # soft_wrap: one line however long (rich would wrap at 80 columns off a terminal)
            err_console.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        err_console.print("[bold red]interrupted[/]")
        raise typer.Exit(130) from None


def _print_version(value: bool) -> None:
    if value:
        from . import __version__

        console.print(f"searchkit {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Full-text search for Vietnamese news archives, with extractive summaries."""


@app.command()
def index(
    paths: list[Path] = typer.Argument(
        ..., help="Files or directories of articles (.txt, .json, .jsonl, .gz)."
    ),
    index_dir: Path = IndexOption,
    rebuild: bool = typer.Option(False, "--rebuild", help="Start the index over instead of updating it."),
    jobs: int | None = typer.Option(
        None, "--jobs", "-j", min=1, help="Worker processes (default: number of CPUs)."
    ),
    memory_mb: int | None = typer.Option(
        None,
        "--memory-mb",
        min=16,
        help="Postings held in memory before they are written out, in MB (default 512).",
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Build or update the index from PATHS: only new and changed files are analysed."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    from .index import index_paths

    with _user_errors():
        progress = Progress(
            TextColumn("[bold blue]indexing"),
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=err_console,
            disable=quiet or not err_console.is_terminal,
            transient=True,
        )
        with progress:
            task = progress.add_task("indexing", total=None)
            report = index_paths(
                paths,
                index_dir,
                rebuild=rebuild,
                jobs=jobs,
                progress=lambda done, total: progress.update(task, completed=done, total=total),
                on_problem=lambda p: progress.console.print(
                    f"[yellow]skipped[/] {escape(str(p))}", soft_wrap=True
                ),
                on_wait=lambda msg: progress.console.print(f"[yellow]{escape(msg)}[/]", soft_wrap=True),
                memory_mb=memory_mb,
            )
    console.print(f"[green]indexed[/] {index_dir}/: {report.summary()}", soft_wrap=True)
    if report.skipped:
        raise typer.Exit(EXIT_SKIPPED)


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _hit_lines(hit: Hit, summaries: bool) -> Group:
    """One hit: a title line and a meta line (each cut to the width), then the passage
    and, when asked for, the summary, wrapped under the title."""
    title = Text(hit.title or hit.id, style="bold", no_wrap=True, overflow="ellipsis")
    meta = [hit.date[:10] if hit.date else "", hit.author, hit.id, f"score {hit.score:.2f}"]
    meta_line = Text(" · ".join(m for m in meta if m), style="dim", no_wrap=True, overflow="ellipsis")
    passage = Text(hit.snippet.replace("\n", " "))
    for start, end in hit.highlights:
        passage.stylize("bold yellow", start, end)
    lines: list[RenderableType] = [title, meta_line, passage]
    if summaries and hit.summary:
        bullets = Table.grid(padding=(0, 1))
        bullets.add_column(style="green")
        bullets.add_column(style="green")
        for sentence in hit.summary:
            bullets.add_row("•", Text(sentence))
        lines.append(bullets)
    return Group(*lines)


def _print_result(result: SearchResult, summaries: bool = False) -> None:
    for note in result.notes:  # how the query was read, where not as typed
        console.print(Text(note, style="dim"))
    if result.suggestion:
        console.print(Text.assemble("did you mean: ", (result.suggestion, "bold"), "?"))
    if not result.hits:
        if not result.total:
            console.print(Text(f"no results for {result.query!r}"))
        else:  # a page past the end, or --limit 0: the matches exist, this page has none
            console.print(
                Text(f"{_count(result.total, 'result')} for {result.query!r}, none on this page", style="dim")
            )
        return
    first, last = result.offset + 1, result.offset + len(result.hits)
    shown = f"{first:,}–{last:,}" if last > first else f"{first:,}"
    console.print(Text(f"{shown} of {_count(result.total, 'result')} ({result.took_ms:.0f} ms)", style="dim"))
    table = Table.grid(padding=(0, 1))
    table.add_column(justify="right", style="dim", no_wrap=True)
    table.add_column()
    for rank, hit in enumerate(result.hits, first):
        if rank > first:
            table.add_row()  # a blank line between hits
        table.add_row(f"{rank}.", _hit_lines(hit, summaries))
    console.print(table)
    if result.facets:
        for name, counts in result.facets.items():
            if not counts:
                continue
            facet = Text.assemble((name, "bold"), ": ", ", ".join(f"{k} ({v:,})" for k, v in counts.items()))
            console.print(facet)


@app.command()
def query(
    text: str = typer.Argument(
        ..., metavar="QUERY", help='The query, e.g. \'"nông thôn mới" -"hà nội" title:kinh\'.'
    ),
    index_dir: Path = IndexOption,
    limit: int | None = typer.Option(
        None, "--limit", "-n", min=0, max=1000, metavar="N", help="Hits to show (default 10)."
    ),
    offset: int | None = typer.Option(None, "--offset", min=0, metavar="N", help="Hits to skip (paging)."),
    since: str | None = typer.Option(
        None, metavar="DATE", help="Published on or after this date (YYYY-MM-DD)."
    ),
    until: str | None = typer.Option(
        None, metavar="DATE", help="Published on or before this date (YYYY-MM-DD)."
    ),
    author: str | None = typer.Option(None, metavar="NAME", help="Only articles by this author."),
    category: str | None = typer.Option(None, metavar="NAME", help="Only articles in this category."),
    sort: str = typer.Option("relevance", metavar="relevance|date", help="Newest first with date."),
    facets: bool = typer.Option(False, "--facets", help="Counts per month, category and author."),
    as_json: bool = typer.Option(
        False, "--json", help='Print the result as JSON (errors too, as {"error": ...}).'
    ),
    strict: bool = typer.Option(
        False, "--strict", help="A malformed query is an error (exit 1) instead of being read leniently."
    ),
    summaries: bool = typer.Option(False, "--summaries", "-s", help="Print each hit's summary too."),
    every: bool = typer.Option(
        False,
        "--all",
        help="Write every match (id, title, date, author, url, score, passage, summary), streamed.",
    ),
    form: str | None = typer.Option(
        None,
        "--format",
        metavar="jsonl|csv",
        help="With --all: JSON Lines (default) or CSV (UTF-8 with BOM).",
    ),
) -> None:
    """Search the index and print ranked hits with the passage that matches.

    A malformed query (a stray quote or parenthesis, a dangling OR) is read leniently, with
    a note. A query may start with "-": searchkit query "-thuế nông".
    """
    from .search import open_index

    if every or form is not None:
        with _user_errors():
            _check_export_options(every, limit, offset, facets, as_json, summaries)
        _export(text, index_dir, since, until, author, category, sort, strict, form or "jsonl")
        return
    with _user_errors(as_json), open_index(index_dir) as ix:
        result = ix.search(
            text,
            limit=10 if limit is None else limit,
            offset=offset or 0,
            since=since,
            until=until,
            author=author,
            category=category,
            sort=cast("Sort", sort),  # any other value: Index.search raises InvalidParameterError
            facets=facets,
            strict=strict,
        )
    if as_json:
        sys.stdout.write(json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n")
    else:
        _print_result(result, summaries)


def _check_export_options(
    every: bool, limit: int | None, offset: int | None, facets: bool, as_json: bool, summaries: bool
) -> None:
    """--all writes every match in its own format: paging and printing options conflict."""
    if not every:
        raise InvalidParameterError("format", "--format goes with --all (every match, streamed)")
    given = [
        name
        for name, used in (
            ("--limit", limit is not None),
            ("--offset", offset is not None),
            ("--facets", facets),
            ("--json", as_json),
            ("--summaries", summaries),
        )
        if used
    ]
    if given:
        raise InvalidParameterError(
            "all", f"--all writes every match with its summary: drop {', '.join(given)}"
        )


def _export(
    text: str,
    index_dir: Path,
    since: str | None,
    until: str | None,
    author: str | None,
    category: str | None,
    sort: str,
    strict: bool,
    form: str,
) -> None:
    """Every match to standard output in ``form``, UTF-8 whatever the locale says."""
    from .export import check_format, export_text
    from .search import open_index

    out = sys.stdout.buffer
    with _user_errors(), open_index(index_dir) as ix:
        check_format(form)
        matches = ix.search_all(
            text,
            since=since,
            until=until,
            author=author,
            category=category,
            sort=cast("Sort", sort),
            strict=strict,
        )
        with matches:
            for note in matches.notes:  # stderr: standard output is the data
                err_console.print(Text(note, style="dim"), soft_wrap=True)
            try:
                for piece in export_text(matches, form):
                    out.write(piece.encode("utf-8"))
                out.flush()
            except BrokenPipeError:  # `| head`: the reader has all it wants
                # Python would report the pipe again while flushing at exit.
                import os

                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


@app.command()
def summarize(
    file: str | None = typer.Argument(
        None, metavar="FILE", help="An article file (.txt/.json/.jsonl), or - for standard input."
    ),
    doc_id: str | None = typer.Option(
        None, "--id", metavar="DOC_ID", help="Summarise this indexed document instead."
    ),
    index_dir: Path = IndexOption,
    sentences: int = typer.Option(
        3, "--sentences", "-n", min=1, max=50, metavar="N", help="Sentences to pick."
    ),
    method: str | None = typer.Option(
        None,
        "--method",
        "-m",
        metavar="METHOD",
        help=(
            "learned (default), lead, lsa, luhn, edmundson, lex-rank, text-rank, sum-basic, kl, "
            "reduction, random."
        ),
    ),
    focus: str | None = typer.Option(
        None, "--query", "-q", metavar="QUERY", help="The sentences that best answer this query instead."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (errors too)."),
) -> None:
    """Print the extractive summary of a file, of standard input, or of an indexed document.

    Standard input is read as an article, like a .txt file.
    """
    from .articles import read_source
    from .summary import summarize_article

    with _user_errors(as_json):
        if (file is None) == (doc_id is None):
            raise InvalidParameterError("file", "give a FILE (or - for standard input) or --id DOC_ID")
        if doc_id is not None:
            from .search import open_index

            with open_index(index_dir) as ix:
                articles: list[Article | Document] = [ix.get(doc_id)]
        else:
            assert file is not None  # exactly one of FILE and --id, checked above
            articles = list(read_source(file, sys.stdin.buffer))
        results = [(a.id, a.title, summarize_article(a, sentences, method, query=focus)) for a in articles]
    if as_json:
        payload = [{"id": i, "title": t, "summary": s} for i, t, s in results]
        sys.stdout.write(
            json.dumps(payload[0] if len(payload) == 1 else payload, ensure_ascii=False, indent=2) + "\n"
        )
        return
    for _doc_id, title, summary in results:
        if title:
            console.print(Text(title, style="bold"))
        for sentence in summary:
            console.print(Text(f"• {sentence}"))


@app.command()
def serve(
    index_dir: Path = IndexOption,
    host: str = typer.Option(
        "127.0.0.1", "--host", help="Address to listen on (0.0.0.0 for every interface)."
    ),
    port: int = typer.Option(8000, "--port", "-p", min=1, max=65535, help="Port to listen on."),
) -> None:
    # One line: Typer keeps a docstring's line breaks in the command list of `searchkit --help`.
    """Serve the index over HTTP: a JSON API (/search, /documents/ID, /summarize, /health) and a search page at /."""  # noqa: E501
    from .server import serve as run_server

    with _user_errors():
        run_server(index_dir, host, port)


@app.command()
def check(
    index_dir: Path = IndexOption,
    repair: bool = typer.Option(
        False, "--repair", help="Drop the damaged segments, listing the document ids they held."
    ),
) -> None:
    """Verify every file of the index (checksums, sizes, document counts); exit 1 if damaged.

    With --repair, damaged segments are dropped and their documents listed: a following
    `searchkit index` over the same paths indexes them again.
    """
    from .check import check_index, report_lines

    with _user_errors():
        report = check_index(index_dir, repair=repair)
    report_lines(report, lambda line: console.print(Text(line), soft_wrap=True))
    if not report.healthy and not report.repaired:
        raise typer.Exit(1)


def _query_texts_first(args: list[str]) -> list[str]:
    """``args`` with the ``query`` command's query moved behind ``--`` when it starts with
    ``-`` (an exclusion, ``-thuế nông``), which the option parser would otherwise take
    for an unknown option: a query may start with ``-`` without the user knowing ``--``."""
    if "query" not in args or "--" in args:
        return args
    at = args.index("query") + 1
    command = typer.main.get_command(app)
    params = command.commands["query"].params  # type: ignore[attr-defined]
    valued = {name for p in params if not getattr(p, "is_flag", False) for name in p.opts}
    # ``--help`` is Click's own option, not among the command's params.
    known = {name for p in params for name in (*p.opts, *p.secondary_opts)} | {"--help"}
    kept, texts = args[:at], []
    tokens = iter(args[at:])
    for token in tokens:
        name = token.split("=", 1)[0]
        if token in valued:
            kept += [token, next(tokens, "")]
        elif not token.startswith("-") or token == "-" or name in known:
            kept.append(token)
        elif token[:2] in valued and token[2:].isdigit():  # -n5
            kept.append(token)
        else:
            texts.append(token)
    return kept + ["--", *texts] if texts else args


def main() -> None:
    """Console-script entry point."""
    app(args=_query_texts_first(sys.argv[1:]), prog_name="searchkit")


if __name__ == "__main__":
    main()
