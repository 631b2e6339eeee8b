"""What readers are shown of corrections: the replacement engine, markers, errata, notices.

The engine (`Body.replace`) is tested string-in/string-out and with hypothesis; the renderings
come from real records, made by `publish` and `correct` on a publication in tmp_path, rendered
by the build's own `IssueRenderer`.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from toolkit.config import load_config
from toolkit.corrections import DEL_STYLE, Body, Change, PassageError, find_passage, title_marker
from toolkit.publishing import correct, load_issue, load_state, publish
from toolkit.records import Record, Replacement
from toolkit.render import IssueRenderer

from conftest import make_publication, write_issue

LONDON = ZoneInfo("Europe/London")
DAY = dt.datetime(2026, 1, 6, 9, 0, tzinfo=LONDON)
LATER = dt.datetime(2026, 1, 8, 9, 0, tzinfo=LONDON)


def body_with(text: str, *replacements: tuple[str, str, bool]) -> Body:
    body = Body([text])
    for original, corrected, visible in replacements:
        body.replace(Replacement(original, corrected), visible=visible, date=DAY)
    return body


def originals(body: Body) -> str:
    """Unchanged text plus each change's original: what readers first received."""
    return "".join(s if isinstance(s, str) else s.original for s in body.segments)


# --- Body.replace: the engine ----------------------------------------------------------------


def test_one_replacement_cuts_the_body_into_text_and_a_change():
    body = body_with("The cat sat on the mat.", ("cat", "dog", True))
    assert body.segments == ["The ", Change("cat", "dog", True, DAY), " sat on the mat."]
    assert body.current == "The dog sat on the mat."


def test_a_correction_inside_an_earlier_correction_merges_into_one_change():
    body = body_with("The cat sat on the mat.", ("cat", "dog", True), ("dog", "fox", True))
    assert body.segments == ["The ", Change("cat", "fox", True, DAY), " sat on the mat."]
    assert body.current == "The fox sat on the mat."


def test_a_correction_inside_the_new_text_keeps_the_original_struck_and_the_latest_new():
    body = body_with(
        "We open at nine on Monday.", ("nine on Monday", "ten on Tuesday", True), ("Tuesday", "Wednesday", True)
    )
    changes = [s for s in body.segments if isinstance(s, Change)]
    assert [(c.original, c.current) for c in changes] == [("nine on Monday", "ten on Wednesday")]
    assert body.current == "We open at ten on Wednesday."


def test_a_correction_overlapping_new_text_and_plain_text_widens_the_change():
    body = body_with("The cat sat on the mat.", ("cat", "dog", True), ("dog sat", "fox stood", True))
    assert body.segments == ["The ", Change("cat sat", "fox stood", True, DAY), " on the mat."]


def test_separate_corrections_stay_separate_changes():
    body = body_with("The cat sat on the mat.", ("cat", "dog", True), ("mat", "rug", True))
    assert [(c.original, c.current) for c in body.segments if isinstance(c, Change)] == [("cat", "dog"), ("mat", "rug")]
    assert body.current == "The dog sat on the rug."


def test_a_minor_fix_merged_into_a_visible_change_stays_visible():
    body = body_with("The cat sat on the mat.", ("cat", "dgo", True), ("dgo", "dog", False))
    assert body.segments[1] == Change("cat", "dog", True, DAY)
    markdown = body.markdown("en")
    assert re.search(
        r'<del datetime="2026-01-06" style="[^"]*line-through[^"]*">cat</del>'
        r'<ins datetime="2026-01-06" style="[^"]*">dog</ins>',
        markdown,
    ), markdown


def test_a_visible_correction_over_a_minor_fix_strikes_the_original():
    body = body_with("The cat sat on the mat.", ("cat", "cta", False), ("cta sat", "dog stood", True))
    assert body.segments[1] == Change("cat sat", "dog stood", True, DAY)


def test_a_minor_fix_alone_renders_without_del_or_ins():
    body = body_with("Teh cat sat on the mat.", ("Teh", "The", False))
    assert body.markdown("en") == "The cat sat on the mat."
    assert "<del" not in body.markdown("ja") and "<ins" not in body.markdown("ja")


def test_a_deletion_is_struck_with_no_new_text():
    body = body_with("The big cat sat.", ("big ", "", True))
    assert body.current == "The cat sat."
    assert body.markdown("en") == f'The <del datetime="2026-01-06" style="{DEL_STYLE}">big </del>cat sat.'
    assert "line-through" in DEL_STYLE


