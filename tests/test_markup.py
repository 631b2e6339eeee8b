from __future__ import annotations

import subprocess
import sys
import types
from typing import Any
from xml.etree.ElementTree import Comment, Element, SubElement

import markdown
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown import serializers
from markdown.extensions.admonition import AdmonitionProcessor
from markdown.treeprocessors import InlineProcessor

from toolkit.components import ComponentsExtension
from toolkit.markup import (
    _CONVERTERS,
    EXTENSIONS,
    NEEDLES,
    AbsoluteURLExtension,
    QuickInlineProcessor,
    absolute_url,
    render_fragment,
    render_markdown,
    serialize_html,
)
from toolkit.sanitize import sanitize


def test_extensions_tables_footnotes_attr_list_fenced_code():
    html = render_markdown(
        "A[^1]\n{: .lead }\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```\ncode <x>\n```\n\n[^1]: Note.\n"
    )
    assert '<p class="lead">' in html
    assert "<table>" in html and "<td>1</td>" in html
    assert "<pre><code>code &lt;x&gt;\n</code></pre>" in html
    assert 'class="footnote"' in html and 'href="#fn:1"' in html


def test_the_extensions_are_given_to_markdown_not_looked_up_by_name():
    # By name, Python-Markdown searches every installed package's entry points for each
    # extension (importlib.metadata: ~35 ms of every process that renders, issue 13).
    code = "import sys; from toolkit.markup import render_markdown; render_markdown('*a*'); print(sorted(sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "'markdown.extensions.footnotes'" in loaded
    assert "'importlib.metadata'" not in loaded


def test_sane_lists_do_not_merge_ordered_and_unordered():
    html = render_markdown("1. one\n2. two\n\n* a\n* b\n")
    assert html.count("<ol>") == 1 and html.count("<ul>") == 1


def test_links_and_images_made_absolute_against_base_url():
    html = render_markdown(
        "[a](page.html) [b](/root) [c](#top) [d](https://x.org/) ![i](img/p.png)",
        base_url="https://news.example.com/letter",
    )
    assert 'href="https://news.example.com/letter/page.html"' in html
    assert 'href="https://news.example.com/root"' in html
    assert 'href="#top"' in html
    assert 'href="https://x.org/"' in html
    assert 'src="https://news.example.com/letter/img/p.png"' in html


def test_no_base_url_leaves_links_alone():
    assert 'href="page.html"' in render_markdown("[a](page.html)")


@pytest.mark.parametrize(
    "url, expected",
    [
        ("mailto:a@b.c", "mailto:a@b.c"),
        ("  x.html ", "https://e.com/x.html"),
        ("", ""),
        ("//cdn.e.com/a.png", "https://cdn.e.com/a.png"),
    ],
)
def test_absolute_url(url, expected):
    assert absolute_url(url, "https://e.com/") == expected


def test_footnote_ids_do_not_leak_between_documents():
    first = render_markdown("a[^n]\n\n[^n]: x")
    second = render_markdown("b[^n]\n\n[^n]: y")
    assert 'id="fn:n"' in first and 'id="fn:n"' in second


def test_a_reused_converter_carries_nothing_from_one_document_to_the_next():
    """Issue 13 reuses one converter per base URL; each document still starts clean."""
    first = render_markdown("Text[^1] and [a][ref].\n\n[^1]: A note.\n\n[ref]: https://e.com/\n\n<div>raw</div>\n")
    assert "footnote" in first and "https://e.com/" in first
    second = render_markdown("Only [a][ref] and text[^1].\n")
    assert "footnote" not in second and "https://e.com/" not in second and "raw" not in second
    assert (
        render_markdown("Text[^1] and [a][ref].\n\n[^1]: A note.\n\n[ref]: https://e.com/\n\n<div>raw</div>\n") == first
    )


# --- the quick inline processor (issue 13) ---------------------------------------------------

