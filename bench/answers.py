"""Does each hit show the answer? Passages measured against the gold answers of the
development questions.

    python bench/answers.py [--index DIR] [--rebuild] [--jobs N] [--variant original|accentless]
                            [--limit N]

On ``../shared/data/vinewsqa-dev`` (BEIR layout plus ``answers.jsonl.gz``: the answer
strings annotators marked in each question's one relevant article), every question is
searched (top 10) and the passage shown with each hit is checked: it *answers* when one
of the gold answers occurs in it (compared NFC, lower case, whitespace collapsed).
Printed:

* ``first hit answers``: the share of all questions whose first hit is the relevant
  article and whose passage shows the answer (what a user sees without a click);
* ``top-10 passage answers``: among the questions whose relevant article is in the top
  10, the share where that hit's passage shows the answer;
* the mean passage length in syllables;
* the same two figures for the passage rule without each of its signals (ablation), and
  for two baselines at the same mean length: the article's first syllables, and the
  window of that many syllables with the most query-word idf weight (the classic
  query-biased snippet).

The index is the one ``bench/retrieval.py`` builds (``bench/out/vinewsqa-dev-index``),
built here if missing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from retrieval import OUT, VINEWSQA, find, load_qrels, load_queries, open_searchkit, read_jsonl  # noqa: E402

from searchkit import passages, text  # noqa: E402
from searchkit.query import parse_query  # noqa: E402
from searchkit.ranking import bm25_idf  # noqa: E402

PassageRule = Callable[[str, list[str], dict[str, float], int], str]


def _flat(value: str) -> str:
    return " ".join(unicodedata.normalize("NFC", value).lower().split())


def answers_in(passage: str, answers: list[str]) -> bool:
    flat = _flat(passage)
    return any(_flat(answer) in flat for answer in answers)


def syllable_count(value: str) -> int:
    return len(text.syllables(value))


# -- the passage rules compared ------------------------------------------------------------


def searchkit_rule(**options: object) -> PassageRule:
    def rule(source: str, syllables: list[str], weights: dict[str, float], _length: int) -> str:
        return passages.best_passage(source, syllables, **options).text  # type: ignore[arg-type]

    return rule


def first_syllables(source: str, _syllables: list[str], _weights: dict[str, float], length: int) -> str:
    words = text.syllables(source)
    return source[: words[min(length, len(words)) - 1].end] if words else ""


def best_window(source: str, syllables: list[str], weights: dict[str, float], length: int) -> str:
    """The ``length``-syllable window with the most distinct query-word idf weight."""
    words = text.syllables(source)
    if not words:
        return ""
    wanted = set(syllables)
    folded = {s for s in wanted if not text.has_diacritics(s)}

    def key(word: text.Syllable) -> str | None:
        if word.text in wanted:
            return word.text
        flat = text.fold_diacritics(word.text)
        return flat if flat in folded else None

    keys = [key(w) for w in words]
    best, best_score = 0, -1.0
    for at in range(max(1, len(words) - length + 1)):
        covered = {k for k in keys[at : at + length] if k}
        score = sum(weights.get(k, 1.0) for k in covered)
        if score > best_score:
            best, best_score = at, score
    last = min(best + length, len(words)) - 1
    return source[words[best].start : words[last].end]


# -- the run -------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--index", type=Path, default=OUT / "vinewsqa-dev-index")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--jobs", type=int)
    parser.add_argument("--variant", choices=["original", "accentless"], default="original")
    parser.add_argument("--limit", type=int, help="only the first N questions")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    dataset = VINEWSQA
    corpus_path = find(dataset, "corpus")
    answers_path = find(dataset, "answers")
    if corpus_path is None or answers_path is None:
        sys.exit(f"no corpus or answers under {dataset}")
    query_file = find(dataset, "queries.accentless" if args.variant == "accentless" else "queries")
    assert query_file is not None
    queries = load_queries(query_file)
    qrels = load_qrels(dataset / "qrels.tsv")
    answers = {record["_id"]: record["answers"] for record in read_jsonl(answers_path)}
    ids = [q for q in queries if q in qrels and answers.get(q)][: args.limit]
    ix, _ = open_searchkit(corpus_path, args.index, args.rebuild, args.jobs, [])
    reader = ix._current()  # the bench recomputes passages over the same searcher

    started = time.perf_counter()
    shown = []  # per question: (relevant ids, first hit id, [(hit id, source, passage)], syllables, weights)
    for qid in ids:
        result = ix.search(queries[qid], limit=10)
        syllables = parse_query(queries[qid]).syllables()
        weights = {  # the idf of each query syllable, for the best-window baseline
            s: bm25_idf(
                reader.doc_count, reader.doc_frequency("body" if text.has_diacritics(s) else "body_fold", s)
            )
            for s in syllables
        }
        hits = [(hit.id, text.indexed_text(hit.sapo, hit.body), hit.snippet) for hit in result]
        shown.append((set(qrels[qid]), hits, syllables, weights, answers[qid]))
    seconds = time.perf_counter() - started
    print(
        f"vinewsqa-dev, {args.variant} questions: {len(ids)} with gold answers, searched in "
        f"{seconds:.1f} s ({1000 * seconds / max(len(ids), 1):.1f} ms a question, passages included)\n"
    )

    lengths = [syllable_count(p) for _, hits, _, _, _ in shown for _, _, p in hits]
    mean_length = statistics.fmean(lengths) if lengths else 0.0

    def figures(rule: PassageRule | None) -> tuple[float, float, float]:
        first = in_top = top_answered = 0
        measured: list[int] = []
        for relevant, hits, syllables, weights, gold in shown:
            for rank, (doc_id, source, passage) in enumerate(hits):
                if doc_id not in relevant:
                    continue
                if rule is not None:
                    passage = rule(source, syllables, weights, round(mean_length))
                ok = answers_in(passage, gold)
                measured.append(syllable_count(passage))
                in_top += 1
                top_answered += ok
                first += ok and rank == 0
                break
        return first / len(shown), top_answered / max(in_top, 1), statistics.fmean(measured or [0])

    rows: list[tuple[str, PassageRule | None]] = [
        ("searchkit passage (as shown)", None),
        ("  without pairs", searchkit_rule(pair_weight=0.0)),
        ("  without sentence weights (every word 1)", searchkit_rule(sentence_weights=False)),
        ("  without neighbouring sentences", searchkit_rule(grow=False)),
        ("first syllables (same mean length)", first_syllables),
        ("best idf window (same mean length)", best_window),
    ]
    in_top = sum(any(h[0] in relevant for h in hits) for relevant, hits, _, _, _ in shown)
    print(f"relevant article in the top 10 for {in_top} of {len(shown)} questions")
    print(f"mean passage length over every hit shown: {mean_length:.1f} syllables\n")
    print("| passage | first hit answers | top-10 passage answers | mean syllables |")
    print("|---|---|---|---|")
    for name, rule in rows:
        first, top, length = figures(rule)
        print(f"| {name} | {first:.3f} | {top:.3f} | {length:.1f} |")


if __name__ == "__main__":
    main()
