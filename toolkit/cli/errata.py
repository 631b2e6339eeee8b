"""The correction workflow's commands: publish, correct, history and check.

Thin, like the rest of the CLI: each parses its options, calls one function of
`toolkit.publishing` or `toolkit.check`, and prints the outcome. Library modules are imported
inside the commands (marked "lazy"), so `notice --help` loads only click.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import Any

import click

from .. import kinds
from ..errors import ToolkitError, to_json
from .state import State, count, pass_state, report, slug_argument


@click.command()
@slug_argument()
@click.option(
    "--date", "date_text", metavar="DATE", help="When it was sent: 2018-07-13 or '2018-07-13 10:00' (default: now)."
)
@pass_state
def publish(state: State, slug: str, date_text: str | None) -> None:
    """Mark issue SLUG published and lock what readers received.

    Sets status: published and the published time in the issue, and writes
    corrections/SLUG/published.yml: the exact text readers got, with its sha256. After
    this, change the issue only with `notice correct`. A draft that does not build is
    refused.

    \b
    Example:
      notice publish 2018-07-13-line-privacy --date "2018-07-13 10:00"
    """
    from ..publishing import publish as run_publish  # lazy

    config = state.config()
    issue, lock = run_publish(config, slug, _when(date_text, config))
    state.echo(
        f"Published {slug} on {issue.published:%Y-%m-%d %H:%M %z}; "
        f"what readers received is locked in {state.path(lock)}"
    )


@click.command()
@slug_argument()
@click.option("--kind", required=True, metavar="KIND", help=kinds.help_text())
@click.option(
    "--replaces",
    "originals",
    multiple=True,
    metavar="TEXT",
    help="The wrong passage, exactly as in the issue. Repeatable; pairs with --with.",
)
@click.option("--with", "corrections", multiple=True, metavar="TEXT", help="The corrected passage.")
@click.option("--note", help="What was wrong and what is right, in Markdown.")
@click.option("--note-file", type=click.Path(dir_okay=False, path_type=Path), help="Read the note from a file.")
@click.option("--date", "date_text", metavar="DATE", help="When the correction was made (default: now).")
@click.option("--pending", is_flag=True, help="The note awaits something, such as an answer from the vendor.")
@click.option("--resolves", metavar="ID", help="This record resolves the pending record ID.")
@pass_state
def correct(
    state: State,
    slug: str,
    kind: str,
    originals: tuple[str, ...],
    corrections: tuple[str, ...],
    note: str | None,
    note_file: Path | None,
    date_text: str | None,
    pending: bool,
    resolves: str | None,
) -> None:
    """Append a dated correction record to the published issue SLUG.

    The issue's text is never rewritten: the record is a new file under corrections/SLUG/,
    and the issue's front-matter only gets `last_correction: NNNN-ID`, naming it, so a
    deleted record is noticed. Every build shows it (a title marker, the wrong passage
    struck beside the right one, the dated note) and writes a short notice for readers
    who got the original.
    Without --note or --note-file, $EDITOR opens for the note.

    \b
    Example:
      notice correct 2018-07-13-line-privacy --kind correction \\
        --replaces "収集の対象になりません" --with "収集の対象になります" \\
        --note "LINE@も「公式アカウント」に含まれていました。お詫びして訂正します。"
      notice correct 2018-07-13-line-privacy --kind addendum --pending \\
        --note "LINE社に問い合わせ中です。回答が届きしだい追記します。"
    """
    from ..publishing import correct as run_correct  # lazy
    from ..records import Replacement  # lazy

    config = state.config()
    if len(originals) != len(corrections):
        raise ToolkitError(
            f"{len(originals)} --replaces but {len(corrections)} --with: give them in pairs",
            hint='--replaces "wrong text" --with "right text", once per passage',
        )
    if note is not None and note_file is not None:
        raise ToolkitError("give --note or --note-file, not both")
    record_id, path = run_correct(
        config,
        slug,
        kind=kind,
        note=lambda: _read_note(note, note_file, kind),
        pending=pending,
        resolves=resolves,
        replaces=[Replacement(a, b) for a, b in zip(originals, corrections)],
        date=_when(date_text, config),
    )
    state.echo(f"Recorded {kind} {state.style(record_id, bold=True)} in {state.path(path)}")


_SCISSORS = "# ------------------------ >8 ------------------------"


def _read_note(note: str | None, note_file: Path | None, kind: str) -> str:
    """The note from --note, --note-file or $EDITOR (not for a minor fix, which readers never see)."""
    if note is not None:
        return note
    if note_file is not None:
        try:
            return note_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ToolkitError(
                f"cannot read the note: {exc}", path=note_file, hint="give a UTF-8 text file, or --note TEXT"
            ) from None
    if kind in kinds.BY_NAME and not kinds.kind_of(kind).visible:
        return ""
    if not sys.stdin.isatty() and not os.environ.get("EDITOR") and not os.environ.get("VISUAL"):
        raise ToolkitError(
            "no note given, and no terminal to open an editor in", hint="pass --note TEXT or --note-file FILE"
        )
    edited = click.edit(
        f"\n{_SCISSORS}\n# Write the note above, in Markdown: what was wrong and what is right.\n"
        "# Everything from the line above down is ignored. An empty note cancels.\n",
        extension=".md",
    )
    text = (edited or "").split(_SCISSORS)[0].strip()
    if not text:
        raise ToolkitError("the note is empty: nothing was recorded", hint="write the note, or pass --note TEXT")
    return text


def _when(date_text: str | None, config: Any) -> dt.datetime:
    from ..source import parse_date  # lazy

    if date_text is None:
        return dt.datetime.now(config.tz).replace(microsecond=0)
    try:
        when = parse_date(date_text, config.tz)
        when.astimezone(dt.UTC)  # years at the very ends of the calendar overflow here
        return when
    except (ValueError, OverflowError) as exc:
        raise ToolkitError(
            f"--date: {exc}", hint="write 2018-07-14 or '2018-07-14 09:30' (an offset such as +09:00 is optional)"
        ) from None


@click.command()
@slug_argument()
@click.option(
    "--notice",
    "notices",
    multiple=True,
    metavar="ID",
    help="The notice of record ID went out (or all of combined notice ID's records). Repeatable. "
    "Without it: the issue itself went out.",
)
@click.option(
    "--channel",
    "channels",
    multiple=True,
    metavar="CHANNEL",
    help="Where it went out: email (default), line, x, facebook, bluesky or mastodon. Repeatable.",
)
@click.option(
    "--date",
    "date_text",
    metavar="DATE",
    help="When it went out: '2018-07-13 10:00' (default: now, or SOURCE_DATE_EPOCH).",
)
@click.option("--note", help="Your words on it, such as the mail service's campaign name.")
@pass_state
def sent(
    state: State,
    slug: str,
    notices: tuple[str, ...],
    channels: tuple[str, ...],
    date_text: str | None,
    note: str | None,
) -> None:
    """Record that issue SLUG, or some of its correction notices, went out.

    notice does not send to your readers: your mail service or LINE does. This appends a
    delivery record under corrections/SLUG/ (append-only, hash-chained with the correction
    records, and named by the issue's last_correction: line), so that `notice check` can warn
    of every record whose notice has not reached every channel the issue went out on.

    \b
    Example:
      notice sent 2018-07-13-line-privacy --channel email --channel line --date "2018-07-13 10:00"
      notice sent 2018-07-13-line-privacy --notice e6821b2 --channel line
    """
    from ..publishing import record_delivery  # lazy

    config = state.config()
    if date_text is not None:
        when = _when(date_text, config)
    else:  # now, or SOURCE_DATE_EPOCH, as an exported message's Date is
        from ..message import export_time  # lazy: it loads the build, which --date does not need

        when = export_time(config)
    delivery, named = record_delivery(config, slug, notices=notices, channels=channels, date=when, note=note or "")
    what = f"the notice{'s' if len(named) != 1 else ''} of {', '.join(r.id for r in named)}" if named else "the issue"
    state.echo(
        f"Recorded {what} as sent on {', '.join(delivery.channels)} at {delivery.date:%Y-%m-%d %H:%M %z} "
        f"({state.style(delivery.id, bold=True)}, {state.path(delivery.path)})"
    )


@click.command()
@slug_argument()
@pass_state
def history(state: State, slug: str) -> None:
    """Show the timeline of issue SLUG: published, then every correction and delivery record.

    Each record shows its id (for --resolves), kind, date, summary and whether it is
    still pending; once deliveries are recorded (`notice sent`), where and when its notice
    went out, and on which channels it has not yet; and the later issue whose "corrections
    since the last issue" block carried it ([corrections] in_next_issue).

    \b
    Example:
      notice history 2018-07-13-line-privacy
    """
    from ..deliveries import notice_status  # lazy
    from ..next_issue import carriers  # lazy
    from ..publishing import history as load_history  # lazy

    config = state.config()
    found = load_history(config, slug)
    issue = found.issue
    click.echo(state.style(f"{slug}: {issue.title}", bold=True), color=state.color)
    if found.lock is not None:
        click.echo(
            f"  {found.lock.published:%Y-%m-%d %H:%M}  published      locked {found.lock.hash[:7]}", color=state.color
        )
    elif not issue.is_draft:
        click.echo("  (published by hand, without a lock: run `notice publish` to add one)", color=state.color)
    else:
        click.echo("  draft: not published yet", color=state.color)
    resolved = {r.resolves: r for r in found.records if r.resolves}
    # Where each notice went out: shown once the author records deliveries (`notice sent`).
    status = {s.record.id: s for s in notice_status(found.records, found.deliveries)} if found.deliveries else {}
    carried = carriers(config, slug)  # the later issues whose block told their readers ([corrections] in_next_issue)
    for link in found.chain:  # the timeline in chain order, deliveries among the records
        if link in found.deliveries:
            click.echo(_delivery_line(link), color=state.color)
            continue
        record = link
        summary = _summary(record)
        pending = ""
        if record.pending:
            by = resolved.get(record.id)
            pending = (
                state.style("  resolved by " + by.id, fg="green")
                if by
                else state.style("  PENDING", fg="yellow", bold=True)
            )
        if record.resolves:
            pending += f"  resolves {record.resolves}"
        click.echo(
            f"  {record.date:%Y-%m-%d %H:%M}  {record.kind:<13}  {record.id}  {summary}{pending}", color=state.color
        )
        if record.id in status:
            click.echo(_sent_line(state, status[record.id]), color=state.color)
        if record.id in carried:
            carrier, published = carried[record.id]
            click.echo(" " * 20 + f"carried by {carrier} (published {published:%Y-%m-%d %H:%M})", color=state.color)


def _delivery_line(delivery: Any) -> str:
    """One delivery in the timeline: ``2018-07-13 10:00  sent  1a2b3c4  the issue on email, line``."""
    what = "the issue" if not delivery.notices else "notice" + ("s " if len(delivery.notices) > 1 else " ")
    what += ", ".join(delivery.notices) + (f" (combined {delivery.combined})" if delivery.combined else "")
    note = f"  {delivery.note}" if delivery.note else ""
    return (
        f"  {delivery.date:%Y-%m-%d %H:%M}  {'sent':<13}  {delivery.id}  {what} on {', '.join(delivery.channels)}{note}"
    )


def _sent_line(state: State, status: Any) -> str:
    """Under a record readers must hear of: where and when its notice went out, and where not yet."""
    out = [f"{channel} {when:%Y-%m-%d %H:%M}" for channel, when in status.sent.items()]
    line = " " * 20 + ("notice sent: " + ", ".join(out) if out else "notice not sent")
    if status.missing:
        line += state.style(f"  NOT YET ON {', '.join(status.missing)}", fg="yellow", bold=True)
    return line


def _summary(record: Any, limit: int = 48) -> str:
    """The first line of the note, or the first replaced passage, cut to *limit* columns."""
    from ..wrapping import display_width  # lazy

    text = record.note.strip().splitlines()[0] if record.note.strip() else ""
    if not text and record.replaces:
        text = f"{record.replaces[0].original} → {record.replaces[0].corrected}"
    text = " ".join(text.split())
    if display_width(text) <= limit:
        return text
    while display_width(text + "…") > limit:
        text = text[:-1]
    return text + "…"


@click.command(name="check")
@slug_argument(many=True)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="How to print the findings.",
)
@pass_state
def check_command(state: State, slugs: tuple[str, ...], output_format: str) -> None:
    """Check issues, their emails and their corrections; exit 1 on any error.

    Builds each issue privately (into .notice-cache/check/) and checks its email and its
    correction notices as readers get them: size against Gmail's clip, CSS and elements
    the main mail clients drop, links and images, what the law asks of the footer
    (sender, postal address, unsubscribe link), subject and preview text. Also finds
    published text changed without a correction record, records edited or deleted, and
    issues published without a lock. Switch rules off in notice.toml:
    [check] disable = ["image-width"].

    \b
    Example:
      notice check
      notice check 2018-07-13-line-privacy --format json
    """
    from ..check import check  # lazy
    from ..rules import service_notes  # lazy

    config = state.config()
    findings = check(config, slugs)
    errors = sum(f.severity == "error" for f in findings)
    if output_format == "json":
        click.echo(to_json(findings, service_notes(config)))
    else:
        for finding in findings:  # errors on stderr, warnings on stdout
            report(state, [finding], err=finding.severity == "error")
        warnings = len(findings) - errors
        # Drafts included, never into the output folder (issue 9): -v says where the files are.
        state.echo(f"  checked the private build in {state.path(config.cache_dir / 'check')}{os.sep}", level=1)
        for note in service_notes(config):  # what a check took from the mail service (issue 10)
            state.echo(f"  {note}", level=1)
        state.echo(f"{count([''] * errors, 'error')}, {count([''] * warnings, 'warning')}")
    if errors:
        sys.exit(1)