# Every character an inline pattern looks for, and the ones around them: emphasis, code,
# escapes, links and images (inline, reference, short), footnotes, autolinks, raw HTML,
# entities and hard line breaks, in mixed Japanese and English.
_INLINE_PIECES = (
    "* ** _ __ ` `` \\ [ ] ( ) ![ [^1] < > & ; &amp; &#160; a 日本語 。 x@y.jp https://e.jp/p <b> </b> [r] [r][] "
    "[a](https://e.jp/) ![i](i.png) :"
).split() + ["  \n", "\n", " ", "<!-- c -->"]
_inline_source = st.lists(st.sampled_from(_INLINE_PIECES), max_size=25).map("".join)
_block_source = st.lists(
    st.one_of(_inline_source, _inline_source.map(lambda t: f"- {t}"), _inline_source.map(lambda t: f"> {t}")),
    min_size=1,
    max_size=4,
).map(lambda blocks: "\n\n".join(blocks) + "\n\n[r]: https://e.jp/ref\n[^1]: A note *with* `code`.\n")


def _stock_converter() -> markdown.Markdown:
    """The converter render_fragment uses, with Python-Markdown's own inline processor,
    ``is_block_level`` and block processors' tests back (issue 13 replaced them)."""
    md = markdown.Markdown(
        extensions=[*EXTENSIONS, ComponentsExtension(), AbsoluteURLExtension("https://e.jp/")],
        extension_configs={"footnotes": {"UNIQUE_IDS": False}},
        output_format="html",
    )
    md.treeprocessors.register(InlineProcessor(md), "inline", 20)
    md.preprocessors.deregister("notice_document_text")
    for processor in [*md.preprocessors, *md.treeprocessors]:
        vars(processor).pop("run", None)
    del md.is_block_level
    md.serializer = serializers.to_html_string
    vars(md.parser).pop("parseBlocks", None)
    for processor in md.parser.blockprocessors:
        vars(processor).pop("test", None)
        if isinstance(processor, AdmonitionProcessor):
            processor.test = types.MethodType(AdmonitionProcessor.test, processor)  # type: ignore[method-assign]
    return md


def test_the_quick_inline_processor_is_the_one_in_use() -> None:
    converter = markdown.Markdown(extensions=[AbsoluteURLExtension("")])
    assert isinstance(converter.treeprocessors["inline"], QuickInlineProcessor)
    assert type(_stock_converter().treeprocessors["inline"]) is InlineProcessor


# One source for each pattern the quick processor may skip, and their mixtures.
_EACH_PATTERN = [
    "a `code` and ``two`` b",
    "\\*not em\\* \\\\ \\[x]",
    "note[^1] and [^2]\n\n[^1]: one\n[^2]: two *em*",
    "[a](https://e.jp/) [b][r] [r] [r][]\n\n[r]: https://e.jp/ref",
    "![i](i.png) ![j][r] ![r]\n\n[r]: img.png",
    "<https://e.jp/> <x@y.jp> <b>bold</b> <!-- c --> a < b > c",
    "&amp; &#160; &copy; & alone; AT&T",
    "一行目  \n二行目  \nthird",
    "*em* **strong** _em_ __strong__ ***both*** a*b a_b_c 日本*語*です",
    "- *a* [b](c)  \n  `d` &amp;\n- <i>e</i> ![f](g)\n\n> _q_ [^1]\n\n[^1]: **n**",
]


def _same_html(source: str) -> None:
    assert render_fragment(source, base_url="https://e.jp/").html == sanitize(_stock_converter().convert(source))[0]


@pytest.mark.parametrize("source", _EACH_PATTERN)
def test_quick_inline_processor_makes_what_python_markdown_makes(source: str) -> None:
    _same_html(source)


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=_block_source)
def test_quick_inline_processor_makes_what_python_markdown_makes_of_any_mixture(source: str) -> None:
    _same_html(source)


