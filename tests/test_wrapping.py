from __future__ import annotations

import re

import pytest
import wcwidth
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit import wrapping
from toolkit.wrapping import LINE_END_PROHIBITED, LINE_START_PROHIBITED, display_width, wrap

URL = re.compile(r"(?:https?://|mailto:|www\.)\S+")
URL_AT_END = re.compile(r"(?:https?://|mailto:|www\.)\S+$")
KANA = "あいうえおかきくけこさしすせそ"


# --- display width -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "ambiguous", "expected"),
    [
        ("abc", 1, 3),
        ("日本語", 1, 6),
        ("ｱｲｳ", 1, 3),  # half-width katakana
        ("※○■…", 1, 4),
        ("※○■…", 2, 8),
        ("a\x07b", 1, 2),  # control characters count 0
        ("", 1, 0),
    ],
)
def test_display_width(text: str, ambiguous: int, expected: int) -> None:
    assert display_width(text, ambiguous_width=ambiguous) == expected


def _wcwidth(text: str, ambiguous: int) -> int:
    return wcwidth.width(text, control_codes="ignore", ambiguous_width=ambiguous)


MEASURED = "".join(chr(code) for start, end, _ in wrapping._MEASURED for code in range(start, end + 1))


def test_the_characters_measured_without_wcwidth_are_measured_as_wcwidth_does() -> None:
    # Issue 13: these are measured without importing wcwidth; each must take the columns it
    # says (so an upgrade of wcwidth that changes one fails here, not in a reader's text).
    ranges = wrapping._MEASURED
    assert all(a_end < b_start for (_, a_end, _), (b_start, _, _) in zip(ranges, ranges[1:])), "overlapping ranges"
    for ambiguous in (1, 2):
        wrong = [hex(ord(c)) for c in MEASURED if display_width(c, ambiguous_width=ambiguous) != _wcwidth(c, ambiguous)]
        assert not wrong, (ambiguous, wrong[:20])
    # ... and none joins a neighbour into one cluster, so a text's width is the sum of its characters'
    assert len(list(wcwidth.iter_graphemes(MEASURED))) == len(MEASURED)
    assert display_width(MEASURED, ambiguous_width=2) == _wcwidth(MEASURED, 2)


def test_a_token_is_cjk_where_the_tokeniser_takes_its_first_character_for_cjk() -> None:
    cjk = re.compile(f"[{wrapping._CJK}]")
    wrong = [hex(code) for code in range(0x40000) if wrapping._is_cjk(chr(code)) != bool(cjk.match(chr(code)))]
    assert not wrong, wrong[:20]


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(
        st.one_of(st.sampled_from(MEASURED), st.characters(min_codepoint=0x20, max_codepoint=0x7E), st.characters()),
        max_size=30,
    ),
    ambiguous=st.sampled_from([1, 2]),
)
def test_display_width_is_wcwidths_for_any_text(text: str, ambiguous: int) -> None:
    assert display_width(text, ambiguous_width=ambiguous) == _wcwidth(text, ambiguous)


# --- examples --------------------------------------------------------------------------


def test_english_breaks_at_spaces() -> None:
    assert wrap("The quick brown fox jumps over the lazy dog.", 15) == [
        "The quick brown",
        "fox jumps over",
        "the lazy dog.",
    ]


def test_whitespace_runs_are_one_space() -> None:
    assert wrap("  a   b\n\tc  ", 10) == ["a b c"]


def test_blank_input_gives_no_lines() -> None:
    assert wrap("", 10) == []
    assert wrap(" \n ", 10) == []


def test_japanese_at_width_70_is_35_characters_a_line() -> None:
    text = "ア" * 80
    assert wrap(text, 70) == ["ア" * 35, "ア" * 35, "ア" * 10]


def test_latin_and_cjk_may_break_between_each_other() -> None:
    assert wrap("日本語とEnglishの混在", 12) == ["日本語と", "Englishの混", "在"]


