"""Word segmentation: our rebuilt pyvi features must give pyvi's model exactly what
pyvi's own feature function gives it, and the fast token lists must match tokens()."""

import pytest

from searchkit import segment, text

SENTENCES = [
    "Người dân nông thôn ở Hà Nội trồng lúa.",
    "THỦ TƯỚNG NGUYỄN XUÂN PHÚC: Đẩy mạnh cải cách hành chính!",
    "Năm 2016, GDP tăng 6,21% (theo Tổng cục Thống kê), cao hơn năm 2015.",
    'Ông Trần Văn A, Chủ tịch UBND Tp. Hồ Chí Minh, cho biết: "Sẽ xử lý nghiêm".',
    "iPhone 7 Plus giá 20.990.000 đồng tại FPT Shop - Thế Giới Di Động",
    "Hà Nội",
    "Nông",
    "Học sinh đi",
    "Bộ Giáo dục và Đào tạo",
    "ΑΣ Σ ΣΑΣ đường Σ",  # Greek capital sigma: the one context-dependent lower case
    "xyzzy qwrtp mlkj nông_thôn",
]


@pytest.mark.parametrize("sentence", SENTENCES)
def test_attributes_are_pyvis_features(sentence: str) -> None:
    pieces, _ = text.token_texts(text.normalize(sentence))
    vi = segment._vi_tokenizer()  # noqa: SLF001 - pyvi's own feature function is the reference
    assert segment.crf_attributes(pieces) == segment.pyvi_attributes(vi.sent2features(pieces, False))


@pytest.mark.parametrize("sentence", SENTENCES)
def test_labels_are_pyvis_labels(sentence: str) -> None:
    pieces, _ = text.token_texts(text.normalize(sentence))
    vi = segment._vi_tokenizer()  # noqa: SLF001
    assert segment._labels(pieces) == list(vi.model.predict([vi.sent2features(pieces, False)])[0])  # noqa: SLF001


def test_every_length_of_sequence() -> None:
    """Short sequences take the per-position path, long ones the sliced one: both agree
    with pyvi at every length, edges included."""
    words = text.token_texts("Ông Nguyễn Văn An đến thăm Hà Nội vào năm 2016 cùng với gia đình.")[0]
    vi = segment._vi_tokenizer()  # noqa: SLF001
    for n in range(len(words) + 1):
        assert segment.crf_attributes(words[:n]) == segment.pyvi_attributes(
            vi.sent2features(words[:n], False)
        ), n


def test_a_full_syllable_cache_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    pieces, _ = text.token_texts(text.normalize(SENTENCES[2]))
    expected = segment.crf_attributes(pieces)
    monkeypatch.setattr(segment, "_SYLLABLE_CACHE_SIZE", 3)
    segment._SYLLABLE_ATTRIBUTES.clear()  # noqa: SLF001
    assert segment.crf_attributes(pieces) == expected
    assert len(segment._SYLLABLE_ATTRIBUTES) <= 3  # noqa: SLF001 - memory stays bounded


@pytest.mark.parametrize(
    "sentence",
    [
        "Bộ Giáo dục và Đào tạo tổ chức kỳ thi",
        "Thành phố Hồ Chí Minh",
        "Hà Nội, năm 2016",
        "ông Nam nói",
        "Người dân nông thôn",
    ],
)
def test_words_are_pyvis_words(sentence: str) -> None:
    """On text both split into the same syllables, our words are the ones pyvi's own
    tokenize() writes (its joining rule: no joins across digits, punctuation, or a
    capital after a lower-case syllable)."""
    vi = segment._vi_tokenizer()  # noqa: SLF001
    expected = [w.lower() for w in vi.tokenize(sentence).split() if w != ","]
    assert segment.words(sentence) == expected


def test_compounds_are_found() -> None:
    assert segment.words("Thành phố Hồ Chí Minh") == ["thành_phố", "hồ_chí_minh"]


@pytest.mark.parametrize(
    "sentence",
    SENTENCES + ["", "  ", "...", "Đường Hòa Bình—số 5", "  lề_trái  ", "a\u0301 \u0301x", "x", "end."],
)
def test_token_lists_match_tokens(sentence: str) -> None:
    normalised = text.normalize(sentence)
    toks = list(text.tokens(normalised))
    pieces, is_word = text.token_texts(normalised)
    assert pieces == [t.text for t in toks]
    assert is_word == [t.is_word for t in toks]
    assert text.token_table(normalised) == (pieces, is_word, [(t.start, t.end) for t in toks])
    assert segment.group_words(pieces, is_word) == segment.word_groups(toks)


def test_threads_segmenting_at_once_get_their_own_labels() -> None:
    """crfsuite's tagger keeps the sequence between set() and tag(): two threads must not
    interleave there (the Python API may be called from threads)."""
    import sys
    import threading

    texts = [text.token_texts(text.normalize(s))[0] for s in SENTENCES[:5]]
    expected = [segment._labels(t) for t in texts]  # noqa: SLF001
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    wrong: list[int] = []

    def work(k: int) -> None:
        for _ in range(300):
            i = k % len(texts)
            if segment._labels(texts[i]) != expected[i]:  # noqa: SLF001
                wrong.append(i)
            k += 1

    try:
        threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(old)
    assert not wrong


def test_the_installed_pyvi_has_the_features_we_rebuild() -> None:
    assert segment._attributes_are_pyvis()  # noqa: SLF001


def test_other_pyvi_features_fall_back_to_pyvis_own_function(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pyvi release whose features differ from ours: its own function is used, so the
    labels stay what its model expects."""
    vi = segment._vi_tokenizer()  # noqa: SLF001
    pieces, _ = text.token_texts(text.normalize(SENTENCES[0]))
    expected = list(vi.model.predict([vi.sent2features(pieces, False)])[0])

    def other_features(words, is_training):  # one extra feature our rebuild lacks
        return [{**d, "word.len": float(len(w))} for d, w in zip(original(words, is_training), words)]

    original = vi.sent2features
    monkeypatch.setattr(vi, "sent2features", other_features)
    segment._attributes_are_pyvis.cache_clear()  # noqa: SLF001
    try:
        assert not segment._attributes_are_pyvis()  # noqa: SLF001
        calls = []
        monkeypatch.setattr(segment, "crf_attributes", lambda words: calls.append(words) or [])
        assert segment._labels(pieces) == list(vi.model.predict([other_features(pieces, False)])[0])  # noqa: SLF001
        assert not calls  # our rebuild was not used
    finally:
        segment._attributes_are_pyvis.cache_clear()  # noqa: SLF001
    monkeypatch.undo()
    assert segment._labels(pieces) == expected  # noqa: SLF001


def test_the_tagger_gets_pyvis_attributes_less_the_names_its_model_lacks() -> None:
    """crfsuite skips an attribute its model has no name for: leaving those out (a rare
    syllable's, here 'xyzzy') gives the tagger what it would use anyway."""
    table = segment._tagger_attributes()  # noqa: SLF001
    known = table.known
    assert known is not None and "bias" in known and "word.lower():nông" in known
    assert "word.lower():xyzzy" not in known
    for sentence in SENTENCES:
        pieces, _ = text.token_texts(text.normalize(sentence))
        expected = [tuple(a for a in item if a in known) for item in segment.crf_attributes(pieces)]
        assert segment._attributes(pieces, table) == expected  # noqa: SLF001


def test_a_model_that_cannot_be_read_keeps_every_attribute() -> None:
    assert segment._model_attribute_names(b"not a crfsuite model") is None  # noqa: SLF001
    assert segment._model_attribute_names(b"lCRF") is None  # noqa: SLF001 - cut short
