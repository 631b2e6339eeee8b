"""The build, top to bottom: read issues, skip what has not changed, render, write, index.

Each issue is rendered from Markdown once; the HTML fragment feeds the email, the web page
and the plain text. Many issues are rendered on every core. Nothing is written for an issue
that fails, so its previous outputs stay as they were.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import gc
import hashlib
import io
import json
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__, collector, stale
from .config import Config, check_out_dir
from .errors import Diagnostic, ToolkitError, as_diagnostic, unique, warning
from .limits import GMAIL_CLIP_BYTES, GMAIL_CLIP_KB
from .output import (
    BuildCache,
    Entries,
    Journal,
    Stats,
    close_inherited_journals,
    digests_of,
    hold_output,
    remove_leftovers,
    remove_outputs,
    write_atomic,
    write_files,
)
from .source import (
    BODY_NOT_KEPT,
    PARSED,
    Issue,
    check_slug,
    confine,
    decode,
    no_such_issue,
    read_issues,
    read_regular,
    sort_newest_first,
    split_front_matter,
    stays_inside,
    unread_files,
)

# The renderers (Markdown, Jinja, Babel, lxml, the inliners) are imported where they are used,
# so a build with nothing to do loads none of them (issue 13: two thirds of its time was imports).
if TYPE_CHECKING:
    from concurrent.futures import Future

    from .issue_state import IssueState
    from .kept_issues import KeptIssues

#: Below this many issues to render, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 8


@dataclass
class BuildReport:
    """What a build did: the CLI prints it, tests assert on it."""

    out_dir: Path
    built: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    #: Each distinct error and warning once: a broken template fails every issue alike.
    errors: list[Diagnostic] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    #: Every issue read, and those whose records and lock were sound: the preview shows them.
    issues: list[Issue] = field(default_factory=list)
    states: dict[str, IssueState] = field(default_factory=dict)
    #: Drafts this build left out (without --drafts), and those whose earlier outputs it removed.
    drafts: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def build(
    config: Config,
    *,
    slugs: Iterable[str] = (),
    out_dir: Path | None = None,
    force: bool = False,
    drafts: bool = False,
    progress: Callable[[int], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    env: Any = None,
    jobs: int | None = None,
    snapshot: bool = False,
    on_written: Callable[[BuildReport, BuildCache], None] | None = None,
    keep_bodies: bool = True,
) -> BuildReport:
    """Build the publication (or only *slugs*) into *out_dir*; never raises for one bad issue.

    Only published issues, unless *drafts*: the output folder is what gets uploaded (issue 9).
    *env*, a Jinja environment from `templating.make_environment`, lets a long-running caller
    (the preview) keep its compiled templates from one build to the next. *jobs* caps the
    processes that render (default: one per CPU). With *snapshot* (`notice build`), a build
    without errors leaves a `toolkit.stale` snapshot, and the same build asked again with
    nothing changed answers from it, from file stats alone: its report then has no
    `issues` or `states`. *on_written* is called with the report so far and the cache once
    the stale issues are written, before the index, the corrections log, the feeds and the
    sitemap: the preview shows a saved issue from there (issue 13). Without *keep_bodies*
    (`notice build`, which reads none), an issue sent to the workers while the issues are
    read keeps no body in the report: at 10,000 issues the bodies were a third of the build's
    memory (issue 13).
    """
    out_dir = (out_dir or config.out_dir).resolve()
    check_out_dir(config, out_dir)
    slugs = [check_slug(slug) for slug in slugs]
    confine(
        config.cache_dir,
        config.root,
        ToolkitError,
        action="keep the build cache in .notice-cache",
        hint="notice writes only inside the publication: replace the link with a folder",
    )
    # One build at a time into a folder: the lock is inherited by the worker processes, so it
    # also waits for those of a killed build, which may be writing their last issue (issue 13).
    with hold_output(config.cache_dir, out_dir), contextlib.ExitStack() as stack:
        return _build(
            config,
            out_dir,
            slugs,
            force,
            drafts,
            progress,
            on_start,
            env,
            jobs,
            snapshot,
            stack,
            on_written,
            keep_bodies,
        )


def _build(
    config: Config,
    out_dir: Path,
    slugs: list[str],
    force: bool,
    drafts: bool,
    progress: Callable[[int], None] | None,
    on_start: Callable[[int], None] | None,
    env: Any,
    jobs: int | None,
    snapshot: bool,
    stack: contextlib.ExitStack,
    on_written: Callable[[BuildReport, BuildCache], None] | None = None,
    keep_bodies: bool = True,
) -> BuildReport:
    report = BuildReport(out_dir)
    cache = BuildCache.load(config.cache_dir)
    from .labels import DATES  # lazy (see the imports)

    DATES.load(config.cache_dir / "dates.json")  # Babel's dates of earlier builds, read on first use
    options = stale.build_options(drafts, slugs)
    inputs = None
    if snapshot and not force:
        remembered, inputs = stale.remembered_report(cache, config, out_dir, options)
        if remembered is not None:
            return nothing_to_do(report, cache, remembered, on_start)
    from .patterns import FILE_NAME, PATTERNS  # lazy (see the imports)

    PATTERNS.load(config.cache_dir / FILE_NAME)  # before the renderers compile theirs (the CLI did already)
    from .parsed_theme import RULES  # lazy (see the imports)

    RULES.load(config.cache_dir / "premailer.marshal")  # premailer's parse of the theme, if it runs
    # A build that will render many issues starts its workers now, while this process is small,
    # and they warm up while it reads the issues (issue 13).
    expected = expected_renders(config, cache, out_dir, slugs, force)
    # The entries of the output folder as this build found them: what its files hold (`write_files`).
    held = dict(cache.entries(out_dir))
    pool = stack.enter_context(render_pool(config, cache.journal_writer(), out_dir, jobs, expected, held))
    inputs = inputs if inputs is not None else _forced_scan(cache, config, out_dir, snapshot)

    # Read every issue with its records and lock, then decide what is stale.
    from .templating import inliner_warnings, make_environment, templates_fingerprint  # lazy (see above)

    PARSED.load(config.cache_dir / "yaml.json")  # front-matter and records parsed by earlier builds
    # With workers started, an issue sure to be rendered goes to them as soon as it is read.
    # Without the bodies only where the index never shows one: templates of the publication's
    # own receive each issue whole (README "Templates").
    keep = keep_bodies or own_templates(config)
    early = Prefetch(pool, config, drafts, expected, keep) if pool is not None and expected and not slugs else None
    kept = kept_record(config, keep, early)
    collector.resume()  # start-up is done: reading many issues and rendering them makes garbage

    issues, source_errors = read_issues(
        config.issues_dir,
        default_lang=config.publication.lang,
        tz=config.tz,
        each=early.offer if early else None,
        kept=kept,
    )
    wanted = {issue.slug for issue in select(issues, source_errors, list(slugs), config)}
    # An issue readers received stays in the record: a lock under a draft is an error, never a
    # reason to take its pages down (COPE: a retracted article stays online, marked).
    unsent = [i for i in issues if i.is_draft and _locked(config, i.slug)]
    report.errors.extend(Diagnostic.of(sent_but_draft(i, config)) for i in unsent if i.slug in wanted)
    issues = [i for i in issues if i not in unsent]
    wanted -= {i.slug for i in unsent}
    if not drafts:
        refuse_named_drafts(issues, list(slugs))
        report.drafts = sorted(i.slug for i in issues if i.is_draft)
        wanted -= set(report.drafts)
        issues = [i for i in issues if not i.is_draft]
    report.errors.extend(
        Diagnostic.of(e) for e in source_errors if not slugs or e.path is not None and e.path.stem in set(slugs)
    )
    states, state_errors = load_states(config, issues, read_states(early, kept))
    from . import next_issue  # lazy (see the imports)

    states = next_issue.with_drafts(config, states)  # a draft's block, as if published now
    report.errors.extend(Diagnostic.of(e) for slug, e in state_errors.items() if slug in wanted)

    env = env or make_environment(config.templates_dir, config.cache_dir / "jinja", reload=False)
    shared = inputs_fingerprint(config, templates_fingerprint(env))
    if cache.note:
        report.warnings.append(
            warning(cache.note, path=cache.note_path, hint="nothing is lost: the cache only remembers what was built")
        )
    sources = linked_images(states, early, kept)
    record_issues(kept, states, sources)
    images = images_keys(config, states, early, sources)
    every = {slug: state_key(state, shared, images[slug]) for slug, state in states.items()}
    keys = {slug: key for slug, key in every.items() if slug in wanted}
    todo = [states[slug] for slug in keys if force or not cache.is_fresh(out_dir, slug, keys[slug])]
    report.unchanged = sorted(set(keys) - {state.issue.slug for state in todo})
    if todo:
        report.warnings.extend(inliner_warnings(env, config.build.inliner))
    if on_start:
        on_start(len(todo))

    # Render and write what is stale.
    report.issues, report.states = issues, states
    results = render_all(todo, config, cache.journal_writer(), out_dir, progress, env, jobs, pool, held)
    write_all(report, cache, keys, results)
    if on_written:
        on_written(report, cache)

    # Tidy the output folder, then the index, the corrections log, the feeds and the sitemap.
    #: What this build says whatever it rendered: a build with nothing to do says it again.
    standing: list[Diagnostic] = [unread_warning(path) for path in unread_files(config.issues_dir)]
    if not slugs:
        present = {i.slug for i in issues} | {e.path.stem for e in source_errors if e.path} | {i.slug for i in unsent}
        standing.extend(tidy(report, cache, present))
    broken = len(source_errors) + len(state_errors) + len(unsent)
    if broken:  # the index would drop or mislabel those issues: keep the last good one
        standing.append(
            warning(
                f"index.html was not updated: {broken} issue{'s' if broken > 1 else ''} cannot be read",
                path=out_dir / "index.html",
                hint="fix the errors above and build again",
            )
        )
    else:
        try:
            remove_leftovers(out_dir, recursive=False)
            standing.extend(write_public(cache, out_dir, issues, states, config, env, shared, every, images))
        except ToolkitError as error:
            report.errors.append(Diagnostic.of(error))
    report.warnings.extend(standing)
    if snapshot and inputs is not None and not report.errors:
        unchanged = sorted({*report.built, *report.unchanged})
        stale.remember(cache, out_dir, options, inputs, stale.report_json(unchanged, report.drafts, unique(standing)))
    cache.save()
    save_memos(PARSED, kept, DATES, PATTERNS, RULES)
    # Each distinct one once; anything still a raised error is turned into what is reported.
    report.errors = unique(as_diagnostic(e) for e in report.errors)
    report.warnings = unique(as_diagnostic(w, "warning") for w in report.warnings)
    return report


def save_memos(*memos: Any) -> None:
    """Save what this build parsed and compiled for the next (a None is a memo it did not use)."""
    for memo in memos:
        if memo is not None:
            memo.save()


def kept_record(config: Config, keep: bool, early: Prefetch | None) -> KeptIssues | None:
    """The record of issues earlier builds read (`toolkit.kept_issues`), for a build that keeps
    no bodies: it takes from it the issues whose files it need not read, unless workers read
    them as they come (*early*), and records the rest for the next build."""
    if keep:
        return None
    from .kept_issues import KEPT  # lazy (see the imports)

    KEPT.load(config, serving=early is None)
    return KEPT


def read_states(early: Prefetch | None, kept: KeptIssues | None) -> dict[str, IssueState]:
    """The states loaded as the issues were read: by `Prefetch`, or from the record of issues."""
    return {**(early.states if early else {}), **(kept.states if kept else {})}


def linked_images(
    states: dict[str, IssueState], early: Prefetch | None, kept: KeptIssues | None
) -> dict[str, list[str]]:
    """The image paths each issue's texts link (`images.image_sources`): kept by *early* or
    *kept* for an issue whose body the build did not keep, else found in its texts."""
    from .images import image_sources  # lazy (see the imports)

    sources = {**(early.sources if early else {}), **(kept.sources if kept else {})}
    sources.update({slug: image_sources(state) for slug, state in states.items() if slug not in sources})
    return sources


def record_issues(kept: KeptIssues | None, states: dict[str, IssueState], sources: dict[str, list[str]]) -> None:
    """Note what this build read of each issue file, for the next (`kept_issues.KeptIssues.remember`)."""
    if kept is not None:
        kept.remember(states, sources)


def images_keys(
    config: Config, states: dict[str, IssueState], early: Prefetch | None, sources: dict[str, list[str]]
) -> dict[str, str]:
    """Each issue's `images.images_key`, from the image paths its texts link (*sources*), or
    as *early* found it for an issue it sent on without its body."""
    from .images import images_key  # lazy (see the imports)

    known = early.images if early else {}  # the keys of issues whose bodies were not kept
    return {
        slug: known[slug] if slug in known else images_key(config, state, sources[slug])
        for slug, state in states.items()
    }


def _forced_scan(cache: BuildCache, config: Config, out_dir: Path, snapshot: bool) -> stale.Inputs | None:
    """The scan for a --force build's snapshot, taken after its workers are started (they
    start meanwhile) and before any issue is read; None without a snapshot."""
    return stale.scan_for_snapshot(cache, config, out_dir) if snapshot else None


def tidy(report: BuildReport, cache: BuildCache, present: set[str]) -> list[Diagnostic]:
    """Remove the pages of drafts an earlier --drafts build wrote and of issues that are gone;
    warn of draft pages that no build on record wrote."""
    out_dir, warnings = report.out_dir, []
    report.withdrawn = [slug for slug in report.drafts if slug in cache.entries(out_dir)]
    for slug in report.withdrawn:  # an earlier --drafts build's pages must not be uploaded
        remove_outputs(out_dir, cache.forget(out_dir, slug))
    for slug in report.drafts:  # pages the cache cannot vouch for (an older notice, a damaged cache)
        if slug not in report.withdrawn and (out_dir / slug).is_dir():
            warnings.append(stray_draft(out_dir, slug))
    report.removed = prune(cache, out_dir, present | set(report.drafts))
    return warnings


def nothing_to_do(
    report: BuildReport, cache: BuildCache, remembered: dict[str, Any], on_start: Callable[[int], None] | None
) -> BuildReport:
    """The report of a build whose inputs and outputs are those of its snapshot: what that
    build's next run would say, having rendered and written nothing."""
    if on_start:
        on_start(0)
    report.unchanged, report.drafts = list(remembered["unchanged"]), list(remembered["drafts"])
    report.warnings = stale.report_warnings(remembered)
    cache.save()  # the stats that settled since, if any: the next build hashes nothing
    return report


