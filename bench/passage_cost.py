"""What passages cost a search: query latency with each hit's passage (passages.py)
against the densest-window snippet it replaced, on the same searcher and the same
queries, interleaved in random order so that both sides see the same machine load.

    python bench/passage_cost.py [--index DIR] [--queries N] [--before REV]

The snippet is loaded from git history (``searchkit/snippets.py`` at ``--before``,
default the commit before passages replaced it). Queries: ``--queries`` development
questions and as many 2–4-word keywords cut from corpus titles (fixed seed). Prints
p50/p95 per side and their ratios; the index is the one bench/retrieval.py builds.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import statistics
import subprocess
import sys
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import searchkit  # noqa: E402
from searchkit import search  # noqa: E402

DATA = ROOT.parent / "shared/data/vinewsqa-dev"
BEFORE = "6c1ad70^"  # the last commit with snippets.py


def old_snippets(revision: str) -> types.ModuleType:
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{revision}:searchkit/snippets.py"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    module = types.ModuleType("old_snippets")
    sys.modules[module.__name__] = module  # its dataclass looks its module up
    exec(
        compile(source.replace("from . import text", "from searchkit import text"), "snippets.py", "exec"),
        module.__dict__,
    )
    return module


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--index", type=Path, default=ROOT / "bench/out/vinewsqa-dev-index")
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--before", default=BEFORE)
    args = parser.parse_args()
    snippets = old_snippets(args.before)
    ix = searchkit.open_index(args.index)
    rng = random.Random(7)
    with gzip.open(DATA / "queries.jsonl.gz", "rt", encoding="utf-8") as f:
        questions = rng.sample([json.loads(line)["text"] for line in f], args.queries)
    with gzip.open(DATA / "corpus.jsonl.gz", "rt", encoding="utf-8") as f:
        titles = [json.loads(line)["title"] for line in f]
    keywords = []
    for title in rng.sample(titles, args.queries):
        words = title.split()
        if len(words) >= 4:
            n = rng.randint(2, 4)
            at = rng.randint(0, len(words) - n)
            keywords.append(" ".join(words[at : at + n]))

    passage, stored_ends = search.best_passage, search.stored_sentence_ends

    def snippet(source: str, syllables: list[str], **_: object) -> object:
        return snippets.make_snippet(source, syllables)

    sides = {
        "passages": (passage, stored_ends),
        "snippets (before)": (snippet, lambda source, ends: None),
    }
    for q in questions[:20]:
        ix.search(q)  # warm the searcher
    times: dict[tuple[str, str], list[float]] = {}
    for kind, queries in (("questions", questions), ("keywords", keywords)):
        for q in queries:
            for name in rng.sample(list(sides), len(sides)):
                search.best_passage, search.stored_sentence_ends = sides[name]  # type: ignore[assignment]
                started = time.perf_counter()
                ix.search(q, limit=10)
                times.setdefault((kind, name), []).append((time.perf_counter() - started) * 1000)
    search.best_passage, search.stored_sentence_ends = passage, stored_ends
    print("| queries | side | p50 ms | p95 ms |\n|---|---|---|---|")
    for (kind, name), values in times.items():
        values.sort()
        print(
            f"| {kind} | {name} | {statistics.median(values):.1f} | {values[int(0.95 * len(values))]:.1f} |"
        )
    for kind in ("questions", "keywords"):
        new, old = sorted(times[(kind, "passages")]), sorted(times[(kind, "snippets (before)")])
        p50 = statistics.median(new) / statistics.median(old)
        p95 = new[int(0.95 * len(new))] / old[int(0.95 * len(old))]
        print(f"{kind}: passages / snippets p50 ×{p50:.2f}, p95 ×{p95:.2f}")


if __name__ == "__main__":
    main()
