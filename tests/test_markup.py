from __future__ import annotations

import pytest

from toolkit.markup import absolute_url, render_markdown


def test_extensions_tables_footnotes_attr_list_fenced_code():
    html = render_markdown(
        "A[^1]\n{: .lead }\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```\ncode <x>\n```\n\n[^1]: Note.\n"
    )
    assert '<p class="lead">' in html
    assert "<table>" in html and "<td>1</td>" in html
    assert "<pre><code>code &lt;x&gt;\n</code></pre>" in html
    assert 'class="footnote"' in html and 'href="#fn:1"' in html


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