def test_full_stop_pushes_the_character_before_it_down() -> None:
    # Without kinsoku the second line would start with 。
    assert wrap("あいうえお。かきく", 10) == ["あいうえ", "お。かきく"]


def test_closing_bracket_pushes_the_character_before_it_down() -> None:
    assert wrap("あいうえお」かき", 10) == ["あいうえ", "お」かき"]


def test_prohibited_characters_chain() -> None:
    assert wrap("あいうえお」。かき", 10) == ["あいうえ", "お」。かき"]
    assert wrap("あいうえお……かき", 10) == ["あいうえ", "お……かき"]


def test_small_kana_and_long_vowel_do_not_start_a_line() -> None:
    assert wrap("あいうえカッ", 10) == ["あいうえ", "カッ"]
    assert wrap("あいうえカー", 10) == ["あいうえ", "カー"]


def test_opening_bracket_is_carried_down() -> None:
    # "あいうえ「" fits in 10 columns but may not end a line.
    assert wrap("あいうえ「おか」", 10) == ["あいうえ", "「おか」"]


def test_ascii_punctuation_follows_kinsoku_too() -> None:
    assert wrap("Hello, world (this is a test).", 12) == ["Hello, world", "(this is a", "test)."]


def test_long_url_stands_alone_unbroken() -> None:
    url = "https://example.com/" + "a" * 30
    assert wrap(f"see {url} and more", 20) == ["see", url, "and more"]


def test_long_url_keeps_its_glued_punctuation() -> None:
    url = "https://example.com/" + "a" * 30
    assert wrap(f"see {url}. Then", 20) == ["see", url + ".", "Then"]
    assert wrap(f"詳細は（{url}）。次へ", 20) == ["詳細は", f"（{url}）。", "次へ"]


def test_url_that_fits_is_not_glued_past_the_width() -> None:
    url = "https://example.com/abcdefghij"  # exactly 30 columns
    assert wrap(f"ああ（{url}）", 30) == ["ああ", "（", url, "）"]
    # Sentence punctuation and an unbalanced bracket are not part of the URL.
    assert wrap(f"({url}).", 30) == ["(", url, ")."]


def test_long_latin_word_is_broken_by_characters() -> None:
    assert wrap("abcdefghijklmnopqrstuvwxyz end", 10) == ["abcdefghij", "klmnopqrst", "uvwxyz end"]


def test_line_is_filled_before_a_long_word_is_broken() -> None:
    assert wrap("see supercalifragilistic", 10) == ["see superc", "alifragili", "stic"]


def test_word_and_url_without_a_space_part_only_when_needed() -> None:
    assert wrap("abc def:https://example.com/xyz", 20) == ["abc def:", "https://example.com/xyz"]
    assert wrap("abc def:https://example.com/xyz", 30) == ["abc", "def:https://example.com/xyz"]


def test_breaking_a_word_is_preferred_to_breaking_kinsoku() -> None:
    assert wrap("「abcdefgh」。", 10) == ["「abcdefg", "h」。"]
    assert wrap("abcdefgh !", 9) == ["abcdefg", "h !"]  # the space counts too


def test_ambiguous_width_two_counts_symbols_as_full_width() -> None:
    assert wrap("※※※※※※", 6, ambiguous_width=2) == ["※※※", "※※※"]
    assert wrap("※※※※※※", 6) == ["※※※※※※"]


def test_indents_count_towards_the_width() -> None:
    assert wrap("aaa bbb ccc", 7, initial_indent="- ", subsequent_indent="  ") == [
        "- aaa",
        "  bbb",
        "  ccc",
    ]
    assert wrap("あいうえおかき", 10, initial_indent="■ ", subsequent_indent="  ") == [
        "■ あいうえ",
        "  おかき",
    ]


