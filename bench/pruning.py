"""How much of an archive an exact top-k evaluation could leave unscored with today's
ranking (issue 18). Runs by hand, not in CI.

    python bench/pruning.py [--index DIR] [--queries FILE] [--limit N] [--blocks 128,1024]

For each query (bench/scale.py's ``queries.json``: development questions and keyword
queries), the score θ of the k-th best match before the proximity step (k =
``window_depth``: the documents that step re-scores, which an exact evaluation must find
first), then the share of the archive that would still have to be scored under three
upper bounds of a document's score (ranking.py):

* ``terms`` (MaxScore): a query syllable's ceiling is BM25F's ``(k1 + 1) · idf`` for its
  exact and folded forms, plus the lead bonus and its part of a long query's coverage
  share; a compound's, a pair's and a figure's ceilings are added to their rarest
  syllable. The most common syllables whose ceilings add up to less than θ cannot bring
  a document to θ alone: the documents to score are those with one of the others.
* ``rule``: a match has at least ``needed`` of the ``counted`` words that the match rule
  weighs, so one of the ``counted - needed + 1`` rarest: the documents with one of them.
* ``blocks B``: runs of B consecutive documents; a block's bound is the sum of the
  ceilings of the syllables, compounds and pairs that occur in it (block-max with
  ceilings per term, not per block).

Prints, per kind of query, the median and 90th percentile of each share.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from searchkit import open_index, text  # noqa: E402
from searchkit.fields import folded_twin, searched_fields  # noqa: E402
from searchkit.query import parse_query  # noqa: E402
from searchkit.ranking import _Evaluator, _figures, _is_bare, _roles, bm25_idf, evaluate, kth_highest  # noqa: E402

OUT = ROOT / "bench" / "out" / "scale"


class Bounds:
    """The ceilings of one query's score components, each with the documents it occurs in."""

    def __init__(self, reader, params, query: str):
        self.reader, self.params = reader, params
        self.parsed = parse_query(query)
        self.folded_fields = tuple(folded_twin(name) for name, _ in searched_fields())
        self.docs: dict[str, np.ndarray] = {}  # folded syllable → documents with it
        self.own: dict[str, float] = {}  # folded syllable → its ceiling (figures added to their rarest)
        self.extra: list[tuple[float, np.ndarray, str]] = []  # compounds, pairs: ceiling, documents, rarest
        self._syllables()
        self._compounds()

    def idf(self, df: int) -> float:
        return bm25_idf(self.reader.doc_count, df)

    def documents(self, fields: tuple[str, ...], term: str) -> np.ndarray:
        found = [p[0] for name in fields if (p := self.reader.postings(name, term)) is not None]
        return np.unique(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)

    def _syllables(self) -> None:
        p = self.params
        syllables = sorted({s for run in self.parsed.runs for s in run})
        for s in syllables:
            folded = text.fold_diacritics(s)
            if folded not in self.docs:
                self.docs[folded] = self.documents(self.folded_fields, folded)
                self.own[folded] = 0.0
            idf = self.idf(max(len(self.docs[folded]), 1))
            exact = p.fold_weight if folded != s else 0.0  # (the folded form's part is fold_weight)
            self.own[folded] += (p.k1 + 1) * idf * (1 + exact) + p.lead_weight * idf
        counted = [c.node.syllable for c in self.parsed.clauses if _is_bare(c)]  # type: ignore[union-attr]
        if len(counted) > p.short_query_words and p.coverage_weight:
            idfs = {s: self.idf(max(len(self.docs[text.fold_diacritics(s)]), 1)) for s in counted}
            total = sum(idfs.values())
            for s, idf in idfs.items():
                self.own[text.fold_diacritics(s)] += p.coverage_weight * idf / total

    def _rarest(self, syllables: list[str]) -> str:
        return min(syllables, key=lambda f: len(self.docs.get(f, ())))

    def _add(self, syllables: list[str], field: str, term: str, weight: float) -> None:
        found = self.reader.postings(field, term)
        if found is None:
            return
        ceiling = weight * (self.params.k1 + 1) * self.idf(len(found[0]))
        self.extra.append((ceiling, found[0], self._rarest(syllables)))

    def _compounds(self) -> None:
        p = self.params
        for run in self.parsed.runs:
            folded = [text.fold_diacritics(s) for s in run]
            for i in range(len(run)):
                for j in range(i + 2, min(len(run), i + p.max_word_syllables) + 1):
                    word = "_".join(run[i:j])
                    plain = text.fold_diacritics(word)
                    field, term = ("words", word) if plain != word else ("words_fold", plain)
                    self._add(folded[i:j], field, term, p.word_weight)
            for i in range(len(run) - 1):
                self._add(folded[i : i + 2], "pairs", "_".join(folded[i : i + 2]), p.pair_weight)
        for figure in _figures(self.parsed.runs):
            docs = self.documents(("body_fold",), figure[0])
            self.own[self._rarest(figure)] += p.number_weight * self.idf(max(len(docs), 1))

    def terms_share(self, theta: float) -> float:
        """MaxScore: the share of documents with a syllable that is not among the most
        common ones whose ceilings add up to less than ``theta``."""
        ceiling = dict(self.own)
        for extra, _, rarest in self.extra:  # (a compound or pair needs its rarest syllable)
            ceiling[rarest] += extra
        spent, essential = 0.0, []
        for folded in sorted(ceiling, key=ceiling.__getitem__):
            if spent + ceiling[folded] < theta:
                spent += ceiling[folded]
            else:
                essential.append(folded)
        return self._share(essential)

    def rule_share(self) -> float:
        """The share of documents with one of the rarest words the match rule needs."""
        clauses = self.parsed.clauses
        roles = _roles(clauses, self.reader)
        bare = [(c.node.syllable, r) for c, r in zip(clauses, roles) if _is_bare(c) and r != "question"]  # type: ignore[union-attr]
        if not bare:
            return 1.0
        # The rule's own weights and strictest threshold (ranking._Evaluator._rule); a word
        # counts where a document has it in any form.
        # (Each word's mask stands for its documents: the rule asks only whether it has any.)
        counted = [
            (np.array([len(self.docs[text.fold_diacritics(s)]) > 0]), role == "content") for s, role in bare
        ]
        weights, thresholds = _Evaluator(self.reader, self.params)._rule(counted)
        weighed = [s for (s, _), weight in zip(bare, weights) if weight]
        needed = thresholds[0] if thresholds else 0.0
        rarest = int(len(weighed) - max(needed, 1.0) + 1e-4) + 1
        by_rarity = sorted((text.fold_diacritics(s) for s in weighed), key=lambda f: len(self.docs[f]))
        return self._share(by_rarity[:rarest]) if weighed else 1.0

    def blocks_share(self, theta: float, size: int) -> float:
        """The share of blocks of ``size`` documents whose bound reaches ``theta``."""
        bound = np.zeros(-(-self.reader.doc_count_all // size))
        for folded, docs in self.docs.items():
            bound[np.unique(docs // size)] += self.own[folded]
        for ceiling, docs, _ in self.extra:
            bound[np.unique(docs // size)] += ceiling
        return float((bound >= theta).mean())

    def _share(self, syllables: list[str]) -> float:
        mask = np.zeros(self.reader.doc_count_all, dtype=bool)
        for folded in syllables:
            mask[self.docs[folded]] = True
        return float(mask.mean())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--index", type=Path, default=OUT / "this-67000")
    parser.add_argument("--queries", type=Path, default=OUT / "queries.json")
    parser.add_argument("--limit", type=int, default=200, help="queries of each kind")
    parser.add_argument("--blocks", default="128,1024")
    args = parser.parse_args()
    sizes = [int(b) for b in args.blocks.split(",")]
    ix = open_index(args.index)
    reader = ix._current()
    params = dataclasses.replace(ix.params, window_weight=0.0)  # θ: the score before proximity
    print(f"{args.index}: {reader.doc_count} documents; k = {ix.params.window_depth}")
    for kind, queries in json.loads(args.queries.read_text(encoding="utf-8")).items():
        rows: list[list[float]] = []
        few = 0
        for query in queries[: args.limit]:
            match = evaluate(parse_query(query), reader, params)
            scores = match.scores[match.mask]
            k = ix.params.window_depth
            if len(scores) < k:
                few += 1
                continue
            theta = float(kth_highest(scores, k))
            bounds = Bounds(reader, params, query)
            rows.append(
                [bounds.terms_share(theta), bounds.rule_share()]
                + [bounds.blocks_share(theta, size) for size in sizes]
            )
        table = np.array(rows)
        names = ["terms", "rule"] + [f"blocks {s}" for s in sizes]
        print(f"\n{kind}: {len(rows)} queries ({few} with fewer than k matches left out)")
        for name, column in zip(names, table.T):
            print(f"  {name:12s} median {np.median(column):.3f}  p90 {np.percentile(column, 90):.3f}")


if __name__ == "__main__":
    main()
