"""The line breaker as it was before issue 13 made it fast: one token at a time.

Kept only as the reference that tests/test_wrapping.py compares the fast one with, on
random text; it is not part of the package.

Line breaking by display width, with Japanese kinsoku shori.

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
punctuation glued to it, and is the only thing allowed to exceed the width.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

import wcwidth

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
_TOKEN = re.compile(rf"(?P<space>\s+)|(?P<cjk>[{_CJK}](?:[{_EXTEND}]|\u200d\S)*)|(?P<word>[^\s{_CJK}]+)")
# URLs are matched before tokenising so that they stay whole. ASCII only, so Japanese
# text right after a URL is not swallowed; trailing punctuation is trimmed below.
URL_PATTERN = re.compile(r"(?P<scheme>https?://|mailto:|www\.)[!#-;=?-~]+")
_URL_TRAILING = ".,:;!?'*"
_URL_BRACKETS = {")": "(", "]": "[", "}": "{"}

_KINSOKU, _WORD, _FREE = 1, 2, 3


class _Token(NamedTuple):
    text: str
    width: int
    kind: str  # "cjk", "word" or "url"


def display_width(text: str, *, ambiguous_width: int = 1) -> int:
    """Columns *text* takes in a fixed-width font: 2 for full-width characters.

    Control characters count 0 (``control_codes="ignore"``) so that widths add up token
    by token; ``ambiguous_width=2`` is for Japanese, Chinese and Korean issues (※ ○ ■ …).
    """
    return wcwidth.width(text, control_codes="ignore", ambiguous_width=ambiguous_width)


_token_width = lru_cache(maxsize=65536)(display_width)


def wrap(
    text: str,
    width: int,
    *,
    ambiguous_width: int = 1,
    initial_indent: str = "",
    subsequent_indent: str = "",
) -> list[str]:
    """Break one paragraph into lines of at most *width* display columns, indents included.

    Whitespace runs are single break points and are dropped at line ends. Returns ``[]``
    for blank input, like ``textwrap.wrap``.
    """
    first = width - display_width(initial_indent, ambiguous_width=ambiguous_width)
    rest = width - display_width(subsequent_indent, ambiguous_width=ambiguous_width)
    tokens, spaces = _tokenize(text, ambiguous_width)
    levels = _break_levels(tokens, spaces)
    tokens, spaces, levels = _split_wide_words(tokens, spaces, levels, min(first, rest), ambiguous_width)
    lines: list[str] = []
    start = 0
    while start < len(tokens):
        avail = first if not lines else rest
        end = _line_end(tokens, spaces, levels, start, avail)
        body = "".join((" " if spaces[k] and k > start else "") + tokens[k].text for k in range(start, end))
        lines.append((initial_indent if not lines else subsequent_indent) + body)
        start = end
    return lines


def _tokenize(text: str, ambiguous_width: int) -> tuple[list[_Token], list[bool]]:
    """Tokens, and for each one whether whitespace came before it."""
    tokens: list[_Token] = []
    spaces: list[bool] = []
    pending_space = False
    position = 0
    for start, end in [*_url_spans(text), (len(text), len(text))]:
        for match in _TOKEN.finditer(text, position, start):
            if match.lastgroup == "space":
                pending_space = True
                continue
            piece = match.group()
            width = _token_width(piece, ambiguous_width=ambiguous_width)
            tokens.append(_Token(piece, width, match.lastgroup))
            spaces.append(pending_space)
            pending_space = False
        if start < end:
            url = text[start:end]
            tokens.append(_Token(url, display_width(url, ambiguous_width=ambiguous_width), "url"))
            spaces.append(pending_space)
            pending_space = False
        position = end
    return tokens, spaces


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


def _break_levels(tokens: list[_Token], spaces: list[bool]) -> list[int]:
    """How good a break before each token is (index 0 unused)."""
    levels = [0] * len(tokens)
    for k in range(1, len(tokens)):
        levels[k] = _gap_level(tokens[k - 1], tokens[k], spaces[k])
    return levels


def _gap_level(before: _Token, after: _Token, space: bool) -> int:
    # A CJK token may end in combining marks; its bracket is its first character.
    last = before.text[0] if before.kind == "cjk" else before.text[-1]
    if after.text[0] in LINE_START_PROHIBITED or last in LINE_END_PROHIBITED:
        return _KINSOKU
    if space or before.kind == "cjk" or after.kind == "cjk":
        return _FREE
    return _WORD


def _split_wide_words(
    tokens: list[_Token], spaces: list[bool], levels: list[int], avail: int, ambiguous_width: int
) -> tuple[list[_Token], list[bool], list[int]]:
    """Cut Latin words into characters where a glued run is wider than a line.

    Only then may a word be broken; doing it here keeps the line filler simple and lets
    it prefer a mid-word break to a kinsoku violation.
    """
    wide = _wide_runs(tokens, spaces, levels, avail)
    if not wide:
        return tokens, spaces, levels
    new_tokens: list[_Token] = []
    new_spaces: list[bool] = []
    new_wide: list[bool] = []
    for k, token in enumerate(tokens):
        pieces = [token.text]
        if k in wide and token.kind == "word" and len(token.text) > 1:
            pieces = list(wcwidth.iter_graphemes(token.text))
        for n, piece in enumerate(pieces):
            width = token.width if len(pieces) == 1 else _token_width(piece, ambiguous_width=ambiguous_width)
            new_tokens.append(_Token(piece, width, token.kind))
            new_spaces.append(spaces[k] if n == 0 else False)
            new_wide.append(k in wide)
    new_levels = _break_levels(new_tokens, new_spaces)
    for k in range(1, len(new_levels)):
        if new_levels[k] == _WORD and new_wide[k - 1] and new_wide[k]:
            new_levels[k] = _FREE
    return new_tokens, new_spaces, new_levels


def _wide_runs(tokens: list[_Token], spaces: list[bool], levels: list[int], avail: int) -> set[int]:
    """Indexes of tokens in runs between free breaks that are wider than *avail*."""
    wide: set[int] = set()
    run_start, run_width = 0, 0
    for k in range(len(tokens) + 1):
        if k == len(tokens) or (k and levels[k] == _FREE):
            if run_width > avail:
                wide.update(range(run_start, k))
            run_start, run_width = k, 0
        if k < len(tokens):
            run_width += tokens[k].width + (1 if spaces[k] and k > run_start else 0)
    return wide


def _line_end(tokens: list[_Token], spaces: list[bool], levels: list[int], start: int, avail: int) -> int:
    """Index of the first token of the next line: the last, best break that fits."""
    best = [0, 0, 0, 0]  # last usable gap at each level
    used = tokens[start].width
    for k in range(start + 1, len(tokens)):
        if used > avail:
            break
        if _usable(tokens, levels, k, avail):
            best[levels[k]] = k
        used += tokens[k].width + int(spaces[k])
    else:
        if used <= avail:
            return len(tokens)
    for level in (_FREE, _KINSOKU):
        if best[level]:
            return best[level]
    # No break fits: the line starts with a URL wider than the line (perhaps after its
    # opening bracket), which stands alone with the punctuation glued to it. Or the line
    # is narrower than one character, which then stands alone.
    has_url = False
    for k in range(start + 1, len(tokens)):
        has_url = has_url or tokens[k - 1].kind == "url"
        if levels[k] == _FREE or not (has_url or tokens[k].kind == "url"):
            return k
    return len(tokens)


def _usable(tokens: list[_Token], levels: list[int], k: int, avail: int) -> bool:
    """Whether the gap before token *k* may end a line of *avail* columns.

    Brackets glued to a URL wider than the line stay with it: the line overflows anyway,
    so breaking the kinsoku rule there would gain nothing.
    """
    if levels[k] != _KINSOKU:
        return True
    return not any(t.kind == "url" and t.width > avail for t in (tokens[k - 1], tokens[k]))
