"""The theme's components (issue 11): a button, boxes and figures, from Markdown to every output.

String in, string out for each stage (toolkit.components), whole builds through the CLI for
both inliners, golden plain texts a person has read, hypothesis for the Markdown paths, and a
real Chromium for what a reader sees: the button's colour where the button is, and contrast.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_accessibility import CONTRAST_JS  # one contrast measure for the whole suite

from toolkit.components import button_colours, email_components, localize
from toolkit.labels import labels_for
from toolkit.markup import render_fragment, render_markdown
from toolkit.plaintext import html_to_text
from toolkit.templating import theme_dir

from conftest import axe_findings, make_publication, write_issue

GOLDEN = Path(__file__).parent / "golden"
BASE = "https://example.jp/"

JA_BODY = """\
年末年始の営業についてお知らせします。

[今すぐ登録](https://example.jp/join){: .button }

!!! note "営業時間の変更"
    12月28日から1月4日まではお休みします。ご予約は[予約ページ](https://example.jp/reserve)から。

    1月5日から通常どおり営業します。

!!! warning
    駐車場は工事のため使えません。

!!! tip
    平日の午前中は比較的すいています。

![改装した店内](https://example.jp/img/shop.jpg){: width="536" }
*カウンター席を増やしました。*

![新しいメニュー](https://example.jp/img/menu.jpg){: width="536" }
冬季限定のメニューです。
{: .caption }
"""

EN_BODY = """\
Our winter opening hours are below.

[Book a table](https://example.com/book){: .button }

!!! note "Holiday hours"
    We are closed from December 28 to January 4. Book on [our site](https://example.com/reserve).

!!! warning
    The car park is closed for repairs.

![The new counter](https://example.com/img/counter.jpg){: width="536" }
*Six more seats at the counter.*
"""


def fragment(markdown: str, lang: str = "ja") -> str:
    return localize(render_markdown(markdown, base_url=BASE), labels_for(lang))


def text(markdown: str, lang: str = "ja") -> str:
    t = labels_for(lang)
    return html_to_text(fragment(markdown, lang), width=70, ambiguous_width=2 if lang == "ja" else 1, words=t)


# --- Markdown -> the shared fragment ---------------------------------------------------------------


def test_a_button_is_a_link_with_the_button_class():
    assert fragment("[今すぐ登録](https://example.jp/join){: .button }") == (
        '<p><a class="button" href="https://example.jp/join">今すぐ登録</a></p>'
    )


def test_a_titled_box_is_an_aside_with_its_title():
    assert fragment('!!! note "営業時間の変更"\n    12月は18時まで。') == (
        '<aside class="box box-note" role="note">\n<p class="box-title">営業時間の変更</p>\n'
        "<p>12月は18時まで。</p>\n</aside>"
    )


@pytest.mark.parametrize(
    ("kind", "lang", "title"),
    [("note", "ja", "お知らせ"), ("warning", "ja", "ご注意"), ("tip", "ja", "ヒント"), ("warning", "en", "Warning")],
)
def test_an_untitled_box_is_titled_in_the_issue_s_language(kind, lang, title):
    html = fragment(f"!!! {kind}\n    text", lang)
    assert f'<aside class="box box-{kind}" role="note">\n<p class="box-title">{title}</p>' in html
    assert "data-untitled" not in html


def test_other_admonition_types_are_drawn_as_one_of_the_three_boxes():
    assert 'class="box box-warning"' in fragment('!!! danger "停電"\n    x')
    assert 'class="box box-note"' in fragment('!!! custom "X"\n    x')
    assert "box-title" not in fragment('!!! note ""\n    no title at all')


@pytest.mark.parametrize(
    "markdown",
    [
        "![店内](https://example.jp/shop.jpg)\n*改装した店内*",
        "![店内](https://example.jp/shop.jpg)  \n*改装した店内*",
        "![店内](https://example.jp/shop.jpg)\n改装した店内\n{: .caption }",
        "![店内](https://example.jp/shop.jpg)\n\n改装した店内\n{: .caption }",
    ],
)
def test_an_image_with_a_caption_is_a_figure(markdown):
    assert fragment(markdown) == (
        '<figure class="figure"><img alt="店内" src="https://example.jp/shop.jpg">'
        "<figcaption>改装した店内</figcaption></figure>"
    )


def test_a_linked_image_keeps_its_link_in_the_figure():
    html = fragment("[![店内](shop.jpg)](https://example.jp/)\n*店内*")
    assert html == (
        '<figure class="figure"><a href="https://example.jp/"><img alt="店内" src="https://example.jp/shop.jpg"></a>'
        "<figcaption>店内</figcaption></figure>"
    )


@pytest.mark.parametrize(
    "markdown",
    [
        "![店内](shop.jpg)",  # no caption
        "![店内](shop.jpg) and *emphasis* in a sentence",
        "Text before ![店内](shop.jpg)\n*not a caption*",
        "![店内](shop.jpg)\n\n*a paragraph of its own, not marked as a caption*",
        "![店内](shop.jpg)  \nthe next line, after a line break",
    ],
)
def test_other_images_stay_as_they_are(markdown):
    assert ("<br>" in fragment(markdown)) == ("  \n" in markdown)  # the author's line break stays
    assert "<figure" not in fragment(markdown)


def test_an_image_alone_marked_as_a_caption_is_a_figure_without_one():
    html = fragment("![店内](shop.jpg)\n{: .caption }")
    assert html == '<figure class="figure"><img alt="店内" src="https://example.jp/shop.jpg"></figure>'
    assert email_components(html) == (
        '<table role="presentation" class="figure" width="100%" cellpadding="0" cellspacing="0" border="0">\n'
        '<tr><td class="figure-image"><img alt="店内" src="https://example.jp/shop.jpg"></td></tr>\n</table>'
    )


# --- the email -------------------------------------------------------------------------------------


def test_the_email_button_is_a_table_cell_with_vml_for_outlook():
    html = email_components(fragment("[今すぐ登録](https://example.jp/join){: .button }"), ("#1d4ed8", "#ffffff"))
    assert html == (
        '<!--[if mso]><v:roundrect xmlns:v="urn:schemas-microsoft-com:vml" '
        'xmlns:w="urn:schemas-microsoft-com:office:word" href="https://example.jp/join" '
        'style="height:44px;v-text-anchor:middle;width:138px;" arcsize="14%" stroke="f" fillcolor="#1d4ed8">'
        '<w:anchorlock/><center style="color:#ffffff;font-family:Helvetica,Arial,Meiryo,sans-serif;'
        'font-size:16px;font-weight:bold;">今すぐ登録</center></v:roundrect><![endif]-->'
        '<!--[if !mso]><!--><table role="presentation" class="button-table" cellpadding="0" cellspacing="0" '
        'border="0"><tr><td class="button-cell" bgcolor="#1d4ed8" align="center" valign="middle">'
        '<a class="button" href="https://example.jp/join">今すぐ登録</a></td></tr></table><!--<![endif]-->'
    )


def test_a_button_inside_a_sentence_stays_an_inline_link():
    html = fragment("お申し込みは[こちら](https://example.jp/join){: .button }からどうぞ。")
    assert email_components(html) == html


def test_two_buttons_in_one_paragraph_are_two_buttons_and_labels_are_escaped_in_vml():
    html = email_components(fragment("[A & B](https://x.jp/a){: .button } [**C**](https://x.jp/c?a=1&b=2){: .button }"))
    assert html.count("<v:roundrect") == 2 and html.count('class="button-cell"') == 2
    assert ">A &amp; B</center>" in html and ">C</center>" in html  # the VML label is text only
    assert 'href="https://x.jp/c?a=1&amp;b=2"' in html


def test_the_button_colours_come_from_the_theme():
    css = (theme_dir() / "email.css").read_text(encoding="utf-8")
    assert button_colours(css) == ("#1d4ed8", "#ffffff")
    assert button_colours(css + "\n.button { background-color: #065f46; color: #fefefe !important; }") == (
        "#065f46",
        "#fefefe",
    )


def test_boxes_and_figures_are_tables_in_the_email():
    html = email_components(fragment('!!! tip "外側"\n    !!! warning\n        内側\n\n![a](b.png)\n*c*'))
    assert "<aside" not in html and "<figure" not in html
    assert html.count('<td class="box-cell">') == 2  # the inner box inside the outer one
    assert re.search(r'class="box box-tip".*class="box box-warning".*内側.*</table>.*</table>', html, re.S)
    assert '<tr><td class="figure-caption">c</td></tr>' in html


def test_the_author_s_own_vml_is_still_removed_and_reported():
    rendered = render_fragment('<v:roundrect href="https://x.jp" fillcolor="#f00">Go</v:roundrect>\n\nText')
    assert "roundrect" not in rendered.html
    assert [r.what for r in rendered.removed] == ["<v:roundrect>"]


# --- the plain text --------------------------------------------------------------------------------


def test_the_plain_text_of_each_component():
    assert text("[今すぐ登録](https://example.jp/join){: .button }") == "今すぐ登録: https://example.jp/join\n"
    assert text('!!! note "営業時間の変更"\n    12月は18時まで。\n\n    二段落目。') == (
        "【営業時間の変更】\n  12月は18時まで。\n\n  二段落目。\n"
    )
    assert text("!!! tip\n    Go early.", "en") == "[Tip]\n  Go early.\n"
    assert text("![店内](shop.jpg)\n*改装した店内*") == "[画像: 店内] 改装した店内\n"
    assert text("![](shop.jpg)\n*Caption*", "en") == "[image] Caption\n"


# --- whole builds ----------------------------------------------------------------------------------


def build_components(root: Path, run, inliner: str = "premailer") -> Path:
    make_publication(root, inliner=inliner)
    write_issue(root, "ja", raw=f"---\ntitle: 年末年始の営業\ndate: 2026-12-01\nlang: ja\n---\n\n{JA_BODY}")
    write_issue(root, "en", raw=f"---\ntitle: Winter hours\ndate: 2026-12-02\nlang: en\n---\n\n{EN_BODY}")
    result = run("-C", str(root), "build", "--drafts")
    assert result.exit_code == 0, result.output
    return root / "build"


@pytest.mark.parametrize("inliner", ["premailer", "css-inline"])
def test_both_inliners_keep_the_mso_comments_and_the_vml(run, tmp_path, inliner):
    html = (build_components(tmp_path / "pub", run, inliner) / "ja" / "email.html").read_text(encoding="utf-8")
    vml = re.search(r"<!--\[if mso\]><v:roundrect.*?</v:roundrect><!\[endif\]-->", html, re.S)
    assert vml, "the VML button is gone"
    assert (
        vml[0]
        == email_components(fragment("[今すぐ登録](https://example.jp/join){: .button }")).split("<!--[if !mso]>")[0]
    )
    assert html.count("<!--[if !mso]><!-->") == 1 and html.count("<!--<![endif]-->") == 1
    cell = re.search(r'<td class="button-cell"[^>]*>', html)[0]
    assert 'bgcolor="#1d4ed8"' in cell and "background-color:#1d4ed8" in cell.replace(" ", "")
    assert "border-radius:6px" in cell.replace(" ", "")
    link = re.search(r'<a class="button"[^>]*>', html)[0].replace(" ", "")
    assert "display:inline-block" in link and "padding:12px24px" in link
    box = re.search(r'<td class="box-cell"[^>]*>', html)[0].replace(" ", "")
    assert "background-color:#eff6ff" in box and "border-left:4pxsolid#1d4ed8" in box


def test_the_web_page_has_an_aside_a_figure_and_a_styled_button(run, tmp_path):
    web = (build_components(tmp_path / "pub", run) / "ja" / "web.html").read_text(encoding="utf-8")
    assert '<aside class="box box-note" role="note">\n<p class="box-title">営業時間の変更</p>' in web
    assert '<p class="box-title">ご注意</p>' in web
    assert "<figcaption>カウンター席を増やしました。</figcaption></figure>" in web
    assert '<a class="button" href="https://example.jp/join">今すぐ登録</a>' in web
    assert "v:roundrect" not in web and "[if mso]" not in web.split("<body>")[1]


@pytest.mark.parametrize("slug", ["ja", "en"])
def test_the_plain_text_reads_naturally(run, tmp_path, slug):
    """Golden files a person has read: the button as words and URL, titled indented boxes,
    and each figure's image and caption on one line. Refresh with NOTICE_UPDATE_GOLDEN=1."""
    actual = (build_components(tmp_path / "pub", run) / slug / "email.txt").read_text(encoding="utf-8")
    path = GOLDEN / f"components.{slug}.email.txt"
    if os.environ.get("NOTICE_UPDATE_GOLDEN") == "1":
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8")


def test_check_raises_no_client_support_warning_for_the_components(run, tmp_path):
    root = tmp_path / "pub"
    build_components(root, run)
    result = run("-C", str(root), "check", "ja", "en")
    assert "not supported by" not in result.output, result.output


# --- hypothesis: Markdown -> components, never a crash, the words survive ---------------------------

#: Words with no Markdown in them (a `*` or a `[` would be Markdown, not words), Japanese and
#: Latin, and the characters HTML escapes.
WORDS = (
    st.text(alphabet=st.sampled_from("abcXYZ019 あいう漢字カナ。、！？&\"'"), max_size=30).map(str.strip).filter(bool)
)


def _squeeze(value: str) -> str:
    return re.sub(r"\s+", "", value)


@pytest.mark.slow  # many hypothesis examples, each a whole Markdown render
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(label=WORDS, title=WORDS, body=WORDS, caption=WORDS, kind=st.sampled_from(["note", "warning", "tip", "other"]))
def test_components_never_crash_and_keep_the_author_s_words(label, title, body, caption, kind):
    import html as entities

    title = title.replace('"', "")  # the admonition's title is written between double quotes
    markdown = (
        f"[{label}](https://example.jp/a){{: .button }}\n\n"
        f'!!! {kind} "{title}"\n    {body}\n\n'
        f"![alt](https://example.jp/i.png)\n*{caption}*\n"
    )
    shared = fragment(markdown)
    email = _squeeze(entities.unescape(re.sub(r"<[^>]*>", "", email_components(shared))))
    plain = _squeeze(html_to_text(shared, width=40, ambiguous_width=2, words=labels_for("ja")))
    for words in (label, title, body, caption):
        assert _squeeze(words) in email and _squeeze(words) in plain, (words, markdown)


#: Lines that make components, and lines that almost do, in any order and nesting.
PIECES = st.sampled_from(
    [
        '!!! note "題"',
        "!!! warning",
        '!!! tip ""',
        "    本文です。",
        "        深い本文。",
        "    ![a](b.png)",
        "![店内](shop.jpg)",
        "![店内](shop.jpg)  ",
        "*説明*",
        "説明です",
        "{: .caption }",
        "[今すぐ登録](https://example.jp/join){: .button }",
        "    [Go](https://x.jp/){: .button }",
        "[文中](https://x.jp/){: .button }の登録。",
        "<aside>raw</aside>",
        "",
        "- 項目",
    ]
)


@pytest.mark.slow  # many hypothesis examples, each a whole Markdown render
@settings(max_examples=150, deadline=None)
@given(st.lists(PIECES, max_size=14))
def test_any_mix_of_components_renders_and_the_email_keeps_none_of_the_web_markup(lines):
    markdown = "\n".join(lines)
    shared = fragment(markdown)
    email = email_components(shared)
    html_to_text(shared, width=30, ambiguous_width=2, words=labels_for("ja"))
    assert '<aside class="box' not in email and '<figure class="figure' not in email
    assert email.count("<v:roundrect") == email.count('<td class="button-cell"')
    assert email.count("<!--[if mso]>") == email.count("<!--[if !mso]><!-->") == email.count("<!--<![endif]-->")


# --- in a real browser -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def components_site(tmp_path_factory):
    from click.testing import CliRunner

    from toolkit.cli import cli

    def run(*args):
        return CliRunner().invoke(cli, list(args), catch_exceptions=False, env={"NO_COLOR": "1"})

    sites = {}
    for inliner in ("premailer", "css-inline"):
        sites[inliner] = build_components(tmp_path_factory.mktemp(inliner) / "pub", run, inliner)
    return sites


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


@pytest.mark.parametrize("inliner", ["premailer", "css-inline"])
@pytest.mark.parametrize("width", [375, 600])
def test_the_button_is_drawn_in_its_colour_at_each_width(browser, components_site, inliner, width, tmp_path):
    from PIL import Image

    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto((components_site[inliner] / "ja" / "email.html").as_uri())
    box = page.locator("td.button-cell").bounding_box()
    shot = tmp_path / "shot.png"
    page.screenshot(path=str(shot), full_page=True)
    page.close()
    assert box is not None and box["width"] > 100 and box["height"] >= 40, box
    assert box["x"] + box["width"] <= width
    with Image.open(shot) as image:
        rgb = image.convert("RGB")
        # Inside the cell, left of the label and below its top edge: the cell's own colour.
        inside = rgb.getpixel((int(box["x"] + 6), int(box["y"] + box["height"] / 2)))
        outside = rgb.getpixel((int(box["x"] + box["width"] + 12), int(box["y"] + box["height"] / 2)))
    assert all(abs(a - b) <= 3 for a, b in zip(inside, _rgb("#1d4ed8"))), inside
    assert outside == (255, 255, 255)  # the content's white beside it: the button is where it is


TEXTS = {
    "email.html": ("a.button", ".box-title", ".box-cell p:not(.box-title)", ".figure-caption"),
    "web.html": ("a.button", ".box-title", ".box p:not(.box-title)", "figcaption"),
}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_component_text_meets_wcag_aa_contrast(browser, components_site, scheme):
    low = {}
    for inliner, site in components_site.items():
        for name, selectors in TEXTS.items():
            if name == "web.html" and inliner != "premailer":
                continue  # the web page is not inlined: one look is enough
            page = browser.new_page(viewport={"width": 600, "height": 900}, color_scheme=scheme)
            page.goto((site / "ja" / name).as_uri())
            for selector in selectors:
                ratios = page.locator(selector).evaluate_all(f"els => els.map({CONTRAST_JS})")
                if not ratios or min(ratios) < 4.5:
                    low[f"{inliner} {name} {selector}"] = ratios
            page.close()
    assert low == {}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_violation_in_the_components(browser, components_site, scheme):
    found = {}
    for name in ("email.html", "web.html"):
        page = browser.new_page(viewport={"width": 375, "height": 667}, color_scheme=scheme)
        page.goto((components_site["premailer"] / "ja" / name).as_uri())
        bad = axe_findings(page, email=name == "email.html")
        page.close()
        if bad:
            found[name] = bad
    assert found == {}


@pytest.mark.parametrize(("lang", "button"), [("ja", "質問を送る"), ("en", "Send us a question")])
def test_init_s_sample_issue_shows_every_component(run, tmp_path, lang, button):
    target = tmp_path / "letter"
    assert run("init", str(target), "--lang", lang).exit_code == 0
    assert (target / "issues" / "images" / "sample-shop.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert run("-C", str(target), "build", "--drafts").exit_code == 0
    issue = next(p for p in (target / "build").iterdir() if p.is_dir())
    email = (issue / "email.html").read_text(encoding="utf-8")
    assert "<v:roundrect" in email and 'class="button-cell"' in email
    assert 'class="box box-note"' in email and 'class="box box-tip"' in email
    assert 'class="figure-caption"' in email
    web = (issue / "web.html").read_text(encoding="utf-8")
    assert "<aside" in web and "<figcaption>" in web and 'class="button"' in web
    assert f"{button}: https://example.com/contact\n" in (issue / "email.txt").read_text(encoding="utf-8")


def test_a_correction_notice_s_own_button_is_bulletproof_too(run, tmp_path):
    root = make_publication(tmp_path / "pub")
    write_issue(root, "news", body="The cat sat on the mat.")
    assert run("-C", str(root), "publish", "news", "--date", "2026-01-05 09:00").exit_code == 0
    args = ("--kind", "correction", "--replaces", "cat", "--with", "dog", "--note", "A dog.", "--date", "2026-01-06")
    assert run("-C", str(root), "correct", "news", *args).exit_code == 0
    assert run("-C", str(root), "build").exit_code == 0
    (notice,) = (root / "build" / "news" / "corrections").glob("*/email.html")
    html = notice.read_text(encoding="utf-8")
    assert re.search(r'<v:roundrect [^>]*href="https://news\.example\.com/news/web\.html#correction-\w+"', html)
    assert 'class="button-cell" bgcolor="#1d4ed8"' in html


def test_utm_parameters_tag_the_button_in_both_parts(run, tmp_path):
    """Before issue 11 a `{: .button }` link was a numbered reference, tagged in the link list;
    its line in the plain text is tagged as its button in the HTML is."""
    root = make_publication(tmp_path / "pub")
    config = root / "notice.toml"
    config.write_text(config.read_text(encoding="utf-8") + '\n[email.utm]\nsource = "letter"\n', encoding="utf-8")
    body = "[Join now](https://shop.example.com/join){: .button }\n\nSee https://other.example/ too."
    write_issue(root, "hello", body=body)
    assert run("-C", str(root), "build", "--drafts").exit_code == 0
    html = (root / "build" / "hello" / "email.html").read_text(encoding="utf-8")
    text = (root / "build" / "hello" / "email.txt").read_text(encoding="utf-8")
    assert html.count('href="https://shop.example.com/join?utm_source=letter"') == 2  # the VML's and the link's
    assert "Join now: https://shop.example.com/join?utm_source=letter\n" in text
    assert "See https://other.example/ too." in text  # a bare address in a sentence stays as written


def test_an_untitled_box_is_titled_in_every_page_of_a_published_issue(run, tmp_path):
    root = make_publication(tmp_path / "pub")
    write_issue(root, "ja", raw="---\ntitle: 号\ndate: 2026-01-05\nlang: ja\n---\n\n!!! note\n    本文。\n")
    assert run("-C", str(root), "publish", "ja", "--date", "2026-01-05 09:00").exit_code == 0
    assert run("-C", str(root), "build").exit_code == 0
    out = root / "build"
    for page in (out / "ja" / "web.html", out / "ja" / "original.html", out / "feed.atom", out / "feed.json"):
        content = page.read_text(encoding="utf-8")
        assert "お知らせ" in content and "Note" not in content and "data-untitled" not in content, page


def test_a_theme_copy_with_another_button_colour_changes_every_part_of_the_button(run, tmp_path):
    root = make_publication(tmp_path / "pub")
    css = (theme_dir() / "email.css").read_text(encoding="utf-8")
    assert css.count("#1d4ed8;\n}") == 1  # the button's one background colour
    (root / "templates").mkdir()
    (root / "templates" / "email.css").write_text(css.replace("#1d4ed8;\n}", "#065f46;\n}"), encoding="utf-8")
    write_issue(root, "hello", body="[Join](https://x.example/){: .button }")
    assert run("-C", str(root), "build", "--drafts").exit_code == 0
    html = (root / "build" / "hello" / "email.html").read_text(encoding="utf-8")
    assert 'fillcolor="#065f46"' in html and 'bgcolor="#065f46"' in html
    cell = re.search(r'<td class="button-cell"[^>]*>', html)[0]
    link = re.search(r'<a class="button"[^>]*>', html)[0]
    assert "#065f46" in cell.split("style=")[1] and "#065f46" in link and "#1d4ed8" not in cell + link


def test_one_renderer_reads_email_css_again_once_it_changed(tmp_path):
    """The renderer keeps the theme's email.css between issues (issue 13), as long as the file
    is unchanged: the preview's renderer must see an edited button colour."""
    from toolkit.build import load_states
    from toolkit.config import load_config
    from toolkit.render import IssueRenderer
    from toolkit.source import read_issues

    root = make_publication(tmp_path / "pub")
    (root / "templates").mkdir()
    css_path = root / "templates" / "email.css"
    css = (theme_dir() / "email.css").read_text(encoding="utf-8")
    css_path.write_text(css, encoding="utf-8")
    write_issue(root, "hello", body="[Join](https://x.example/){: .button }")
    config = load_config(root)
    issues = read_issues(config.issues_dir, default_lang=config.publication.lang, tz=config.tz)[0]
    state = next(iter(load_states(config, issues)[0].values()))
    renderer = IssueRenderer(config)
    assert 'fillcolor="#1d4ed8"' in renderer.render(state)["email.html"].decode()
    assert 'fillcolor="#1d4ed8"' in renderer.render(state)["email.html"].decode()
    css_path.write_text(css.replace("#1d4ed8;\n}", "#065f46;\n}"), encoding="utf-8")
    later = css_path.stat().st_mtime + 10
    os.utime(css_path, (later, later))
    assert 'fillcolor="#065f46"' in renderer.render(state)["email.html"].decode()


def test_check_warns_of_a_button_inside_a_sentence_where_it_was_written(run, tmp_path):
    root = make_publication(tmp_path / "pub")
    body = "[Alone](https://x.example/a){: .button }\n\nOr [in a sentence](https://x.example/b){: .button } here."
    path = write_issue(root, "hello", body=body)
    result = run("-C", str(root), "check", "hello")
    found = [line for line in result.output.splitlines() if "[button-inline]" in line]
    line = path.read_text(encoding="utf-8").splitlines().index(body.splitlines()[-1]) + 1
    assert found == [
        f"{path}:{line}: warning: the button 'in a sentence' is inside a sentence: Outlook on Windows shows it"
        " as a plain link [button-inline]"
    ]