def test_atoms_move_to_the_next_line_whole() -> None:
    text = "あ" * 32 + "[訂正前] 猫"
    assert wrap(text, 70, ambiguous_width=2) == ["あ" * 32 + "[訂正", "前] 猫"]  # issue 14
    assert wrap(text, 70, ambiguous_width=2, atoms=["[訂正前]"]) == ["あ" * 32, "[訂正前] 猫"]


def test_atoms_stay_whole_even_where_a_long_word_is_cut() -> None:
    assert wrap("abcdefg*12hij", 8) == ["abcdefg*", "12hij"]
    assert wrap("abcdefg*12hij", 8, atoms=["*12"]) == ["abcdefg", "*12hij"]


# --- properties ------------------------------------------------------------------------

OPENING = "「『（【"
CLOSING = ["。", "、", "」", "』", "）", "」。", "…", "！"]


# Kana come as syllables (か, きゃ, こー) so that a run of small kana or prolonged sound
# marks, which no rule could break, stays short.
def _syllables(bases: str, marks: str) -> st.SearchStrategy[str]:
    syllable = st.builds(lambda base, mark: base + mark, st.sampled_from(bases), st.sampled_from(["", "", *marks]))
    return st.lists(syllable, min_size=1, max_size=6).map("".join)


hiragana = _syllables("あいうえおかきくけこのは", "っゃー")
katakana = _syllables("アイウエオカキクケコ", "ッャー")
kanji = st.text(alphabet="日本語漢字文章東京都新聞", min_size=1, max_size=6)
ascii_word = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABC", min_size=1, max_size=14)
url = st.builds(
    lambda scheme, path: scheme + "example.com/" + path,
    st.sampled_from(["https://", "http://", "www."]),
    st.text(alphabet="abcdefghij0123456789/-_", max_size=60),
)
content = st.one_of(hiragana, kanji, katakana, ascii_word, url)
# A unit never starts with a closing mark nor ends with an opening one, and glued runs stay
# narrower than 10 columns, so every kinsoku violation in the output is the wrapper's doing.
unit = st.builds(
    lambda opening, body, closing: opening + body + closing,
    st.sampled_from(["", "", ""] + list(OPENING)),
    content,
    st.sampled_from(["", "", "", ""] + CLOSING),
)
paragraph = st.lists(st.tuples(unit, st.sampled_from(["", " ", " ", "  ", "\u3000"])), max_size=40).map(
    lambda parts: "".join(text + sep for text, sep in parts)
)


def _url_alone(line: str, avail: int) -> bool:
    """A line over the width must be one URL wider than the line, with the brackets and
    punctuation glued to it (even across a space: "https://example.jp/ 。" is common)."""
    core = line.lstrip("".join(LINE_END_PROHIBITED)).rstrip("".join(LINE_START_PROHIBITED) + " ")
    return bool(URL.fullmatch(core)) and display_width(core) > avail


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(text=paragraph, width=st.integers(10, 80), ambiguous=st.sampled_from([1, 2]))
def test_wrap_invariants(text: str, width: int, ambiguous: int) -> None:
    lines = wrap(text, width, ambiguous_width=ambiguous)
    for line in lines:
        assert line and line == line.strip()
        assert display_width(line, ambiguous_width=ambiguous) <= width or _url_alone(line, width), line
    for before, after in zip(lines, lines[1:]):
        # The one permitted exception: a URL that fits only without its brackets.
        assert after[0] not in LINE_START_PROHIBITED or URL_AT_END.search(before), (before, after)
        assert before[-1] not in LINE_END_PROHIBITED or URL.match(after), (before, after)
    assert re.sub(r"\s", "", "".join(lines)) == re.sub(r"\s", "", text)