# --- the quick block tests (issue 13) --------------------------------------------------------

# Every block the quick tests may skip, the near misses around their strings, and the rest.
_BLOCK_PIECES = [
    "# h1",
    "## h2 ##",
    "#no",
    "a # b",
    "Title\n=====",
    "Sub\n---",
    "a\n=b",
    "- - -",
    "***",
    "___",
    "* * *",
    "a -- b",
    "> q",
    "> > qq\n> more",
    "a > b",
    ">q",
    "a\n>b",
    "[^1]: note",
    "x[^1]",
    "[^x]:y",
    "a\n[^1]: b",
    "[r]: https://e.jp/r",
    "[r]:",
    '[a]: <https://e.jp/a> "T"',
    "| a | b |\n|---|:-:|\n| 1 | 2 |",
    "a | b\n--|--\n1 | 2",
    "|x|",
    "a|b",
    "!!! note\n    body",
    "!!!tip\n    x",
    '!!! warning "注意"\n    text',
    "!!!",
    "text !!! x",
    "> !!! note\n>     in a quote",  # a box only a nested block holds (a processor left out per document)
    "- item\n\n    !!! tip\n        in a list",
    "> Title\n> ---",  # an underline whose line break the document has only before "> "
    "- item\n\n    Title\n    ===",
    "Title\n ---",
    "Title\n=",
    "    indented code",
    "1. one\n2. two",
    "- a\n    - b",
    "* x\n\n    more",
    "```\ncode # > |\n```",
    "<div>raw # |</div>",
    "日本語の段落。",
    "plain *em*",
]


def _same_blocks(source: str) -> None:
    assert render_fragment(source, base_url="https://e.jp/").html == sanitize(_stock_converter().convert(source))[0]


def test_every_block_processor_with_needles_is_quick() -> None:
    render_fragment("x", base_url="https://e.jp/")
    converter = _CONVERTERS.by_base["https://e.jp/"]
    assert "parseBlocks" in vars(converter.parser)  # over a tuple of the processors
    quick = {type(p).__name__ for p in converter.parser.blockprocessors if "test" in vars(p)}
    assert quick == {
        "HashHeaderProcessor",
        "SetextHeaderProcessor",
        "HRProcessor",
        "BlockQuoteProcessor",
        "FootnoteBlockProcessor",
        "ReferenceProcessor",
        "TableProcessor",
    }


@pytest.mark.parametrize("source", _BLOCK_PIECES)
def test_quick_block_tests_make_what_python_markdown_makes(source: str) -> None:
    _same_blocks(source + "\n")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    blocks=st.lists(st.tuples(st.sampled_from(_BLOCK_PIECES), st.sampled_from(["\n", "\n\n", "\n    "])), max_size=6)
)
def test_quick_block_tests_make_what_python_markdown_makes_of_any_mixture(blocks: list[tuple[str, str]]) -> None:
    _same_blocks("".join(block + gap for block, gap in blocks))


# --- the quick pre- and treeprocessors, and inline patterns left out per document (issue 13) --

# What each processor of PROCESSOR_NEEDLES and each inline pattern looks for, near misses
# (a tab that becomes the two spaces of a line break, STX that the whitespace preprocessor
# removes between backticks), and text that needs none of them.
_DOCUMENT_PIECES = [
    "plain 日本語",
    "*em*",
    "a\t\nb",
    "x  \ny",
    "```\ncode {: .c } \\* [^1]\n```",
    "~~~ {.py #i onclick=x}\nc\n~~~",
    "``\x02`\nnot a fence\n``\x02`",
    "<div>raw</div>",
    "<span a=1>in</span> line",
    "&amp; &copy; AT&T &#12 &copy",
    "para\n{: .caption #p }",
    "## head {: #h }",
    "[a](https://e.jp/){: .button }",
    "\\{ \\* \\\\ \\`",
    "{ brace } and {:",
    "*em*{.c} and\n{#i}",
    "note[^1]\n\n[^1]: the *note*",
    "[^1]: only a definition",
    "x[^2]",
    "| a | b |\n|---|---|\n| {: .c } | \\| |",
    "- item {: .i }\n- `code`",
    "> quote &lt;",
    "![i](i.png){: width=10 }",
    "!!! note\n    box {: .b }",
]