def test_text_no_longer_in_the_body_is_not_found():
    body = body_with("The cat sat on the mat.", ("cat", "dog", True))
    with pytest.raises(PassageError, match="the text to replace is not in the issue: “cat”"):
        body.replace(Replacement("cat", "fox"), visible=True, date=DAY)
    assert body.current == "The dog sat on the mat."


@pytest.mark.parametrize(
    ("text", "passage", "message", "line"),
    [
        ("one\ntwo cats\nthree", "two dogs", "the text to replace is not in the issue: “two dogs”", 2),
        ("a cat\n\nb\n\na cat", "a cat", "the text to replace occurs 2 times (lines 1, 5): “a cat”", 1),
        ("para one\n\npara two", "one\n\npara", "the text to replace spans more than one paragraph", None),
        ("text", "  ", "the text to replace is empty", None),
        (
            "intro\n\n- item one",
            "- item",
            "the text to replace starts with Markdown block syntax (a heading, list or quote marker)",
            3,
        ),
    ],
)
def test_find_passage_errors_say_where(text, passage, message, line):
    with pytest.raises(PassageError) as caught:
        find_passage(text, Replacement(passage, "x"))
    assert caught.value.message == message
    assert caught.value.line == line


def test_new_text_spanning_two_paragraphs_is_refused():
    with pytest.raises(PassageError) as caught:
        find_passage("one two", Replacement("one", "a\n\nb"))
    assert caught.value.message == "the corrected text spans more than one paragraph"


safe_chars = st.sampled_from(list("abcxyz .,\nあい漢字。"))


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(safe_chars, min_size=1, max_size=40),
    data=st.data(),
    corrected=st.text(st.sampled_from(list("pqr あ")), max_size=8),
)
def test_replacing_a_unique_passage_is_a_plain_replacement(text, data, corrected):
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    passage = text[start:end]
    assume(passage.strip() and "\n\n" not in passage.replace(" ", ""))
    assume(len(re.findall(f"(?={re.escape(passage)})", text)) == 1)
    body = Body([text])
    body.replace(Replacement(passage, corrected), visible=True, date=DAY)
    assert body.current == text.replace(passage, corrected)
    assert originals(body) == text


@settings(max_examples=150, deadline=None)
@given(
    text=st.text(st.sampled_from(list("abcdefg ")), min_size=1, max_size=30),
    steps=st.lists(
        st.tuples(st.floats(0, 1), st.floats(0, 1), st.text(st.sampled_from(list("abXY ")), max_size=5), st.booleans()),
        min_size=1,
        max_size=5,
    ),
)
def test_successive_replacements_keep_the_original_and_the_latest(text, steps):
    body, expected = Body([text]), text
    for a, b, corrected, visible in steps:
        if not expected:
            break
        start = min(int(a * len(expected)), len(expected) - 1)
        end = start + 1 + int(b * (len(expected) - start - 1))
        passage = expected[start:end]
        if not passage.strip() or len(re.findall(f"(?={re.escape(passage)})", expected)) != 1:
            continue
        body.replace(Replacement(passage, corrected), visible=visible, date=DAY)
        expected = expected[:start] + corrected + expected[end:]
        assert body.current == expected
        assert originals(body) == text


# --- title markers -----------------------------------------------------------------------------


def record(kind: str, seq: int = 1) -> Record:
    return Record(path=Path(f"{seq:04d}-abcdef{seq}.yml"), id=f"abcdef{seq}", seq=seq, issue="x", kind=kind, date=DAY)


@pytest.mark.parametrize(
    ("kinds", "en", "ja"),
    [
        ([], "", ""),
        (["minor"], "", ""),
        (["correction"], "[Corrected]", "【訂正追記有り】"),
        (["clarification"], "[Corrected]", "【訂正追記有り】"),
        (["addendum"], "[Updated]", "【訂正追記有り】"),
        (["supplement"], "[Updated]", "【訂正追記有り】"),
        (["update"], "[Updated]", "【訂正追記有り】"),
        (["retraction"], "[Retracted]", "【撤回】"),
        (["addendum", "correction", "minor"], "[Corrected]", "【訂正追記有り】"),
        (["correction", "retraction", "update"], "[Retracted]", "【撤回】"),
    ],
)
def test_the_strongest_title_marker_wins(tmp_path, kinds, en, ja):
    config = load_config(make_publication(tmp_path / "pub"))
    records = [record(kind, n) for n, kind in enumerate(kinds, 1)]
    assert title_marker(records, "en", config) == en
    assert title_marker(records, "ja", config) == ja


# --- renderings --------------------------------------------------------------------------------

BODY = "The cat sat on the mat.\n\nIt rained all day."


