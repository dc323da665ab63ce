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
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from .errors import SearchkitError

if TYPE_CHECKING:
    from .records import Hit
    from .search import SearchResult, Sort

EXIT_ERROR = 1
EXIT_SKIPPED = 3

app = typer.Typer(
    help="Full-text search for Vietnamese news archives, with extractive summaries.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

IndexOption = typer.Option("index", "--index", "-i", help="Index directory.")


@contextmanager
def _user_errors() -> Iterator[None]:
    """Turn the errors a user can cause into one line on stderr and exit status 1."""
    try:
        yield
    except SearchkitError as exc:
        # soft_wrap: one line however long (rich would wrap at 80 columns off a terminal)
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(EXIT_ERROR) from None
    except KeyboardInterrupt:
        err_console.print("[bold red]interrupted[/]")
        raise typer.Exit(130) from None


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


def _hit_text(hit: Hit, rank: int) -> Text:
    line = Text()
    line.append(f"{rank:>3}. ", style="dim")
    line.append(hit.title or hit.id, style="bold")
    meta = [
        hit.date[:10] if hit.date else None,
        hit.author or None,
        f"score {hit.score:.2f}",
    ]
    line.append("  " + " · ".join(m for m in meta if m), style="cyan")
    line.append(f"\n     {hit.id}", style="dim")
    snippet = Text(hit.snippet.replace("\n", " "))
    for start, end in hit.highlights:
        snippet.stylize("bold yellow", start, end)
    line.append("\n     ")
    line.append(snippet)
    return line


def _print_result(result: SearchResult) -> None:
    for note in result.notes:  # how the query was read, where not as typed
        console.print(f"[dim]{escape(note)}[/]", soft_wrap=True)
    if result.suggestion:
        console.print(f"did you mean: [bold]{escape(result.suggestion)}[/]?")
    if not result.hits:
        console.print(f"no results for {escape(result.query)!r}")
        return
    first = result.offset + 1
    console.print(
        f"[dim]{first}–{result.offset + len(result.hits)} of {result.total} results "
        f"({result.took_ms:.0f} ms)[/]"
    )
    for rank, hit in enumerate(result.hits, first):
        console.print(_hit_text(hit, rank))
        for sentence in hit.summary:
            console.print(Text(f"     • {sentence}", style="green"))
        console.print()
    if result.facets:
        for name, counts in result.facets.items():
            console.print(f"[bold]{name}[/]: " + ", ".join(f"{k} ({v})" for k, v in counts.items()))


@app.command()
def query(
    text: str = typer.Argument(..., help='The query, e.g. \'"nông thôn mới" -"hà nội" title:kinh\'.'),
    index_dir: Path = IndexOption,
    limit: int = typer.Option(10, "--limit", "-n", min=0, max=1000, help="Hits to show."),
    offset: int = typer.Option(0, "--offset", min=0, help="Hits to skip (paging)."),
    since: str | None = typer.Option(None, help="Published on or after this date (YYYY-MM-DD)."),
    until: str | None = typer.Option(None, help="Published on or before this date (YYYY-MM-DD)."),
    author: str | None = typer.Option(None, help="Only articles by this author."),
    category: str | None = typer.Option(None, help="Only articles in this category."),
    sort: str = typer.Option("relevance", help="relevance or date (newest first)."),
    facets: bool = typer.Option(False, "--facets", help="Counts per month and per category."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    strict: bool = typer.Option(
        False, "--strict", help="A malformed query is an error (exit 1) instead of being read leniently."
    ),
) -> None:
    """Search the index and print ranked hits with highlighted snippets.

    A malformed query (a stray quote or parenthesis, a dangling OR) is read leniently, with a note.

    Put -- before a query that starts with "-": searchkit query -- -thuế
    """
    from .search import open_index

    with _user_errors():
        with open_index(index_dir) as ix:
            result = ix.search(
                text,
                limit=limit,
                offset=offset,
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
        _print_result(result)


@app.command()
def summarize(
    file: str | None = typer.Argument(
        None, help="An article file (.txt/.json/.jsonl), or - for standard input."
    ),
    doc_id: str | None = typer.Option(None, "--id", help="Summarise this indexed document instead."),
    index_dir: Path = IndexOption,
    sentences: int = typer.Option(3, "--sentences", "-n", min=1, max=50, help="Sentences to pick."),
    method: str | None = typer.Option(
        None,
        "--method",
        "-m",
        help=(
            "learned (default), lead, lsa, luhn, edmundson, lex-rank, text-rank, sum-basic, kl, "
            "reduction, random."
        ),
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Print the extractive summary of a file, of standard input, or of an indexed document."""
    from .errors import SearchkitError
    from .summary import METHODS, summarize as summarize_text

    with _user_errors():
        if method is not None and method not in METHODS:
            raise SearchkitError(f"unknown method {method!r}; choose one of: {', '.join(METHODS)}")
        if (file is None) == (doc_id is None):
            raise SearchkitError("give a FILE (or - for standard input) or --id DOC_ID")
        results = []
        if doc_id is not None:
            from .search import open_index

            with open_index(index_dir) as ix:
                doc = ix.get(doc_id)
            results.append((doc.id, doc.title, summarize_text(doc.body, sentences, method, doc.title)))
        elif file == "-":
            results.append(("-", "", summarize_text(sys.stdin.read(), sentences, method)))
        else:
            from .articles import read_file

            assert file is not None  # exactly one of FILE and --id, checked above
            path = Path(file)
            if not path.is_file():
                raise SearchkitError(f"no such file: {file}")
            read = read_file(path, path.parent)
            if not read.articles:
                raise SearchkitError(str(read.problems[0]) if read.problems else f"no article in {file}")
            for art in read.articles:
                results.append((art.id, art.title, summarize_text(art.body, sentences, method, art.title)))
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


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