def _same_markdown(source: str) -> None:
    """Markdown's own HTML, before the sanitizer (whose serialiser would hide a difference of
    escapes), and the fragment after it."""
    render_fragment("", base_url="https://e.jp/")
    ours = _CONVERTERS.by_base["https://e.jp/"]
    ours.reset()
    assert ours.convert(source) == _stock_converter().convert(source)
    _same_html(source)


@pytest.mark.parametrize("source", _DOCUMENT_PIECES)
def test_quick_processors_make_what_python_markdown_makes(source: str) -> None:
    _same_markdown(source + "\n")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    blocks=st.lists(
        st.tuples(st.sampled_from(_DOCUMENT_PIECES), st.sampled_from(["\n", "\n\n", " ", "\n    "])), max_size=5
    )
)
def test_quick_processors_make_what_python_markdown_makes_of_any_mixture(blocks: list[tuple[str, str]]) -> None:
    _same_markdown("".join(block + gap for block, gap in blocks))


def test_every_processor_with_needles_is_quick() -> None:
    render_fragment("x", base_url="https://e.jp/")
    converter = _CONVERTERS.by_base["https://e.jp/"]
    quick = {type(p).__name__ for p in [*converter.preprocessors, *converter.treeprocessors] if "run" in vars(p)}
    assert quick == {
        "FencedBlockPreprocessor",
        "HtmlBlockPreprocessor",
        "AttrListTreeprocessor",
        "UnescapeTreeprocessor",
        "FootnoteTreeprocessor",
        "FootnotePostTreeprocessor",
    }


# --- the serialiser (issue 13) -----------------------------------------------------------------

_TEXTS = st.sampled_from(["", "a", "日本語", "a & b", "&amp;", "&#160;", "<x>", '"q"', "\n", "\u00a0", "AT&T;"])
_TAGS = st.sampled_from(["p", "a", "img", "br", "hr", "div", "script", "STYLE", "Pre", "code", "em", "td"])
_NAMES = st.sampled_from(["href", "class", "id", "checked", "controls", "title", "data-x", "alt"])


@st.composite
def _trees(draw: Any, depth: int = 0) -> Element:
    element = Element(draw(_TAGS))
    for name in draw(st.lists(_NAMES, max_size=3, unique=True)):
        element.set(name, draw(st.one_of(st.none(), _TEXTS, st.just(name))))
    element.text = draw(st.one_of(st.none(), _TEXTS))
    element.tail = draw(st.one_of(st.none(), _TEXTS))
    if depth < 3:
        element.extend(draw(st.lists(_trees(depth + 1), max_size=3)))
    return element


@settings(max_examples=300, deadline=None)
@given(tree=_trees())
def test_the_serialiser_writes_what_markdowns_writes(tree: Element) -> None:
    assert serialize_html(tree) == serializers.to_html_string(tree)


def test_the_serialiser_leaves_comments_and_deep_trees_to_markdowns() -> None:
    root = Element("div")
    root.append(Comment(" c "))
    deep = root
    for _ in range(3000):
        deep = SubElement(deep, "em")
    assert serialize_html(root) == serializers.to_html_string(root)
    assert render_fragment("x").html == "<p>x</p>"
    assert _CONVERTERS.by_base[""].serializer is serialize_html


def test_each_inline_pattern_has_the_one_or_two_strings_its_skip_looks_for():
    """QuickInlineProcessor tests a pattern's first and last string only."""
    assert NEEDLES and all(1 <= len(needles) <= 2 for needles in NEEDLES.values())
