"""The authoring commands: init, new, build, list, preview and snapshot.

Each parses its options, calls one library function and prints the outcome. Library modules
are imported inside the commands (marked "lazy"), so `notice --help` loads only click.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import Any

import click

from ..errors import BuildError, ToolkitError, as_diagnostic, warning
from .state import State, check_slugs, count, current_folder, pass_state, report, slug_argument


@click.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", help="The publication's name (default: the folder's name).")
@click.option("--lang", default="en", show_default=True, help="Language of the issues, such as en or ja.")
@pass_state
def init(state: State, directory: Path | None, name: str | None, lang: str) -> None:
    """Start a new publication in DIRECTORY (default: the current folder).

    Writes notice.toml, one sample issue, an empty corrections/ folder, a .gitignore for
    build outputs, and an empty templates/ whose README says how to override the built-in
    theme one file at a time (so theme fixes in new versions of notice reach you). Refuses
    to overwrite anything.

    \b
    Example:
      notice init my-letter --name "Shop news" --lang ja
    """
    from ..scaffold import create_publication  # lazy

    target = (directory or state.project or current_folder()).resolve()
    written = create_publication(target, name=name, lang=lang)
    for path in written:
        state.echo(f"  created {state.path(path)}", level=1)
    try:
        here = target == Path.cwd()
    except FileNotFoundError:  # made elsewhere from a folder that is gone
        here = False
    state.echo(
        f"New publication in {state.path(target)}. Next: {'' if here else 'cd ' + state.path(target) + ' && '}notice build"
    )


@click.command()
@click.argument("title")
@click.option(
    "--slug", callback=check_slugs, help="File name for the issue (a-z, 0-9, '-'); derived from the title if omitted."
)
@click.option("--date", "date_text", metavar="DATE", help="Issue date, YYYY-MM-DD (default: today).")
@pass_state
def new(state: State, title: str, slug: str | None, date_text: str | None) -> None:
    """Write a new draft issue titled TITLE into issues/.

    A title without ASCII letters (a Japanese one, say) gets a date slug such as
    2026-11-29, then 2026-11-29-2. Never overwrites an existing issue.

    \b
    Example:
      notice new "Spring news"
      notice new "LINEの規約変更について" --date 2018-07-13
    """
    from ..scaffold import create_issue  # lazy

    config = state.config()
    path = create_issue(config, title, slug=slug, date_text=date_text, today=dt.datetime.now(config.tz).date())
    state.echo(f"Created {state.path(path)}")


@click.command()
@slug_argument(many=True)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder (default: [build] out in notice.toml).",
)
@click.option("--force", is_flag=True, help="Rebuild every issue, even unchanged ones.")
@click.option("--drafts", is_flag=True, help="Build drafts too, marked as drafts (the output is then not for upload).")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    metavar="N",
    help="Render with at most N processes (default: one per CPU).",
)
@pass_state
def build(state: State, slugs: tuple[str, ...], out: Path | None, force: bool, drafts: bool, jobs: int | None) -> None:
    """Build email.html, email.txt, web.html, line.txt and post.txt for each published issue,
    the index, the feeds and the sitemap.

    The output folder holds only published issues, so it can be uploaded as it is; drafts
    are built with --drafts (marked as drafts) or seen in `notice preview`. Issues whose
    inputs have not changed are skipped. One bad issue does not stop the others.

    \b
    Example:
      notice build
      notice build --drafts pre-send-checklist --out /tmp/review
    """
    from ..build import build as run_build  # lazy

    config = state.config()
    bar: Any = None

    def on_start(count: int) -> None:
        nonlocal bar
        if count >= 10 and state.verbosity >= 0 and sys.stderr.isatty():
            bar = click.progressbar(length=count, label="Building", file=sys.stderr)
            bar.__enter__()

    try:
        outcome = run_build(
            config,
            slugs=slugs,
            out_dir=out.resolve() if out else None,
            force=force,
            drafts=drafts,
            jobs=jobs,
            snapshot=True,
            keep_bodies=False,  # the report's issues are only listed here
            on_start=on_start,
            progress=lambda n: bar.update(n) if bar else None,
        )
    except KeyboardInterrupt:  # click would say only "Aborted!": say what the output holds now
        if bar is not None:
            bar.__exit__(None, None, None)
            bar = None  # closed: the finally below has nothing left to close
        click.echo(
            "Stopped. Each issue written so far is whole, the others keep what the last build wrote, and "
            "the index and feeds may be out of date: run `notice build` again to finish.",
            err=True,
        )
        sys.exit(130)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    for slug in outcome.built:
        state.echo(f"  built {state.path(outcome.out_dir / slug)}", level=1)
    for slug in outcome.removed:
        state.echo(f"  removed {state.path(outcome.out_dir / slug)} (its issue is gone)", level=1)
    summary = f"Built {count(outcome.built, 'issue')}"
    if outcome.unchanged:
        summary += f" ({len(outcome.unchanged)} unchanged)"
    state.echo(f"{summary} into {state.path(outcome.out_dir)}{os.sep}")
    for slug in outcome.withdrawn:
        state.echo(f"  removed {state.path(outcome.out_dir / slug)} (a draft: not for upload)", level=1)
    if outcome.drafts and not slugs:
        removed = (
            f"; removed the outputs of {count(outcome.withdrawn, 'draft')} built earlier" if outcome.withdrawn else ""
        )
        state.echo(
            f"Left out {count(outcome.drafts, 'draft')} ({', '.join(outcome.drafts)}){removed}: "
            "`notice preview` or `notice build --drafts` shows them"
        )
    report(state, [*outcome.errors, *outcome.warnings])  # each distinct one once: the build de-duplicates
    if outcome.errors:
        sys.exit(1)


@click.command(name="list")
@pass_state
def list_issues(state: State) -> None:
    """List every issue: slug, date, status, title and number of corrections.

    Once deliveries are recorded (`notice sent`), the corrections column also counts the
    notices not yet sent on every channel the issue went out on: "4 (2 unsent)".

    \b
    Example:
      notice list
    """
    from ..corrections import count_records  # lazy
    from ..source import read_issues, sort_newest_first  # lazy
    from ..wrapping import display_width  # lazy

    config = state.config()
    issues, errors = read_issues(config.issues_dir, default_lang=config.publication.lang, tz=config.tz)
    rows = [("SLUG", "DATE", "STATUS", "CORR", "TITLE")]
    for issue in sort_newest_first(issues):
        rows.append(
            (
                issue.slug,
                issue.date.strftime("%Y-%m-%d"),
                issue.status,
                str(count_records(config, issue.slug)) + _unsent(config, issue),
                issue.title,
            )
        )
    widths = [max(display_width(row[col]) for row in rows) for col in range(4)]
    for number, row in enumerate(rows):
        cells = [cell + " " * (widths[col] - display_width(cell)) for col, cell in enumerate(row[:4])]
        line = "  ".join([*cells, row[4]])
        click.echo(state.style(line, bold=True) if number == 0 else line, color=state.color)
    if errors:
        raise BuildError(list(errors))


def _unsent(config: Any, issue: Any) -> str:
    """`` (2 unsent)``: the notices of *issue* not yet out on every channel; empty when none,
    or when no delivery is recorded (only then is anything known of who got what)."""
    from ..deliveries import notice_status  # lazy
    from ..issue_state import load_state  # lazy
    from ..records import DELIVERY_RE, record_files  # lazy

    if not any(DELIVERY_RE.fullmatch(p.name) for p in record_files(config.corrections_dir, issue.slug)):
        return ""  # the common case, without reading a record
    try:
        state = load_state(config, issue)
    except ToolkitError:
        return " (records damaged: notice check)"
    unsent = sum(bool(s.missing) for s in notice_status(state.records, state.deliveries))
    return f" ({unsent} unsent)" if unsent else ""


@click.command()
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on (0 picks a free one).",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind; anything but loopback exposes your drafts to the network.",
)
@click.option("--open", "open_browser", is_flag=True, help="Open the preview in your web browser.")
@pass_state
def preview(state: State, port: int, host: str, open_browser: bool) -> None:
    """Serve a live preview of every issue while you write.

    Shows each issue's email (mobile, desktop and full width, light and dark), plain text,
    web version, HTML source with its size against Gmail's clipping limit, and its
    corrections. Saving an issue, a correction, a template or notice.toml rebuilds what
    changed and reloads the page. Press Ctrl-C to stop.

    \b
    Example:
      notice preview --open
      notice preview --port 8001
    """
    import time  # lazy
    import webbrowser  # lazy

    from ..preview import PreviewServer  # lazy

    root = state.root()
    server = PreviewServer(root, host=host, port=port)
    if host not in ("127.0.0.1", "localhost", "::1"):
        report(state, [warning(f"listening on {host}: anyone who can reach this machine can read your drafts.")])
    first = server.start()
    state.echo(
        f"Preview of {state.path(root)} at {server.url} (build: {first.seconds * 1000:.0f} ms"
        f"{', ' + count([''] * len(first.errors), 'error') if first.errors else ''}). Ctrl-C stops it."
    )
    report(state, [as_diagnostic(error) for error in first.errors])
    if open_browser:
        webbrowser.open(server.url)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    state.echo("Stopped.")


@click.command()
@slug_argument()
@click.option("--width", "widths", default="375,600", show_default=True, help="Widths in CSS pixels, comma-separated.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the PNG files (default: snapshots/ in the publication).",
)
@click.option("--browser", metavar="PATH", help="Chromium or Chrome to use (default: found on PATH).")
@pass_state
def snapshot(state: State, slug: str, widths: str, out: Path | None, browser: str | None) -> None:
    """Save PNG screenshots of issue SLUG's email at each width, by headless Chromium.

    Builds the issue first, then writes SNAPSHOTS/SLUG-375.png and so on, full height,
    for reviewing an issue or attaching to a review. Japanese needs a CJK font (Debian:
    fonts-noto-cjk); without one every kanji is drawn as an empty box.

    \b
    Example:
      notice snapshot 2018-07-13-line-privacy
      notice snapshot pre-send-checklist --width 320,375,600 --out /tmp/shots
    """
    from ..build import build as run_build  # lazy
    from ..message import private_build  # lazy
    from ..snapshot import find_browser, has_cjk_font, needs_cjk, parse_widths, take_snapshots  # lazy

    config = state.config()
    sizes = parse_widths(widths)
    executable = find_browser(browser)
    built = run_build(config, slugs=[slug], **private_build(config, slug, "snapshot"))
    if built.errors:
        raise BuildError(built.errors)
    page = built.out_dir / slug / "email.html"
    if needs_cjk(page.read_text(encoding="utf-8")) and has_cjk_font() is False:
        report(
            state,
            [
                warning(
                    "no Japanese font found (fc-list :lang=ja is empty): kanji will be empty boxes. "
                    "Install one: sudo apt-get install fonts-noto-cjk"
                )
            ],
        )
    folder = (out or config.root / "snapshots").resolve()
    from ..images import published_urls  # lazy

    images = published_urls(config, slug, page.parent, page.read_text(encoding="utf-8"))
    for path in take_snapshots(page, sizes, folder / slug, executable, images):
        state.echo(f"Saved {state.path(path)}")
