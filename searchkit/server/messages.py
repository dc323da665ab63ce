"""The search page speaks Vietnamese: the library's notes and errors (English, for scripts
and the terminal) as the page shows them.

One table of patterns, each an English message of the library (query.py, search.py,
filters.py) and its Vietnamese wording; a message the table does not know is shown as
it is rather than lost. tests/test_server.py makes every note and error the parser can
produce go through the page and checks that none is left in English.
"""

from __future__ import annotations

import re

__all__ = ["in_vietnamese", "no_result_hints"]

_CATALOGUE: tuple[tuple[str, str], ...] = (
    # query.py: how a malformed query was read (notes), and the strict mode's errors
    (r"ignored unmatched curly quotes \((.*)\)", r"Đã bỏ qua dấu ngoặc kép cong không thành cặp (\1)."),
    (r'read mixed quotes \(" with “ or ”\) as pairs', r'Đã ghép dấu " với dấu “ hoặc ” thành cặp ngoặc kép.'),
    (
        r'unbalanced quote: read "(.*)" to the end of the query as a phrase',
        r'Thiếu dấu " đóng: đã đọc "\1" đến hết truy vấn như một cụm từ.',
    ),
    (r'ignored an unmatched "', r'Đã bỏ qua một dấu " không thành cặp.'),
    (r'unbalanced quote: every " needs a closing "', r'Thiếu dấu ": mỗi dấu " mở cần một dấu " đóng.'),
    (r'unbalanced quote: a " must start a phrase', r'Dấu " phải đứng đầu một cụm từ.'),
    (r'ignored a " inside a word', r'Đã bỏ qua dấu " nằm giữa một từ.'),
    (r'ignored an unmatched "\)"', r'Đã bỏ qua dấu ")" không thành cặp.'),
    (r'ignored an unmatched "\("', r'Đã bỏ qua dấu "(" không thành cặp.'),
    (r"unbalanced parenthesis: a '\)' has no '\('", r"Dấu ')' không có dấu '(' tương ứng."),
    (r"unbalanced parenthesis: a '\(' is never closed", r"Dấu '(' chưa được đóng."),
    (r"OR needs a term on each side", r"OR cần một từ ở mỗi bên."),
    (r"ignored a dangling OR", r"Đã bỏ qua OR thiếu từ ở một bên."),
    (r"(\w+): needs a value, e.g. \w+:\"…\"", r'\1: cần một giá trị, ví dụ \1:"…".'),
    (r"(\w+): has no value: ignored", r"Đã bỏ qua \1: vì không có giá trị."),
    (
        r"the query only excludes: add at least one word to search for",
        r"Truy vấn chỉ có từ loại trừ: hãy thêm ít nhất một từ cần tìm.",
    ),
    (
        r"the query only excluded words: searched for them instead",
        r"Truy vấn chỉ có từ loại trừ: đã tìm chính các từ đó.",
    ),
    (r"empty query: give at least one word to search for", r"Truy vấn trống: hãy gõ ít nhất một từ để tìm."),
    (r"query too long: (\d+) characters, at most (\d+)", r"Truy vấn quá dài: \1 ký tự, tối đa \2."),
    # search.py: how the match was read
    (
        r'a long query\'s quotes are read as words: \+"…" requires a phrase',
        r'Truy vấn dài: dấu ngoặc kép được đọc như từ thường; dùng +"…" để bắt buộc cụm từ.',
    ),
    (
        r"no document has the words with the diacritics typed: showing those with other diacritics",
        r"Không bài nào có các từ với đúng dấu đã gõ: hiển thị các bài có các từ đó với dấu khác.",
    ),
    (
        r"few documents have most of the query's words as typed: showing those with other diacritics",
        r"Ít bài có phần lớn các từ của truy vấn với đúng dấu đã gõ: "
        r"hiển thị cả các bài có các từ đó với dấu khác.",
    ),
    (
        r"no document has all (\d+) words of the query: showing those with (\d+)",
        r"Không bài nào có đủ \1 từ của truy vấn: hiển thị các bài có \2 từ.",
    ),
    (
        r"no document has every word of the query besides its required terms: "
        r"showing those with the required terms",
        r"Không bài nào có mọi từ của truy vấn: hiển thị các bài có các từ bắt buộc.",
    ),
    (
        r"few documents have most of the query's words: showing those with fewer",
        r"Ít bài có phần lớn các từ của truy vấn: hiển thị cả các bài có ít từ hơn.",
    ),
    # filters.py: bad dates
    (
        r"invalid (since|until) date (.*): use YYYY-MM-DD",
        r"Ngày \1 không hợp lệ (\2): hãy dùng dạng YYYY-MM-DD.",
    ),
    (r"(since|until) date out of range: (.*)", r"Ngày \1 nằm ngoài khoảng cho phép: \2."),
    # the error page
    (r"no document with id (.*)", r"Không có bài nào mang mã \1."),
    (r"not found: (.*)", r"Không tìm thấy trang \1."),
    (r"internal error: .*", r"Lỗi máy chủ: không xử lý được yêu cầu này (chi tiết trong nhật ký máy chủ)."),
)
_COMPILED = tuple((re.compile(pattern), wording) for pattern, wording in _CATALOGUE)


def in_vietnamese(message: str) -> str:
    """``message`` as the page shows it: its Vietnamese wording, or itself if unknown."""
    for pattern, wording in _COMPILED:
        match = pattern.fullmatch(message)
        if match:
            return match.expand(wording)
    return message


def no_result_hints(query: str, filtered: bool) -> list[str]:
    """What to try when a query finds nothing, for what this query has."""
    hints = []
    if filtered:
        hints.append("Bỏ bớt bộ lọc (ngày, tác giả, chuyên mục).")
    if '"' in query or "“" in query:
        hints.append("Bỏ dấu ngoặc kép để tìm các từ riêng lẻ thay vì cả cụm.")
    if len(query.split()) > 1:
        hints.append("Dùng ít từ hơn, hoặc từ khác cùng nghĩa.")
    hints.append("Kiểm tra chính tả; có thể gõ không dấu (nong thon moi).")
    return hints
