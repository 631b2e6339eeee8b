"""Publishing freezes an issue; correcting appends to it. The rules that keep edits honest.

`publish` marks an issue published and locks what readers received. `correct` appends one
record after checking it against the same code the build renders with. An issue's state (its
lock and records) and what counts as a silent edit live in `toolkit.issue_state`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from pathlib import Path

from .config import Config
from .corrections import check_new_text, check_note, check_passage_syntax, corrected_body
from .deliveries import DEFAULT_CHANNEL, Delivery, append_delivery, check_channel, combined_records
from .errors import ToolkitError, did_you_mean, display_path
from .images import issue_images, written_sources
from .issue_state import IssueState, load_issue, load_state, silent_edit, silent_edit_error
from .kinds import kind_of
from .markup import render_markdown
from .next_issue import for_publish
from .output import write_atomic
from .records import (
    HEAD_FIELD,
    KINDS,
    LockMissingError,
    Record,
    Replacement,
    append_record,
    exclusive,
    rewrite_front_matter,
    write_lock,
)
from .render import IssueRenderer
from .source import Issue, confine


def writable_folders(config: Config, slug: str) -> None:
    """Refuse to write an issue's lock, records or correction lock through a link that leads out
    of the publication (issue 14): ``corrections/<slug>`` or ``.notice-cache`` linked elsewhere."""
    for folder in (config.corrections_dir / slug, config.cache_dir):
        confine(
            folder,
            config.root,
            ToolkitError,
            action=f"write into {folder.relative_to(config.root)}",
            hint="notice writes only inside the publication: replace the link with a folder",
        )


def publish(config: Config, slug: str, when: dt.datetime) -> tuple[Issue, Path]:
    """Mark *slug* published at *when* and lock what readers receive; refuses a broken draft."""
    issue = load_issue(config, slug)
    writable_folders(config, slug)
    try:
        state = load_state(config, issue)
    except LockMissingError:  # published by hand with a date, never locked: lock it now
        state = IssueState(issue, None, [])
    if state.lock is not None:
        if issue.status == "published" and issue.published is not None:
            raise ToolkitError(
                f"'{slug}' was already published on {state.lock.published:%Y-%m-%d %H:%M}",
                hint=f"to change it, use `notice correct {slug} --kind ...`",
            )
        # An earlier publish stopped between writing the lock and the issue file: finish it.
        updates = {"status": "published"}
        if issue.published is None:
            updates["published"] = state.lock.published.isoformat()
        rewrite_front_matter(issue.path, updates)
        return load_issue(config, slug), state.lock.path
    published = issue.published or when
    # The earlier issues' corrections it carries are locked with it (issue 12, item 3).
    carried = for_publish(config, slug, published)
    # A draft that does not build, block included, cannot be published.
    renderer = IssueRenderer(config)
    renderer.render(dataclasses.replace(state, carried=tuple(carried or ())))
    # The images its renderings showed are locked with the text: a photo replaced under the
    # same name is then a silent edit too. The lock first: it is what matters, and a publish
    # stopped after it can be finished.
    images = renderer.images.locked_images() if renderer.images is not None else None
    lock = write_lock(config.corrections_dir, issue, published, carried, images)
    updates = (
        {"status": "published"} if issue.published else {"status": "published", "published": published.isoformat()}
    )
    rewrite_front_matter(issue.path, updates)
    return load_issue(config, slug), lock


def correct(
    config: Config,
    slug: str,
    *,
    kind: str,
    replaces: list[Replacement],
    note: str | Callable[[], str],
    date: dt.datetime,
    pending: bool,
    resolves: str | None,
) -> tuple[str, Path]:
    """Append one correction record to *slug*; nothing is written unless all of it is valid.

    *note* may be a function (the CLI's $EDITOR): it is asked only once everything else is
    known to be valid, so nobody writes a note for a record that is then refused. It is asked
    before the issue's correction lock is taken, so a second `notice correct` never waits for
    the first author's editor (issue 8); under the lock the record is validated again against
    the chain as it is then, since another record may have been appended meanwhile.
    """
    if kind not in KINDS:
        raise ToolkitError(f"unknown kind '{kind}'{did_you_mean(kind, KINDS)}", hint=f"kinds: {', '.join(KINDS)}")
    issue = load_issue(config, slug)
    if issue.is_draft:
        raise ToolkitError(
            f"'{slug}' is a draft: drafts are simply edited, not corrected",
            path=issue.path,
            hint=f"edit {issue.path.name}; `notice publish {slug}` once it is sent",
        )
    silent = not kind_of(kind).visible  # a typo fix: applied without a strike, readers not told
    if silent and not replaces:
        raise ToolkitError(f"a {kind} fix needs --replaces and --with", hint='e.g. --replaces "teh" --with "the"')
    writable_folders(config, slug)
    with exclusive(config.cache_dir, slug):  # briefly: another `correct` may be between its two writes
        _check_record(config, load_issue(config, slug), replaces, date, resolves, silent=silent)
    text = (note() if callable(note) else note).strip()
    try:
        check_note(text)
        if not silent and not replaces and not text:
            raise ToolkitError(
                "a record needs a note, --replaces/--with pairs, or both",
                hint='say what was wrong and what is right: --note "..."',
            )
        with exclusive(config.cache_dir, slug):  # read the chain and append to it as one step
            issue = load_issue(config, slug)  # as it is now: a silent edit meanwhile is refused too
            writable_folders(config, slug)  # and a folder swapped for a link while the editor was open
            state = _check_record(config, issue, replaces, date, resolves, silent=silent)
            assert state.lock is not None  # _check_correctable refuses an issue without one
            chain = state.chain  # delivery records are links of the same chain
            previous = chain[-1].hash if chain else state.lock.hash
            # The images the record shows are recorded with it, as a lock records the issue's: a
            # missing one is refused before anything is written (the record could never change).
            images = record_images(config, state, text, replaces)
            # Dates are kept in the publication's time zone, so errata show the readers' calendar day.
            seq = len(chain) + 1
            record_id, path = append_record(
                config.corrections_dir,
                slug,
                seq=seq,
                kind=kind,
                date=date.astimezone(config.tz),
                note=text,
                pending=pending,
                resolves=resolves,
                replaces=replaces,
                previous=previous,
                images=images,
            )
            # The record first, then the issue names it as its last: deleting it, or all of
            # corrections/<slug>/, is then noticed without git (issue 14). Only this line changes.
            rewrite_front_matter(issue.path, {HEAD_FIELD: f"{seq:04d}-{record_id}"})
            return record_id, path
    except ToolkitError as error:
        if callable(note) and text:  # typed in $EDITOR: never lose it to a refusal
            kept = keep_note(config, slug, text)
            error.hint = (
                error.hint + "; " if error.hint else ""
            ) + f"your note is kept: --note-file {display_path(kept)}"
        raise


def record_images(config: Config, state: IssueState, note: str, replaces: list[Replacement]) -> dict[str, str]:
    """Each local image a new record's *note* and new texts show: its path -> sha256. An image
    that is missing, or that the lock or a record has with other bytes, is its `ImageError`."""
    resolver = issue_images(config, state)
    for text in [note, *(pair.corrected for pair in replaces)]:
        if written_sources(text):  # rendered, so an image in a code span is text, as in the build
            render_markdown(text, base_url=config.publication.base_url, images=resolver)
    return resolver.locked_images()


def keep_note(config: Config, slug: str, text: str) -> Path:
    """Save a note the author typed for a record that was then refused, so it can be given
    again with --note-file (issue 14: a refused $EDITOR note was lost)."""
    path = config.cache_dir / "notes" / f"{slug}-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}.md"
    write_atomic(path, (text + "\n").encode("utf-8"))
    return path


def _check_record(
    config: Config, issue: Issue, replaces: list[Replacement], date: dt.datetime, resolves: str | None, *, silent: bool
) -> IssueState:
    """The issue's state, if a record dated *date* with *replaces* can be appended to it now."""
    state = load_state(config, issue)
    _check_correctable(state, issue.slug, resolves)
    assert state.lock is not None  # _check_correctable refuses an issue without one
    published = state.lock.published
    if date < published:  # issue 14: a correction cannot precede what it corrects
        raise ToolkitError(
            f"the correction is dated {date:%Y-%m-%d %H:%M %z}, before '{issue.slug}' was published "
            f"on {published:%Y-%m-%d %H:%M %z}",
            hint=f"give --date on or after {published:%Y-%m-%d %H:%M}, or leave it out for now",
        )
    # Validate with the renderer's own code: what is accepted here always builds.
    body = corrected_body(issue.body, state.records)
    for replacement in replaces:
        before = body.current
        change, at = body.replace(replacement, visible=not silent, date=date, locate=_locator(issue))
        check_passage_syntax(before, replacement, _locator(issue))
        where = before.index(replacement.original)
        check_new_text(body, change, at, replacement, _locator(issue)(where, before))
    return state


def _check_correctable(state: IssueState, slug: str, resolves: str | None) -> None:
    """Refuse a record on an unlocked or silently edited issue, or a --resolves that cannot be."""
    if state.lock is None:
        raise ToolkitError(
            f"'{slug}' is marked published but has no lock of what readers received",
            path=state.issue.path,
            hint=f"run `notice publish {slug}` first to record it",
        )
    diff = silent_edit(state)
    if diff:
        raise silent_edit_error(state, diff)
    if resolves is None:
        return
    target = next((r for r in state.records if r.id == resolves), None)
    if target is None:
        raise ToolkitError(
            f"no record '{resolves}' to resolve in '{slug}'{did_you_mean(resolves, [r.id for r in state.records])}",
            hint=f"`notice history {slug}` lists the records and their ids",
        )
    if not target.pending:
        raise ToolkitError(f"record {resolves} is not pending", hint="only a --pending record can be resolved")
    if any(r.resolves == resolves for r in state.records):
        raise ToolkitError(f"record {resolves} was already resolved", hint=f"see `notice history {slug}`")


def _locator(issue: Issue):
    """Offsets in the current body to (file, line) in the issue file, for error messages."""

    def locate(offset: int, text: str | None = None) -> tuple[Path, int]:
        return issue.path, issue.body_line + (issue.body if text is None else text).count("\n", 0, offset)

    return locate


def history(config: Config, slug: str) -> IssueState:
    issue = load_issue(config, slug)
    return load_state(config, issue)


def record_delivery(
    config: Config,
    slug: str,
    *,
    notices: tuple[str, ...],
    channels: tuple[str, ...],
    date: dt.datetime,
    note: str,
    now: dt.datetime | None = None,
) -> tuple[Delivery, list[Record]]:
    """Append a delivery record: the issue (no *notices*), or these notices, went out at *date*
    on *channels* (issue 12). A combined notice's id stands for all of its records. Returns the
    delivery and the records it names; nothing is written unless all of it is valid."""
    channels = tuple(dict.fromkeys(check_channel(c) for c in channels or (DEFAULT_CHANNEL,)))
    issue = load_issue(config, slug)
    if issue.is_draft:
        raise ToolkitError(
            f"'{slug}' is a draft: nothing of it has gone out yet",
            path=issue.path,
            hint=f"`notice publish {slug}` once it is sent, then `notice sent {slug}`",
        )
    if date > (now or dt.datetime.now(dt.UTC)) + dt.timedelta(minutes=5):
        raise ToolkitError(
            f"the delivery is dated {date:%Y-%m-%d %H:%M %z}, in the future",
            hint="record a delivery once it has gone out; leave --date out for now",
        )
    writable_folders(config, slug)
    with exclusive(config.cache_dir, slug):  # read the chain and append to it as one step, as `correct` does
        issue = load_issue(config, slug)  # as it is now, under the lock
        state = load_state(config, issue)
        if state.lock is None:
            raise ToolkitError(
                f"'{slug}' is marked published but has no lock of what readers received",
                path=issue.path,
                hint=f"run `notice publish {slug}` first to record it",
            )
        published = state.lock.published
        if date < published:
            raise ToolkitError(
                f"the delivery is dated {date:%Y-%m-%d %H:%M %z}, before '{slug}' was published "
                f"on {published:%Y-%m-%d %H:%M %z}",
                hint=f"give --date on or after {published:%Y-%m-%d %H:%M}, or leave it out for now",
            )
        named, combined = _named_records(state, notices)
        for record in named:
            if date < record.date:
                raise ToolkitError(
                    f"the delivery is dated {date:%Y-%m-%d %H:%M %z}, before record {record.id} was made "
                    f"({record.date:%Y-%m-%d %H:%M %z}): its notice cannot have gone out then",
                    hint=f"give --date on or after {record.date:%Y-%m-%d %H:%M}",
                )
        chain = state.chain
        seq = len(chain) + 1
        delivery_id, path = append_delivery(
            config.corrections_dir,
            slug,
            seq=seq,
            date=date.astimezone(config.tz),  # the publication's calendar, as records keep theirs
            channels=channels,
            notices=tuple(r.id for r in named),
            combined=combined,
            note=note.strip(),
            previous=chain[-1].hash if chain else state.lock.hash,
        )
        # The same anchor as a correction's: the issue names the chain's newest link (records.py).
        rewrite_front_matter(issue.path, {HEAD_FIELD: f"{seq:04d}-{delivery_id}"})
        delivery = next(d for d in load_state(config, load_issue(config, slug)).deliveries if d.id == delivery_id)
        return delivery, named


def _named_records(state: IssueState, ids: tuple[str, ...]) -> tuple[list[Record], str]:
    """The records --notice names (a combined notice's id: all of its records), and the combined
    id if one was given; ToolkitError for an id that names no notice of this issue."""
    slug = state.issue.slug
    named: dict[str, Record] = {}
    combined = ""
    by_id = {r.id: r for r in state.records}
    for given in ids:
        record = by_id.get(given)
        if record is not None:
            if not record.notify:
                raise ToolkitError(
                    f"record {given} is a {record.kind} fix: readers are sent no notice of it",
                    path=record.path,
                    hint=f"`notice history {slug}` lists the records whose notice goes out",
                )
            named.setdefault(record.id, record)
            continue
        if any(d.id == given for d in state.deliveries):
            raise ToolkitError(
                f"{given} is a delivery record, not a notice",
                hint=f"give a correction record's id, or a combined notice's (`notice history {slug}`)",
            )
        members = combined_records(given, state.records, state.deliveries)
        if members is None:
            known = [r.id for r in state.records if r.notify]
            raise ToolkitError(
                f"issue {slug} has no record or combined notice '{given}'{did_you_mean(given, known)}",
                hint=f"`notice history {slug}` lists the records and their ids; `notice export {slug} "
                "--pending-notices` prints a combined notice's",
            )
        if combined and combined != given:
            raise ToolkitError(
                f"two combined notices ({combined}, {given}) in one delivery",
                hint="record each with its own `notice sent`",
            )
        combined = given
        for record in members:
            named.setdefault(record.id, record)
    return list(named.values()), combined
