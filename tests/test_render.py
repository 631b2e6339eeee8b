"""The renderer's own helpers, string in and string out: the order of the errata, the summary
line, footnote marks in the email."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.kinds import NAMES, strength
from toolkit.markup import render_markdown
from toolkit.render import by_strength, plain_footnote_marks, summary_item


@given(st.lists(st.tuples(st.sampled_from(NAMES), st.integers(0, 10_000)), max_size=12))
def test_errata_go_strongest_first_and_keep_their_order_within_a_kind(records):
    """Issue 15: retraction, then correction and clarification, then the others; the entries
    arrive newest first and stay so within each rank."""
    entries = [{"kind": kind, "n": n} for n, (kind, _) in enumerate(records)]
    ordered = by_strength(entries)
    ranks = [strength(e["kind"]) for e in ordered]
    assert ranks == sorted(ranks, reverse=True)
    for rank in set(ranks):
        within = [e["n"] for e in ordered if strength(e["kind"]) == rank]
        assert within == sorted(within)
    assert sorted(e["n"] for e in ordered) == list(range(len(entries)))


def entry(kind_heading: str, when: dt.datetime, *, pending: bool = False) -> dict:
    return {
        "record": SimpleNamespace(date=when),
        "heading": kind_heading,
        "pending": pending,
        "date": f"long {when:%Y-%m-%d}",
    }


def test_a_summary_item_is_the_label_and_the_day_with_the_year_only_when_it_differs():
    issue = SimpleNamespace(lang="ja", date=dt.date(2018, 7, 13))
    assert summary_item(entry("【訂正】", dt.datetime(2018, 7, 14, 9)), issue) == "【訂正】7月14日"
    assert summary_item(entry("【追記】", dt.datetime(2019, 1, 2, 9)), issue) == "【追記】long 2019-01-02"
    assert (
        summary_item(entry("【追記】", dt.datetime(2018, 7, 14, 9), pending=True), issue) == "【追記】7月14日 (確認中)"
    )
    english = SimpleNamespace(lang="en", date=dt.date(2026, 1, 5))
    assert summary_item(entry("Correction:", dt.datetime(2026, 1, 6, 9)), english) == "Correction: Jan 6"


def test_footnote_marks_lose_their_in_page_links_and_nothing_else():
    html = render_markdown("A claim.[^1] See [the site](https://example.com/#top).\n\n[^1]: The source.\n")
    plain = plain_footnote_marks(html)
    assert '<sup id="fnref:1">1</sup>' in plain and "<p>The source.</p>" in plain
    assert 'href="#' not in plain and '<a href="https://example.com/#top">the site</a>' in plain


# The back-link expression plain_footnote_marks used before it found each link by its text
# (issue 13): the oracle for the spaces it takes off before each link.
_OLD_BACKREF = re.compile(r'(?:\s|&#160;|&nbsp;)*<a class="footnote-backref" href="#[^"]*"[^>]*>.*?</a>')
_BACKLINK = '<a class="footnote-backref" href="#fnref:1" title="Jump back">&#8617;</a>'


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [" ", "\n", "\t", "\u3000", "\xa0", "&#160;", "&nbsp;", "&nbsp", "#160;", "x", "。", ";", "<p>", "</p>"]
            + [
                _BACKLINK,
                '<a class="footnote-backref" href="#fnref:2">\n</a>',
                '<a class="footnote-ref" href="#fn:1">1</a>',
            ]
        ),
        max_size=12,
    )
)
def test_footnote_back_links_go_with_the_spaces_before_them_as_the_old_expression_took(pieces: list[str]) -> None:
    fragment = 'class="footnote-"' + "".join(pieces)
    expected = _OLD_BACKREF.sub("", re.sub(r'<a class="footnote-ref" href="#[^"]*">(.*?)</a>', r"\1", fragment))
    assert plain_footnote_marks(fragment) == expected
