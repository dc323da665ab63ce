"""The postings parts (searchkit/postings.py) and how the index keeps them with Whoosh's
segments: counting, layout, reading, renumbering on merges, parts split by memory."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from conftest import RECORDS

from searchkit import index as index_module, index_paths, open_index, postings
from searchkit.errors import IndexDamagedError, SearchkitError
from searchkit.store import INDEX_NAME


def _batch(docs: list[list[str]]) -> postings.BatchPostings:
    """One positional field ``body`` (kept texts) and ``pairs`` over ``docs``' tokens."""
    stream = [t for d in docs for t in d]
    vocabulary = postings.Vocabulary.of(stream)
    doc_of = np.repeat(np.arange(len(docs), dtype=np.int32), [len(d) for d in docs])
    local = np.concatenate([np.arange(len(d)) for d in docs]) if stream else np.zeros(0, np.int64)
    joined = doc_of[:-1] == doc_of[1:]
    fields = {
        "body": postings.count_field(vocabulary, slice(None), doc_of, local, len(docs), keep_texts=True),
        "pairs": postings.count_pairs(vocabulary, doc_of, joined, len(docs)),
    }
    return postings.BatchPostings(len(docs), fields)


def test_term_keys_are_stable_distinct_and_order_sensitive():
    terms = ["nông", "thôn", "nong", "a", "ab", "ba", "nông_thôn", ""]
    keys = postings.term_keys(terms)
    assert len(set(keys.tolist())) == len(terms)
    assert [postings.key_of("body", t) for t in terms] == keys.tolist()
    # The same term alone or among others has the same key.
    assert postings.term_keys(["thôn"])[0] == keys[1]
    # Pairs: a_b and b_a differ; the key of "a_b" in the pairs field is the pair key.
    assert postings.key_of("pairs", "a_b") != postings.key_of("pairs", "b_a")
    assert postings.key_of("pairs", "a_b") != postings.key_of("words", "a_b")
    # A long term (longer than the precomputed power table) works too.
    long = "x" * 1000
    assert postings.key_of("body", long) != postings.key_of("body", long + "x")


def test_key_of_one_term_is_the_vectorised_key():
    """key_of computes one key in Python integers: the same as term_keys and pair_keys."""
    rng = random.Random(5)
    letters = "aăâbdđeêioôơuưyàảãạằẳấẫèẽềểìịòõồổờợùụừữỳỹ0123456789xq"
    terms = ["", "a", "x" * 1000] + [
        "".join(rng.choice(letters) for _ in range(rng.randint(1, 30))) for _ in range(3000)
    ]
    assert [postings.key_of("body", t) for t in terms] == postings.term_keys(terms).tolist()
    for a, b in zip(terms[3:], terms[4:]):
        ka, kb = postings.term_keys([a, b])
        expected = postings.pair_keys(np.array([ka]), np.array([kb]))[0]
        assert postings.key_of("pairs", f"{a}_{b}") == int(expected)


def test_count_field_and_pairs():
    batch = _batch([["a", "b", "a", "c"], ["b", "b"], []])
    body = batch.fields["body"]
    got = {(int(d), k): (int(tf)) for d, k, tf in zip(body.docs, body.keys.tolist(), body.tf)}
    ka, kb, kc = postings.term_keys(["a", "b", "c"]).tolist()
    assert got == {(0, ka): 2, (0, kb): 1, (0, kc): 1, (1, kb): 2}
    assert body.lengths.tolist() == [4, 2, 0]
    # Positions, per posting in posting order (document, then term in first-seen order).
    assert body.positions.tolist() == [0, 2, 1, 3, 0, 1]
    pairs = batch.fields["pairs"]
    pair_key = {postings.key_of("pairs", p): p for p in ["a_b", "b_a", "a_c", "b_b"]}
    got_pairs = sorted(
        (int(d), pair_key[k], int(tf)) for d, k, tf in zip(pairs.docs, pairs.keys.tolist(), pairs.tf)
    )
    assert got_pairs == [(0, "a_b", 1), (0, "a_c", 1), (0, "b_a", 1), (1, "b_b", 1)]
    assert pairs.lengths.tolist() == [3, 1, 0]