def write_public(
    cache: BuildCache,
    out_dir: Path,
    issues: list[Issue],
    states: dict[str, IssueState],
    config: Config,
    env: Any,
    shared: str,
    keys: dict[str, str],
    images: dict[str, str],
) -> list[Diagnostic]:
    """Write index.html and corrections.html unless what they show of each issue changed, and
    the feeds and the sitemap unless an issue or its records did; only those whose files still
    hold what was written are kept (issue 13: 50 ms and lxml's import in every build). Their
    warnings either way."""
    public = [states[i.slug] for i in issues if not i.is_draft and i.slug in states]
    pages, feeds = public_keys(issues, states, config, shared, keys, images)
    done = stale.public_record(cache, out_dir)
    if done is None or not cache.files_hold(out_dir, done):
        done = {"key": "", "feeds": "", "files": {}, "stats": {}, "warnings": []}
    elif done["key"] == pages and done["feeds"] == feeds:
        return stale.report_warnings(done)
    record = {**done, "key": pages, "feeds": feeds, "files": dict(done["files"]), "stats": dict(done["stats"])}

    from .archive import corrections_log  # lazy (see the imports)
    from .feeds import FEED_FILES, write_public_record  # lazy
    from .webmeta import feeds_blocker  # lazy

    written: dict[str, bytes] = {}
    if done["key"] != pages:
        written["index.html"] = render_index(issues, states, config, env)
        feed_href = "" if feeds_blocker(config) else "./"
        written["corrections.html"] = corrections_log(config, public, env, feed_href).encode("utf-8")
        for name, data in written.items():
            write_atomic(out_dir / name, data)
    if done["feeds"] != feeds:
        from .webmeta import newest_published  # lazy (see the imports)

        # The feeds carry the newest issues' text: theirs are read again if the build kept none.
        shown = {s.issue.slug for s in newest_published(public, config.feed.entries)}
        public = [body_of(config, s, "the feeds were not written") if s.issue.slug in shown else s for s in public]
        warnings = write_public_record(config, out_dir, public, env, {s.issue.slug: keys[s.issue.slug] for s in public})
        record["warnings"] = stale.warnings_json([Diagnostic.of(w, severity="warning") for w in warnings])
        for name in FEED_FILES:
            try:
                written[name] = (out_dir / name).read_bytes()
            except FileNotFoundError:  # none without base_url
                record["files"].pop(name, None)
    for name, data in written.items():
        record["files"][name] = hashlib.sha256(data).hexdigest()
        record["stats"].pop(name, None)
    cache.folder(out_dir)["public"] = record
    cache.touch(out_dir)
    return stale.report_warnings(record)