@settings(max_examples=100, deadline=None)
@given(text=st.lists(st.one_of(hiragana, kanji, katakana), max_size=30).map("".join), width=st.integers(10, 80))
def test_cjk_only_text_is_kept_exactly(text: str, width: int) -> None:
    lines = wrap(text, width)
    assert "".join(lines) == text
    assert all(display_width(line) <= width for line in lines)
    # Greedy: a line is only short when the next one could not have given it a character.
    for line, following in zip(lines, lines[1:]):
        moved_up = line + following[0]
        assert display_width(moved_up) > width or following[1:2] in LINE_START_PROHIBITED, (line, following)


@settings(max_examples=100, deadline=None)
@given(text=paragraph, width=st.integers(12, 60))
def test_indents_are_counted(text: str, width: int) -> None:
    lines = wrap(text, width, initial_indent="■ ", subsequent_indent="  ", ambiguous_width=2)
    for n, line in enumerate(lines):
        indent = "■ " if n == 0 else "  "
        assert line.startswith(indent)
        avail = width - display_width(indent, ambiguous_width=2)
        assert display_width(line, ambiguous_width=2) <= width or _url_alone(line[len(indent) :], avail)


# --- the fast breaker against the one it replaced (issue 13) --------------------------------

import wrapping_reference  # noqa: E402  (tests/ is on sys.path, as conftest is)

# Every class the tokenizer tells apart, and the characters at its edges: ideographic and
# other Unicode spaces, combining and voiced-sound marks, variation selectors, skin tones,
# zero-width joiners, emoji, half-width katakana, ambiguous-width symbols, brackets of both
# widths, ASCII punctuation that kinsoku knows, and URLs with their trimmed tails.
any_piece = st.one_of(
    hiragana,
    kanji,
    katakana,
    ascii_word,
    url,
    st.text(alphabet="あ漢ア ｱｰ\u3000\u3099\u0301\ufe0f\u200d👍🏻※○「」（）()[].,!?。、ー…-:/", max_size=8),
    st.sampled_from(
        [
            "https://example.com/a(b)",
            "(https://x.jp/).",
            "www.a.b,",
            "mailto:a@b.c;",
            "https://",
            "\xa0",
            "\t",
            "\n",
            "  ",
            "supercalifragilisticexpialidocious",
            "[1]",
            "*2",
        ]
    ),
)
any_text = st.lists(st.tuples(any_piece, st.sampled_from(["", "", " ", "\u3000", "\n"])), max_size=30).map(
    lambda parts: "".join(text + sep for text, sep in parts)
)
# English alone takes a shortcut (str.split), so it gets its own share of examples.
ascii_text = st.lists(
    st.one_of(ascii_word, url, st.sampled_from(["(a)", "b.", "[1]", " ", "\t\n", "x" * 45])), max_size=30
).map(" ".join)


@settings(max_examples=600, deadline=None)
@given(
    text=st.one_of(any_text, ascii_text),
    width=st.integers(1, 40),
    ambiguous=st.sampled_from([1, 2]),
    indents=st.sampled_from([("", ""), ("- ", "  "), ("■ ", "  "), ("", "    "), ("> > > ", "")]),
)
def test_fast_breaker_gives_the_same_lines_as_the_one_it_replaced(text, width, ambiguous, indents):
    first, rest = indents
    options = {"ambiguous_width": ambiguous, "initial_indent": first, "subsequent_indent": rest}
    assert wrap(text, width, **options) == wrapping_reference.wrap(text, width, **options)


def _gaps_as_lists(line: object) -> tuple[list[bool], list[int], list[int]]:
    """is_free, free and kinsoku as `_Line.index_gaps` computed them before issue 13 packed
    the tokens' classes into bytes: one list of bools per class, combined gap by gap."""
    tokens, spaces = line.tokens, line.spaces  # type: ignore[attr-defined]
    _, no_start, no_end, cjk = zip(*map(line.info.__getitem__, tokens))  # type: ignore[attr-defined]
    n = len(tokens)
    kinsoku = [no_start[k] or no_end[k - 1] for k in range(1, n)]
    loose = [spaces[k] or cjk[k] or cjk[k - 1] for k in range(1, n)]
    is_free = [a and not b for a, b in zip(loose, kinsoku)]
    return is_free, [k for k in range(1, n) if is_free[k - 1]], [k for k in range(1, n) if kinsoku[k - 1]]


