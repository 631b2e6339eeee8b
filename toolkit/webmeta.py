"""What an issue's page and feeds say about it to machines: ids, dates, Open Graph, JSON-LD.

One module computes the instants and the identity of an issue, so the visible "Sent · Updated"
line, the feeds' ``published``/``updated``, JSON Feed's ``date_modified``, JSON-LD's
``dateModified`` and the sitemap's ``lastmod`` can never disagree (issue 9).

Dates follow the GOV.UK and Atom rule (/work/shared/corrections-practice.md; RFC 4287
§4.2.15): ``published`` is when readers received the issue (its lock); ``updated`` moves only
for a record readers must hear of, never for a ``minor`` one (Google News: do not freshen a
story artificially).

Ids are ``tag:`` URIs (RFC 4151) made of the publication's tagging entity, the issue's
publication date and its slug. Neither base_url nor the title feeds them, so moving the site
or correcting the title keeps every id; a slug reused after its issue was deleted gets a new
date, so an id is never reused for another issue.
"""

from __future__ import annotations

import datetime as dt
import heapq
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from markupsafe import Markup

from .config import Config
from .issue_state import IssueState, subject_of
from .kinds import kind_of
from .labels import base_language, format_date, labels_for
from .markup import render_markdown
from .records import Record

#: Words the page data adds, per language (English is the fallback).
WORDS: dict[str, dict[str, str]] = {
    "en": {
        "sent": "Sent",
        "updated": "Updated",
        "policy": "Corrections policy",
        "share": "Share",
        "share_line": "Share on LINE",
        "share_x": "Post on X",
        "share_facebook": "Share on Facebook",
        "share_hatena": "Bookmark on Hatena",
        "feed": "Feed",
        "corrections": "Corrections",
        "original": "See the issue as sent",
        "as_sent": "This is the issue as sent on {date}, without any later correction.",
        "current": "Read the current version",
        "no_corrections": "No corrections yet.",
        "record": "record",
    },
    "ja": {
        "sent": "配信",
        "updated": "最終更新",
        "policy": "訂正方針",
        "share": "シェア",
        "share_line": "LINEで送る",
        "share_x": "Xでポスト",
        "share_facebook": "Facebookでシェア",
        "share_hatena": "はてブする",
        "feed": "フィード",
        "corrections": "訂正・お詫び一覧",
        "original": "配信時の版を見る",
        "as_sent": "{date}に配信した時点の版です。その後の訂正・追記は反映していません。",
        "current": "最新の版を読む",
        "no_corrections": "訂正はまだありません。",
        "record": "記録",
    },
}

#: Each network's plain share URL: a link, no script (issue 9, item 10).
SHARE_URLS = {
    "line": "https://social-plugins.line.me/lineit/share?url={url}",
    "x": "https://twitter.com/intent/tweet?url={url}&text={text}",
    "facebook": "https://www.facebook.com/sharer/sharer.php?u={url}",
    "hatena": "https://b.hatena.ne.jp/add?mode=confirm&url={url}&title={text}",
}

#: The open Graph locale of a language (``og:locale`` wants language_TERRITORY).
OG_LOCALES = {"ja": "ja_JP", "en": "en_US"}


def words_for(lang: str) -> dict[str, str]:
    return {**WORDS["en"], **WORDS.get(base_language(lang), {})}


def told(records: list[Record]) -> list[Record]:
    """The records readers must hear of: every kind but `minor` (the kinds table's notice flag)."""
    return [r for r in records if kind_of(r.kind).notice]


def published_at(state: IssueState) -> dt.datetime:
    """When readers received the issue: its lock, else its `published` field, else its date."""
    if state.lock is not None:
        return state.lock.published
    return state.issue.published or state.issue.date


def newest_published(states: Iterable[IssueState], count: int) -> list[IssueState]:
    """The *count* newest of *states*, newest first (by `published_at`, then slug): the issues
    whose whole text the feeds carry, and so whose cache keys the feeds' key covers
    (`build.public_keys`); one rule, so the two cannot disagree."""
    return heapq.nlargest(count, states, key=lambda s: (published_at(s), s.issue.slug))