def own_templates(config: Config) -> bool:
    """Whether the publication has templates of its own: they may show what the built-in
    index and log do not (an issue's body, say), so the index is keyed and fed as the feeds are."""
    return config.templates_dir.is_dir() and any(
        p.is_file() and p.name != "README.md" for p in config.templates_dir.rglob("*")
    )


def public_keys(
    issues: list[Issue],
    states: dict[str, IssueState],
    config: Config,
    shared: str,
    keys: dict[str, str],
    images: dict[str, str],
) -> tuple[str, str]:
    """The cache keys of the index and corrections log, and of the feeds and sitemap, from
    the shared inputs and each issue's cache key (*keys*) and images key (*images*).

    The built-in index and log show only the front-matter, the records and the images the
    notes link, so a body's edit leaves them as they were; a publication with templates of its
    own may show more, so theirs covers every issue's cache key. The feeds show the same of
    every published issue (the sitemap its date, the corrections feed its records) and the
    text of only the newest `[feed] entries` (`feeds.write_public_record`), so only theirs
    cover the whole cache key: an edit of an older issue, or of a draft, leaves the feeds as
    they were (issue 13: 8 ms and the feeds' imports of a build with one issue changed).
    """
    from .webmeta import newest_published  # lazy (see the imports)

    pages, feeds = hashlib.sha256(f"pages\0{shared}\0".encode()), hashlib.sha256(f"feeds\0{shared}\0".encode())
    own = own_templates(config)
    public = [states[i.slug] for i in issues if not i.is_draft]
    shown_whole = {s.issue.slug for s in newest_published(public, config.feed.entries)}
    for issue in issues:
        state = states[issue.slug]
        key = keys[issue.slug]
        lock = state.lock.hash if state.lock else ""
        shown = [issue.slug, issue.is_draft, issue.lang, lock, [r.hash for r in state.records], images[issue.slug]]
        front = key if own else json.dumps([shown, issue.front], sort_keys=True, default=str, ensure_ascii=False)
        pages.update(f"{front}\0".encode())
        feeds.update(f"{front}\0{key if issue.slug in shown_whole else ''}\0".encode())
    return pages.hexdigest(), feeds.hexdigest()


