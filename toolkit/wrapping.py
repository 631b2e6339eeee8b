"""Line breaking by display width, with Japanese kinsoku shori.

The plain-text part is read in fixed-width fonts where a kanji takes two columns, so
``textwrap`` (which counts code points and only breaks at spaces) is wrong twice over:
Japanese lines come out twice as wide as intended and never break at all. Japanese mail
magazines wrap at 30-35 full-width characters (never beyond 38), and their readers
expect the JIS X 4051 line-breaking rules: no line starts with 。 or 」, none ends with 「.

The algorithm is greedy. Text is cut into tokens (a Latin word, one CJK character, or a URL),
each gap between tokens gets a break level, and every line ends at the best gap that fits:

- ``_FREE``: a space, or next to a CJK character. The normal break.
- ``_WORD``: inside a Latin word, or between a word and a URL with no space. Not a break,
  unless the run of tokens it is in is wider than a whole line: then it becomes free, and
  the line is filled before the word is broken, as ``textwrap`` does.
- ``_KINSOKU``: a break that would start a line with a closing mark or end one with an
  opening mark. The pair is glued (the character before is pushed down with it: oidashi,
  never oikomi); broken only when a glued run cannot be broken anywhere else.

A URL is never broken: one wider than the line stands alone on it, with the brackets and
punctuation glued to it, and is the only thing allowed to exceed the width. Atoms (the
correction marks ``[訂正前]``, link numbers ``[1]``, footnote marks ``*1``, which the plain-text
renderer passes in) are never broken inside either: issue 14 found ``[訂正`` at the end of one
line and ``前]`` at the start of the next.

Speed (issue 13): this runs for every paragraph of every issue, and a Japanese paragraph is
a token per character, so nothing here loops over tokens in Python. A paragraph that fits on
one line (most of them) is measured by its characters and never cut into tokens. Otherwise
tokens come from one ``findall`` of runs (a CJK run is ``list``-ed into its characters);
what a gap needs of its two tokens (width, kinsoku classes) is looked up in a per-string
table; each line's end is found by bisecting prefix widths and searching the gaps' bytes
backwards (``bytes.rfind``), not by walking the line.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable
from functools import lru_cache
from itertools import accumulate, compress
from operator import add, not_
from typing import Any

# JIS X 4051 classes that may not start a line: closing brackets, hyphens, dividing and
# middle punctuation, full stops and commas, iteration marks, the prolonged sound mark,
# small kana, inseparable leaders, and their half-width and ASCII counterparts.
LINE_START_PROHIBITED = frozenset(
    "、。，．・：；？！ゝゞーヽヾ々〻」』）］｝〕〉》】〙〗〟’”｠»‐゠–〜～"
    "ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ"
    "…‥‼⁇⁈⁉｡｣､･ｰｧｨｩｪｫｬｭｮｯ)]},.:;!?"
)
# Opening brackets and quotes, which may not end a line.
LINE_END_PROHIBITED = frozenset("「『（［｛〔〈《【〘〖〝‘“｟«([{｢")

# Wide, full-width and half-width characters (East Asian Width W, F, H): a line may break
# on either side of them. Hangul and emoji are here too; both tolerate a break anywhere.
_CJK = (
    "\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf"
    "\ua960-\ua97f\uac00-\ud7a3\uf900-\ufaff\ufe10-\ufe19\ufe30-\ufe6f\uff00-\uffe6"
    "\U0001f300-\U0001f64f\U0001f680-\U0001f6ff\U0001f900-\U0001f9ff\U00020000-\U0003fffd"
)
# Marks that belong to the character before them (combining marks, variation selectors,
# voiced-sound marks, skin tones); a zero-width joiner also takes the character after it.
_EXTEND = (
    "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f\u3099\u309a\ufe00-\ufe0f"
    "\U0001f3fb-\U0001f3ff\U000e0100-\U000e01ef"
)
# One token (a CJK character with its marks, or a run of anything else that is not space)
# and the whitespace before it. The possessive ``*+`` keeps an ideographic space (U+3000, also
# in the CJK range) a space. Compiled only for text with such marks (see `_RUN`).
_TOKEN_TEXT = rf"(\s*+)([{_CJK}](?:[{_EXTEND}]|\u200d\S)*|[^\s{_CJK}]+)"
#: Text without marks that join a character (`_JOINING`) is cut into runs instead: a run of CJK
#: characters (each of them a token: ``list(run)`` is C speed where ``findall`` made a match
#: object a character, half a Japanese paragraph's time, issue 13) or one of anything else that
#: is not space, with the whitespace before it. The CJK class leaves out U+3000, a space.
_CJK_RUN = _CJK.replace("\u2e80-\u303e", "\u2e80-\u2fff\u3001-\u303e")
assert _CJK_RUN != _CJK
_RUN = re.compile(rf"(\s*+)(?:([{_CJK_RUN}]+)|([^\s{_CJK}]+))")
_JOINING = re.compile(f"[{_EXTEND}\u200d]")


@lru_cache(maxsize=1)
def _token_pattern() -> re.Pattern[str]:
    return re.compile(_TOKEN_TEXT)


#: _CJK's ranges, as (first, last) code points: whether a token starts with one is looked up,
#: since compiling ``[{_CJK}]`` once more took 3-5 ms of every process (issue 13).
_CJK_RANGES = [(ord(_CJK[i]), ord(_CJK[i + 2])) for i in range(0, len(_CJK), 3)]
assert all(_CJK[i + 1] == "-" for i in range(0, len(_CJK), 3)) and _CJK_RANGES == sorted(_CJK_RANGES)
_CJK_STARTS = [first for first, _ in _CJK_RANGES]


def _is_cjk(char: str) -> bool:
    code = ord(char)
    k = bisect_right(_CJK_STARTS, code) - 1
    return k >= 0 and code <= _CJK_RANGES[k][1]


# URLs are matched before tokenising so that they stay whole. ASCII only, so Japanese
# text right after a URL is not swallowed; trailing punctuation is trimmed below.
URL_PATTERN = re.compile(r"(?P<scheme>https?://|mailto:|www\.)[!#-;=?-~]+")
_URL_TRAILING = ".,:;!?'*"
_URL_BRACKETS = {")": "(", "]": "[", "}": "{"}

_KINSOKU, _WORD, _FREE = 1, 2, 3


#: What wcwidth says of the characters most issues are made of, so that measuring them needs no
#: wcwidth (importing it took ~25 ms of CPU in every process that renders, issue 13): code points
#: that take two columns whatever the ambiguous width (kana, kanji, full-width forms, -2 below
#: for "the ambiguous width") and marks of Japanese text that take the ambiguous width (※ ■ …).
#: None of them joins a neighbour into one grapheme cluster, so a text of them and printable
#: ASCII takes the sum of their widths; tests/test_wrapping.py checks each one against wcwidth.
_AMBIGUOUS = -2
_MEASURED = sorted(
    [
        (0x3000, 0x3029, 2),  # CJK symbols and punctuation, up to the combining tone marks
        (0x3030, 0x303E, 2),
        (0x3041, 0x3096, 2),  # hiragana
        (0x309B, 0x30FF, 2),  # (not the combining voiced marks 3099, 309A) katakana
        (0x3400, 0x4DBF, 2),  # CJK ideographs, extension A
        (0x4E00, 0x9FFF, 2),  # CJK ideographs
        (0xF900, 0xFAFF, 2),  # CJK compatibility ideographs
        (0xFF01, 0xFF60, 2),  # full-width forms
        (0xFFE0, 0xFFE6, 2),
        (0x2460, 0x24E9, _AMBIGUOUS),  # circled numbers and letters
        (0x2500, 0x254B, _AMBIGUOUS),  # box drawing
        *((ord(mark), ord(mark), _AMBIGUOUS) for mark in "※■□▲△▼▽◆◇○◎●★☆…‥—―‘’“”°×÷§¶→←↑↓·"),
    ]
)
_MEASURED_STARTS = [start for start, _, _ in _MEASURED]


def display_width(text: str, *, ambiguous_width: int = 1) -> int:
    """Columns *text* takes in a fixed-width font: 2 for full-width characters.

    Control characters count 0 (``control_codes="ignore"``) so that widths add up token
    by token; ``ambiguous_width=2`` is for Japanese, Chinese and Korean issues (※ ○ ■ …).
    Text of `_MEASURED` characters and printable ASCII is measured here, the rest by wcwidth.
    """
    if text.isascii() and text.isprintable():
        return len(text)
    width = 0
    for char in text:
        code = ord(char)
        if 0x20 <= code < 0x7F:
            width += 1
            continue
        k = bisect_right(_MEASURED_STARTS, code) - 1
        if k < 0 or code > _MEASURED[k][1]:
            return _wcwidth().width(text, control_codes="ignore", ambiguous_width=ambiguous_width)
        columns = _MEASURED[k][2]
        width += ambiguous_width if columns == _AMBIGUOUS else columns
    return width


def _wcwidth() -> Any:
    import wcwidth  # lazy: see _MEASURED

    return wcwidth


_token_width = lru_cache(maxsize=65536)(display_width)


class _TokenInfo(dict):
    """token -> (width, may not start a line, may not end one, is CJK), computed once.

    A CJK token may end in combining marks, so its own character (the one whose kinsoku
    class counts at its end) is its first; for anything else it is the last.
    """

    LIMIT = 200_000  # distinct tokens kept; a huge archive of distinct words starts again

    def __init__(self, ambiguous_width: int) -> None:
        super().__init__()
        self.ambiguous_width = ambiguous_width

    def __missing__(self, token: str) -> tuple[int, bool, bool, bool]:
        if len(self) > self.LIMIT:
            self.clear()
        cjk = _is_cjk(token[0])
        info = (
            display_width(token, ambiguous_width=self.ambiguous_width),
            token[0] in LINE_START_PROHIBITED,
            (token[0] if cjk else token[-1]) in LINE_END_PROHIBITED,
            cjk,
        )
        self[token] = info
        return info


class _TokenMemo(dict):
    """token -> one thing derived from its `_TokenInfo` entry, bounded as that is: one C-level
    lookup per token in the hot loops instead of building and unpacking a tuple (issue 13)."""

    def __init__(self, info: _TokenInfo) -> None:
        super().__init__()
        self.info = info

    def derive(self, token: str) -> int:
        raise NotImplementedError

    def __missing__(self, token: str) -> int:
        if len(self) > _TokenInfo.LIMIT:
            self.clear()
        value = self[token] = self.derive(token)
        return value


class _TokenWidth(_TokenMemo):
    """token -> its width alone: the only thing a paragraph that fits on one line needs (most
    of them: list items, headings, short paragraphs)."""

    def derive(self, token: str) -> int:
        return self.info[token][0]


class _TokenCode(_TokenMemo):
    """token -> its kinsoku classes and whether it is CJK, as the bits of one small int
    (`_NO_START`, `_NO_END`, `_IS_CJK`): a paragraph's tokens become one byte each, and its
    gaps are classed by table look-ups on those bytes (`_Line.index_gaps`)."""

    def derive(self, token: str) -> int:
        _, no_start, no_end, cjk = self.info[token]
        return no_start * _NO_START | no_end * _NO_END | cjk * _IS_CJK


#: The three token memos, by ambiguous width.
_MEMOS: dict[int, tuple[_TokenInfo, _TokenWidth, _TokenCode]] = {}


def _memos(ambiguous_width: int) -> tuple[_TokenInfo, _TokenWidth, _TokenCode]:
    info = _TokenInfo(ambiguous_width)
    return _MEMOS.setdefault(ambiguous_width, (info, _TokenWidth(info), _TokenCode(info)))


# A token's code, and a bit for the space before it (4 bits in all). A gap's byte holds the
# token before it in its high half and the token after it in its low half: the two tables say,
# for each of the 256 bytes, whether that gap is free or kinsoku (see the module docstring).
_NO_START, _NO_END, _IS_CJK, _SPACE = 1, 2, 4, 8


def _gap_table(level: Callable[[int, int], bool]) -> bytes:
    return bytes(level(pair >> 4, pair & 15) for pair in range(256))


def _is_kinsoku(before: int, after: int) -> bool:
    return bool(after & _NO_START or before & _NO_END)


_KINSOKU_GAPS = _gap_table(_is_kinsoku)
# Loose (a space, or CJK on either side) and not kinsoku.
_FREE_GAPS = _gap_table(
    lambda before, after: bool(after & (_SPACE | _IS_CJK) or before & _IS_CJK) and not _is_kinsoku(before, after)
)


@lru_cache(maxsize=64)
def _atom_pattern(atoms: frozenset[str]) -> re.Pattern[str] | None:
    """One regex for the atoms, longest first so that ``[12]`` wins over ``[1``."""
    usable = sorted((a for a in atoms if len(a) > 1 and not any(c.isspace() for c in a)), key=lambda a: (-len(a), a))
    return re.compile("|".join(map(re.escape, usable))) if usable else None


def wrap(
    text: str,
    width: int,
    *,
    ambiguous_width: int = 1,
    initial_indent: str = "",
    subsequent_indent: str = "",
    atoms: Iterable[str] = (),
) -> list[str]:
    """Break one paragraph into lines of at most *width* display columns, indents included.

    Whitespace runs are single break points and are dropped at line ends. Returns ``[]``
    for blank input, like ``textwrap.wrap``. Each of *atoms* (strings without spaces, such
    as ``[訂正前]``) is one unit where it appears: never broken inside, even in a run that
    is wider than a line.
    """
    first = width - _token_width(initial_indent, ambiguous_width=ambiguous_width) if initial_indent else width
    rest = width - _token_width(subsequent_indent, ambiguous_width=ambiguous_width) if subsequent_indent else width
    joined = " ".join(text.split())
    if not joined:
        return []
    limit = min(first, rest)
    # Every character takes a column or more, so a paragraph of more characters than that cannot fit.
    if len(joined) <= limit and _fitting_width(joined, ambiguous_width) <= limit:  # most list items, headings
        return [initial_indent + joined]
    return _wrap_tokens(text, first, rest, ambiguous_width, initial_indent, subsequent_indent, atoms)


def _wrap_tokens(
    text: str,
    first: int,
    rest: int,
    ambiguous_width: int,
    initial_indent: str,
    subsequent_indent: str,
    atoms: Iterable[str],
) -> list[str]:
    """`wrap` by the tokens: all of it, for a paragraph that may need more than one line."""
    frozen = atoms if isinstance(atoms, frozenset) else frozenset(atoms)  # plaintext's are
    line = _Line(text, ambiguous_width, _atom_pattern(frozen) if frozen else None)
    if not line.tokens:
        return []
    if line.ends[-1] - line.spaces[0] <= min(first, rest):  # all of it fits
        return [initial_indent + " ".join(text.split())]
    line.index_gaps()
    line.split_wide_words(min(first, rest))
    lines: list[str] = []
    tokens, spaces = line.tokens, line.spaces
    start, n = 0, len(tokens)
    while start < n:
        end = line.line_end(start, first if not lines else rest)
        # The line's text: its tokens, each after a space where the paragraph had one.
        spaced = spaces.count(1, start + 1, end)
        if not spaced:
            body = "".join(tokens[start:end])
        elif spaced == end - start - 1:
            body = " ".join(tokens[start:end])
        else:
            body = tokens[start] + "".join(map(add, map(" ".__mul__, spaces[start + 1 : end]), tokens[start + 1 : end]))
        lines.append((initial_indent if not lines else subsequent_indent) + body)
        start = end
    return lines


class _CharWidth(dict):
    """character -> its columns where a text's width is the sum of its characters' (printable
    ASCII and `_MEASURED`), else `_UNMEASURED`, so that one sum says whether a paragraph fits."""

    def __init__(self, ambiguous_width: int) -> None:
        super().__init__()
        self.ambiguous_width = ambiguous_width

    def __missing__(self, char: str) -> int:
        if len(self) > _TokenInfo.LIMIT:
            self.clear()
        code = ord(char)
        k = bisect_right(_MEASURED_STARTS, code) - 1
        if 0x20 <= code < 0x7F:
            columns = 1
        elif k < 0 or code > _MEASURED[k][1]:
            columns = _UNMEASURED
        else:
            columns = _MEASURED[k][2]
            columns = self.ambiguous_width if columns == _AMBIGUOUS else columns
        self[char] = columns
        return columns


_UNMEASURED = 1 << 40  # more than any line: a paragraph with such a character goes by its tokens
_CHAR_WIDTH: dict[int, _CharWidth] = {}


def _fitting_width(joined: str, ambiguous_width: int) -> int:
    """The width of *joined* (a paragraph's words, one space between them), or more than any
    line's when it is not the sum of its characters' (wcwidth's clusters; control characters).

    Then it is also the width the tokens add up to (`_Line.ends`), so a paragraph that fits
    on one line needs no tokens at all (issue 13: most paragraphs of an issue fit).
    """
    if joined.isascii():
        return len(joined) if joined.isprintable() else _UNMEASURED
    widths = _CHAR_WIDTH.get(ambiguous_width) or _CHAR_WIDTH.setdefault(ambiguous_width, _CharWidth(ambiguous_width))
    return sum(map(widths.__getitem__, joined))


class _Line:
    """One paragraph cut into tokens, with what the greedy line filler asks of them.

    ``ends[k]`` is the width of tokens 0..k-1 with a column for each space before a token:
    tokens i..j take ``ends[j + 1] - ends[i] - spaces[i]`` columns on one line. ``is_free``
    and ``is_kinsoku`` hold a byte per gap (gap k, before token k, at index k - 1): 1 where it
    is of that level. Every per-token pass is a C-level ``map``, ``translate`` or ``rfind``.
    """

    def __init__(self, text: str, ambiguous_width: int, atom_pattern: re.Pattern[str] | None) -> None:
        self.info, self.width, self.code = _MEMOS.get(ambiguous_width) or _memos(ambiguous_width)
        self.kinds: dict[int, str] = {}  # "url" and "atom" tokens; the others are words or CJK
        self.tokens: list[str] = []
        self.spaces: bytes | bytearray = b""
        tokens, spaces = self._tokenize(text, atom_pattern)
        if tokens:
            self._measure(tokens, spaces)

    def _tokenize(self, text: str, atom_pattern: re.Pattern[str] | None) -> tuple[list[str], bytearray]:
        """Every token, and for each whether whitespace is before it."""
        specials = [(start, end, "url") for start, end in _url_spans(text)] if _may_have_url(text) else []
        if atom_pattern is not None:
            specials = sorted(
                specials
                + [
                    (m.start(), m.end(), "atom")
                    for m in atom_pattern.finditer(text)
                    if not any(s <= m.start() < e for s, e, _ in specials)
                ]
            )
        tokens: list[str] = []
        spaces = bytearray()
        cut = _cut_by_tokens if not text.isascii() and _JOINING.search(text) else _cut_by_runs
        if not specials:
            cut(text, 0, len(text), tokens, spaces)
            return tokens, spaces
        position = 0
        for start, end, kind in [*specials, (len(text), len(text), "")]:
            if start < position:
                continue  # an atom inside an atom that matched before it
            cut(text, position, start, tokens, spaces)
            if kind:
                self.kinds[len(tokens)] = kind
                tokens.append(text[start:end])
                spaces.append(start > position and text[start - 1].isspace())
            position = end
        return tokens, spaces

    def _measure(self, tokens: list[str], spaces: bytes | bytearray) -> None:
        """Widths and prefix widths: all that `wrap` asks of a paragraph that fits."""
        self.tokens, self.spaces = tokens, spaces
        self.widths = list(map(self.width.__getitem__, tokens))
        self.ends = list(accumulate(map(add, self.widths, spaces), initial=0))

    def index_gaps(self) -> None:
        """Each gap's level, as a byte per gap for free and for kinsoku gaps.

        The tokens' codes are the bytes of one int, 8 bits a token; shifted by a byte and ORed,
        byte k holds tokens k-1 and k, and ``bytes.translate`` classes every gap at once
        (issue 13: five passes of ``operator.or_`` over lists of bools were a third of the
        breaker's time).
        """
        tokens = self.tokens
        n = len(tokens)
        codes = int.from_bytes(bytes(map(self.code.__getitem__, tokens)), "little")
        codes |= int.from_bytes(self.spaces, "little") * _SPACE
        gaps = (codes << 12 | codes).to_bytes(n + 2, "little")[1:n]  # gap k at index k - 1
        self.is_free = bytearray(gaps.translate(_FREE_GAPS))
        self.is_kinsoku = gaps.translate(_KINSOKU_GAPS)

    @property
    def free(self) -> list[int]:
        """The free gaps, in order."""
        return list(compress(range(1, len(self.tokens)), self.is_free))

    @property
    def kinsoku(self) -> list[int]:
        """The kinsoku gaps, in order."""
        return list(compress(range(1, len(self.tokens)), self.is_kinsoku))

    def levels(self) -> list[int]:
        """The level of each gap (index 0 unused), for the rare paths that need them all."""
        levels = [0] * len(self.tokens)
        for k in self.kinsoku:
            levels[k] = _KINSOKU
        for k in range(1, len(levels)):
            levels[k] = levels[k] or (_FREE if self.is_free[k - 1] else _WORD)
        return levels

    def span_width(self, i: int, j: int) -> int:
        """Width of tokens i..j on one line."""
        return self.ends[j + 1] - self.ends[i] - self.spaces[i]

    def _has_wide_run(self, avail: int) -> bool:
        """Whether a run of tokens between free gaps is wider than *avail* (cheap: most runs
        are one token, and only the glued gaps are walked)."""
        widest = max(self.widths)
        if widest > avail:
            return True
        # A glued run of k gaps spans k + 1 tokens, each at most widest + 1 columns with its
        # space: when no run is longer than one whose bound fits, none needs walking (most
        # paragraphs; the search for that many non-free gaps in a row is C's).
        if bytes(avail // (widest + 1)) not in self.is_free:
            return False
        run_start = previous = -1
        for k in compress(range(1, len(self.tokens)), map(not_, self.is_free)):
            if k != previous + 1:
                run_start = k - 1
            previous = k
            if self.span_width(run_start, k) > avail:
                return True
        return False

    def split_wide_words(self, avail: int) -> None:
        """Cut Latin words into characters where a glued run is wider than a line.

        Only then may a word be broken; doing it here keeps the line filler simple and lets
        it prefer a mid-word break to a kinsoku violation.
        """
        if not self._has_wide_run(avail):
            return
        levels = self.levels()
        wide_tokens: set[int] = set()
        run_start = 0
        for k in range(1, len(levels) + 1):
            if k == len(levels) or levels[k] == _FREE:
                if self.span_width(run_start, k - 1) > avail:
                    wide_tokens.update(range(run_start, k))
                run_start = k
        tokens: list[str] = []
        spaces = bytearray()
        kinds: dict[int, str] = {}
        in_wide: list[bool] = []
        for k, token in enumerate(self.tokens):
            kind = self.kinds.get(k)
            pieces = [token]
            if k in wide_tokens and kind is None and not self.code[token] & _IS_CJK and len(token) > 1:
                pieces = list(_wcwidth().iter_graphemes(token))
            for n, piece in enumerate(pieces):
                if kind:
                    kinds[len(tokens)] = kind
                tokens.append(piece)
                spaces.append(self.spaces[k] if n == 0 else False)
                in_wide.append(k in wide_tokens)
        self.kinds = kinds
        self._measure(tokens, spaces)
        self.index_gaps()
        levels = self.levels()
        for k in range(1, len(levels)):
            if levels[k] == _WORD and in_wide[k - 1] and in_wide[k]:
                self.is_free[k - 1] = True

    def line_end(self, start: int, avail: int) -> int:
        """Index of the first token of the next line: the last, best break that fits."""
        n = len(self.tokens)
        # The last token j such that tokens start..j fit; gaps up to j + 1 may end the line.
        last = bisect_right(self.ends, avail + self.ends[start] + self.spaces[start]) - 2
        if last >= n - 1:
            return n
        reach = last + 1
        # Gap k is byte k - 1: the last free gap in start + 1..reach (none when the first token
        # does not fit: then reach <= start, which rfind would take as counted from the end).
        k = self.is_free.rfind(1, start, reach) + 1 if reach > start else 0
        if k:
            return k
        is_kinsoku = self.is_kinsoku
        k = is_kinsoku.rfind(1, start, reach) + 1 if reach > start else 0
        while k:
            if self._usable(k, avail):
                return k
            k = is_kinsoku.rfind(1, start, k - 1) + 1
        # No break fits: the line starts with a URL wider than the line (perhaps after its
        # opening bracket), which stands alone with the punctuation glued to it. Or the line
        # is narrower than one character, which then stands alone.
        has_url = False
        kinds, is_free = self.kinds, self.is_free
        for k in range(start + 1, n):
            has_url = has_url or kinds.get(k - 1) == "url"
            if is_free[k - 1] or not (has_url or kinds.get(k) == "url"):
                return k
        return n

    def _usable(self, k: int, avail: int) -> bool:
        """Whether the kinsoku gap before token *k* may end a line of *avail* columns.

        Brackets glued to a URL wider than the line stay with it: the line overflows anyway,
        so breaking the kinsoku rule there would gain nothing.
        """
        return not any(self.kinds.get(t) == "url" and self.widths[t] > avail for t in (k - 1, k))


def _cut_by_runs(text: str, start: int, end: int, tokens: list[str], spaces: bytearray) -> None:
    """Add the tokens of text[start:end] (no joining marks in it) and their spaces: a CJK run
    is a token a character, anything else one token a run (English: what str.split finds)."""
    if _cut_ascii(text, start, end, tokens, spaces):
        return
    for space, cjk, other in _RUN.findall(text, start, end):
        if cjk:
            tokens += cjk
            spaces.append(bool(space))
            spaces += bytes(len(cjk) - 1)
        else:
            tokens.append(other)
            spaces.append(bool(space))


def _cut_ascii(text: str, start: int, end: int, tokens: list[str], spaces: bytearray) -> bool:
    """Cut text[start:end] by str.split if it is ASCII (no CJK, and \\s is isspace); whether it was."""
    segment = text[start:end]
    if not segment.isascii():
        return False
    words = segment.split()
    if words:
        tokens += words
        spaces.append(segment[0].isspace())
        spaces += b"\x01" * (len(words) - 1)
    return True


def _cut_by_tokens(text: str, start: int, end: int, tokens: list[str], spaces: bytearray) -> None:
    """`_cut_by_runs` for text with joining marks: a CJK character takes the marks after it."""
    if _cut_ascii(text, start, end, tokens, spaces):
        return
    pairs = _token_pattern().findall(text, start, end)
    if pairs:
        space_text, found = zip(*pairs)
        tokens += found
        spaces += bytes(map(bool, space_text))


def _may_have_url(text: str) -> bool:
    """Whether `URL_PATTERN` could match: each of its schemes needs one of these (English
    text nearly always has a "w", the test this replaced)."""
    return "://" in text or "www." in text or "mailto:" in text


def _url_spans(text: str) -> list[tuple[int, int]]:
    """Where the URLs are, without the sentence punctuation or unbalanced bracket after them."""
    spans = []
    for match in URL_PATTERN.finditer(text):
        url = match.group()
        while url:
            last = url[-1]
            if last in _URL_TRAILING:
                url = url[:-1]
            elif last in _URL_BRACKETS and url.count(last) > url.count(_URL_BRACKETS[last]):
                url = url[:-1]
            else:
                break
        if len(url) > len(match.group("scheme")):
            spans.append((match.start(), match.start() + len(url)))
    return spans
