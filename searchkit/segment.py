"""Vietnamese word segmentation with pyvi, aligned to our own syllables.

pyvi's ``ViTokenizer.tokenize`` returns a re-spaced string and no offsets, and its own
syllable splitter disagrees with ours on numbers, URLs and abbreviations. So we skip it:
we hand pyvi's CRF model *our* token sequence and read back one label per token. Each
word is then a run of our syllables, and its offsets come from them for free.

pyvi loads a scikit-learn CRF model at import (about 1.5 s), so it is imported lazily,
once per process, and only by code that segments documents (indexing, summaries), never
by the query path.

pyvi's features are rebuilt here (:func:`crf_attributes`), not taken from its
``sent2features``: that builds a dict of ~16 features per syllable in Python, lower-cases
every syllable five times, and crfsuite then converts each dict back into attribute
strings, which together cost more than the CRF itself. We build each syllable's
attributes once per distinct syllable, in pyvi's order, and hand crfsuite the attribute
names directly, less those its model has no name for (which crfsuite would skip). The
tagger sees exactly what pyvi's features give it, so the labels are the same (checked in
tests/test_segment.py against pyvi's own functions); on news text this segments about
twice as fast as ``ViTokenizer.tokenize`` (bench/perf.py).
"""

from __future__ import annotations

import struct
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain, compress
from typing import Any

from .text import Token

__all__ = [
    "load_model",
    "crf_attributes",
    "pyvi_attributes",
    "group_words",
    "word_groups",
    "word_spans",
    "spans_of_words",
    "words",
]


_MODEL_BYTES: list[bytes] = []


@lru_cache(maxsize=1)
def _vi_tokenizer() -> Any:
    """pyvi's tokenizer, its CRF model opened from memory.

    Importing pyvi unpickles its model, a sklearn-crfsuite CRF whose file resource writes
    the model into a new temporary file and removes it only in a finaliser, which worker
    processes never run: every process would leave ~640 KB in the temp directory. So the
    file resource is unpickled with its bytes kept in memory, and crfsuite's tagger opens
    them there (``Tagger.open_inmemory``); no file is ever written.
    """
    import pycrfsuite
    from sklearn_crfsuite import _fileresource  # type: ignore[import-untyped]

    resource = _fileresource.FileResource
    unpickle = resource.__setstate__
    model_bytes: list[bytes] = []

    def keep_in_memory(self: Any, state: dict) -> None:
        data = state.pop("__FILE_RESOURCE_DATA__", None)
        self.__dict__.update(state)
        if data is not None:
            model_bytes.append(data)

    resource.__setstate__ = keep_in_memory
    try:
        from pyvi.ViTokenizer import ViTokenizer  # slow import: the CRF model loads here
    finally:
        resource.__setstate__ = unpickle
    if model_bytes:  # (a pyvi whose model is no longer a pickled file resource: left as it is)
        tagger = pycrfsuite.Tagger()
        _MODEL_BYTES.append(model_bytes[-1])  # crfsuite reads the model in place: keep it alive
        tagger.open_inmemory(_MODEL_BYTES[-1])
        ViTokenizer.model._tagger = tagger
    return ViTokenizer


def load_model() -> None:
    """Load pyvi's model now (worker processes do it at start, while files are read)."""
    _vi_tokenizer()


# A syllable's own attributes and the ones it gives its neighbours depend on the syllable
# alone: built once per distinct syllable, kept for the next texts (cleared when full,
# which bounds memory at a few MB; news text repeats a few thousand syllables).
_SYLLABLE_ATTRIBUTES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {}
_SYLLABLE_CACHE_SIZE = 1 << 15
_BIGRAM_BEFORE, _BIGRAM_AFTER = ("-1:word.bi_gram()",), ("+1:word.bi_gram()",)
_TRIGRAM_BEFORE, _TRIGRAM_AFTER = ("-2:word.tri_gram()",), ("+2:word.tri_gram()",)


@dataclass(frozen=True)
class _Attributes:
    """Which attribute names :func:`_attributes` gives, and its cache of each syllable's."""

    known: frozenset[str] | None  # only these names; None: every one pyvi's features have
    syllables: dict[str, tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]]

    def kept(self, names: tuple[str, ...]) -> tuple[str, ...]:
        return names if self.known is None else tuple(filter(self.known.__contains__, names))


_PYVI = _Attributes(None, _SYLLABLE_ATTRIBUTES)


def _syllable_attributes(
    word: str, table: _Attributes = _PYVI
) -> tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """``(lower case, own attributes, attributes as the previous syllable, as the next)``.

    pyvi's boolean features are attributes with value 1.0 when true and 0.0 when false;
    a 0.0 attribute adds nothing to any score, so only the true ones are named. The order
    is pyvi's (``word2features``), so crfsuite adds the same weights in the same order.
    """
    lower, upper, title = word.lower(), word.isupper(), word.istitle()
    own: tuple[str, ...] = ("bias", "word.lower():" + lower)
    own += ("word.isupper()",) * upper + ("word.istitle()",) * title + ("word.isdigit()",) * word.isdigit()
    before = ("-1:word.lower():" + lower,) + ("-1:word.istitle()",) * title + ("-1:word.isupper()",) * upper
    after = ("+1:word.lower():" + lower,) + ("+1:word.istitle()",) * title + ("+1:word.isupper()",) * upper
    if len(table.syllables) >= _SYLLABLE_CACHE_SIZE:
        table.syllables.clear()
    entry = table.syllables[word] = (lower, table.kept(own), table.kept(before), table.kept(after))
    return entry