def write_all(
    report: BuildReport, cache: BuildCache, keys: dict[str, str], results: Iterable[tuple[str, Written | ToolkitError]]
) -> None:
    """Record each issue as its files are written, saving the cache now and then, and on the
    way out after Ctrl-C or a full disk, so finished work is kept (the digests guard the rest)."""
    out_dir = report.out_dir
    try:
        for slug, result in results:
            if isinstance(result, ToolkitError):
                report.errors.append(Diagnostic.of(result))
                continue
            report.warnings.extend(result.warnings)
            if result.dates:
                from .labels import DATES  # lazy (see the imports)

                DATES.merge(result.dates)
            remove_outputs(out_dir, sorted(set(cache.forget(out_dir, slug)) - set(result.digests)))
            cache.record(out_dir, slug, keys[slug], result.digests, result.stats)
            report.built.append(slug)
            cache.save_now_and_then()
    except BaseException:
        with contextlib.suppress(ToolkitError):
            cache.save()
        raise


@dataclass(frozen=True)
class Written:
    """What was written for one issue, where it was rendered (a worker process returns only
    this, not the files): the sha256 of each file, the warnings to show, the dates the worker
    had Babel format (`labels.DATES`), which the build saves for the next one, and the stats
    of the files left as they were (`output.write_files`)."""

    digests: dict[str, str]
    warnings: list[Diagnostic]
    dates: dict[str, str] = field(default_factory=dict)
    stats: dict[str, Stats] = field(default_factory=dict)


def write_issue(
    renderer: Any, journal: Journal, out_dir: Path, state: IssueState, held: Entries | None = None
) -> Written | ToolkitError:
    """Render one issue and write its files so that no interruption can make a stale one look
    fresh: the journal names them before they are written, the cache records their digests
    after (`write_all`). An issue that cannot be rendered is its error; a failed write raises.
    A body the build did not keep is read again here, in a worker or not (`body_of`). *held*:
    the cache's entries of *out_dir* from before the build, which spare reading what it holds."""
    slug = state.issue.slug
    try:
        state = body_of(renderer.config, state)
    except ToolkitError as error:
        return error
    result = renderer.render_safely(state)
    if isinstance(result, ToolkitError):
        return result
    files = {f"{slug}/{name}": data for name, data in result.items()}
    # Each folder once (resolving is a stat per folder above it): an issue's files share one or two.
    folders = dict.fromkeys((out_dir / name).parent for name in files)
    escape = next((folder for folder in folders if not stays_inside(folder, out_dir)), None)
    if escape is not None:  # out/<slug> linked elsewhere: never write through it (issue 14)
        name = next(name for name in files if (out_dir / name).parent == escape)
        return ToolkitError(
            f"cannot write {Path(name).name}: its folder is a link out of {out_dir.name}{os.sep}",
            path=escape,
            hint="delete the link: the build makes the folder itself",
        )
    # What the sanitizer removed from the author's HTML, and emails Gmail would clip.
    warnings = [Diagnostic.of(removed, severity="warning") for removed in result.warnings]
    warnings.extend(size_warnings(out_dir / slug, result))
    journal.announce(str(out_dir), slug, files)
    remove_leftovers(out_dir / slug)
    digests = digests_of(files)
    kept = write_files(out_dir, files, digests, held.get(slug) if held else None)
    return Written(digests, warnings, stats=kept)


def size_warnings(folder: Path, files: dict[str, bytes]) -> list[Diagnostic]:
    """Emails over Gmail's clipping limit: readers would see "[Message clipped]" and lose the
    footer with the unsubscribe link (shared/email-facts.md)."""
    return [
        warning(
            f"{name} is {len(data) / 1024:.0f} KB: Gmail clips messages over {GMAIL_CLIP_KB} KB",
            path=folder / name,
            hint="shorten the issue, or split it in two",
        )
        for name, data in files.items()
        if name.endswith("email.html") and len(data) > GMAIL_CLIP_BYTES
    ]