def updated_at(state: IssueState) -> dt.datetime:
    """The newest record readers must hear of, else `published_at`: never the build's time."""
    return max((r.date for r in told(state.records)), default=published_at(state))


def page_url(config: Config, slug: str, name: str = "web.html") -> str:
    base = config.publication.base_url
    return f"{base.rstrip('/')}/{slug}/{name}" if base else ""


def site_url(config: Config, name: str = "") -> str:
    base = config.publication.base_url
    return f"{base.rstrip('/')}/{name}" if base else ""


def tagging_authority(config: Config) -> str:
    """The domain (or email) part of the tag: `[feed] tag`, else sender_email's domain."""
    if config.feed.tag:
        return config.feed.tag.rsplit(",", 1)[0]
    email = config.publication.sender_email.strip()
    return email.rpartition("@")[2].lower() if "@" in email else ""


def feed_tag(config: Config, states: list[IssueState]) -> str:
    """The tagging entity of the feeds themselves: `[feed] tag`, else the authority and the
    year of the first published issue (stable as long as that issue stays; README says to pin it)."""
    if config.feed.tag:
        return config.feed.tag
    authority = tagging_authority(config)
    first = min((published_at(s) for s in states), default=None)
    return f"{authority},{first.year}" if authority and first else ""


def entry_id(config: Config, state: IssueState) -> str:
    """``tag:letter.example.jp,2018-07-13:2018-07-13-line-privacy``: the issue's id, for ever."""
    return f"tag:{tagging_authority(config)},{published_at(state).date().isoformat()}:{state.issue.slug}"


def correction_id(config: Config, state: IssueState, record: Record) -> str:
    """A record's own id, under its issue's: ``tag:...:SLUG/correction/ID``."""
    return f"{entry_id(config, state)}/correction/{record.id}"


def correction_text(record: Record, lang: str) -> str:
    """The notice's words: what was wrong, what is right, the note (plain text, as written)."""
    t = labels_for(lang)
    lines = [f"{t[f'kind_{record.kind}']}"]
    for pair in record.replaces:
        lines += [f"{t['was']}: {_plain(pair.original)}", f"{t['now']}: {_plain(pair.corrected)}"]
    if record.note.strip():
        lines.append(_plain(record.note))
    return "\n".join(lines)


def _plain(text: str) -> str:
    """Markdown as the text a reader sees: rendered and sanitized first, so a removed script or
    javascript: URL never reaches the feeds or JSON-LD."""
    import lxml.html  # lazy (see test_imports): only for a corrected issue

    html = render_markdown(text)
    return lxml.html.fragment_fromstring(html, create_parent="div").text_content().strip() if html.strip() else ""


@dataclass(frozen=True)
class PageDates:
    """The visible "Sent · Updated" line's instants (None on a draft, which was not sent)."""

    sent: dt.datetime | None
    updated: dt.datetime | None


def page_dates(state: IssueState) -> PageDates:
    if state.issue.is_draft:
        return PageDates(None, None)
    sent, updated = published_at(state), updated_at(state)
    return PageDates(sent, updated if updated > sent else None)


def web_context(state: IssueState, config: Config, *, feeds: bool) -> dict[str, Any]:
    """What web.html receives beyond the issue: dates, meta tags, JSON-LD, share links."""
    issue, lang = state.issue, state.issue.lang
    url = page_url(config, issue.slug)
    subject = subject_of(state, config)
    words = words_for(lang)
    dates = page_dates(state)
    return {
        "w": words,
        "dates": {
            "sent": dates.sent,
            "updated": dates.updated,
            "sent_text": format_date(dates.sent, lang) if dates.sent else "",
            "updated_text": format_date(dates.updated, lang) if dates.updated else "",
        },
        "meta": open_graph(state, config, subject, url),
        "jsonld": json_ld(state, config, subject, url),
        "feed_href": "../" if feeds else "",
        "policy_url": config.web.corrections_policy_url,
        "share_links": share_links(config, subject, url, words),
        "original_href": "original.html" if state.lock is not None and not issue.is_draft else "",
    }


