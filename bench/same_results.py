"""Whether two checkouts of searchkit answer the same over the same index: for every query,
the same total, the same top-10 ids in the same order and the same scores within 1e-6.

    python bench/same_results.py --index DIR --code main=/tmp/main-src --code this=.
                                 [--index2 DIR] [--keywords N] [--keep-first FILE]

Queries: every development question (vinewsqa-dev), as written and without diacritics,
and ``--keywords`` keyword queries (2-4 consecutive title words of the shared data,
seed 1234, as bench/scale.py). Each checkout answers them in a subprocess that imports
it; the scores compared are the unrounded ones (a hit's ``score`` is rounded to 4
places). ``--index2`` gives the second checkout its own index (the same articles
indexed by it, for a change of the index format); by default both read ``--index``.
``--keep-first FILE`` keeps the first checkout's answers in FILE and reuses them when it
exists (the same queries: delete it when they change).
Exits 1 if any query differs.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent))

from perf import keyword_queries  # noqa: E402
from scale import DATA, QUESTIONS, _records, distinct_articles  # noqa: E402

_CHILD = r"""
import json, sys
sys.path.insert(0, {root!r})
import searchkit, searchkit.search
assert searchkit.__file__.startswith({root!r}), searchkit.__file__
scores = []
make_hit = searchkit.search.Index._hit
def recording_hit(self, stored, score, syllables):
    scores.append((stored["id"], float(score)))
    return make_hit(self, stored, score, syllables)
searchkit.search.Index._hit = recording_hit
ix = searchkit.open_index({index!r})
for q in json.load(open({queries!r})):
    scores.clear()
    result = ix.search(q, limit=10)
    print(json.dumps([result.total, scores]))
"""


def answers(root: Path, index: Path, queries_file: Path, keep: Path | None = None) -> list:
    """The checkout's answers, read from ``keep`` when it exists, else computed (and
    written there when given)."""
    if keep is not None and keep.exists():
        out = keep.read_text(encoding="utf-8")
    else:
        code = _CHILD.format(root=str(root), index=str(index), queries=str(queries_file))
        out = subprocess.run(
            [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, check=True
        ).stdout
        if keep is not None:
            keep.write_text(out, encoding="utf-8")
    return [json.loads(line) for line in out.splitlines()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--index2", type=Path, default=None)
    ap.add_argument("--code", action="append", required=True, help="LABEL=CHECKOUT, twice")
    ap.add_argument("--keywords", type=int, default=1000)
    ap.add_argument(
        "--keep-first", type=Path, default=None, help="file keeping the first checkout's answers (reused)"
    )
    args = ap.parse_args()
    (label_a, root_a), (label_b, root_b) = (c.split("=", 1) for c in args.code)
    sets = {
        "questions": [r["text"] for r in _records(QUESTIONS)],
        "accentless": [r["text"] for r in _records(DATA / "vinewsqa-dev" / "queries.accentless.jsonl.gz")],
        "keywords": keyword_queries(
            [SimpleNamespace(title=a["title"]) for a in distinct_articles()], args.keywords
        ),
    }
    queries = [q for qs in sets.values() for q in qs]
    queries_file = args.index.parent / "same-results-queries.json"
    queries_file.write_text(json.dumps(queries, ensure_ascii=False))
    a = answers(Path(root_a).resolve(), args.index, queries_file, args.keep_first)
    b = answers(Path(root_b).resolve(), args.index2 or args.index, queries_file)
    start, failed = 0, 0
    for name, qs in sets.items():
        same = worst = 0.0
        for q, (total_a, hits_a), (total_b, hits_b) in zip(qs, a[start:], b[start:]):
            ids_same = [i for i, _ in hits_a] == [i for i, _ in hits_b] and total_a == total_b
            diff = max((abs(x - y) for (_, x), (_, y) in zip(hits_a, hits_b)), default=0.0)
            worst = max(worst, diff)
            if ids_same and diff <= 1e-6:
                same += 1
            elif failed < 5:
                print(f"differs: {q!r}: {label_a} {total_a} {hits_a[:3]} / {label_b} {total_b} {hits_b[:3]}")
            failed += not (ids_same and diff <= 1e-6)
        start += len(qs)
        print(
            f"{name}: {same:.0f} of {len(qs)} the same (total, top-10 ids, scores); "
            f"largest score difference {worst:.2e}"
        )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
