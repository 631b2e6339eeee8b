"""The public record outside the pages: feed.atom, corrections.atom, feed.json and sitemap.xml.

Written after the index, from the published issues only (never a draft, whatever the build's
options). The XML is made by lxml's serializer, never by joining strings (ElementTree cannot write
unprefixed attributes under a default namespace). Every date comes from
`toolkit.webmeta`, so the feeds, the page's JSON-LD and its visible line agree, and nothing
carries the build's time: the same inputs give the same bytes.

- feed.atom: RFC 4287, the newest `[feed] entries` issues, newest first.
- corrections.atom: one entry per record readers must hear of, each a reply (RFC 4685
  ``thr:in-reply-to``) to its issue's entry, because many feed readers never show an old
  entry again when only its ``updated`` moves.
- feed.json: JSON Feed 1.1 (https://jsonfeed.org/version/1.1), the twin of feed.atom.
- sitemap.xml: sitemaps.org 0.9, the index and every issue's page, ``lastmod`` = dateModified.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from lxml import etree
from markupsafe import Markup

from .components import localize
from .config import Config
from .corrections import corrected_body, errata_entries
from .errors import ToolkitError
from .images import quiet_images
from .issue_state import IssueState, subject_of
from .labels import format_date, labels_for
from .markup import render_markdown
from .output import write_atomic
from .render import issue_context, notice_subject
from .templating import render_template
from .webmeta import (
    correction_id,
    correction_text,
    entry_id,
    feed_tag,
    feeds_blocker,
    newest_published,
    page_url,
    published_at,
    site_url,
    told,
    updated_at,
)

ATOM = "http://www.w3.org/2005/Atom"
THR = "http://purl.org/syndication/thread/1.0"
SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
#: Every file this module writes, at the top of the output folder.
FEED_FILES = ("feed.atom", "corrections.atom", "feed.json", "sitemap.xml")
#: What a build writes at the top of the output folder beside index.html.
PUBLIC_RECORD_FILES = ("corrections.html", *FEED_FILES)


def write_public_record(
    config: Config, out_dir: Path, states: list[IssueState], env: Any, keys: dict[str, str] | None = None
) -> list[ToolkitError]:
    """Write the feeds and the sitemap of the published *states*; the warnings to show.

    Without base_url (or any identity for the ids) they cannot be written: the one warning
    names the key, and feeds left from an earlier build are removed rather than left stale.
    *keys* are the build's cache keys per slug: an entry whose issue, records, templates and
    settings are unchanged is taken from `.notice-cache/` instead of being rendered again, so a
    correction re-renders only its own issue's entry (issue 9, item 11).
    """
    blocker = feeds_blocker(config)
    if blocker or not states:
        for name in FEED_FILES:
            (out_dir / name).unlink(missing_ok=True)
        if not blocker:
            return []
        return [
            ToolkitError(
                f"{', '.join(FEED_FILES[:-1])} and {FEED_FILES[-1]} were not written: "
                "they need absolute URLs and a stable identity",
                path=config.path,
                hint=f"set {blocker} in notice.toml",
            )
        ]
    ordered = newest_published(states, len(states))  # all of them, newest first
    newest = ordered[: config.feed.entries]
    memo_path = config.cache_dir / "feed-entries.json"
    try:
        memo = json.loads(memo_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        memo = {}  # missing or damaged: it only costs rendering the entries again
    memo = memo if isinstance(memo, dict) else {}
    keys = keys or {}
    contents: dict[str, str] = {}
    for state in newest:
        key = keys.get(state.issue.slug, "")
        cached = memo.get(key) if key else None
        contents[state.issue.slug] = cached if isinstance(cached, str) else entry_html(state, config, env)
    if keys:
        used = {keys[slug]: html for slug, html in contents.items() if slug in keys}
        if used != memo:
            write_atomic(memo_path, json.dumps(used, ensure_ascii=False, sort_keys=True).encode("utf-8"))
    files = {
        "feed.atom": atom_feed(config, ordered, newest, contents),
        "corrections.atom": corrections_feed(config, ordered),
        "feed.json": json_feed(config, ordered, newest, contents),
        "sitemap.xml": sitemap(config, ordered),
    }
    for name, data in files.items():
        write_atomic(out_dir / name, data)
    return []


def entry_html(state: IssueState, config: Config, env: Any) -> str:
    """The issue as the web page shows it (banner, errata, struck and new text), links absolute."""
    issue, base = state.issue, config.publication.base_url
    # The issue's local images by the URLs of its build's copies; a bad one (or one changed since
    # readers received it) is the issue's error, and is left as written here.
    images = quiet_images(config, state)
    fragment = render_markdown(
        corrected_body(issue.body, state.records).markdown(issue.lang), base_url=base, images=images
    )
    errata = errata_entries(
        state.records, issue.lang, lambda note: Markup(render_markdown(note, base_url=base, images=images))
    )
    shared = issue_context(state, config)
    context = {
        **shared,
        "content": Markup(localize(fragment, shared["t"])),  # an untitled box's title (issue 11)
        "errata": errata,
        "retraction": next((e for e in errata if e["retracts"]), None),
    }
    return render_template(env, "feed_entry.html", context).strip()


def author_name(config: Config, state: IssueState | None = None) -> str:
    if state is not None and state.issue.author:
        return state.issue.author
    return config.publication.sender_name or config.publication.name


#: What XML 1.0 cannot hold at all (§2.2): control characters other than tab and line ends.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("", text)


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, tag, {k: _xml_text(v) for k, v in attributes.items()})
    if text is not None:
        element.text = _xml_text(text)
    return element


def _atom(tag: str) -> str:
    return f"{{{ATOM}}}{tag}"


def _feed_head(config: Config, states: list[IssueState], name: str, title: str, updated: str) -> etree._Element:
    feed = etree.Element(_atom("feed"), {XML_LANG: config.publication.lang}, nsmap={None: ATOM, "thr": THR})  # type: ignore[dict-item]  # lxml: None is the default namespace
    _sub(feed, _atom("id"), f"tag:{feed_tag(config, states)}:{name.split('.')[0]}")
    _sub(feed, _atom("title"), title)
    _sub(feed, _atom("updated"), updated)
    _sub(feed, _atom("link"), rel="self", type="application/atom+xml", href=site_url(config, name))
    _sub(feed, _atom("link"), rel="alternate", type="text/html", href=site_url(config, "index.html"))
    author = _sub(feed, _atom("author"))
    _sub(author, _atom("name"), author_name(config))
    return feed


def atom_feed(config: Config, states: list[IssueState], newest: list[IssueState], contents: dict[str, str]) -> bytes:
    """RFC 4287: ids from `webmeta.entry_id`, `updated` only for records readers must hear of."""
    updated = max((updated_at(s) for s in newest), default=published_at(states[0]))
    feed = _feed_head(config, states, "feed.atom", config.publication.name, updated.isoformat())
    for state in newest:
        issue = state.issue
        entry = _sub(feed, _atom("entry"), **{XML_LANG: issue.lang})
        _sub(entry, _atom("id"), entry_id(config, state))
        _sub(entry, _atom("title"), subject_of(state, config))
        _sub(entry, _atom("link"), rel="alternate", type="text/html", href=page_url(config, issue.slug))
        _sub(entry, _atom("published"), published_at(state).isoformat())
        _sub(entry, _atom("updated"), updated_at(state).isoformat())
        author = _sub(entry, _atom("author"))
        _sub(author, _atom("name"), author_name(config, state))
        for tag in issue.tags:
            _sub(entry, _atom("category"), term=tag)
        if issue.summary or issue.preheader:
            _sub(entry, _atom("summary"), issue.summary or issue.preheader)
        _sub(entry, _atom("content"), contents[issue.slug], type="html")
    return _xml(feed)


def corrections_feed(config: Config, states: list[IssueState]) -> bytes:
    """One entry per record readers must hear of, newest first, each a reply to its issue."""
    records = sorted(
        ((r, s) for s in states for r in told(s.records)),
        key=lambda pair: (pair[0].date, pair[1].issue.slug, pair[0].seq),
        reverse=True,
    )
    records = records[: config.feed.entries]
    updated = records[0][0].date if records else max(published_at(s) for s in states)
    t = labels_for(config.publication.lang)
    title = f"{config.publication.name}: {t['errata']}"
    feed = _feed_head(config, states, "corrections.atom", title, updated.isoformat())
    for record, state in records:
        issue = state.issue
        url = page_url(config, issue.slug)
        entry = _sub(feed, _atom("entry"), **{XML_LANG: issue.lang})
        _sub(entry, _atom("id"), correction_id(config, state, record))
        _sub(entry, _atom("title"), notice_subject(record, issue))
        _sub(entry, _atom("link"), rel="alternate", type="text/html", href=f"{url}#correction-{record.id}")
        _sub(entry, _atom("published"), record.date.isoformat())
        _sub(entry, _atom("updated"), record.date.isoformat())
        author = _sub(entry, _atom("author"))
        _sub(author, _atom("name"), author_name(config, state))
        # RFC 4685 §3: ref is the id of the entry replied to; href where it can be read.
        _sub(entry, f"{{{THR}}}in-reply-to", ref=entry_id(config, state), href=url, type="text/html")
        lead = labels_for(issue.lang)[f"lead_{record.kind}"].format(
            title=issue.title, date=format_date(published_at(state), issue.lang)
        )
        _sub(entry, _atom("content"), f"{lead}\n\n{correction_text(record, issue.lang)}", type="text")
    return _xml(feed)


def json_feed(config: Config, states: list[IssueState], newest: list[IssueState], contents: dict[str, str]) -> bytes:
    """JSON Feed 1.1, item for item the same as feed.atom: same ids, dates and content."""
    items = []
    for state in newest:
        issue = state.issue
        item: dict[str, Any] = {
            "id": entry_id(config, state),
            "url": page_url(config, issue.slug),
            "title": subject_of(state, config),
            "content_html": contents[issue.slug],
        }
        if issue.summary or issue.preheader:
            item["summary"] = issue.summary or issue.preheader
        item.update(
            {
                "date_published": published_at(state).isoformat(),
                "date_modified": updated_at(state).isoformat(),
                "authors": [{"name": author_name(config, state)}],
                "language": issue.lang,
            }
        )
        if issue.tags:
            item["tags"] = list(issue.tags)
        items.append(item)
    feed = {
        "version": JSON_FEED_VERSION,
        "title": config.publication.name,
        "home_page_url": site_url(config, "index.html"),
        "feed_url": site_url(config, "feed.json"),
        "language": config.publication.lang,
        "authors": [{"name": author_name(config)}],
        "items": items,
    }
    return (json.dumps(feed, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def sitemap(config: Config, states: list[IssueState]) -> bytes:
    """The index and every published issue's page; lastmod is the page's dateModified."""
    urlset = etree.Element(f"{{{SITEMAP}}}urlset", nsmap={None: SITEMAP})  # type: ignore[dict-item]  # lxml: None is the default namespace
    newest = max(updated_at(s) for s in states)
    for loc, lastmod in [
        (site_url(config, "index.html"), newest),
        *((page_url(config, s.issue.slug), updated_at(s)) for s in states),
    ]:
        url = _sub(urlset, f"{{{SITEMAP}}}url")
        _sub(url, f"{{{SITEMAP}}}loc", loc)
        _sub(url, f"{{{SITEMAP}}}lastmod", lastmod.isoformat())
    return _xml(urlset)


def _xml(root: etree._Element) -> bytes:
    etree.indent(root, space=" ")
    return etree.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
