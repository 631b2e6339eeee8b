"""The next issue carries the corrections made since the last one (issue 12, item 3).

With ``[corrections] in_next_issue = true``, an issue opens (or, with ``placement =
"bottom"``, ends) with a block "前号までの訂正・追記" / "Corrections since the last issue":
each record readers must hear of (not a `minor` fix) made on another issue, with its date,
its kind, the issue it corrects (linked to the record's block on that issue's web page) and
its note. Readers who missed the correction notice still meet it in the next issue, as
Japanese mail magazines do with their お詫びと訂正 in the following number.

Which issue carries a record: the first issue published after the record's date, among
those locked after the record was made. Precisely, when an issue is published at time P,
its block holds every record R of another issue such that

- R's date is before P (strictly: the issue is published after the record), and
- no lock of another issue already carries R, and
- R's date is after the publication of the newest issue published before P whose lock has no
  block (an issue published before the option was on, or with it off): turning the option on
  does not pour every old record into the next issue.

`notice publish` writes that block into the issue's lock (`published.yml`, under
``next_issue:``; its hash covers it), so a record made later, or back-dated, never changes
an issue readers already received: it goes to the next issue published. A published issue
always shows the block its lock holds. A draft (`build --drafts`, the preview, `notice
check`) shows the block as it would be if published now (or at its `published:` date).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

from markupsafe import Markup

from .config import Config
from .errors import ToolkitError
from .images import carried_images
from .issue_state import IssueState, load_state
from .kinds import kind_of, strength
from .labels import format_date, labels_for
from .markup import render_fragment
from .records import LOCK_NAME, read_lock
from .source import read_issues


def carried_by(state: IssueState) -> tuple[dict[str, Any], ...]:
    """The records *state*'s issue carries: its lock's block once published, else the one the
    build worked out for the draft (`with_drafts`)."""
    if state.lock is not None:
        return state.lock.next_issue or ()
    return state.carried


def block_for(states: Iterable[IssueState], slug: str, published: dt.datetime) -> list[dict[str, Any]]:
    """The block of the issue *slug* if it were published at *published* (see the module's
    rule), strongest kind first, newest first within a kind, as its lock will hold it."""
    others = [s for s in states if s.issue.slug != slug and s.lock is not None]
    locks = [s.lock for s in others if s.lock is not None]
    taken = {(item["issue"], item["record"]) for lock in locks for item in lock.next_issue or ()}
    floor = max(
        (lock.published for lock in locks if lock.next_issue is None and lock.published < published),
        default=None,
    )
    resolved = {r.resolves for s in others for r in s.records if r.resolves and r.date < published}
    chosen = [
        (record, state)
        for state in others
        for record in state.records
        if record.notify
        and (state.issue.slug, record.id) not in taken
        and record.date < published
        and (floor is None or record.date > floor)
    ]
    chosen.sort(key=lambda pair: (-strength(pair[0].kind), -pair[0].date.timestamp(), pair[1].issue.slug))
    return [
        {
            "record": record.id,
            "hash": record.hash,
            "issue": state.issue.slug,
            "title": state.issue.title,
            "kind": record.kind,
            "date": record.date.isoformat(),
            "note": record.note.strip(),
            "pending": record.pending and record.id not in resolved,
        }
        for record, state in chosen
    ]


def with_drafts(config: Config, states: dict[str, IssueState]) -> dict[str, IssueState]:
    """*states* with each draft's block as it would be if published now (nothing when the
    option is off: an issue then carries nothing)."""
    if not config.corrections.in_next_issue:
        return states
    now = dt.datetime.now(config.tz)
    return {
        slug: dataclasses.replace(
            state,
            carried=tuple(block_for(states.values(), slug, state.issue.published or now)),
        )
        if state.lock is None and state.issue.is_draft
        else state
        for slug, state in states.items()
    }


def for_publish(config: Config, slug: str, published: dt.datetime) -> list[dict[str, Any]] | None:
    """The block to lock with *slug* published at *published*; None when the option is off.

    Every other issue's records must read: a block worked out without a damaged issue's
    records would leave them out of this issue for good.
    """
    if not config.corrections.in_next_issue:
        return None
    issues, errors = read_issues(config.issues_dir, default_lang=config.publication.lang, tz=config.tz)
    states = []
    for issue in issues:
        if issue.slug == slug or issue.is_draft:
            continue
        try:
            states.append(load_state(config, issue))
        except ToolkitError as error:
            errors.append(error)  # type: ignore[arg-type]
    if errors:
        first = errors[0]
        raise ToolkitError(
            f"cannot work out the corrections '{slug}' carries ([corrections] in_next_issue): {first.message}",
            path=first.path,
            line=first.line,
            hint=(first.hint + "; " if first.hint else "") + "then publish again (`notice check` lists every problem)",
        )
    return block_for(states, slug, published)


def carriers(config: Config, slug: str) -> dict[str, tuple[str, dt.datetime]]:
    """Record id -> (the issue whose lock carries it, when that issue was published), for the
    records of *slug* (`notice history` says where readers of the next issue were told). Only
    published issues' locks count: a draft's block is not sent yet. An issue whose lock does not
    read is skipped here; `notice check` reports it."""
    found: dict[str, tuple[str, dt.datetime]] = {}
    for path in sorted(config.corrections_dir.glob(f"*/{LOCK_NAME}")):
        if path.parent.name == slug:
            continue
        try:
            lock = read_lock(config.corrections_dir, path.parent.name)
        except ToolkitError:
            continue
        if lock is None:
            continue
        for item in lock.next_issue or ():
            if item["issue"] == slug:
                found.setdefault(item["record"], (lock.slug, lock.published))
    return found


def key(state: IssueState) -> str:
    """What the build's cache key needs of a draft's block (a lock's is in its hash)."""
    return json.dumps(state.carried, ensure_ascii=False, sort_keys=True) if state.carried else ""


def block_context(state: IssueState, config: Config, *, web: bool = False) -> list[dict[str, Any]]:
    """The block as the templates receive it: one entry per record, in the lock's order.

    *web*: links relative to the page (``../slug/web.html#correction-id``), as web.html links;
    else absolute against base_url, as an email and a feed must.
    """
    issue = state.issue
    t = labels_for(issue.lang)
    base = config.publication.base_url.rstrip("/")
    entries = []
    for item in carried_by(state):
        page = f"{item['issue']}/web.html#correction-{item['record']}"
        when = dt.datetime.fromisoformat(item["date"])
        label = t.get(f"kind_{item['kind']}") or kind_of(item["kind"]).words["en"].label
        entries.append(
            {
                "id": item["record"],
                "kind": item["kind"],
                "heading": t["errata_label"].format(label=label),
                "date": format_date(when, issue.lang),
                "date_iso": when.isoformat(),
                "title": item["title"],
                "issue_title": t["next_issue_title"].format(title=item["title"]),
                "href": f"../{page}" if web or not base else f"{base}/{page}",
                "note": item["note"],
                "note_html": Markup(
                    render_fragment(
                        item["note"], base_url=config.publication.base_url, images=carried_images(config, item)
                    ).html
                )
                if item["note"]
                else "",
                "pending": item["pending"],
            }
        )
    return entries
