"""line.txt and post.txt (issue 12, item 4): counted as LINE and X count, cut only where allowed."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.social import ELLIPSIS, fit, line_length, post_length, shorten

from conftest import make_publication, write_issue

# twitter/twitter-text config/v3.json, written out here so the counter is checked against the
# published ranges, not against itself: weight 100 in these code point ranges, 200 elsewhere,
# scale 100, every URL 23.
V3_RANGES = [(0, 4351), (8192, 8205), (8208, 8223), (8242, 8247)]


def v3_weight(text: str) -> int:
    """twitter-text's weighted length of *text*, for text without URLs or emoji."""
    total = sum(100 if any(a <= ord(c) <= b for a, b in V3_RANGES) else 200 for c in unicodedata.normalize("NFC", text))
    return total // 100


# Letters and punctuation from both sides of every range edge, none of which twitter-text reads
# as an emoji or a URL (no "." or ":", so no domain either).
PLAIN = st.text(
    st.sampled_from(
        list("abcXYZ019 -,!?\n")
        + ["é", "ß", "\u10ff", "\u1100", "\u2000", "\u200d", "\u200e", "\u2010", "\u201f"]
        + [
            "\u2020",
            "\u2032",
            "\u2037",
            "\u2038",
            "あ",
            "ア",
            "日",
            "本",
            "。",
            "、",
            "「",
            "」",
            "ｶ",
            "한",
            "\U00020bb7",
        ]
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(PLAIN)
def test_the_weighted_count_follows_twitter_texts_v3_ranges(text):
    assert post_length(text) == v3_weight(text)


URLS = st.builds(
    lambda host, path: f"https://{host}.example.jp/{path}",
    st.text("abcdefghij", min_size=1, max_size=12),
    st.text("abcxyz0123-_/", max_size=60),
)


@settings(max_examples=100, deadline=None)
@given(st.text("あいう日本語abc ", max_size=30), URLS)
def test_a_url_counts_23_however_long_and_cjk_counts_2(words, url):
    assert post_length(f"{words} {url}") == v3_weight(words) + 1 + 23
    assert post_length("日本語") == 6 and post_length("abc") == 3


# RGI emoji sequences of every shape twitter-text's emoji parsing counts as one (weight 200):
# a pictograph, one with VS16, a skin tone, ZWJ families and professions, a flag, a keycap, a
# subdivision flag with tags.
EMOJI = [
    "😷",
    "❤️",
    "👍🏽",
    "👨‍👩‍👧",
    "👩🏾‍🚀",
    "🇯🇵",
    "1️⃣",
    "#️⃣",
    "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f",
]
NO_ZWJ = st.text(st.sampled_from(list("abc 019,!?\n") + ["é", "あ", "日", "。", "\u2010", "\u2038"]), max_size=20)


@settings(max_examples=200, deadline=None)
@given(NO_ZWJ, st.sampled_from(EMOJI), NO_ZWJ)
def test_an_emoji_sequence_weighs_2_however_many_code_points_it_has(before, emoji, after):
    assert post_length(f"{before} {emoji} {after}") == v3_weight(f"{before}  {after}") + 2


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("see example.com/x.", 4 + 23 + 1),  # a bare domain is a URL to X; the full stop is not in it
        ("「https://a.jp/です」", 2 + 23 + 4 + 2),  # the URL ends where its ASCII characters do
        ("日本語のexample.com", 8 + 23),
        ("https://お店.jp/です", 23 + 4),  # an international host is part of the URL
        ("see https://a.jp.", 4 + 23 + 1),
        ("メール@example.com", 6 + 12),  # an address is not a URL
        ("v1.2 e.g. this", 14),
        ("a\r\nb", 3),  # a line ending counts once
    ],
)
def test_urls_are_found_where_twitter_text_finds_them(text, count):
    assert post_length(text) == count


def test_line_counts_utf16_units_as_its_docs_say():
    # LINE Developers, "Counting the number of characters in a text": 🍎 is two characters.
    assert line_length("🍎") == 2 and line_length("日本") == 2 and line_length("\U00020bb7") == 2


URL_RE = re.compile(r"https?://\S+")
TEXTS = st.lists(st.one_of(PLAIN, URLS), max_size=6).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(TEXTS, st.integers(min_value=0, max_value=200), st.sampled_from([line_length, post_length]))
def test_shorten_never_goes_over_and_never_cuts_a_url(text, budget, measure):
    out = shorten(text, budget, measure)
    assert measure(out) <= budget or out == text and measure(text) <= budget
    if out != text:
        assert out == "" or out.endswith(ELLIPSIS)
        head = out.removesuffix(ELLIPSIS).rstrip()
        assert text.startswith(head)
    full = set(URL_RE.findall(text))
    for url in URL_RE.findall(out):
        assert url in full, (url, out)