@pytest.fixture
def pub(tmp_path: Path):
    """An English publication with one published issue, 'hello' (sent January 5, 2026)."""
    root = make_publication(tmp_path / "pub")
    write_issue(root, "hello", body=BODY)
    config = load_config(root)
    publish(config, "hello", dt.datetime(2026, 1, 5, 9, 0, tzinfo=LONDON))
    return config


def add(config, kind: str, *, note: str = "", replaces=(), date=DAY, pending=False, resolves=None, slug="hello") -> str:
    record_id, _ = correct(
        config,
        slug,
        kind=kind,
        note=note,
        replaces=[Replacement(*p) for p in replaces],
        date=date,
        pending=pending,
        resolves=resolves,
    )
    return record_id


def render(config, slug: str = "hello") -> dict[str, str]:
    state = load_state(config, load_issue(config, slug))
    return {name: data.decode("utf-8") for name, data in IssueRenderer(config).render(state).items()}


STRUCK = re.compile(
    r'<del datetime="2026-01-06" style="([^"]*)">cat</del><ins datetime="2026-01-06" '
    r'style="[^"]*">dog</ins> sat on the mat\.'
)


def test_a_correction_shows_struck_and_new_text_in_every_rendering(pub):
    add(pub, "correction", replaces=[("cat", "dog")], note="It was a dog.")
    files = render(pub)
    for name in ("email.html", "web.html"):
        match = STRUCK.search(files[name])
        assert match, name
        assert "line-through" in match.group(1)
        assert "[Corrected] Hello" in files[name]
    assert "The [Originally: cat] [Corrected: dog] sat on the mat.\n" in files["email.txt"]
    assert "\n[Corrected] Hello\n=====" in files["email.txt"]


def test_errata_entry_has_label_date_and_markdown_note_above_the_body(pub):
    record_id = add(pub, "clarification", note="We meant the *big* mat, see [the photo](photo.html).")
    files = render(pub)
    html = files["email.html"]
    assert re.search(
        r'<strong class="errata-label"[^>]*>Clarification:</strong> <time class="errata-date" '
        r'datetime="2026-01-06T09:00:00\+00:00"[^>]*>January 6, 2026</time>',
        html,
    )
    assert 'We meant the <em>big</em> mat, see <a href="https://news.example.com/photo.html"' in html
    assert html.index(f'id="correction-{record_id}"') < html.index("The cat sat on the mat.")
    web = files["web.html"]
    assert (
        '<p class="errata-head"><strong class="errata-label">Clarification:</strong> <time class="errata-date" '
        'datetime="2026-01-06T09:00:00+00:00">January 6, 2026</time></p>'
    ) in web
    assert web.index("errata-head") < web.index("<p>The cat sat on the mat.</p>")
    text = files["email.txt"]
    assert "Clarification: January 6, 2026\nWe meant the big mat, see the photo [1].\n" in text
    assert text.index("Clarification: January 6") < text.index("The cat sat on the mat.")


def test_errata_are_strongest_first_then_newest_in_every_rendering(pub):
    """Issue 15: the correction opens the email, the web page and the plain text even when later
    addenda exist; the others follow newest first."""
    first = add(pub, "correction", replaces=[("cat", "dog")], note="First.", date=DAY)
    third = add(pub, "update", note="Third.", date=LATER)
    second = add(pub, "addendum", note="Second.", date=dt.datetime(2026, 1, 7, 9, tzinfo=LONDON))
    files = render(pub)
    for name in ("email.html", "web.html"):
        html = files[name]
        positions = [html.index(f'id="correction-{i}"') for i in (first, third, second)]
        assert positions == sorted(positions), name
    text = files["email.txt"]
    assert text.index("Correction: January 6") < text.index("Update: January 8") < text.index("Addendum: January 7")


def test_pending_until_resolved(pub):
    asked = add(pub, "addendum", note="We asked the council.", pending=True)
    files = render(pub)
    assert '<span class="errata-pending">Pending</span>' in files["web.html"]
    assert "Addendum: January 6, 2026 (Pending)\nWe asked the council.\n" in files["email.txt"]
    assert "<strong>Pending</strong>" in files[f"corrections/{asked}/email.html"]
    assert "(Pending)" in files[f"corrections/{asked}/email.txt"]

    answer = add(pub, "addendum", note="The council answered: yes.", resolves=asked, date=LATER)
    files = render(pub)
    assert "Pending" not in files["web.html"].split("</style>")[1]
    assert "Pending" not in files["email.txt"]
    assert f'id="correction-{answer}"' in files["web.html"]
    assert '<span class="errata-resolved">Resolved on January 8, 2026</span>' in files["web.html"]
    assert "Addendum: January 6, 2026 (Resolved on January 8, 2026)\nWe asked the council.\n" in files["email.txt"]
    assert "Addendum: January 8, 2026\nThe council answered: yes.\n" in files["email.txt"]