def open_graph(state: IssueState, config: Config, subject: str, url: str) -> list[tuple[str, str, str]]:
    """``(attribute, name, content)`` of each meta tag: Open Graph (ogp.me) and twitter:card."""
    issue = state.issue
    description = issue.summary or issue.preheader
    tags: list[tuple[str, str, str]] = [("property", "og:type", "article"), ("property", "og:title", subject)]
    if description:
        tags.append(("property", "og:description", description))
    if url:
        tags.append(("property", "og:url", url))
    tags += [
        ("property", "og:site_name", config.publication.name),
        ("property", "og:locale", OG_LOCALES.get(base_language(issue.lang), issue.lang.replace("-", "_"))),
    ]
    if not issue.is_draft:
        tags += [
            ("property", "article:published_time", published_at(state).isoformat()),
            ("property", "article:modified_time", updated_at(state).isoformat()),
        ]
    tags += [("property", "article:tag", tag) for tag in issue.tags]
    tags.append(("name", "twitter:card", "summary"))
    return tags


def json_ld(state: IssueState, config: Config, subject: str, url: str) -> Markup:
    """schema.org BlogPosting (or NewsArticle) with one CorrectionComment per record readers
    must hear of (schema.org/correction, schema.org/CorrectionComment)."""
    issue, publication = state.issue, config.publication
    publisher: dict[str, Any] = {"@type": "Organization", "name": publication.name}
    if config.web.corrections_policy_url:
        publisher["correctionsPolicy"] = config.web.corrections_policy_url
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": config.web.schema_type,
        "headline": subject,
        "inLanguage": issue.lang,
        "datePublished": published_at(state).isoformat(),
        "dateModified": updated_at(state).isoformat(),
        "author": {"@type": "Person", "name": issue.author}
        if issue.author
        else {"@type": "Organization", "name": publication.sender_name or publication.name},
        "publisher": publisher,
    }
    if url:
        data["url"] = url
        data["mainEntityOfPage"] = url
    if issue.summary or issue.preheader:
        data["description"] = issue.summary or issue.preheader
    if issue.tags:
        data["keywords"] = list(issue.tags)
    corrections = []
    for record in sorted(told(state.records), key=lambda r: (r.date, r.seq)):
        comment: dict[str, Any] = {
            "@type": "CorrectionComment",
            "datePublished": record.date.isoformat(),
            "text": correction_text(record, issue.lang),
        }
        if url:
            comment["url"] = f"{url}#correction-{record.id}"
        corrections.append(comment)
    if corrections:
        data["correction"] = corrections
    if any(kind_of(r.kind).retracts for r in state.records):
        data["creativeWorkStatus"] = "Retracted"
    text = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=False)
    # Inside <script>, "</script>" or "<!--" in a title would end the element: escape "<" (and
    # "&", ">") as JSON does allow, so the JSON text is unchanged to a parser.
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def share_links(config: Config, subject: str, url: str, words: dict[str, str]) -> list[dict[str, str]]:
    """Plain links to each network in `[web] share`; none without base_url (a share needs the
    page's absolute address)."""
    if not url:
        return []
    return [
        {
            "network": name,
            "label": words[f"share_{name}"],
            "href": SHARE_URLS[name].format(url=quote(url, safe=""), text=quote(subject, safe="")),
        }
        for name in config.web.share
    ]


def feeds_blocker(config: Config) -> str:
    """Why the feeds and the sitemap cannot be written (they need absolute URLs and an
    identity), naming the key to set; "" when they can."""
    if not config.publication.base_url:
        return "base_url in [publication]"
    if not tagging_authority(config):
        return "tag in [feed] (or sender_email in [publication])"
    return ""