def crf_attributes(words: Sequence[str]) -> list[tuple[str, ...]]:
    """The crfsuite attributes pyvi's model sees for each of ``words`` (one sequence):
    what ``ViTokenizer.sent2features(words, False)`` describes, as attribute names.

    pyvi tests n-grams as ``" ".join(ws).lower()``; joining the lower-cased syllables is
    the same string, since the one context-dependent lower-casing rule (final sigma)
    does not look across a space.
    """
    return _attributes(words, _PYVI)


def _model_attribute_names(model: bytes) -> frozenset[str] | None:
    """The attribute names of a crfsuite model file (its attribute dictionary, a CQDB
    chunk), or None when ``model`` is not a model this reads."""
    try:
        magic, _, kind, _, _, _, _, _, _, attributes = struct.unpack_from("<4sI4sIIIIIII", model, 0)
        if magic != b"lCRF" or kind != b"FOMC":
            return None
        chunk, _, _, _, size, offset = struct.unpack_from("<4sIIIII", model, attributes)
        if chunk != b"CQDB":
            return None
        names = set()
        # The backward array: for each id, where its record (id, key size, key) is.
        for record in struct.unpack_from(f"<{size}I", model, attributes + offset):
            if record:
                _, length = struct.unpack_from("<II", model, attributes + record)
                start = attributes + record + 8
                names.add(model[start : start + length].rstrip(b"\0").decode("utf-8"))
        return frozenset(names)
    except (struct.error, UnicodeDecodeError):
        return None


@lru_cache(maxsize=1)
def _tagger_attributes() -> _Attributes:
    """The attributes to hand the tagger: pyvi's, less those its model has no name for.

    crfsuite's tagger looks every attribute name up in the model's dictionary and skips
    the names it lacks (a syllable never seen in training, say: a tenth of them in news
    text), so leaving them out changes no score and no label, and spares the tagger
    converting and looking them up. When the model's names cannot be read, every
    attribute is given."""
    _vi_tokenizer()
    known = _model_attribute_names(_MODEL_BYTES[-1]) if _MODEL_BYTES else None
    return _PYVI if known is None else _Attributes(known, {})


def _attributes(words: Sequence[str], table: _Attributes) -> list[tuple[str, ...]]:
    """:func:`crf_attributes` of ``words``, those ``table`` keeps."""
    n = len(words)
    if not n:
        return []
    vi = _vi_tokenizer()
    get = table.syllables.get
    lower, own, before, after = zip(*[get(w) or _syllable_attributes(w, table) for w in words])
    bigram_before_, bigram_after_ = table.kept(_BIGRAM_BEFORE), table.kept(_BIGRAM_AFTER)
    trigram_before_, trigram_after_ = table.kept(_TRIGRAM_BEFORE), table.kept(_TRIGRAM_AFTER)
    pairs = [a + " " + b for a, b in zip(lower, lower[1:])]
    bigrams = list(map(vi.bi_grams.__contains__, pairs))  # pair (j, j+1)
    trigrams = list(map(vi.tri_grams.__contains__, [p + " " + c for p, c in zip(pairs, lower[2:])]))
    # (Tuples indexed by a bool: the attribute when the n-gram is a word, else nothing.)
    bigram_before = list(map(((), bigram_before_).__getitem__, bigrams))  # seen from j+1
    bigram_after = list(map(((), bigram_after_).__getitem__, bigrams))  # seen from j
    trigram_before = list(map(((), trigram_before_).__getitem__, trigrams))  # (j, j+1, j+2) seen from j+2
    trigram_after = list(map(((), trigram_after_).__getitem__, trigrams))  # seen from j

    def at(i: int) -> tuple[str, ...]:
        attributes = own[i]
        if i > 0:
            attributes += before[i - 1] + bigram_before[i - 1] + (trigram_before[i - 2] if i > 1 else ())
        if i < n - 1:
            attributes += after[i + 1] + bigram_after[i] + (trigram_after[i] if i < n - 2 else ())
        return attributes

    if n < 5:
        return [at(i) for i in range(n)]
    # Positions 2 .. n-3 have every neighbour: one pass over aligned slices.
    middle = [
        (*o, *b, *bb, *tb, *a, *ba, *ta)
        for o, b, bb, tb, a, ba, ta in zip(
            own[2 : n - 2],
            before[1 : n - 3],
            bigram_before[1 : n - 3],
            trigram_before[: n - 4],
            after[3 : n - 1],
            bigram_after[2 : n - 2],
            trigram_after[2 : n - 2],
        )
    ]
    return [at(0), at(1), *middle, at(n - 2), at(n - 1)]