def test_errata_placement_bottom(pub):
    with pub.path.open("a", encoding="utf-8") as toml:
        toml.write('\n[corrections]\nplacement = "bottom"\n')
    config = load_config(pub.root)
    add(config, "update", note="Now sunny.")
    files = render(config)
    for name in ("email.html", "web.html"):
        html = files[name]
        assert html.index("It rained all day.") < html.index("Now sunny.") < html.index("Sent by"), name
    text = files["email.txt"]
    assert text.index("It rained all day.") < text.index("Update: January 6, 2026\nNow sunny.") < text.index("Sent by")


def test_retraction_banner_above_readable_text(pub):
    add(pub, "update", note="Now sunny.")
    record_id = add(pub, "retraction", note="The story was **wrong**.", date=LATER)
    files = render(pub)
    web = files["web.html"]
    assert "<title>[Retracted] Hello | Test Letter</title>" in web
    banner = web.index('<div class="retraction-banner" role="alert">')
    assert "<strong>This issue was retracted on January 8, 2026.</strong>" in web[banner:]
    assert web.index("The story was <strong>wrong</strong>.", banner) < web.index("<p>The cat sat on the mat.</p>")
    assert '<div class="content retracted">' in web and "<p>It rained all day.</p>" in web
    html = files["email.html"]
    assert html.index("This issue was retracted on January 8, 2026.") < html.index("The cat sat on the mat.")
    text = files["email.txt"]
    assert "This issue was retracted on January 8, 2026.\nThe retracted text is kept below for the record.\n" in text
    assert text.index("retracted on January 8") < text.index("The cat sat on the mat.\n")
    assert "<title>Retraction: Hello</title>" in files[f"corrections/{record_id}/email.html"]


def test_a_minor_fix_is_applied_and_nobody_is_told(pub):
    add(pub, "minor", replaces=[("rained", "poured")])
    files = render(pub)
    # the issue as sent keeps the typo, and the record chain lists the fix (issue 9); readers get no notice
    assert sorted(files) == [
        *("email.html", "email.txt", "line.txt", "original.html", "post.txt", "record.json", "web.html")
    ]
    assert "It rained all day." in files.pop("original.html") and '"kind": "minor"' in files.pop("record.json")
    for name in ("line.txt", "post.txt"):  # the title without a marker: nobody is told
        assert files.pop(name).startswith("Hello\n"), name
    for name, content in files.items():
        assert "It poured all day." in content and "rained" not in content, name
        assert "[Corrected]" not in content and "[Updated]" not in content, name
    for name in ("email.html", "web.html"):
        assert "<del" not in files[name] and "<ins" not in files[name]
        assert 'class="errata"' not in files[name]
        assert "<title>Hello" in files[name]
    assert "\nHello\n=====" in files["email.txt"]


@pytest.mark.parametrize("before", range(24, 36))
def test_japanese_markers_are_never_split_across_lines(tmp_path, before):
    """Issue 14, item 8: with 29 あ before a corrected passage, email.txt showed `[訂正` on one
    line and `前]` on the next. A marker is one unit: it moves to the next line whole."""
    root = make_publication(tmp_path / "ja")
    write_issue(
        root,
        "ja",
        raw=f"---\ntitle: 創刊号\ndate: 2018-07-13\nlang: ja\nstatus: draft\n---\n\n{'あ' * before}猫が座った。\n",
    )
    config = load_config(root)
    publish(config, "ja", dt.datetime(2018, 7, 13, 10, tzinfo=LONDON))
    add(
        config,
        "correction",
        replaces=[("猫", "犬")],
        note="犬でした。",
        slug="ja",
        date=dt.datetime(2018, 7, 14, 9, tzinfo=LONDON),
    )
    lines = render(config, "ja")["email.txt"].splitlines()
    assert any("[訂正前]" in line for line in lines) and any("[訂正後]" in line for line in lines)
    assert all(line.count("[") == line.count("]") for line in lines), lines