def load_states(
    config: Config, issues: list[Issue], known: dict[str, IssueState] | None = None
) -> tuple[dict[str, IssueState], dict[str, ToolkitError]]:
    """Each issue with its lock and records (those in *known* already loaded); a damaged
    record or a silent edit is its error."""
    from .issue_state import record_folders  # lazy (see the imports)

    states: dict[str, IssueState] = {}
    errors: dict[str, ToolkitError] = {}
    folders = record_folders(config)
    for issue in issues:
        state = (known or {}).get(issue.slug)
        if state is None or state.issue is not issue:
            try:
                state = load_checked_state(config, issue, folders)
            except ToolkitError as error:
                errors[issue.slug] = error
                continue
        states[issue.slug] = state
    return states, errors


def load_checked_state(config: Config, issue: Issue, folders: frozenset[str] | None = None) -> IssueState:
    """The issue's state; a ToolkitError for a damaged record or a silent edit. *folders*:
    `issue_state.record_folders`, listed once for many issues."""
    from .issue_state import load_state, silent_edit, silent_edit_error  # lazy (see the imports)

    state = load_state(config, issue, folders)
    diff = silent_edit(state)
    if diff:
        raise silent_edit_error(state, diff)
    return state


class Prefetch:
    """Sends each issue that this build is sure to render to the workers as soon as it is
    read, so they render while the rest are read (issue 13: at 10,000 issues the reading kept
    both workers idle for seconds). Only a build that renders everything (`expected_renders`)
    uses it, and only for issues that need no other issue: a draft's block of corrections
    (`next_issue.with_drafts`) waits for all of them, and a draft not built or under a lock,
    or an issue whose records fail, is left to the build's own checks."""

    def __init__(self, pool: RenderPool, config: Config, drafts: bool, expected: int, keep_bodies: bool = True) -> None:
        self.pool, self.config, self.drafts = pool, config, drafts
        self.states: dict[str, IssueState] = {}
        #: How many issues are still to come (`expected_renders` counts the files), so the last
        #: batches are smaller and the workers end together.
        self.left = expected
        self.keep_bodies = keep_bodies
        #: The images keys (`images.images_key`, which reads the body) of issues kept without
        #: it, and the image paths their texts link (`images.image_sources`).
        self.images: dict[str, str] = {}
        self.sources: dict[str, list[str]] = {}
        from .issue_state import record_folders  # lazy (see the imports)

        self.folders = record_folders(config)  # corrections/ listed once, not looked up per issue

    def offer(self, issue: Issue) -> Issue | None:
        """Send *issue* to the workers if it is sure to be rendered; the lighter copy for the
        build to keep instead, when it keeps no bodies."""
        config = self.config
        self.left -= 1
        if issue.is_draft and (not self.drafts or config.corrections.in_next_issue or _locked(config, issue.slug)):
            return None
        try:
            state = load_checked_state(config, issue, self.folders)
        except ToolkitError:
            return None  # load_states says so, in its place
        lean = None
        if not self.keep_bodies:  # the worker reads the body again (`body_of`)
            from .images import image_sources, images_key  # lazy (see the imports)

            self.sources[issue.slug] = image_sources(state)
            self.images[issue.slug] = images_key(config, state, self.sources[issue.slug])
            lean = dataclasses.replace(issue, body=BODY_NOT_KEPT)
            state = dataclasses.replace(state, issue=lean)
        self.states[issue.slug] = state
        self.pool.prefetch(state, max(0, self.left))
        return lean


def body_of(config: Config, state: IssueState, unmade: str = "it was not built") -> IssueState:
    """*state* with its issue's body, read again from its file if the build did not keep it
    (the front-matter is the build's: only the body is taken, from the same bytes). A
    ToolkitError if the file changed since the build read it: its outputs, and the feeds, are
    never made from a text other than the one the build checked and keyed."""
    issue = state.issue
    if issue.body != BODY_NOT_KEPT:
        return state
    try:
        raw = read_regular(issue.path, root=config.root)
        unchanged = hashlib.sha256(raw).hexdigest() == issue.digest
    except ToolkitError:
        unchanged = False
    if not unchanged:
        raise ToolkitError(
            f"{issue.path.name} changed while the build was reading it: {unmade}",
            path=issue.path,
            hint="build again",
        )
    body = split_front_matter(decode(raw, issue.path), issue.path)[2]
    return dataclasses.replace(state, issue=dataclasses.replace(issue, body=body))


def unread_warning(path: Path) -> Diagnostic:
    stem = path.name.rsplit(".", 1)[0]
    return warning(
        f"{path.name} is not read: an issue is a file ending in .md (lowercase)",
        path=path,
        hint=f"rename it to {stem}.md to build it, or move it out of issues/",
    )


def _locked(config: Config, slug: str) -> bool:
    """A lock of the author's own (a linked one is left for load_state to refuse, with its reason)."""
    from .records import LOCK_NAME  # lazy (see the imports)

    lock = config.corrections_dir / slug / LOCK_NAME
    return lock.is_file() and not lock.is_symlink() and not lock.parent.is_symlink()


def sent_but_draft(issue: Issue, config: Config) -> ToolkitError:
    return ToolkitError(
        f"'{issue.slug}' says status: draft, but it was published: readers received it",
        path=issue.path,
        hint="set status: published again; to take it back, record "
        f"`notice correct {issue.slug} --kind retraction --note WHY`",
    )