@settings(max_examples=100, deadline=None)
@given(PLAIN, URLS, st.integers(min_value=40, max_value=300))
def test_fit_cuts_the_summary_never_the_title_or_the_url(summary, url, limit):
    text = fit([("Title", None), (summary, 1), (url, None)], limit, post_length, "\n")
    assert text.startswith("Title\n") and text.endswith("\n" + url)
    if post_length(f"Title\n{url}") + 2 <= limit:
        assert post_length(text) <= limit


def test_a_japanese_summary_is_cut_at_a_grapheme_with_an_ellipsis():
    text = "家族👨‍👩‍👧で" * 40
    out = shorten(text, 50, line_length)
    assert out.endswith(ELLIPSIS) and line_length(out) <= 50
    assert "\u200d" + ELLIPSIS not in out and not out.removesuffix(ELLIPSIS).endswith("\u200d")


def test_english_is_cut_at_a_word():
    out = shorten("The quick brown fox jumps over the lazy dog " * 3, 30, post_length)
    assert out == "The quick brown fox jumps…"


# --- the build -----------------------------------------------------------------------------


@pytest.fixture
def sample(sample_publication, monkeypatch):
    monkeypatch.chdir(sample_publication)
    return sample_publication


def texts(site: Path) -> dict[str, str]:
    return {
        str(p.relative_to(site)): p.read_text(encoding="utf-8")
        for p in sorted(site.rglob("*.txt"))
        if p.name in ("line.txt", "post.txt")
    }


def test_every_line_and_post_of_the_sample_is_within_its_limit(sample, run):
    result = run("build", "--drafts")
    assert result.exit_code == 0, result.output
    found = texts(sample / "site")
    slug = "2018-07-13-line-privacy"
    notices = [p.name for p in (sample / "site" / slug / "corrections").iterdir()]
    assert len(notices) == 4  # every record but a minor one has a notice, and each its texts
    expected = {f"{s}/{n}" for s in (slug, "pre-send-checklist") for n in ("line.txt", "post.txt")}
    expected |= {f"{slug}/corrections/{i}/{n}" for i in notices for n in ("line.txt", "post.txt")}
    assert set(found) == expected
    for name, text in found.items():
        if name.endswith("line.txt"):
            assert len(text.encode("utf-16-le")) // 2 <= 500, name  # as LINE counts: UTF-16 units
        else:
            assert post_length(text) <= 280, name
        assert not re.search(r"\*\*|\]\(|<[a-z]", text), name  # no Markdown, no HTML
        assert text.split("\n")[-1].startswith("https://letter.example.jp/"), name
    issue = found[f"{slug}/line.txt"]
    assert issue.startswith("【訂正追記有り】LINEのトーク内容が自動で収集される？")
    assert issue.endswith("\n\nhttps://letter.example.jp/2018-07-13-line-privacy/web.html")
    # the seed's correction: its label first, then what was wrong and what is right
    correction = next(t for n, t in found.items() if "/corrections/" in n and t.startswith("【訂正】"))
    assert "2018年7月13日にお送りした号で「LINE@は公式アカウントとは別のサービスなので" in correction
    assert "正しくは「LINE社の説明では「公式アカウント」にLINE@も含まれるため" in correction
    result = run("check", "--format", "json")
    assert not [f for f in json.loads(result.stdout)["findings"] if f["rule"] == "social-length"]


def test_a_notice_of_an_english_issue_says_what_was_wrong_in_one_sentence(pub_sent, run):
    result = run(
        "correct",
        "hello",
        "--kind",
        "correction",
        "--replaces",
        "*text*",
        "--with",
        "**words**",
        "--note",
        "We had the [wrong word](https://example.com/w).",
        "--date",
        "2026-01-06 10:00",
    )
    assert result.exit_code == 0, result.output
    assert run("build").exit_code == 0
    folder = next((pub_sent / "build" / "hello" / "corrections").iterdir())
    line = (folder / "line.txt").read_text(encoding="utf-8")
    assert line == (
        "Correction: Hello\n\n"
        "In the issue sent on January 5, 2026 we wrote “text”; it should have read “words”.\n\n"
        "We had the wrong word.\n\n"
        f"https://news.example.com/hello/web.html#correction-{folder.name}"
    )
    post = (folder / "post.txt").read_text(encoding="utf-8")
    assert post.startswith("Correction: Hello\nIn the issue sent on January 5, 2026 we wrote “text”")


