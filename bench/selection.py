"""The cost of picking the best or newest matches out of many, the way the search does it
and the way numpy alone would (ranking.kth_highest, search._ranked). Runs by hand, not
in CI.

    python bench/selection.py [--matches 700000] [--rounds 5]

Three spreads of values, as the search meets them among a common query's matches: scores
all different; partial scores of _pruned, where most matches score the same (its common
syllables left out) and a few spread above; and publication dates (seconds, many
articles a day). Prints the median milliseconds of each way, and their ratio; both sides
of each comparison run alternately in the same process.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from searchkit.ranking import kth_highest  # noqa: E402
from searchkit.search import _ranked  # noqa: E402


def _median_ms(ways: list[Callable[[], object]], rounds: int) -> list[float]:
    times: list[list[float]] = [[] for _ in ways]
    for _ in range(rounds):
        for i, way in enumerate(ways):
            start = time.perf_counter()
            way()
            times[i].append(1000 * (time.perf_counter() - start))
    return [statistics.median(t) for t in times]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--matches", type=int, default=700_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    n, k = args.matches, 30  # (k: the documents the proximity step re-scores)
    pick = np.random.default_rng(0)
    spreads = {
        "distinct scores": pick.random(n).astype(np.float32),
        "mostly equal scores": np.where(pick.random(n) < 0.02, pick.random(n), 0).astype(np.float32),
    }
    print(f"| values ({n:,}) | k | np.partition ms | kth_highest ms | ratio |")
    print("|---|---|---|---|---|")
    for name, values in spreads.items():
        numpy_way, ours = _median_ms(
            [lambda v=values: np.partition(v, n - k)[n - k], lambda v=values: kth_highest(v, k)], args.rounds
        )
        print(f"| {name} | {k} | {numpy_way:.2f} | {ours:.2f} | {numpy_way / ours:.1f} |")

    # Newest first: a sort of every match against the sort of the newest only.
    day = 86_400
    dates = (1_500_000_000 + pick.integers(0, 3650 * day, 2 * n)).astype(np.int64)
    scores = pick.random(2 * n).astype(np.float32)
    matched = np.sort(pick.choice(2 * n, n, replace=False))
    wanted = 10

    def every() -> list[int]:
        return matched[np.lexsort((matched, -scores[matched], ~dates[matched]))][:wanted].tolist()

    assert every() == _ranked(matched, scores, dates, wanted)
    sort_all, newest = _median_ms([every, lambda: _ranked(matched, scores, dates, wanted)], args.rounds)
    print(
        f"| newest {wanted} of {n:,} by date | {wanted} | lexsort of all {sort_all:.2f} | {newest:.2f} | "
        f"{sort_all / newest:.1f} |"
    )


if __name__ == "__main__":
    main()
