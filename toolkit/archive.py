"""The record anyone can check: each issue as sent, its record chain, and the corrections log.

- ``<slug>/original.html``: the issue exactly as readers received it, rendered from its lock
  with no record applied (NYT: the archive is "sacrosanct"; corrections-practice.md), kept out
  of search engines (``noindex``) and linking to the current version.
- ``<slug>/record.json``: the lock's hash and every record's seq, id, kind, date and chained
  hash, in order. Each hash covers the record and the one before it, so whoever keeps an
  earlier copy can tell that no record was later removed or rewritten (README: "Checking the
  record").
- ``corrections.html``: every record readers must hear of, across the publication, newest first.
"""

from __future__ import annotations

import json
from typing import Any

from markupsafe import Markup

from .components import localize
from .config import Config
from .images import IssueImages, quiet_images
from .issue_state import IssueState
from .labels import format_date, labels_for
from .markup import render_markdown
from .templating import render_template
from .webmeta import told, words_for

RECORD_FORMAT = 1


def as_sent_files(
    state: IssueState, config: Config, env: Any, context: dict[str, Any], images: IssueImages | None = None
) -> dict[str, str]:
    """original.html and record.json of a published issue (none for a draft or an unlocked one).

    *images*: the issue's local images, lenient (an image of the text as sent may be gone since).
    """
    if state.lock is None or state.issue.is_draft:
        return {}
    locked = render_markdown(state.lock.body, base_url=config.publication.base_url, images=images)
    locked = localize(locked, context["t"])  # an untitled box's title (issue 11)
    page = render_template(
        env, "original.html", {**context, "content": Markup(locked), "errata": [], "retraction": None}
    )
    return {"original.html": page, "record.json": record_json(state)}


def record_json(state: IssueState) -> str:
    """The chain, in order: what an earlier copy is compared with."""
    assert state.lock is not None
    data = {
        "format": RECORD_FORMAT,
        "issue": state.issue.slug,
        "published": state.lock.published.isoformat(),
        "lock": state.lock.hash,
        "records": [
            {
                "seq": r.seq,
                "id": r.id,
                "kind": r.kind,
                "date": r.date.isoformat(),
                "previous": r.previous,
                "hash": r.hash,
            }
            for r in state.records
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def corrections_log(config: Config, states: list[IssueState], env: Any, feed_href: str) -> str:
    """corrections.html: date, kind, the issue's title linked to the record's block, the note."""
    lang = config.publication.lang
    pairs = sorted(
        ((r, s) for s in states for r in told(s.records)),
        key=lambda pair: (pair[0].date, pair[1].issue.slug, pair[0].seq),
        reverse=True,
    )
    base = config.publication.base_url
    entries = []
    resolvers: dict[str, IssueImages] = {}  # one an issue: each image file read once, not once a note
    for record, state in pairs:
        issue = state.issue
        if issue.slug not in resolvers and record.note.strip():
            resolvers[issue.slug] = quiet_images(config, state)
        entries.append(
            {
                "lang": issue.lang,
                "date": format_date(record.date, issue.lang),
                "date_iso": record.date.isoformat(),
                "label": labels_for(issue.lang)[f"kind_{record.kind}"],
                "title": issue.title,
                "href": f"{issue.slug}/web.html#correction-{record.id}",
                "id": record.id,
                "hash": record.hash,
                # A note's local image by its issue's copy (lenient: the issue's build reports a bad
                # one, or a picture changed since readers received it).
                "note_html": Markup(
                    render_markdown(
                        record.note, base_url=base, images=resolvers.setdefault(issue.slug, quiet_images(config, state))
                    )
                )
                if record.note.strip()
                else "",
            }
        )
    return render_template(
        env,
        "corrections.html",
        {
            "publication": config.publication,
            "entries": entries,
            "lang": lang,
            "t": labels_for(lang),
            "w": words_for(lang),
            "feed_href": feed_href,
        },
    )