@pytest.fixture
def pub_sent(publication, monkeypatch, run):
    monkeypatch.chdir(publication)
    assert run("publish", "hello", "--date", "2026-01-05 09:00").exit_code == 0
    return publication


def test_line_max_chars_is_kept_and_capped_at_lines_limit(tmp_path, run, monkeypatch):
    root = make_publication(tmp_path / "pub")
    monkeypatch.chdir(root)
    write_issue(
        root, "long", raw=f"---\ntitle: Long\ndate: 2026-01-05\nstatus: draft\nsummary: {'word ' * 200}\n---\n\nBody.\n"
    )
    with (root / "notice.toml").open("a", encoding="utf-8") as config:
        config.write("\n[line]\nmax_chars = 120\n")
    assert run("build", "--drafts").exit_code == 0
    line = (root / "build" / "long" / "line.txt").read_text(encoding="utf-8")
    assert line_length(line) <= 120 and line.startswith("Long\n\nword word") and "word…\n\n" in line
    assert line.endswith("https://news.example.com/long/web.html")
    (root / "notice.toml").write_text(
        (root / "notice.toml").read_text(encoding="utf-8").replace("max_chars = 120", "max_chars = 6000"),
        encoding="utf-8",
    )
    result = run("build")
    assert result.exit_code == 1
    assert "max_chars must be between 1 and 5000 (LINE's limit for a text message), not 6000" in result.output


def test_check_names_the_file_and_count_of_a_text_over_its_limit(tmp_path, run, monkeypatch):
    root = make_publication(tmp_path / "pub")
    monkeypatch.chdir(root)
    title = "とても長いタイトル" * 20  # 180 CJK characters: 360 weighted, the title is never cut
    write_issue(root, "long", title=title)
    result = run("check", "--format", "json")
    assert result.exit_code == 1
    found = [f for f in json.loads(result.stdout)["findings"] if f["rule"] == "social-length"]
    assert len(found) == 1
    assert found[0]["severity"] == "error" and found[0]["path"].endswith("long/post.txt")
    assert found[0]["message"] == "post.txt is 384 weighted characters, over X's limit of 280"


def test_the_preview_shows_both_texts_with_their_counts(sample):
    from toolkit.build import build
    from toolkit.config import load_config
    from toolkit.ui_pages import issue_view

    config = load_config(sample)
    report = build(config, drafts=True, out_dir=config.preview_dir)
    view = issue_view(config, config.preview_dir, report.states["2018-07-13-line-privacy"], {"tab": "social"})
    assert "social" in view["tabs"]
    line, post = view["social"]
    assert line["name"] == "line.txt" and line["limit"] == 500 and line["text"].startswith("【訂正追記有り】")
    assert line["count"] == line_length(line["text"]) and post["count"] == post_length(post["text"])
    record = report.states["2018-07-13-line-privacy"].records[0]
    notice = issue_view(
        config, config.preview_dir, report.states["2018-07-13-line-privacy"], {"tab": f"notice-{record.id}"}
    )
    assert notice["social"][0]["text"].startswith("【訂正】")


def test_the_preview_has_a_line_and_x_tab_in_a_real_browser(sample_publication, browser):
    from toolkit.preview import PreviewServer

    server = PreviewServer(sample_publication, port=0)
    server.start()
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(server.url + "issue/2018-07-13-line-privacy")
        page.click("a[data-tab=social]")
        assert "tab=social" in page.url
        assert page.locator("#line-txt").inner_text().startswith("【訂正追記有り】LINEのトーク内容")
        assert re.fullmatch(
            r"\d+ / 500 characters \(UTF-16, as LINE counts\)", page.locator("#count-line-txt").inner_text()
        )
        assert re.fullmatch(
            r"\d+ / 280 weighted characters \(as X counts\)", page.locator("#count-post-txt").inner_text()
        )
    finally:
        context.close()
        server.stop()


def test_line_and_post_are_outputs_the_build_cache_vouches_for(sample, run):
    from toolkit.output import BuildCache

    slug = "2018-07-13-line-privacy"
    assert run("build").exit_code == 0
    site = sample / "site"
    files = BuildCache.load(sample / ".notice-cache").entries(site)[slug]["files"]
    assert {f"{slug}/line.txt", f"{slug}/post.txt"} <= set(files)
    path = site / slug / "corrections" / "e6821b2" / "post.txt"
    original = path.read_text(encoding="utf-8")
    path.write_text("edited by hand", encoding="utf-8")
    assert run("build").exit_code == 0
    assert path.read_text(encoding="utf-8") == original  # not fresh any more: written again