@settings(max_examples=200, deadline=None)
@given(text=st.one_of(any_text, ascii_text), ambiguous=st.sampled_from([1, 2]))
def test_gap_bytes_class_every_gap_as_the_lists_of_bools_did(text: str, ambiguous: int) -> None:
    from toolkit.wrapping import _atom_pattern, _Line

    line = _Line(text, ambiguous, _atom_pattern(frozenset({"[1]", "*2", "[訂正前]"})))
    if not line.tokens:
        return
    line.index_gaps()
    assert ([bool(b) for b in line.is_free], line.free, line.kinsoku) == _gaps_as_lists(line)


# --- the shortcuts against the general path (issue 13) --------------------------------------

# Text of every kind `wrap` takes a shortcut for or refuses one to: measured characters (kana,
# kanji, full-width and ambiguous marks), characters wcwidth measures (Hangul, accents, emoji,
# joined emoji), control characters, kinsoku marks, URLs, atoms and long words.
shortcut_piece = st.one_of(
    any_piece,
    st.text(alphabet="※○■…—→①§あ漢アｱ。「」（）a1.( ", min_size=1, max_size=8),  # measured, ambiguous among them
    st.sampled_from(
        [
            "[1]",
            "*2",
            "[訂正前]",
            "（[1]）",
            "。",
            "」",
            "「",
            "é",
            "e\u0301",
            "한국어",
            "👍",
            "👨\u200d👩",
            "\x07",
            "※注",
            "ｱｲｳ",
        ]
    ),
)
shortcut_text = st.lists(
    st.tuples(shortcut_piece, st.sampled_from(["", "", " ", "\u3000", "\n", "\t"])), max_size=12
).map(lambda parts: "".join(text + sep for text, sep in parts))


@settings(max_examples=400, deadline=None)
@given(
    text=st.one_of(shortcut_text, ascii_text),
    slack=st.integers(-3, 3),
    ambiguous=st.sampled_from([1, 2]),
    indents=st.sampled_from([("", ""), ("- ", "  "), ("■ ", "   "), ("　", "")]),
)
def test_a_paragraph_is_kept_on_one_line_only_where_its_tokens_fit(text, slack, ambiguous, indents):
    # `wrap` measures a paragraph by its characters before it cuts it into tokens; the lines
    # must be those of the tokens' path alone, atoms and all. The width is within a few
    # columns of the paragraph's, where the two could differ.
    first, rest = indents
    joined = " ".join(text.split())
    width = max(1, display_width(first + joined, ambiguous_width=ambiguous) + slack)
    atoms = frozenset({"[1]", "*2", "[訂正前]"})
    avail = [width - display_width(indent, ambiguous_width=ambiguous) for indent in indents]
    general = wrapping._wrap_tokens(text, *avail, ambiguous, first, rest, atoms)
    assert (
        wrap(text, width, ambiguous_width=ambiguous, initial_indent=first, subsequent_indent=rest, atoms=atoms)
        == general
    )


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(shortcut_text, any_text, ascii_text))
def test_runs_are_cut_into_the_tokens_the_per_token_pattern_finds(text: str) -> None:
    pairs = wrapping._token_pattern().findall(text)
    expected = ([token for _, token in pairs], bytes(bool(space) for space, _ in pairs))
    for cut in (wrapping._cut_by_runs, wrapping._cut_by_tokens):
        if cut is wrapping._cut_by_runs and wrapping._JOINING.search(text):
            continue  # marks that join characters are the other cut's
        tokens: list[str] = []
        spaces = bytearray()
        cut(text, 0, len(text), tokens, spaces)
        assert (tokens, bytes(spaces)) == expected
