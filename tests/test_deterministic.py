"""The same query scores the same in every process: nothing in ranking may depend on the
order of a set of strings, which changes with Python's hash seed (PYTHONHASHSEED)."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import REPO, write_records

# Articles sharing a headline's words in different amounts, so each syllable has its own idf
# and the lead bonus adds many different float32 values per document.
WORDS = (
    "giá vàng hôm nay tăng mạnh trên thị trường thế giới nhà đầu tư lo ngại lạm phát "
    "ngân hàng trung ương lãi suất đồng đô la chứng khoán dầu mỏ xuất khẩu gạo cà phê"
).split()
RECORDS = [
    {
        "id": f"doc-{i}",
        "title": f"Tin {i}",
        "body": " ".join(WORDS[j] for j in range(len(WORDS)) if (j * 7 + i) % (i % 5 + 2)) + ".",
    }
    for i in range(40)
]
QUERY = "Giá vàng hôm nay tăng mạnh, nhà đầu tư lo ngại lạm phát và lãi suất ngân hàng trung ương"

SCRIPT = """
import hashlib, sys
from searchkit import open_index
from searchkit.ranking import evaluate
with open_index(sys.argv[1]) as ix:
    parsed = ix._parse(sys.argv[2], False)
    with ix._lock:
        match = evaluate(parsed, ix._current(), ix.params)
    print(hashlib.sha256(match.scores.tobytes() + match.mask.tobytes()).hexdigest())
"""


def _scores_digest(index: str, seed: int) -> str:
    env = dict(os.environ, PYTHONHASHSEED=str(seed))
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, index, QUERY], env=env, capture_output=True, text=True, cwd=REPO
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_scores_are_bit_identical_across_hash_seeds(tmp_path):
    from searchkit import index_paths

    index_paths([write_records(tmp_path / "news.jsonl", RECORDS)], tmp_path / "index", jobs=1)
    digests = {_scores_digest(str(tmp_path / "index"), seed) for seed in range(6)}
    assert len(digests) == 1, digests