def _part(tmp_path: Path, batches: list[list[list[str]]], name: str = "p.skp") -> postings.PartReader:
    writer = postings.PartWriter(base=5)
    for docs in batches:
        writer.add(_batch(docs))
    writer.write(tmp_path / name)
    return postings.PartReader(tmp_path / name)


def test_part_round_trip(tmp_path):
    part = _part(tmp_path, [[["x", "y", "x"], ["y"]], [["z", "x"]]])
    assert (part.base, part.ndocs) == (5, 3)
    i = part.find("body", "x")
    docs, tf = part.postings("body", i)
    assert docs.tolist() == [0, 2] and tf.tolist() == [2, 1]
    assert part.positions("body", i).tolist() == [0, 2, 1]
    assert part.find("body", "w") == -1 and part.find("title", "x") == -1
    assert part.doc_frequency("body", "y") == 2
    assert part.lengths("body").tolist() == [3, 1, 2]
    assert dict(part.terms("body")) == {"x": 2, "y": 2, "z": 1}
    i = part.find("pairs", "x_y")
    assert part.postings("pairs", i)[0].tolist() == [0]


def _expected(docs: list[list[str]]) -> dict[str, list[tuple[int, list[int]]]]:
    """Each term's postings straight from the documents: (document, positions) in order."""
    found: dict[str, list[tuple[int, list[int]]]] = {}
    for d, tokens in enumerate(docs):
        here: dict[str, list[int]] = {}
        for position, token in enumerate(tokens):
            here.setdefault(token, []).append(position)
        for term, positions in here.items():
            found.setdefault(term, []).append((d, positions))
    return found


def _assert_reads(part: postings.PartReader, docs: list[list[str]]) -> None:
    """Every term of ``docs`` reads back from ``part``'s body as counted from the documents."""
    rng = random.Random(len(docs))
    for term, runs in _expected(docs).items():
        i = part.find("body", term)
        got_docs, tf = part.postings("body", i)
        assert got_docs.tolist() == [d for d, _ in runs], term
        assert tf.tolist() == [len(p) for _, p in runs], term
        everything = [x for _, p in runs for x in p]
        assert part.positions("body", i).tolist() == everything, term
        assert part.first_positions("body", i).tolist() == [p[0] for _, p in runs], term
        rows = sorted(rng.sample(range(len(runs)), min(len(runs), 3)))
        some = [x for r in rows for x in runs[r][1]]
        assert part.positions("body", i, np.array(rows, dtype=np.int64)).tolist() == some, term
        ends = np.cumsum(tf, dtype=np.int64)
        assert part.positions("body", i, np.array(rows, dtype=np.int64), ends).tolist() == some, term
        assert part.doc_frequency("body", term) == len(runs)