def test_each_visible_record_gets_a_notice_for_readers(pub):
    fixed = add(pub, "correction", replaces=[("cat", "dog")], note="It was *a dog*.")
    added = add(pub, "supplement", note="Photos are online.", date=LATER)
    add(pub, "minor", replaces=[("rained", "poured")], date=LATER)
    files = render(pub)
    assert sorted(name for name in files if name.startswith("corrections/")) == sorted(
        f"corrections/{i}/{n}" for i in (fixed, added) for n in ("email.html", "email.txt", "line.txt", "post.txt")
    )
    html = files[f"corrections/{fixed}/email.html"]
    assert "<title>Correction: Hello</title>" in html
    assert "We made a mistake in “Hello”, sent on January 5, 2026." in html
    assert re.search(r"Originally</th><td [^>]*><del[^>]*>cat</del></td>", html)
    assert re.search(r"Corrected</th><td [^>]*><ins[^>]*>dog</ins></td>", html)
    assert "It was <em>a dog</em>." in html
    assert f'href="https://news.example.com/hello/web.html#correction-{fixed}"' in html
    text = files[f"corrections/{fixed}/email.txt"]
    assert text.startswith("Test Letter\n\nCorrection: Hello\n=====")
    assert "\nOriginally: cat\nCorrected: dog\n" in text and "\nIt was a dog.\n" in text
    assert "Read the corrected issue:\nhttps://news.example.com/hello/web.html\n" in text
    supplement = files[f"corrections/{added}/email.txt"]
    assert "Supplement: Hello" in supplement and "We have supplemented “Hello”, sent on January 5, 2026." in supplement
    assert "Photos are online." in supplement


def test_japanese_markers_can_be_configured(tmp_path):
    root = make_publication(tmp_path / "ja")
    with (root / "notice.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[corrections.markers.ja]\ncorrected = "【訂正あり】"\n')
    write_issue(root, "ja", raw="---\ntitle: 創刊号\ndate: 2018-07-13\nlang: ja\nstatus: draft\n---\n\n猫が座った。\n")
    config = load_config(root)
    publish(config, "ja", dt.datetime(2018, 7, 13, 10, tzinfo=LONDON))
    add(
        config,
        "correction",
        replaces=[("猫", "犬")],
        note="犬でした。",
        slug="ja",
        date=dt.datetime(2018, 7, 14, 9, tzinfo=LONDON),
    )
    files = render(config, "ja")
    assert "<title>【訂正あり】創刊号</title>" in files["email.html"]
    assert "\n【訂正あり】創刊号\n" in files["email.txt"]
    assert "【訂正】 2018年7月14日\n犬でした。\n" in files["email.txt"]
    assert "[訂正前] 猫 [訂正後] 犬が座った。" in files["email.txt"]
    # Only the configured level changes; the others keep the built-in marker.
    retracted = add(
        config, "retraction", note="撤回します。", slug="ja", date=dt.datetime(2018, 7, 15, 9, tzinfo=LONDON)
    )
    files = render(config, "ja")
    web = files["web.html"]
    assert "<title>【撤回】創刊号 | Test Letter</title>" in web
    assert web.index("<strong>この号は2018年7月15日に撤回しました。</strong>") < web.index(
        "撤回した本文は記録のため以下に残しています。"
    )
    assert web.index("撤回した本文は記録のため以下に残しています。") < web.index("<ins")
    assert "<title>【撤回とお詫び】創刊号</title>" in files[f"corrections/{retracted}/email.html"]


@pytest.mark.parametrize(
    ("kind", "subject", "lead", "link"),
    [
        ("supplement", "【補足】創刊号", "2018年7月13日にお送りした「創刊号」に補足しました。", "補足後の本文を読む"),
        ("addendum", "【追記】創刊号", "2018年7月13日にお送りした「創刊号」に追記しました。", "追記後の本文を読む"),
        ("update", "【更新】創刊号", "2018年7月13日にお送りした「創刊号」の内容を更新しました。", "更新後の本文を読む"),
        (
            "clarification",
            "【補足説明】創刊号",
            "2018年7月13日にお送りした「創刊号」の説明を補足いたします。",
            "補足説明を読む",
        ),
    ],
)
def test_each_kind_of_notice_has_its_own_words(tmp_path, kind, subject, lead, link):
    """Issue 15: the 【補足】 notice said 追記しました and 追記後の本文を読む, an addendum's words."""
    root = make_publication(tmp_path / "ja")
    write_issue(root, "ja", raw="---\ntitle: 創刊号\ndate: 2018-07-13\nlang: ja\nstatus: draft\n---\n\n猫が座った。\n")
    config = load_config(root)
    publish(config, "ja", dt.datetime(2018, 7, 13, 10, tzinfo=LONDON))
    record = add(config, kind, note="写真を公開しました。", slug="ja", date=dt.datetime(2018, 7, 14, 9, tzinfo=LONDON))
    text = render(config, "ja")[f"corrections/{record}/email.txt"]
    assert f"\n{subject}\n" in text and lead in text and f"\n{link}:\n" in text