def pyvi_attributes(features: Sequence[dict[str, Any]]) -> list[tuple[str, ...]]:
    """pyvi's feature dicts as the attribute names crfsuite makes of them (``key:value``
    for a string, ``key`` for a value of 1), leaving out those of value 0."""
    out = []
    for item in features:
        names = []
        for key, value in item.items():
            if isinstance(value, str):
                names.append(f"{key}:{value}")
            elif value == 1:
                names.append(key)
            elif value != 0:
                raise ValueError(f"pyvi feature {key!r} has weight {value!r}, not 0 or 1")
        out.append(tuple(names))
    return out


@lru_cache(maxsize=1)
def _attributes_are_pyvis() -> bool:
    """Whether :func:`crf_attributes` still gives what the installed pyvi's own feature
    function does, checked once per process on a sample that exercises every feature.
    A pyvi release with other features would otherwise segment silently worse; then its
    own (slower) function is used instead."""
    vi = _vi_tokenizer()
    sample = "Ông Nguyễn Văn An , 45 tuổi , ĐI LÀM ở thành phố Hồ Chí Minh từ năm 2016 .".split()
    try:
        return crf_attributes(sample) == pyvi_attributes(vi.sent2features(sample, False))
    except (ValueError, TypeError, AttributeError):
        return False


# crfsuite's tagger holds the sequence between set() and tag(): one text at a time per
# process, or two threads segmenting at once could read each other's labels.
_TAGGER_LOCK = threading.Lock()


def _labels(words: Sequence[str]) -> list[str]:
    """pyvi's label (``B_W`` begins a word, ``I_W`` continues one) for each of ``words``."""
    vi = _vi_tokenizer()
    attributes = (
        _attributes(words, _tagger_attributes())
        if _attributes_are_pyvis()
        else vi.sent2features(list(words), False)
    )
    tagger = vi.model.tagger_
    with _TAGGER_LOCK:
        tagger.set(attributes)
        return tagger.tag()


def word_groups(tokens: Sequence[Token]) -> list[tuple[int, int]]:
    """Group the syllables of ``tokens`` into words.

    ``tokens`` is the output of :func:`searchkit.text.tokens` (syllables and punctuation,
    case kept). Returns ``(first, last_exclusive)`` index pairs into the list of *syllable*
    tokens (``is_word`` true), covering every syllable exactly once, in order.
    """
    return group_words([t.text for t in tokens], [t.is_word for t in tokens])


def group_words(pieces: Sequence[str], is_word: Sequence[bool]) -> list[tuple[int, int]]:
    """:func:`word_groups` of tokens given as plain lists, as
    :func:`searchkit.text.token_texts` returns them: each token's text and whether it
    is a syllable (not punctuation)."""
    if not pieces:
        return []
    labels = _labels(pieces)
    # pyvi's own joining rule (ViTokenizer.tokenize): an I_W label continues the word
    # unless digits or punctuation are involved or a capital follows a lower-case
    # syllable. One flag per syllable: does it continue the word before it? (A syllable
    # after punctuation never does; syllables themselves never are punctuation.)
    continues = [
        label == "I_W"
        and after_syllable
        and not piece[0].isdigit()
        and not previous[0].isdigit()
        and not (piece[0].istitle() and not previous[0].istitle())
        for piece, previous, after_syllable, label in compress(
            zip(pieces, chain(("",), pieces), chain((False,), is_word), labels), is_word
        )
    ]
    starts = [i for i, joined in enumerate(continues) if not joined]
    return list(zip(starts, starts[1:] + [len(continues)]))


def word_spans(
    tokens: Sequence[Token], groups: Sequence[tuple[int, int]] | None = None
) -> list[tuple[int, int]]:
    """The ``(start, end)`` character span of every word of ``tokens``, in order.

    ``groups`` are :func:`word_groups` of the same tokens when the caller already has
    them (pyvi is the costly step: never run it twice on one text).
    """
    if groups is None:
        groups = word_groups(tokens)
    return spans_of_words([(t.start, t.end) for t in tokens if t.is_word], groups)


def spans_of_words(
    syllable_spans: Sequence[tuple[int, int]], groups: Sequence[tuple[int, int]]
) -> list[tuple[int, int]]:
    """The span of each word of ``groups`` (as :func:`group_words` gives them): from its
    first syllable's start to its last syllable's end."""
    return [(syllable_spans[a][0], syllable_spans[b - 1][1]) for a, b in groups]


def words(text: str) -> list[str]:
    """The words of ``text`` as pyvi writes them, lower-cased: ``["nông_thôn", "mới"]``."""
    from .text import tokens as split_tokens

    toks = list(split_tokens(text))
    syl = [t.text.lower() for t in toks if t.is_word]
    return ["_".join(syl[a:b]) for a, b in word_groups(toks)]