def stray_draft(out_dir: Path, slug: str) -> Diagnostic:
    """A draft's folder in the output that no build on record wrote: notice cannot tell its
    files from the author's, so it says so rather than delete or upload them (issue 9)."""
    return warning(
        f"pages of the draft '{slug}' that no recorded build wrote (an older notice, or a cache it could "
        "not read): they are not for upload",
        path=out_dir / slug,
        hint=f"delete {out_dir.name}{os.sep}{slug}{os.sep}, or run `notice build --drafts` once and then "
        "`notice build`, which removes a draft's pages it wrote",
    )


def refuse_named_drafts(issues: list[Issue], slugs: list[str]) -> None:
    """`notice build DRAFT` without --drafts: say how to build it, rather than build nothing."""
    named = [i for i in issues if i.slug in set(slugs) and i.is_draft]
    if named:
        issue = named[0]
        raise ToolkitError(
            f"'{issue.slug}' is a draft: drafts are not built into the output, which is published",
            path=issue.path,
            hint=f"`notice build --drafts {issue.slug}` builds it, marked as a draft; "
            "`notice preview` shows it privately",
        )


def select(issues: list[Issue], errors: Sequence[ToolkitError], slugs: list[str], config: Config) -> list[Issue]:
    """The issues named on the command line (all when none are); an unknown name is an error."""
    if not slugs:
        return issues
    known = {i.slug for i in issues} | {e.path.stem for e in errors if e.path}
    for slug in slugs:
        if slug not in known:
            raise no_such_issue(slug, known)
    return [i for i in issues if i.slug in set(slugs)]


def inputs_fingerprint(config: Config, templates: str) -> str:
    """What every issue depends on: notice.toml, the templates and this version of notice."""
    digest = hashlib.sha256(f"notice {__version__}\0{templates}\0".encode())
    digest.update(config.path.read_bytes())
    return digest.hexdigest()


def state_key(state: IssueState, inputs: str, images: str = "") -> str:
    """The cache key of one issue: its file, its lock and records, its image files, and the
    shared inputs."""
    parts = [inputs, state.issue.digest, state.lock.hash if state.lock else "", *(r.hash for r in state.records)]
    if state.carried:  # a draft's block moves with other issues' records
        from . import next_issue  # lazy (see the imports)

        parts.append(next_issue.key(state))
    parts.append(images)  # `images.images_key`: a changed or deleted image rebuilds the issue
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def prune(cache: BuildCache, out_dir: Path, present: set[str]) -> list[str]:
    """Remove outputs this build wrote earlier for issues whose files are gone."""
    gone = sorted(set(cache.entries(out_dir)) - present)
    for slug in gone:
        remove_outputs(out_dir, cache.forget(out_dir, slug))
    return gone


# --- rendering on every core -------------------------------------------------------------------


def render_all(
    states: list[IssueState],
    config: Config,
    journal: Journal,
    out_dir: Path,
    progress: Callable[[int], None] | None,
    env: Any = None,
    jobs: int | None = None,
    pool: RenderPool | None = None,
    held: Entries | None = None,
) -> Iterable[tuple[str, Written | ToolkitError]]:
    """Render and write each issue, in *pool* or on every core (or *jobs* processes) when
    there are many; results keep the input order. *held*: see `write_issue`.

    A worker writes the issues it renders and returns their digests, so the build's own
    process only records them: sending 40 KB of files back to it to write made it the
    bottleneck on two cores (issue 13: 1.46x faster than one core), and results waiting in
    it its peak memory.
    """
    if pool is None and len(states) >= PARALLEL_THRESHOLD and pool_size(jobs, len(states)) > 1:
        with render_pool(config, journal, out_dir, jobs, len(states), held) as started:
            yield from render_all(states, config, journal, out_dir, progress, env, jobs, started, held)
        return
    if pool is not None:
        for slug, result in pool.render(states):
            yield slug, result
            if progress:
                progress(1)
        return
    from .render import IssueRenderer  # lazy (see the imports)

    renderer = IssueRenderer(config, env)
    for state in states:
        yield state.issue.slug, write_issue(renderer, journal, out_dir, state, held)
        if progress:
            progress(1)


