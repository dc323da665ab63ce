"""The normaliser: one form for every way Vietnamese text is typed."""

import unicodedata

import pytest

from searchkit import text
from searchkit.text import fold_diacritics, has_diacritics, normalize, normalize_term, syllables


@pytest.mark.parametrize(
    "old, modern",
    [
        ("hoà", "hòa"),
        ("Hoà Bình", "Hòa Bình"),
        ("khoẻ", "khỏe"),
        ("thuỷ lợi", "thủy lợi"),
        ("THUỶ", "THỦY"),
        ("hoạ sĩ", "họa sĩ"),
    ],
)
def test_old_tone_placement_becomes_modern(old, modern):
    assert normalize(old) == modern
    assert normalize(modern) == modern  # the modern form is left alone


@pytest.mark.parametrize("word", ["hoàn", "quý", "quà", "thuyền", "khuya", "hoàng", "toàn"])
def test_syllables_that_are_not_old_style_are_unchanged(word):
    # the mark belongs where it is: a letter follows (hoàn), or u belongs to qu (quý)
    assert normalize(word) == word


def test_nfd_and_nfc_normalise_to_the_same_text():
    nfc = "Nông thôn mới, Đường Hoà Bình"
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfd != nfc
    assert normalize(nfd) == normalize(nfc) == "Nông thôn mới, Đường Hòa Bình"


def test_eth_becomes_vietnamese_d():
    assert normalize("\u00d0ào") == "Đào"
    assert normalize_term("\u00d0ÀO") == "đào"


def test_fold_diacritics_maps_d_and_every_mark():
    assert fold_diacritics("Đường đến nông thôn mới") == "Duong den nong thon moi"
    assert fold_diacritics(unicodedata.normalize("NFD", "Hồ Chí Minh")) == "Ho Chi Minh"
    assert fold_diacritics("ăâêôơưđ ĂÂÊÔƠƯĐ") == "aaeooud AAEOOUD"


def test_has_diacritics():
    assert has_diacritics("mới") and has_diacritics("đi")
    assert not has_diacritics("moi") and not has_diacritics("2023")


def test_syllables_carry_offsets_into_the_original_text_even_for_nfd():
    original = unicodedata.normalize("NFD", "Thể chế hoá, 8,26%")
    found = syllables(original)
    assert [s.text for s in found] == ["thể", "chế", "hóa", "8", "26"]
    for syl in found:
        assert normalize_term(original[syl.start : syl.end]) == syl.text


def test_underscore_joined_words_split_into_syllables():
    assert [s.text for s in syllables("nông_thôn mới")] == ["nông", "thôn", "mới"]


@pytest.mark.parametrize(
    ("written", "indexed"),
    [
        ("kỹ", "kĩ"),
        ("tỷ", "tỉ"),
        ("lý_do", "lí_do"),
        ("hy_sinh", "hi_sinh"),
        ("sỹ", "sĩ"),
        ("mỹ", "mĩ"),
        ("ty", "ti"),
        ("kỳ", "kì"),
        ("tỵ", "tị"),
        ("công_ty", "công_ti"),
    ],
)
def test_a_final_i_or_y_after_h_k_l_m_s_t_has_one_spelling(written, indexed):
    assert text.canonical_spelling(written) == indexed
    assert text.canonical_spelling(indexed) == indexed
    assert written in text.spellings(indexed.split("_")[-1]) or "_" in written
    # Folding and spelling commute: an accentless query finds either spelling.
    assert text.canonical_spelling(text.fold_diacritics(written)) == text.fold_diacritics(indexed)


@pytest.mark.parametrize(
    "word", ["vy", "thy", "ny", "quý", "quy", "y", "ý", "thủy", "tuy", "khi", "gì", "kỹ_sư_trưởng"]
)
def test_other_i_and_y_syllables_keep_their_spelling(word):
    # Names (Vy, Thy, Ny) stand beside other words (vi, thi, ni); quy/qui and y alone
    # are not spelling variants; only a whole syllable is respelt.
    expected = "kĩ_sư_trưởng" if word == "kỹ_sư_trưởng" else word
    assert text.canonical_spelling(word) == expected


@pytest.mark.parametrize(
    ("written", "indexed"),
    [("5.000", "5000"), ("1.500.000", "1500000"), ("06", "6"), ("00", "0"), ("2019", "2019")],
)
def test_a_number_has_one_spelling(written, indexed):
    assert text.canonical_spelling(written) == indexed
    assert written in text.spellings(indexed)


def test_a_number_grouped_by_thousands_is_one_syllable():
    found = [s.text for s in syllables("Giá 5.000 tỷ, 1.500.000 đồng, 2,7 tỷ, ngày 06/12, 1.0000")]
    assert found == [
        "giá",
        "5.000",
        "tỷ",
        "1.500.000",
        "đồng",
        "2",
        "7",
        "tỷ",
        "ngày",
        "06",
        "12",
        "1",
        "0000",
    ]


def test_a_joined_car_is_the_two_syllables_of_the_spaced_one():
    found = [(s.text, s.start, s.end) for s in syllables("Ôtô, môtô và phôtô, oto")]
    assert found == [
        ("ô", 0, 1),
        ("tô", 1, 3),
        ("mô", 5, 7),
        ("tô", 7, 9),
        ("và", 10, 12),
        ("phôtô", 13, 18),
        ("o", 20, 21),
        ("to", 21, 23),
    ]