def test_packed_postings_read_back_at_their_limits(tmp_path):
    """Values beyond each packed stream's width are exceptions and read back whole, and
    documents in a term's own width: a frequency above 15 and above 255, document gaps
    above 255 and 65,535, positions
    above 65,535, a term in every document (of the middle
    part below), a term once, empty documents; read whole, by posting, and merged."""
    ndocs = 70_000
    docs = [["every"] for _ in range(ndocs)]
    docs[0] = ["every", "rare"] + ["many"] * 300 + ["gap"] + ["pad"] * 400 + ["gap", "once"]
    docs[1] = ["every"] + ["few"] * 16
    docs[3] = ["pad"] * 70_000 + ["far", "every", "far"]  # positions above 65,535
    for d in range(5, ndocs, 9_000):
        docs[d] = docs[d] + ["x"]
    docs[ndocs - 1] = ["x", "rare"]  # a gap of 69,999 documents
    docs += [[], [], []]
    writer = postings.PartWriter(base=0)
    writer.add(_batch(docs))
    writer.write(tmp_path / "p.skp")
    part = postings.PartReader(tmp_path / "p.skp")
    part.verify()
    for stream in ("tf", "pos"):  # each stream's exceptions were used
        assert len(part.array("body", stream + "_xi")), stream
    doff, poff = part.array("body", "doff"), part.array("body", "poff")
    assert set((np.diff(doff.astype(np.int64)) // np.diff(poff.astype(np.int64))).tolist()) == {1, 2, 4}
    _assert_reads(part, docs)
    # The same documents in three parts, merged (in small pieces), read the same.
    parts, base = [], 0
    for k, (a, b) in enumerate([(0, 2), (2, 40_000), (40_000, len(docs))]):
        writer = postings.PartWriter(base)
        writer.add(_batch(docs[a:b]))
        writer.write(tmp_path / f"q{k}.skp")
        parts.append(postings.PartReader(tmp_path / f"q{k}.skp"))
        base += b - a
    postings.merge_parts(parts, tmp_path / "merged.skp")
    merged = postings.PartReader(tmp_path / "merged.skp")
    _assert_reads(merged, docs)
    _arrays_equal(merged, part)


def test_remap_part_drops_deleted_documents_and_renumbers(tmp_path):
    part = _part(tmp_path, [[["x", "y", "x"], ["y", "x"], ["x"], ["z"]]])
    # Documents 1 and 3 deleted; 0 → 10, 2 → 11 in the merged segment.
    assert postings.remap_part(part, np.array([10, -1, 11, -1]), tmp_path / "m.skp")
    merged = postings.PartReader(tmp_path / "m.skp")
    assert (merged.base, merged.ndocs) == (10, 2)
    i = merged.find("body", "x")
    docs, tf = merged.postings("body", i)
    assert docs.tolist() == [0, 1] and tf.tolist() == [2, 1]
    assert merged.positions("body", i).tolist() == [0, 2, 0]
    assert merged.doc_frequency("body", "y") == 1 and merged.doc_frequency("body", "z") == 0
    assert merged.lengths("body").tolist() == [3, 1]
    assert dict(merged.terms("body")) == {"x": 2, "y": 1}  # z, in a deleted document only, is gone
    assert merged.find("body", "z") == -1
    assert not postings.remap_part(part, np.array([-1, -1, -1, -1]), tmp_path / "none.skp")


def test_a_part_of_an_older_format_says_so(tmp_path):
    old = tmp_path / "old.skp"
    old.write_bytes(b"SKPOSTS3" + bytes(64))
    with pytest.raises(IndexDamagedError, match="older searchkit"):
        postings.PartReader(old)
    old.write_bytes(b"something else" + bytes(64))
    with pytest.raises(IndexDamagedError, match="not a postings file"):
        postings.PartReader(old)


# -- the index ------------------------------------------------------------------------

_WORDS = sorted(
    {w for r in RECORDS for w in (r["title"] + " " + r["body"]).replace(".", " ").replace(",", " ").split()}
)
QUERIES = [
    "giao thông",
    "hà nội",
    '"mở rộng"',
    "cảng -hải",
    "thuy dien hoa binh",
    "mỗi người",
    "điện",
    "title:cảng",
]


def _records(n: int, seed: int, prefix: str) -> list[dict]:
    rng = random.Random(seed)
    return [
        {
            "id": f"{prefix}-{i}",
            "title": " ".join(rng.choices(_WORDS, k=6)),
            "body": ". ".join(" ".join(rng.choices(_WORDS, k=12)) for _ in range(4)),
            "date": f"2023-0{1 + i % 9}-1{i % 10}T08:00:00+07:00",
        }
        for i in range(n)
    ]


def _write(path: Path, records: list[dict]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")


def _results(index_dir: Path) -> dict[str, dict[str, float]]:
    with open_index(index_dir) as ix:
        return {q: {h.id: h.score for h in ix.search(q, limit=1000).hits} for q in QUERIES}


def _assert_same(a: dict, b: dict) -> None:
    for q in QUERIES:
        assert a[q].keys() == b[q].keys(), q
        for doc_id, score in a[q].items():
            assert score == pytest.approx(b[q][doc_id], rel=1e-4, abs=1e-4), (q, doc_id)


def _parts_match_segments(index_dir: Path) -> None:
    """Every part belongs to a live segment, and each segment's parts cover it once."""
    from whoosh import index as whoosh_index

    from searchkit.store import segment_parts

    ix = whoosh_index.open_dir(str(index_dir), indexname=INDEX_NAME)
    segments = {s.segment_id(): s.doc_count_all() for s in ix._segments()}  # noqa: SLF001
    files = [p.name for p in index_dir.iterdir() if p.name.endswith(postings.PART_SUFFIX)]
    assert all(name.rsplit("-", 1)[0] in segments for name in files), files
    assert not [p for p in index_dir.iterdir() if p.name.endswith(".tmp")]
    for segment_id, count in segments.items():
        covered = 0
        for path in segment_parts(index_dir, segment_id):
            part = postings.PartReader(path)
            assert part.base == covered
            covered += part.ndocs
        assert covered == count, segment_id


def test_parts_split_by_memory_give_the_same_results(tmp_path, monkeypatch):
    corpus = tmp_path / "c"
    corpus.mkdir()
    _write(corpus / "a.jsonl", RECORDS + _records(200, 1, "r"))
    index_paths([corpus], tmp_path / "one", jobs=1)
    # A part per batch, merged into one at the commit (index.MERGED_PART_BYTES), or not.
    index_paths([corpus], tmp_path / "merged", jobs=1, memory_mb=0)
    monkeypatch.setattr(index_module, "MERGED_PART_BYTES", 0)
    index_paths([corpus], tmp_path / "many", jobs=1, memory_mb=0)
    assert len(list((tmp_path / "many").glob("*.skp"))) > len(list((tmp_path / "one").glob("*.skp"))) == 1
    assert len(list((tmp_path / "merged").glob("*.skp"))) == 1
    for name in ("many", "merged"):
        _parts_match_segments(tmp_path / name)
    one = _results(tmp_path / "one")
    _assert_same(one, _results(tmp_path / "many"))
    _assert_same(one, _results(tmp_path / "merged"))


def _arrays_equal(a: postings.PartReader, b: postings.PartReader) -> None:
    """The same postings, decoded, and the same arrays as stored."""
    assert (a.base, a.ndocs) == (b.base, b.ndocs)
    for field in postings.TEXT_FIELDS:
        fa, fb = a.field(field.name), b.field(field.name)
        for name in fa._fields:
            x, y = getattr(fa, name), getattr(fb, name)
            assert (x is None) == (y is None), (field.name, name)
            if x is not None:
                assert x.dtype == y.dtype and np.array_equal(x, y), (field.name, name)
        for name in postings._ARRAYS:
            x, y = a.array(field.name, name), b.array(field.name, name)
            assert (x is None) == (y is None), (field.name, name)
            if x is not None:
                assert x.dtype == y.dtype and np.array_equal(x, y), (field.name, name)
    assert a.documents() == b.documents()


@pytest.mark.parametrize("chunk", [1, 7, 1 << 22])
def test_merged_parts_are_the_part_of_all_their_documents(tmp_path, monkeypatch, chunk):
    """Merging consecutive parts gives the arrays one part of all their documents has
    (whatever the size of the pieces it is written in), so it reads the same."""
    monkeypatch.setattr(postings, "_MERGE_CHUNK", chunk)
    rng = random.Random(chunk)
    vocabulary = [f"w{i}" for i in range(60)]
    documents = [
        [[rng.choice(vocabulary[: 10 + 15 * k]) for _ in range(rng.randint(0, 30))] for _ in range(n)]
        for k, n in enumerate([5, 1, 12, 8])
    ]
    documents[1] = [[]]  # a part whose one document is empty
    parts, base = [], 3
    for k, docs in enumerate(documents):
        writer = postings.PartWriter(base)
        writer.add(_batch(docs), [(f"d{base + i}", "s") for i in range(len(docs))])
        writer.write(tmp_path / f"p{k}.skp")
        parts.append(postings.PartReader(tmp_path / f"p{k}.skp"))
        base += len(docs)
    postings.merge_parts(parts, tmp_path / "merged.skp")
    merged = postings.PartReader(tmp_path / "merged.skp")
    merged.verify()
    everything = [d for docs in documents for d in docs]
    writer = postings.PartWriter(3)
    writer.add(_batch(everything), [(f"d{3 + i}", "s") for i in range(len(everything))])
    writer.write(tmp_path / "one.skp")
    _arrays_equal(merged, postings.PartReader(tmp_path / "one.skp"))
    assert dict(merged.terms("body")) == {
        t: sum(t in d for d in everything) for t in {t for d in everything for t in d}
    }


def test_merged_segments_keep_their_postings(tmp_path):
    """Many incremental runs (new, changed and deleted files) make Whoosh merge small
    segments; the merged parts must answer as a fresh index of the same files does."""
    corpus = tmp_path / "c"
    corpus.mkdir()
    _write(corpus / "base.jsonl", RECORDS)
    index_paths([corpus], tmp_path / "ix", jobs=1)
    for run in range(8):
        _write(corpus / f"f{run}.jsonl", _records(7, 100 + run, f"f{run}"))
        if run == 0:  # three files in one segment, the middle one changed later
            _write(corpus / "g0.jsonl", _records(6, 50, "g0"))
            _write(corpus / "g1.jsonl", _records(6, 51, "g1"))
        if run == 3:  # changed files: their old documents are deleted in old segments
            _write(corpus / "f1.jsonl", _records(5, 999, "f1b"))
            _write(corpus / "g0.jsonl", _records(4, 998, "g0b"))
        if run == 5:
            (corpus / "f2.jsonl").unlink()
        index_paths([corpus], tmp_path / "ix", jobs=1)
    from whoosh import index as whoosh_index

    ix = whoosh_index.open_dir(str(tmp_path / "ix"), indexname=INDEX_NAME)
    assert len(ix._segments()) < 9  # noqa: SLF001 - merges did happen
    _parts_match_segments(tmp_path / "ix")
    index_paths([corpus], tmp_path / "fresh", jobs=1)
    _assert_same(_results(tmp_path / "ix"), _results(tmp_path / "fresh"))
    with open_index(tmp_path / "ix") as opened:
        assert opened.doc_count == len(RECORDS) + 7 * 7 + 5 - 7 + 4 + 6


def test_parts_of_a_killed_run_are_removed_at_the_next_commit(tmp_path, corpus_dir):
    index_paths([corpus_dir], tmp_path / "ix", jobs=1)
    stray = tmp_path / "ix" / f"{INDEX_NAME}_deadbeef-0{postings.PART_SUFFIX}"
    stray.write_bytes(b"half a part")
    (tmp_path / "ix" / f"{INDEX_NAME}_deadbeef-64{postings.PART_SUFFIX}.tmp").write_bytes(b"")
    _write(corpus_dir / "more.jsonl", RECORDS[:1])
    index_paths([corpus_dir], tmp_path / "ix", jobs=1)
    assert not stray.exists()
    _parts_match_segments(tmp_path / "ix")


def test_an_index_of_the_old_format_asks_for_a_rebuild(tmp_path, corpus_dir):
    from whoosh import fields, index as whoosh_index

    old = tmp_path / "old"
    old.mkdir()
    whoosh_index.create_in(
        str(old), fields.Schema(id=fields.ID(stored=True), body=fields.TEXT), indexname=INDEX_NAME
    )
    with pytest.raises(SearchkitError, match="--rebuild"):
        open_index(old)
    with pytest.raises(SearchkitError, match="--rebuild"):
        index_paths([corpus_dir], old, jobs=1)
    report = index_paths([corpus_dir], old, jobs=1, rebuild=True)
    assert report.added == 2


def test_a_damaged_part_is_reported_not_raised_raw(tmp_path, corpus_dir):
    index_paths([corpus_dir], tmp_path / "ix", jobs=1)
    part = next((tmp_path / "ix").glob(f"*{postings.PART_SUFFIX}"))
    part.write_bytes(b"")
    # Opening defers the error (a server keeps running); every use raises it.
    damaged = open_index(tmp_path / "ix")
    for _ in range(2):
        with pytest.raises(IndexDamagedError, match="damaged.*--rebuild"):
            damaged.search("nông thôn")
    assert index_paths([corpus_dir], tmp_path / "ix", jobs=1, rebuild=True).added == 2
    assert open_index(tmp_path / "ix").search("nông thôn").total == 2
    assert damaged.search("nông thôn").total == 2  # the open index recovers with the rebuild


def _index_with_folded_positions_stored(paths: list[Path], index_dir: Path, monkeypatch) -> None:
    """Index ``paths`` as searchkit did when ``body_fold`` stored its own positions."""
    import dataclasses

    from searchkit import analysis, fields

    stored_layout = tuple(
        dataclasses.replace(f, positional=True, positions_from=None) if f.name == "body_fold" else f
        for f in fields.TEXT_FIELDS
    )
    with monkeypatch.context() as patch:
        for module in (analysis, postings):
            patch.setattr(module, "TEXT_FIELDS", stored_layout)
        index_paths(paths, index_dir, jobs=1)


def test_the_lead_is_the_first_syllables_of_sapo_and_body(tmp_path):
    """An article's lead (fields.LEAD_FIELD) holds the folded syllables among the first
    LEAD_SYLLABLES of its sapo then body, whatever their accents, and none after them."""
    from searchkit.fields import LEAD_SYLLABLES

    filler = " ".join(["xa"] * (LEAD_SYLLABLES - 3))
    records = [
        # sapo "Tin mới." (2 syllables), then the body: "mốc" is the lead's last syllable,
        # "cuối" the first after it.
        {"id": "a", "title": "Một", "sapo": "Tin mới.", "body": f"{filler} mốc cuối xa."},
        {"id": "b", "title": "Hai", "body": "Mốc và cuối ở đầu bài."},
        {"id": "c", "title": "Ba", "body": "Tin khác, không có hai từ ấy."},
    ]
    path = tmp_path / "news.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    index_paths([path], tmp_path / "ix", jobs=1)
    with open_index(tmp_path / "ix") as ix:
        source = ix._current()
        number = {source.searcher.stored_fields(d)["id"]: d for d in range(source.doc_count_all)}
        docs, positions = source.positions("body_fold", "moc", np.arange(source.doc_count_all))
        assert positions[docs == number["a"]].tolist() == [LEAD_SYLLABLES - 1]  # (the case under test)

        def lead(term: str) -> set[str]:
            found = source.lead_docs(term)
            if found is not None and found.dtype == np.uint8:  # kept as bits
                found = np.flatnonzero(np.unpackbits(found, count=source.doc_count_all))
            return {name for name, d in number.items() if found is not None and d in found}

        assert lead("moc") == {"a", "b"}
        assert lead("cuoi") == {"b"}
        assert lead("tin") == {"a", "c"}
        assert lead("khong") == {"c"}


def test_folded_positions_read_from_the_accented_forms_are_those_a_part_would_store(tmp_path, monkeypatch):
    """``body_fold`` keeps no positions of its own: its phrases and positions are read
    from the forms in ``body`` that fold to its term, and its lead is the lead field's.
    The same articles indexed with the folded positions stored (the layout before, which
    readers still read) answer every such question alike, term by term, and searches
    score alike; the lead field holds the documents where those positions start early."""
    from searchkit import fields, reader, text

    records = RECORDS + [
        {"id": f"x{i}", "title": f"Tin {i}", "body": body}
        for i, body in enumerate(
            [
                "Hoà bình và hòa hợp, mới và mỗi, ma và má, lá và là. Giá vàng tăng.",
                "Mỗi người mới đến đều được chào. Hòa giải thành, giá xăng giảm.",
                "Ma túy bị bắt giữ ở Hải Phòng; má tôi nói mới biết chuyện lá vàng rơi.",
            ]
        )
    ]
    write = (tmp_path / "news.jsonl").write_text
    write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    index_paths([tmp_path / "news.jsonl"], tmp_path / "derived", jobs=1)
    _index_with_folded_positions_stored([tmp_path / "news.jsonl"], tmp_path / "stored", monkeypatch)

    with open_index(tmp_path / "derived") as derived, open_index(tmp_path / "stored") as stored:
        a, b = derived._current(), stored._current()
        assert not any(part.positional("body_fold") for part, _ in a.parts)
        assert all(part.positional("body_fold") for part, _ in b.parts)
        folded = sorted(
            {
                fold
                for term, _ in (t for part, _ in b.parts for t in part.terms("body"))
                for fold in [text.fold_diacritics(term)]
            }
        )
        everything = np.arange(a.doc_count_all)
        monkeypatch.setattr(reader, "LEAD_BITS_ABOVE", 0)  # leads as documents, never bits
        for term in folded:
            forms = a.accented_forms(term)  # most documents first, each folding to ``term``
            assert forms and all(text.fold_diacritics(f) == term for f, _ in forms)
            assert [df for _, df in forms] == sorted((df for _, df in forms), reverse=True)
            assert sum(df for _, df in forms) >= a.doc_frequency("body_fold", term)
            docs_a, pos_a = a.positions("body_fold", term, everything)
            docs_b, pos_b = b.positions("body_fold", term, everything)
            # The lead field holds exactly the documents where the term's first position
            # is among the first LEAD_SYLLABLES.
            in_lead = np.unique(docs_a[pos_a < fields.LEAD_SYLLABLES])
            for reader_ in (a, b):
                lead = reader_.lead_docs(term)
                assert np.array_equal(in_lead, [] if lead is None else lead), term
            order_a, order_b = np.lexsort((pos_a, docs_a)), np.lexsort((pos_b, docs_b))
            assert np.array_equal(docs_a[order_a], docs_b[order_b]) and np.array_equal(
                pos_a[order_a], pos_b[order_b]
            )
        for phrase in (
            ["hoa", "binh"],
            ["gia", "vang", "tang"],
            ["ma", "tuy"],
            ["moi", "nguoi"],
            ["la", "vang"],
        ):
            assert np.array_equal(a.phrase_mask("body_fold", phrase), b.phrase_mask("body_fold", phrase))
            assert a.phrase_mask("body_fold", phrase).any()
        for query in ("hoa binh", '"gia vang"', "ma tuy hai phong", "moi nguoi moi den deu duoc chao"):
            hits_a = [(h.id, h.score) for h in derived.search(query, limit=20)]
            assert hits_a == [(h.id, h.score) for h in stored.search(query, limit=20)] and hits_a


def test_an_index_with_folded_positions_stored_reads_with_new_parts(tmp_path, monkeypatch):
    """An index written when ``body_fold`` stored positions, updated now (articles added,
    changed, deleted): its old parts are read as stored and the new ones from the forms;
    every search answers as on an index built now."""
    bodies = [
        "Hoà bình và hòa hợp, mới và mỗi. Giá vàng tăng mạnh.",
        "Mỗi người mới đến đều được chào. Giá xăng giảm.",
        "Ma túy bị bắt giữ ở Hải Phòng; lá vàng rơi.",
        "Hòa bình cho mọi người, giá vàng hôm nay.",
    ]
    corpus = tmp_path / "corpus"
    corpus.mkdir()

    def add(name: str, some: range) -> None:
        lines = (
            json.dumps({"id": f"x{i}", "title": f"Tin {i}", "body": bodies[i]}, ensure_ascii=False)
            for i in some
        )
        (corpus / name).write_text("".join(line + "\n" for line in lines), encoding="utf-8")

    def answers(ix) -> list[list[tuple[str, float]]]:
        queries = ('"hoa binh"', "gia vang", '"la vang"', "moi nguoi", "ma tuy hai phong", '"giá vàng"')
        return [sorted((h.id, h.score) for h in ix.search(q, limit=20)) for q in queries]

    add("a.jsonl", range(2))
    _index_with_folded_positions_stored([corpus], tmp_path / "updated", monkeypatch)
    add("b.jsonl", range(2, 4))
    index_paths([corpus], tmp_path / "updated", jobs=1)
    index_paths([corpus], tmp_path / "fresh", jobs=1)
    with open_index(tmp_path / "updated") as updated, open_index(tmp_path / "fresh") as fresh:
        stored = [part.positional("body_fold") for part, _ in updated._current().parts]
        expected = answers(fresh)
        assert all(expected) and answers(updated) == expected
    add("a.jsonl", range(1))  # x1 deleted from the old segment, then added to a new one
    index_paths([corpus], tmp_path / "updated", jobs=1)
    add("a.jsonl", range(2))
    index_paths([corpus], tmp_path / "updated", jobs=1)
    with open_index(tmp_path / "updated") as updated, open_index(tmp_path / "fresh") as fresh:
        assert answers(updated) == answers(fresh)
    assert True in stored and False in stored  # (old and new parts)


@pytest.mark.parametrize("held", ["frequencies", "postings"])
def test_positions_read_from_what_the_searcher_holds_are_those_of_the_parts(tmp_path, monkeypatch, held):
    """The positions of a term in given documents are found, part by part, from what the
    searcher holds of the term over every part (a common term's frequencies in every
    document, reader.FREQUENCIES_ABOVE, or its postings decoded for scoring) rather than
    from the part's postings decoded again: the same documents and positions."""
    from searchkit import reader as reader_module, text

    corpus = tmp_path / "c"
    corpus.mkdir()
    _write(corpus / "a.jsonl", RECORDS + _records(150, 2, "r"))
    monkeypatch.setattr(index_module, "MERGED_PART_BYTES", 0)
    index_paths([corpus], tmp_path / "ix", jobs=1, memory_mb=0)  # (several parts)
    # (A short stride: a few documents' runs start from the running sums kept every
    # _STRIDE entries, as on a large archive, rather than from a pass over the part.)
    monkeypatch.setattr(reader_module, "_STRIDE", 3)
    found = {}
    for holds in (False, True):
        every = holds and held == "frequencies"
        monkeypatch.setattr(reader_module, "FREQUENCIES_ABOVE", 10**9 if every else 0)
        with open_index(tmp_path / "ix") as ix:
            source = ix._current()
            assert len(source.parts) > 1
            terms = sorted({term for part, _ in source.parts for term, _ in part.terms("body")})
            if holds and held == "postings":
                for term in terms:
                    source.postings("body", term)
            assert (source.frequencies("body", terms[0]) is not None) == every
            picked = np.random.default_rng(5)
            some = np.unique(picked.choice(source.doc_count_all, 40))
            found[holds] = {
                (field, term, name): source.positions(field, term, docs)
                for term in terms
                for field in ("body", "body_fold")
                for name, docs in (("all", np.arange(len(source.live()))), ("some", some), ("one", some[-1:]))
                if field == "body" or text.fold_diacritics(term) == term
            }
    for key, (docs, positions) in found[False].items():
        assert np.array_equal(docs, found[True][key][0]), key
        assert np.array_equal(positions, found[True][key][1]), key


def test_ascending_intersection_is_numpys():
    rng = np.random.default_rng(7)
    for size_a, size_b in ((0, 5), (5, 0), (1, 1000), (1000, 3), (500, 700)):
        a = np.unique(rng.integers(0, 2000, size_a)).astype(np.int64)
        b = np.unique(rng.integers(0, 2000, size_b)).astype(np.int64)
        assert np.array_equal(postings.ascending_intersection(a, b), np.intersect1d(a, b))


def test_phrases_of_common_syllables_match_only_where_adjacent_in_one_zone(tmp_path, monkeypatch):
    """A phrase's candidates are the documents with each of its pairs (reader._phrase_docs):
    the answers are those of its syllables' positions, in the field asked, never across
    the title and body, in either tone-mark placement."""
    bodies = {
        "adjacent": ("Giá vàng", "Lãi 1,2 tỷ đồng. Con số 2 và 1 khác."),
        "apart": ("Tin", "Có 1 người và 2 con, 2 rồi 1."),
        "across": ("Năm 1", "2 người đến dự."),
        "title": ("Mất 1 2 tỷ", "Không có gì."),
        "tones": ("Tin khác", "Hoà bình 1 2 3 và hòa hợp."),
    }
    records = [{"id": key, "title": title, "body": body} for key, (title, body) in bodies.items()]
    for i in range(9):  # (each with 1 and 2, apart)
        records.append({"id": f"filler{i}", "title": f"Số {i}", "body": f"Có {i} và 1 hay 2 người."})
    _write(tmp_path / "news.jsonl", records)
    index_paths([tmp_path / "news.jsonl"], tmp_path / "ix", jobs=1)
    with open_index(tmp_path / "ix") as ix:
        reader = ix._current()
        ids = reader.column("id")

        def found(field: str, phrase: list[str]) -> set[str]:
            return {ids[d] for d in np.flatnonzero(reader.phrase_mask(field, phrase))}

        assert found("body_fold", ["1", "2"]) == {"adjacent", "tones"}
        assert found("body_fold", ["1", "2", "3"]) == {"tones"}
        assert found("title_fold", ["1", "2"]) == {"title"}
        assert found("body", ["hòa", "bình"]) == {"tones"}  # (written hoà)
        assert found("body_fold", ["hoa", "binh", "1", "2"]) == {"tones"}
        assert found("body_fold", ["2", "nguoi"]) == {"across"} | {f"filler{i}" for i in range(9)}
        assert found("body_fold", ["2", "1"]) == set()
        # Each read once per searcher, then kept (as bits): the same answers again.
        read = []
        monkeypatch.setattr(type(reader), "_phrase_mask", lambda self, *a: read.append(a) or [][0])
        assert found("body_fold", ["1", "2"]) == {"adjacent", "tones"} and not read
        assert reader.phrase_mask("body_fold", ["1", "2"]).dtype == bool