def pool_size(jobs: int | None, count: int) -> int:
    """The worker processes for *count* issues: one per CPU (or *jobs*), fewer for few issues."""
    return min(jobs or os.cpu_count() or 1, max(1, count // (PARALLEL_THRESHOLD // 2)))


def expected_renders(config: Config, cache: BuildCache, out_dir: Path, slugs: list[str], force: bool) -> int:
    """How many issues this build will render, if it can tell before reading them: all with
    --force or into a folder no build recorded, else 0 (the pool then starts once the stale
    issues are known, if they are many)."""
    if slugs:
        return len(slugs)
    if not force and cache.entries(out_dir):
        return 0
    try:
        return sum(1 for entry in os.scandir(config.issues_dir) if entry.name.endswith(".md"))
    except OSError:
        return 0  # reading the issues says what is wrong


@contextlib.contextmanager
def render_pool(
    config: Config, journal: Journal, out_dir: Path, jobs: int | None, count: int, held: Entries | None = None
) -> Iterator[RenderPool | None]:
    """Worker processes for *count* issues, or None when one process is enough; on the way out
    after Ctrl-C or a failed write, the queued work is dropped instead of waited for, which
    could keep an interrupted build alive for as long as the rest of the build."""
    workers = pool_size(jobs, count)
    if count < PARALLEL_THRESHOLD or workers < 2:
        yield None
        return
    pool = RenderPool(config, journal, out_dir, workers, held)
    try:
        yield pool
    except BaseException:
        pool.executor.shutdown(wait=False, cancel_futures=True)
        raise
    pool.executor.shutdown()


#: At most this many issues go to a worker at once: more is less pickling, fewer a shorter
#: wait at the end for the last worker's batch (the last ones are smaller: `_batch_size`).
CHUNK = 8
#: Batches sent ahead per worker while the issues are read (what waits in the pool is a copy).
AHEAD = 3


def _batch_size(left: int, workers: int) -> int:
    """The next batch's size with *left* issues still to send: CHUNK, then smaller towards the
    end, so that no worker is left with a whole batch while the others have finished (guided
    self-scheduling: Polychronopoulos and Kuck, 1987)."""
    return max(1, min(CHUNK, left // (workers * 2)))


def _batches(states: list[IssueState], workers: int) -> Iterator[list[IssueState]]:
    """*states* in batches of `_batch_size`."""
    start = 0
    while start < len(states):
        size = _batch_size(len(states) - start, workers)
        yield states[start : start + size]
        start += size


class RenderPool:
    """Worker processes that render and write issues, each set up once.

    Forked as soon as a build knows it will render many issues, before it reads them: at
    10,000 issues a worker forked after the reading started with a copy of all of them (issue
    13: 240 MiB), and each worker's first render (imports, Markdown's set-up, Babel's locale
    data, the theme's parse: about 90 ms) now overlaps that reading (`_warm_up`).
    """

    def __init__(
        self, config: Config, journal: Journal, out_dir: Path, workers: int, held: Entries | None = None
    ) -> None:
        from concurrent.futures import ProcessPoolExecutor  # lazy (see the imports)

        from . import render  # noqa: F401  # lazy, and before the fork: every worker shares it

        self.workers = workers
        self.executor = ProcessPoolExecutor(
            workers, initializer=_init_worker, initargs=(config, journal, out_dir, held)
        )
        # With fork, every worker starts at the first submit. Frozen, what this process holds
        # is left out of the workers' collections, which would write to every object's header
        # and so copy each page of it into each worker (the gc module's docs: gc.freeze).
        gc.freeze()
        try:
            self.executor.submit(int)
        finally:
            gc.unfreeze()  # collected here as before: the preview builds again and again
        #: Issues sent ahead (`Prefetch`): slug -> the future of their batch, and their place in it.
        self.sent: dict[str, tuple[Future[list[Written | ToolkitError]], int]] = {}
        #: Issues offered and not sent yet, and the batches sent ahead that are not done.
        self.batch: list[IssueState] = []
        self.flying: list[Future[list[Written | ToolkitError]]] = []

    def prefetch(self, state: IssueState, left: int = 0) -> None:
        """Send *state* to the workers in a batch as soon as they have room (a few batches
        each: what waits in their queue is a copy, `_to_send`), *left* more issues to come;
        `render` yields its result in order, and sends what is still here then."""
        self.batch.append(state)
        while len(self.batch) >= (size := _batch_size(len(self.batch) + left, self.workers)) and self._room():
            self.flying.append(self._send(self.batch[:size]))
            del self.batch[:size]

    def _room(self) -> bool:
        self.flying = [future for future in self.flying if not future.done()]
        return len(self.flying) < self.workers * AHEAD

    def _send(self, batch: list[IssueState]) -> Future[list[Written | ToolkitError]]:
        future = self.executor.submit(_write_in_worker, [_to_send(state) for state in batch])
        for place, state in enumerate(batch):
            self.sent[state.issue.slug] = (future, place)
        return future

    def render(self, states: list[IssueState]) -> Iterator[tuple[str, Written | ToolkitError]]:
        """Each issue's result in order, once a build: the workers are told to exit after the
        last. Those not sent ahead go in a bounded number of batches (a few per worker), so
        neither the queue nor the results waiting in this process grow with the publication."""
        self.batch, self.flying = [], []
        rest = [state for state in states if state.issue.slug not in self.sent]
        batches = _batches(rest, self.workers)
        ahead: deque[Future[list[Written | ToolkitError]]] = deque()

        def send_next() -> bool:
            batch = next(batches, None)
            if batch is not None:
                ahead.append(self._send(batch))
            return batch is not None

        while len(ahead) < self.workers * 3 and send_next():
            pass
        for state in states:
            slug = state.issue.slug
            while slug not in self.sent and send_next():
                pass
            future, place = self.sent.pop(slug)
            results = future.result()
            if future in ahead:
                ahead.remove(future)
                while len(ahead) < self.workers * 3 and send_next():
                    pass
            yield slug, results[place]
        for future, _ in list(self.sent.values()):  # sent ahead, then found fresh: its writes end first
            future.result()
        self.sent.clear()
        # A build renders once: its workers are told to exit now, and exit while it writes the
        # index and saves its cache (issue 13: waiting for them was 8-27 ms of the build's end,
        # on its own). Nobody waits for them here, and `render_pool`'s shutdown then has nothing
        # to join: the executor's own thread joins them, the interpreter's exit waits for that
        # thread, and the output's lock, which they inherited, is held until they are gone.
        self.executor.shutdown(wait=False)


def _to_send(state: IssueState) -> IssueState:
    """*state* with a copy of its body, which pickling may spoil: CPython keeps the UTF-8 form of
    every non-ASCII string it pickles inside the string (`PyUnicode_AsUTF8AndSize`), and this
    process keeps every issue to the end (issue 13: 4.8 KB an issue, 46 MB at 10,000). The
    copy, and its UTF-8 form, go once the worker has it."""
    issue = state.issue
    if issue.body is BODY_NOT_KEPT:
        return state  # the worker reads it (`body_of`)
    return dataclasses.replace(state, issue=dataclasses.replace(issue, body=issue.body.encode().decode()))


_worker: Any = None


def _init_worker(config: Config, journal: Journal, out_dir: Path, held: Entries | None = None) -> None:
    """Each worker process builds its renderer once: templates loaded, theme parsed once."""
    global _worker
    # Ctrl-C reaches the whole foreground group: only the build answers it, and stops the pool;
    # a worker interrupted in the middle of the pool's own bookkeeping can leave it hanging.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with_parent()
    close_inherited_journals()
    collector.resume()  # forked during the build's start-up, with the collector paused
    from .render import IssueRenderer  # lazy (see the imports)

    try:
        renderer = IssueRenderer(config)
    except ToolkitError as error:  # the build's own process meets it too, and stops
        _worker = error
        return
    _worker = (renderer, journal, out_dir, held)
    _warm_up(renderer)
    from .parsed_theme import RULES  # lazy (see the imports)

    # The warm-up parsed the theme (premailer): kept for the next build's processes, since the
    # build's own process parses nothing when the workers render (review of issue 13). Both
    # workers may write it; each writes by rename, the same entries.
    RULES.save()


#: What `_warm_up` renders: a paragraph, emphasis, a link and a list take the renderers' paths.
WARM_UP_BODY = "A *warm-up* paragraph with [a link](https://example.com/).\n\n- one\n- two\n"


def _warm_up(renderer: Any) -> None:
    """Render a small issue of the publication's language and drop it, so a worker's set-up
    (lazy imports, Markdown's patterns, Babel's locale data, the theme) is done while the
    build still reads the issues, not on its first issue."""
    from .issue_state import IssueState  # lazy (see the imports)

    config = renderer.config
    issue = Issue(
        slug="warm-up",
        path=config.issues_dir / "warm-up.md",
        title="Warm-up",
        date=_warm_up_date(config),
        body=WARM_UP_BODY,
        body_line=1,
        status="published",
        lang=config.publication.lang,
    )
    with contextlib.suppress(ToolkitError):  # a broken template: the issues' builds say so
        renderer.render(IssueState(issue, None, []))
    from .labels import DATES  # lazy (see the imports)

    DATES.take_new()  # the warm-up's date, if Babel formatted it, is not one for the memo


def _warm_up_date(config: Config) -> datetime.datetime:
    """The newest day an earlier build formatted in the publication's language, so the
    warm-up needs no Babel when the issues' dates need none (Babel's import and locale data
    were a quarter of a worker's warm-up); today when there is none."""
    from .labels import DATES  # lazy (see the imports)

    DATES.get("")  # reads the file the build named, if not read yet
    prefix = json.dumps(["date", config.publication.lang, "long"], ensure_ascii=False)[:-1] + ", "
    newest = max((key for key in DATES.entries if key.startswith(prefix)), default=None)
    try:
        day = datetime.date.fromisoformat(json.loads(newest)[3]) if newest else None
    except (ValueError, TypeError, IndexError):  # not a key `labels._memo` writes
        day = None
    if day is None:
        return datetime.datetime.now(config.tz)
    return datetime.datetime.combine(day, datetime.time(9), tzinfo=config.tz)


def _exit_with_parent(interval: float = 0.2) -> None:
    """End this worker as soon as the build that started it is gone.

    A SIGKILLed build cannot stop its pool, and the workers it forked kept rendering for
    seconds and then waited forever on a queue their siblings keep open (issue 14: 11 of 14
    kills left two alive). A dead parent's children are given to another process, so a
    changed parent pid is the sign (the pool's own pipes cannot tell: every worker holds them).
    """
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(1)  # nobody is left to read a result; skip cleanup that waits on the pipes

    threading.Thread(target=watch, name="notice-parent-watch", daemon=True).start()


def _write_in_worker(states: list[IssueState]) -> list[Written | ToolkitError]:
    if isinstance(_worker, ToolkitError):
        return [_worker for _ in states]
    from .labels import DATES  # lazy (see the imports)

    renderer, journal, out_dir, held = _worker
    results: list[Written | ToolkitError] = []
    for state in states:
        result = write_issue(renderer, journal, out_dir, state, held)
        dates = DATES.take_new()  # the dates this worker had Babel format, for the next build
        results.append(dataclasses.replace(result, dates=dates) if dates and isinstance(result, Written) else result)
    return results


def render_index(issues: list[Issue], states: dict[str, IssueState], config: Config, env: Any) -> bytes:
    """The archive page: every issue, newest first, drafts marked, corrected titles marked."""
    from .issue_state import subject_of  # lazy (see the imports)
    from .labels import labels_for  # lazy
    from .webmeta import feeds_blocker, words_for  # lazy

    ordered = sort_newest_first(issues)
    entries = [
        {
            "issue": i,
            "href": f"{i.slug}/web.html",
            "t": labels_for(i.lang),
            "subject": subject_of(states[i.slug], config) if i.slug in states else i.title,
        }
        for i in ordered
    ]
    lang = config.publication.lang
    return render_encoded(
        env,
        "index.html",
        {
            "publication": config.publication,
            "entries": entries,
            "lang": lang,
            "t": labels_for(lang),
            "feed_href": "" if feeds_blocker(config) else "./",
            "w": words_for(lang),
        },
    )


#: Pieces of a template's output joined and encoded at once (`render_encoded`).
PIECES = 4096


def render_encoded(env: Any, name: str, context: dict[str, Any]) -> bytes:
    """`templating.render_template`'s text in UTF-8, encoded a few thousand pieces at a time:
    Jinja's `render` joins every piece at once, and at 10,000 issues the index's pieces held
    11 MB more at its peak than this (32.5 against 21.5 MB, tracemalloc; issue 13). A template
    that fails is rendered again by `render_template`, which says what is wrong and where."""
    from .templating import render_template  # lazy (see the imports)

    out, pieces = io.BytesIO(), []
    try:
        for piece in env.get_template(name).generate(context):
            pieces.append(piece)
            if len(pieces) >= PIECES:
                out.write("".join(pieces).encode("utf-8"))
                pieces.clear()
    except Exception:  # noqa: BLE001 - render_template turns it into its TemplateError, or raises it
        return render_template(env, name, context).encode("utf-8")
    out.write("".join(pieces).encode("utf-8"))
    return out.getvalue()
