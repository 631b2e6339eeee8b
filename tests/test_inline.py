"""Tests for toolkit.inline: both engines must pass the same tests, string in, string out."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.inline import ENGINES, PREMAILER_OPTIONS, inline_css

ROOT = Path(__file__).resolve().parent.parent

MEDIA_WIDTH = """@media (max-width: 620px) {
  .container { width: 100% !important; max-width: 100% !important; }
  .header, .content, .footer { padding-left: 16px !important; padding-right: 16px !important; }
  h1 { font-size: 24px !important; }
  h2 { font-size: 20px !important; }
  p, li { font-size: 17px !important; }
  .btn { display: block !important; text-align: center !important; }
  .hide-mobile { display: none !important; }
}"""

MEDIA_DARK = """@media (prefers-color-scheme: dark) {
  body, .wrapper { background-color: #18181b !important; }
  .container { background-color: #27272a !important; }
  p, li, h1, h2, h3 { color: #f4f4f5 !important; }
  a { color: #93c5fd !important; }
  .footer { background-color: #1f1f23 !important; }
  del { background-color: #450a0a !important; color: #fca5a5 !important; }
  ins { background-color: #052e16 !important; color: #86efac !important; }
}"""

THEME = f"""
/* Reset. A comment with {{braces}} and a ; must not confuse the rule splitter. */
:root {{ color-scheme: light dark; supported-color-schemes: light dark; }}
body {{ margin: 0; padding: 0; width: 100%; background-color: #f4f4f5; -webkit-text-size-adjust: 100%; -ms-text-size-adjust: 100%; }}
table {{ border-collapse: collapse; mso-table-lspace: 0pt; mso-table-rspace: 0pt; }}
td {{ mso-line-height-rule: exactly; }}
img {{ border: 0; outline: none; text-decoration: none; -ms-interpolation-mode: bicubic; display: block; }}
a {{ color: #1a56db; text-decoration: underline; }}
a:hover {{ color: #123c99 !important; text-decoration: none !important; }}
p {{ margin: 0 0 16px 0; font-family: Helvetica, Arial, sans-serif; font-size: 16px; line-height: 1.6; color: #27272a; }}
p[lang="ja"] {{ font-family: "Hiragino Kaku Gothic ProN", Meiryo, sans-serif; line-height: 1.8; }}
h1 {{ margin: 0 0 16px 0; font-family: Georgia, 'Times New Roman', serif; font-size: 28px; line-height: 1.25; color: #18181b; }}
h2 {{ margin: 24px 0 12px 0; font-family: Georgia, 'Times New Roman', serif; font-size: 22px; line-height: 1.3; color: #18181b; }}
h3 {{ margin: 20px 0 8px 0; font-family: Helvetica, Arial, sans-serif; font-size: 18px; color: #18181b; }}
ul, ol {{ margin: 0 0 16px 0; padding: 0 0 0 24px; font-family: Helvetica, Arial, sans-serif; font-size: 16px; }}
li {{ margin: 0 0 6px 0; }}
blockquote {{ margin: 0 0 16px 0; padding: 8px 16px; border-left: 4px solid #d4d4d8; font-style: italic; }}
pre {{ margin: 0 0 16px 0; padding: 12px; font-family: Menlo, Consolas, monospace; font-size: 13px; white-space: pre-wrap; }}
code {{ font-family: Menlo, Consolas, monospace; font-size: 14px; padding: 1px 4px; }}
del {{ color: #b91c1c; text-decoration: line-through; background-color: #fef2f2; }}
ins {{ color: #15803d; text-decoration: none; background-color: #f0fdf4; border-bottom: 1px solid #86efac; }}
.wrapper {{ width: 100%; background-color: #f4f4f5; }}
.container {{ width: 600px; max-width: 600px; margin: 0 auto; background-color: #fafafa; }}
.header {{ padding: 24px 32px 16px 32px; border-bottom: 1px solid #e4e4e7; }}
.brand {{ font-family: Helvetica, Arial, sans-serif; font-size: 14px; letter-spacing: 0.08em; text-transform: uppercase; }}
.content {{ padding: 24px 32px 8px 32px; }}
.footer {{ padding: 16px 32px 32px 32px; background-color: #fafafa; }}
.footer p {{ font-size: 12px; line-height: 1.5; color: #71717a; }}
.issue-date {{ font-size: 13px; color: #71717a; margin: 0 0 8px 0; }}
.lead {{ font-size: 18px; line-height: 1.55; color: #3f3f46; }}
.note {{ color: #52525b !important; font-size: 14px; }}
.toc {{ margin: 0 0 24px 0; padding: 12px 16px; border: 1px solid #e2e8f0; }}
.toc a, .toc a:focus {{ color: #334155; text-decoration: none; }}
.btn-cell {{ border-radius: 6px; background-color: #1a56db; }}
.btn {{ display: inline-block; padding: 12px 24px; font-size: 16px; font-weight: bold; color: #fefefe !important; text-decoration: none; border-radius: 6px; }}
.correction {{ margin: 0 0 16px 0; padding: 12px 16px; background-color: #fffbeb; border: 1px solid #fde68a; }}
.correction p {{ font-size: 14px; color: #78350f; }}
.preheader {{ display: none !important; visibility: hidden; mso-hide: all; font-size: 1px; line-height: 1px; max-height: 0; overflow: hidden; }}
li:last-child {{ margin-bottom: 0; }}
p.special {{ color: #7c3aed; }}
#signoff {{ color: #0f766e; }}
{MEDIA_WIDTH}
/* Dark mode: Apple Mail, Outlook.com; not Gmail (caniemail). */
{MEDIA_DARK}
"""

HEAD_MSO = (
    "<!--[if mso]><noscript><xml><o:OfficeDocumentSettings><o:PixelsPerInch>96"
    "</o:PixelsPerInch></o:OfficeDocumentSettings></xml></noscript><![endif]-->"
)
HEAD_MSO_STYLE = "<!--[if mso]><style>td, p { font-family: Arial, sans-serif !important; }</style><![endif]-->"
WRAP_OPEN = (
    '<!--[if mso]><table role="presentation" align="center" width="600" cellpadding="0" '
    'cellspacing="0" border="0"><tr><td><![endif]-->'
)
WRAP_CLOSE = "<!--[if mso]></td></tr></table><![endif]-->"
VML_BUTTON = (
    '<!--[if mso]><v:roundrect xmlns:v="urn:schemas-microsoft-com:vml" '
    'href="https://example.org/read?id=12&amp;src=mail" style="height:44px;width:200px;" '
    'arcsize="14%" fillcolor="#1a56db" stroke="f"><center style="color:#ffffff;">Read&nbsp;more'
    "</center></v:roundrect><![endif]-->"
)
NOT_MSO_OPEN, NOT_MSO_CLOSE = "<!--[if !mso]><!-->", "<!--<![endif]-->"
COMMENTS = [HEAD_MSO, HEAD_MSO_STYLE, WRAP_OPEN, WRAP_CLOSE, VML_BUTTON, NOT_MSO_OPEN, NOT_MSO_CLOSE]

JAPANESE = "町内会のお知らせです。日曜日は道路が閉鎖されます。ご協力をお願いいたします。"
PREHEADER_PAD = "&nbsp;&zwnj;" * 8
PARAGRAPHS = "".join(
    f"<p>Item {i}: the council met on Tuesday &amp; agreed; 3 &lt; 4. "
    f'See <a href="https://example.org/minutes?id={i}&amp;lang=en">the minutes</a>.</p>\n'
    for i in range(10)
)
XHTML = (
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
    '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">'
)


def make_document(doctype: str = "<!DOCTYPE html>", theme: str = THEME, body: str = "") -> str:
    head = (
        '<html lang="ja" xmlns="http://www.w3.org/1999/xhtml" '
        'xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office">\n'
        "<head>\n"
        '<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<title>Town notice &amp; news, No. 12</title>\n"
        '<link rel="stylesheet" href="https://fonts.example.org/css?family=Noto+Sans+JP">\n'
        f"{HEAD_MSO}\n{HEAD_MSO_STYLE}\n"
        f"<style>{theme}</style>\n"
        "</head>\n"
    )
    return (
        (doctype + "\n" if doctype else "")
        + head
        + f"""<body>
<div class="preheader">Budget agreed, roads closed on Sunday{PREHEADER_PAD}</div>
<table role="presentation" class="wrapper" width="100%" cellpadding="0" cellspacing="0" border="0">
<tr><td align="center" style="mso-line-height-rule: exactly; -ms-text-size-adjust: 100%">
{WRAP_OPEN}
<table role="presentation" class="container" width="600" cellpadding="0" cellspacing="0" border="0">
<tr><td class="header"><span class="brand">Town notice</span></td></tr>
<tr><td class="content">
<p class="issue-date">2024-05-01</p>
<h1>Budget agreed</h1>
<p class="lead">The council agreed next year's budget.</p>
<div class="toc"><a href="#roads">Roads</a></div>
<p class="note" style="color: #000000; font-size: 15px">Inline style against the sheet.</p>
<p class="special" style="line-height: 2">Special paragraph.</p>
<p id="signoff" class="special">Sign-off.</p>
<h2 id="roads">Corrections</h2>
<div class="correction"><p>We said <del>Monday</del> <ins>Tuesday</ins>.</p></div>
<p lang="ja">{JAPANESE}</p>
{PARAGRAPHS}{body}<blockquote>Quoted text.</blockquote>
<ul><li>One</li><li>Two</li></ul>
<table role="presentation" cellpadding="0" cellspacing="0" border="0"><tr><td class="btn-cell">
{VML_BUTTON}
{NOT_MSO_OPEN}<a class="btn" href="https://example.org/read?id=12&amp;src=mail">Read more</a>{NOT_MSO_CLOSE}
</td></tr></table>
</td></tr>
<tr><td class="footer"><p>You subscribed. <a href="https://example.org/unsubscribe?u=abc&amp;list=town">Unsubscribe</a></p></td></tr>
</table>
{WRAP_CLOSE}
</td></tr>
</table>
</body>
</html>
"""
    )


DOCUMENT = make_document()


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def output(engine: str) -> str:
    return inline_css(DOCUMENT, engine=engine)


def parse(html: str) -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(html)


def style_of(element: lxml.html.HtmlElement) -> dict[str, str]:
    """The element's style attribute as {property: value}, with spacing normalised."""
    pairs = (item.split(":", 1) for item in element.get("style", "").split(";") if ":" in item)
    return {name.strip(): " ".join(value.split()) for name, value in pairs}


def one(tree: lxml.html.HtmlElement, css: str) -> lxml.html.HtmlElement:
    (element,) = tree.cssselect(css)
    return element


def leftover_css(html: str) -> str:
    (style,) = parse(html).xpath("//style")
    return style.text


def test_fixture_is_realistic() -> None:
    assert 4_000 < len(THEME) < 6_500
    assert 4_000 < len(DOCUMENT) - len(THEME) < 7_000


def test_class_and_element_rules_are_inlined(output: str) -> None:
    tree = parse(output)
    assert style_of(one(tree, "p.lead"))["font-size"] == "18px"
    assert style_of(one(tree, "h1"))["font-size"] == "28px"
    assert style_of(one(tree, "td.header"))["padding"] == "24px 32px 16px 32px"
    assert style_of(one(tree, "del"))["text-decoration"] == "line-through"
    assert style_of(one(tree, "ins"))["border-bottom"] == "1px solid #86efac"
    assert style_of(one(tree, "blockquote"))["font-style"] == "italic"
    assert style_of(one(tree, 'p[lang="ja"]'))["line-height"] == "1.8"
    assert style_of(one(tree, "body"))["-webkit-text-size-adjust"] == "100%"


def test_important_declarations_stay_important_inline(output: str) -> None:
    tree = parse(output)
    assert style_of(one(tree, "div.preheader"))["display"] == "none !important"
    assert style_of(one(tree, "a.btn"))["color"] == "#fefefe !important"


def test_specificity_decides(output: str) -> None:
    tree = parse(output)
    assert style_of(one(tree, "p.special:not([id])"))["color"] == "#7c3aed"  # p.special > p
    assert style_of(one(tree, "#signoff"))["color"] == "#0f766e"  # #id > p.special
    correction = style_of(one(tree, ".correction p"))
    assert (correction["font-size"], correction["color"]) == ("14px", "#78350f")
    assert style_of(one(tree, ".toc a"))["color"] == "#334155"  # split from .toc a:focus
    assert "margin-bottom" in style_of(tree.cssselect("li")[-1])  # li:last-child inlined
    assert "margin-bottom" not in style_of(tree.cssselect("li")[0])


def test_inline_style_beats_plain_rule(output: str) -> None:
    tree = parse(output)
    assert style_of(one(tree, "p.special:not([id])"))["line-height"] == "2"
    assert style_of(one(tree, "p.note"))["font-size"] == "15px"


def test_important_rule_against_inline_style(engine: str, output: str) -> None:
    # css-inline follows the cascade; premailer lets the style attribute win (premailer #273).
    expected = {"css-inline": "#52525b !important", "premailer": "#000"}[engine]
    assert style_of(one(parse(output), "p.note"))["color"] == expected


def test_one_style_block_in_head_keeps_what_cannot_be_inlined(output: str) -> None:
    tree = parse(output)
    assert len(tree.xpath("//style")) == 1
    assert len(tree.xpath("/html/head/style")) == 1
    css = leftover_css(output)
    assert MEDIA_WIDTH in css  # verbatim, every !important with it
    assert MEDIA_DARK in css
    assert ":root { color-scheme: light dark;" in css
    assert "a:hover { color: #123c99 !important;" in css
    assert ".toc a:focus {" in css


def test_inlined_rules_leave_the_style_block(output: str) -> None:
    css = leftover_css(output)
    for selector in (".lead", ".brand", ".issue-date", "blockquote", ".correction", "li:last"):
        assert selector not in css
    assert ".toc a," not in css
    assert "/*" not in css
    assert len(css) < len(THEME) / 2


def test_only_style_attributes_change(output: str) -> None:
    # premailer would add width/align/bgcolor attributes and overwrite the template's own.
    def attributes(html: str) -> list[tuple[str, dict[str, str]]]:
        skipped = {"style", "link", "tbody"}
        return [
            (element.tag, {k: v for k, v in element.attrib.items() if k != "style"})
            for element in parse(html).iter()
            if isinstance(element.tag, str) and element.tag not in skipped
        ]

    assert attributes(output) == attributes(DOCUMENT)


def test_star_unset_and_float_handled_alike(engine: str) -> None:
    # premailer by default drops `*` rules, drops `unset` values and adds align= to floats.
    css = "* { margin: 0; } p { color: unset; } img { float: left; }"
    body = '<p>x</p><img src="a.png" alt="">'
    html = f"<html><head><style>{css}</style></head><body>{body}</body></html>"
    tree = parse(inline_css(html, engine=engine))
    assert style_of(one(tree, "p")) == {"margin": "0", "color": "unset"}
    assert one(tree, "img").get("align") is None


def test_meta_charset_kept_within_first_kilobyte(output: str) -> None:
    assert 0 <= output.encode().find(b'<meta charset="utf-8">') < 1024


@pytest.mark.parametrize("doctype", ["<!DOCTYPE html>", "<!doctype html>", XHTML])
def test_doctype_is_the_first_line(engine: str, doctype: str) -> None:
    out = inline_css(make_document(doctype), engine=engine)
    assert out.splitlines()[0] == doctype
    assert out.lower().count("<!doctype") == 1


def test_no_doctype_added(engine: str) -> None:
    out = inline_css(make_document(doctype=""), engine=engine)
    assert "<!doctype" not in out.lower()
    assert out.lstrip().startswith("<html")


def test_conditional_comments_survive_verbatim(output: str) -> None:
    for comment in COMMENTS:
        assert output.count(comment) == 1, comment
    head, _, body = output.partition("</head>")
    assert HEAD_MSO in head and HEAD_MSO_STYLE in head
    assert WRAP_OPEN in body and WRAP_CLOSE in body


def test_preheader_invisible_characters(output: str) -> None:
    text = one(parse(output), "div.preheader").text_content()
    assert text.count("\u200c") == 8
    assert text.count("\u00a0") == 8


def test_japanese_stays_utf8(output: str) -> None:
    assert JAPANESE.encode() in output.encode()
    assert not re.search(r"&#x?[0-9a-fA-F]+;", output)
    assert one(parse(output), 'p[lang="ja"]').text_content() == JAPANESE


def test_ampersands_stay_valid(output: str) -> None:
    tree = parse(output)
    assert one(tree, "a.btn").get("href") == "https://example.org/read?id=12&src=mail"
    assert 'href="https://example.org/read?id=12&amp;src=mail"' in output
    assert "Town notice &amp; news" in output
    assert "3 &lt; 4" in output


@pytest.mark.parametrize("engine", ENGINES)
@settings(max_examples=100, deadline=None, database=None)
@given(st.text(st.characters(categories=("L", "M", "N", "P", "S", "Zs", "Cf")), min_size=1))
def test_any_text_survives(engine: str, text: str) -> None:
    esc = html.escape(text)
    body = f'<p id="any" title="{esc}">{esc}</p><a id="url" href="/?q={esc}&amp;r=1">.</a>'
    tree = parse(inline_css(make_document(body=body), engine=engine))
    assert one(tree, "#any").text_content() == text
    assert one(tree, "#any").get("title") == text
    # premailer (libxml2) percent-encodes spaces and non-ASCII in href/src; the URL is the same.
    assert unquote(one(tree, "#url").get("href")) == unquote(f"/?q={text}&r=1")


def test_no_stylesheet_links(output: str) -> None:
    assert "<link" not in output


def test_deterministic(engine: str) -> None:
    assert inline_css(DOCUMENT, engine=engine) == inline_css(DOCUMENT, engine=engine)


def run_python(code: str, stdin: str = "", env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        check=True,
    )
    return result.stdout


def test_deterministic_across_processes() -> None:
    code = (
        "import sys, json; from toolkit.inline import ENGINES, inline_css; html = sys.stdin.read();"
        "print(json.dumps([inline_css(html, engine=e) for e in ENGINES]))"
    )
    runs = [json.loads(run_python(code, DOCUMENT, {"PYTHONHASHSEED": seed})) for seed in ("1", "2")]
    assert runs[0] == runs[1] == [inline_css(DOCUMENT, engine=e) for e in ENGINES]


def test_import_is_lazy() -> None:
    code = (
        "import sys, toolkit.inline;"
        "print(sorted(m for m in ('premailer', 'lxml', 'cssutils', 'css_inline', 'requests')"
        " if m in sys.modules))"
    )
    assert run_python(code).strip() == "[]"


def test_premailer_reuses_the_parsed_theme() -> None:
    # Enough rules and distinct styles to overflow premailer's default 128-entry cache.
    theme = THEME + "".join(f".u{i} {{ padding-top: {i}px; }}\n" for i in range(60))
    body = "".join(f'<p class="u{i}" style="margin-bottom: {i}px">u{i}</p>' for i in range(60))
    code = (
        "import sys; from toolkit.inline import inline_css; html = sys.stdin.read();"
        "inline_css(html); import cssutils; calls = [];"
        "parse = cssutils.parseString;"
        "cssutils.parseString = lambda *a, **k: calls.append(1) or parse(*a, **k);"
        "inline_css(html.replace('No. 12', 'No. 13')); print(len(calls))"
    )
    assert run_python(code, make_document(theme=theme, body=body)).strip() == "0"


def test_premailer_reads_each_theme_once_per_process() -> None:
    # Issue 13: premailer turned the whole parsed sheet back into text for every issue.
    other = make_document(theme=THEME + "p { color: #b91c1c; }\n", body="<p>Other theme</p>")
    code = (
        "import json, sys, toolkit.inline as inline; first, other = json.load(sys.stdin);"
        "inline.inline_css(first); import premailer; stock = premailer.Premailer._parse_style_rules; calls = [];"
        "premailer.Premailer._parse_style_rules = lambda self, *a: calls.append(1) or stock(self, *a);"
        "out = [inline.inline_css(other), inline.inline_css(first.replace('No. 12', 'No. 13'))];"
        "type(inline._premailer())._parse_style_rules = stock;"  # premailer's own, every time
        "print(json.dumps([len(calls), out, [inline.inline_css(other), inline.inline_css(first.replace('No. 12', 'No. 13'))]]))"
    )
    calls, cached, uncached = json.loads(run_python(code, json.dumps([DOCUMENT, other])))
    assert calls == 1  # the other theme's sheet; the first one's rules were kept
    assert cached == uncached


def test_quiet() -> None:
    # A fresh process: premailer caches parsed CSS, so a repeat in this one would log nothing
    # anyway. cssutils logs each email-only property (mso-*, -ms-text-size-adjust) it meets.
    code = (
        "import logging, sys; logging.basicConfig(level=logging.DEBUG);"
        "from toolkit.inline import ENGINES, inline_css; html = sys.stdin.read();"
        "[inline_css(html, engine=e) for e in ENGINES]"
    )
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", code],
        input=DOCUMENT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_unknown_engine() -> None:
    with pytest.raises(ValueError, match="'pynliner'"):
        inline_css(DOCUMENT, engine="pynliner")


# The expression `_set_aside_leftover_css` used before issue 13 factored out its "<" and read
# comments and stylesheets by a lazy ``.*?`` scan: the oracle for both changes.
_HTML_PARTS_BEFORE = re.compile(
    r"<!--.*?-->"
    r"|<style\b[^>]*>(?P<css>.*?)</style\s*>"
    r"|(?P<link><link\b[^>]*?\brel\s*=\s*[\"']?[^\"'>]*\bstylesheet\b[^>]*>)",
    re.S | re.I,
)
_PARTS = [
    "<!--",
    "-->",
    "<!--[if mso]>",
    "<![endif]-->",
    "<style>",
    "<STYLE media=x>",
    "</style>",
    "</style >",
    "<link rel=stylesheet href=a.css>",
    "<LINK REL='StyleSheet'>",
    "<link href=x>",
    "<p>",
    "</p>",
    "<",
    ">",
    "a{color:red}",
    "x",
    " ",
    "\n",
    "<styles>",
    "<linker rel=stylesheet>",
    '"',
    "'",
    "</Style >",
    "</style\n>",
    "</styles>",
    "</style x>",
    "--",
    "->",
    "-",
    "<!---->",
    '<link rel="stylesheet" href="x">',
    "<link rel=icon>",
    "/",
    "日本",
]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_PARTS), max_size=14))
def test_the_parts_expression_finds_what_it_found_before(parts: list[str]) -> None:
    from toolkit.inline import _HTML_PARTS

    html = "".join(parts)
    before = [(m.span(), m["css"], m["link"]) for m in _HTML_PARTS_BEFORE.finditer(html)]
    after = [(m.span(), m["css"], m["link"] and "<" + m["link"]) for m in _HTML_PARTS.finditer(html)]
    assert after == before


_RULES = (
    ".a { color: red } .q1 { color: teal } .b span { margin: 0 } #c { padding: 1px } em { color: blue } td.x { border: 0 } "
    "p:first-child { margin: 2px } .a-b > i { color: green } * { line-height: 1 } [title] { color: gray }"
)
_BODY_PIECES = [
    '<span class="a">',
    "</span>",
    '<div class="b x">',
    "</div>",
    '<p id="c">',
    "</p>",
    "<em>",
    "</em>",
    '<table><tr><td class="x">1</td></tr></table>',
    '<TD CLASS="x">',
    '<i class="a-b">',
    '<div class="&#113;1">',
    '<!-- <em class="b"> -->',
    "a b c x",
    '<i title="t">',
    "<P>",
    "<span class=a>",
    "&amp;",
    '<b class="a-b">',
    "&zwnj;&nbsp;&#847;",
    '<div class="q&zwnj;1">',
    '<i class="a&#45;b">',
    '<td style="text-align: center; width: 10px; background-color: #abc; vertical-align: top">',
    '<p style="height: 2px" width="3">',
]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(_BODY_PIECES), max_size=10))
def test_premailer_skips_only_rules_that_match_nothing(pieces: list[str]) -> None:
    """Issue 13: rules whose class, id or element the email lacks are not given to premailer;
    its output is the one it makes with every rule."""
    from premailer import Premailer

    from toolkit.inline import _premailer

    html = f"<html><head><style>{_RULES}</style></head><body>{''.join(pieces)}</body></html>"
    premailer = _premailer()
    assert premailer.transform(html, pretty_print=False) == Premailer.transform(premailer, html, pretty_print=False)
    # And premailer's own, which also turns styles into the attributes notice asks it not to.
    assert premailer.transform(html, pretty_print=False) == Premailer(**PREMAILER_OPTIONS).transform(
        html, pretty_print=False
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_a_style_in_a_scripts_text_is_text(engine: str) -> None:
    """A "<style>" inside an element whose content is text to HTML (JSON-LD, a script, a
    title) stays as written and styles nothing: css-inline, given the theme's rules beside the
    document, once took it for one of them (review of issue 13)."""
    script = '<script type="application/ld+json">{"a":"<style>p{color:blue} @media print{p{x:y}}</style>"}</script>'
    title = "<title>News <style>p{color:green}</style></title>"
    document = (
        f"<!DOCTYPE html><html><head>{title}<style>p{{color:red}}</style></head>"
        f'<body>{script}<p id="p">x</p><SCRIPT>var s = "<style>p{{}}</style>";</SCRIPT></body></html>'
    )
    out = inline_css(document, engine=engine)
    assert script in out and 'var s = "<style>p{}</style>";' in out
    assert style_of(one(parse(out), "#p")) == {"color": "red"}
    assert "@media print" not in out.split("</head>")[0]  # the script's text was not split


def test_a_style_in_svg_is_what_css_inline_made_of_it_before():
    """An SVG's own <style>: css-inline drops it and applies none of it, as it always did."""
    document = (
        "<!DOCTYPE html><html><head><style>p{color:red}</style></head><body>"
        '<svg width="10" height="10"><style>circle{fill:red}</style><circle cx="5" cy="5" r="4"/></svg>'
        "<p>x</p></body></html>"
    )
    out = inline_css(document, engine="css-inline")
    assert '<circle cx="5" cy="5" r="4"></circle>' in out and '<p style="color:red">x</p>' in out
