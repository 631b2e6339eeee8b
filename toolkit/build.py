"""The build, top to bottom: read issues, skip what has not changed, render, write, index.

Each issue is rendered from Markdown once; the HTML fragment feeds the email, the web page
and the plain text. Many issues are rendered on every core. Nothing is written for an issue
that fails, so its previous outputs stay as they were.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import __version__, next_issue
from .archive import corrections_log
from .config import Config, check_out_dir
from .errors import Diagnostic, ToolkitError, as_diagnostic, unique, warning
from .feeds import write_public_record
from .images import images_key
from .issue_state import IssueState, load_state, silent_edit, silent_edit_error, subject_of
from .labels import labels_for
from .limits import GMAIL_CLIP_BYTES, GMAIL_CLIP_KB
from .output import BuildCache, remove_leftovers, remove_outputs, write_atomic
from .records import LOCK_NAME
from .render import IssueRenderer, Rendered
from .source import PARSED, Issue, check_slug, confine, is_inside, no_such_issue, read_issues, sort_newest_first
from .templating import inliner_warnings, make_environment, render_template, templates_fingerprint
from .webmeta import feeds_blocker, words_for

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
) -> BuildReport:
    """Build the publication (or only *slugs*) into *out_dir*; never raises for one bad issue.

    Only published issues, unless *drafts*: the output folder is what gets uploaded (issue 9).
    *env*, a Jinja environment from `templating.make_environment`, lets a long-running caller
    (the preview) keep its compiled templates from one build to the next. *jobs* caps the
    processes that render (default: one per CPU).
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
    report = BuildReport(out_dir)
    PARSED.load(config.cache_dir / "yaml.json")  # front-matter and records parsed by earlier builds
    issues, source_errors = read_issues(config.issues_dir, default_lang=config.publication.lang, tz=config.tz)
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
    states, state_errors = load_states(config, issues)
    states = next_issue.with_drafts(config, states)  # a draft's block, as if published now
    report.errors.extend(Diagnostic.of(e) for slug, e in state_errors.items() if slug in wanted)

    env = env or make_environment(config.templates_dir)
    inputs = inputs_fingerprint(config, templates_fingerprint(env))
    cache = BuildCache.load(config.cache_dir)
    if cache.note:
        report.warnings.append(
            warning(cache.note, path=cache.path, hint="nothing is lost: the cache only remembers what was built")
        )
    keys = {slug: state_key(state, inputs, images_key(config, state)) for slug, state in states.items() if slug in wanted}
    todo = [states[slug] for slug in keys if force or not cache.is_fresh(out_dir, slug, keys[slug])]
    report.unchanged = sorted(set(keys) - {state.issue.slug for state in todo})
    if todo:
        report.warnings.extend(inliner_warnings(env, config.build.inliner))
    if on_start:
        on_start(len(todo))

    report.issues, report.states = issues, states
    write_all(report, cache, keys, render_all(todo, config, progress, env, jobs))

    if not slugs:
        report.withdrawn = [slug for slug in report.drafts if slug in cache.entries(out_dir)]
        for slug in report.withdrawn:  # an earlier --drafts build's pages must not be uploaded
            remove_outputs(out_dir, cache.forget(out_dir, slug))
        for slug in report.drafts:  # pages the cache cannot vouch for (an older notice, a damaged cache)
            if slug not in report.withdrawn and (out_dir / slug).is_dir():
                report.warnings.append(stray_draft(out_dir, slug))
        present = (
            {i.slug for i in issues}
            | {e.path.stem for e in source_errors if e.path}
            | set(report.drafts)
            | {i.slug for i in unsent}
        )
        report.removed = prune(cache, out_dir, present)
    broken = len(source_errors) + len(state_errors) + len(unsent)
    if broken:  # the index would drop or mislabel those issues: keep the last good one
        report.warnings.append(
            warning(
                f"index.html was not updated: {broken} issue{'s' if broken > 1 else ''} cannot be read",
                path=out_dir / "index.html",
                hint="fix the errors above and build again",
            )
        )
    else:
        try:
            remove_leftovers(out_dir, recursive=False)
            write_atomic(out_dir / "index.html", render_index(issues, states, config, env).encode("utf-8"))
            public = [states[i.slug] for i in issues if not i.is_draft and i.slug in states]
            feed_href = "" if feeds_blocker(config) else "./"
            write_atomic(out_dir / "corrections.html", corrections_log(config, public, env, feed_href).encode("utf-8"))
            public_keys = {
                state.issue.slug: keys.get(state.issue.slug) or state_key(state, inputs, images_key(config, state))
                for state in public
            }
            report.warnings.extend(
                Diagnostic.of(w, severity="warning")
                for w in write_public_record(config, out_dir, public, env, public_keys)
            )
        except ToolkitError as error:
            report.errors.append(Diagnostic.of(error))
    cache.save()
    PARSED.save()
    # Each distinct one once; anything still a raised error is turned into what is reported.
    report.errors = unique(as_diagnostic(e) for e in report.errors)
    report.warnings = unique(as_diagnostic(w, "warning") for w in report.warnings)
    return report


def write_all(
    report: BuildReport, cache: BuildCache, keys: dict[str, str], results: Iterable[tuple[str, Rendered | ToolkitError]]
) -> None:
    """Write each rendered issue as it comes, saving the cache now and then, and on the way
    out after Ctrl-C or a full disk, so finished work is kept (the digests guard the rest)."""
    try:
        for slug, result in results:
            if isinstance(result, ToolkitError):
                report.errors.append(Diagnostic.of(result))
                continue
            out_dir = report.out_dir
            files = {f"{slug}/{name}": data for name, data in result.items()}
            escape = next((out_dir / name for name in files if not is_inside((out_dir / name).parent, out_dir)), None)
            if escape is not None:  # out/<slug> linked elsewhere: never write through it (issue 14)
                report.errors.append(
                    Diagnostic.of(
                        ToolkitError(
                            f"cannot write {escape.name}: its folder is a link out of {out_dir.name}{os.sep}",
                            path=escape.parent,
                            hint="delete the link: the build makes the folder itself",
                        )
                    )
                )
                continue
            # What the sanitizer removed from the author's HTML.
            report.warnings.extend(Diagnostic.of(removed, severity="warning") for removed in result.warnings)
            report.warnings.extend(size_warnings(out_dir / slug, result))
            write_issue(cache, report.out_dir, slug, keys[slug], files)
            report.built.append(slug)
            cache.save_now_and_then()
    except BaseException:
        with contextlib.suppress(ToolkitError):
            cache.save()
        raise


def write_issue(cache: BuildCache, out_dir: Path, slug: str, key: str, files: dict[str, bytes]) -> None:
    """Write one issue's files so that no interruption can make a stale one look fresh: the
    journal names them before they are written, the cache records their digests after."""
    cache.journal(out_dir, slug, files)
    remove_leftovers(out_dir / slug)
    for name, data in files.items():
        write_atomic(out_dir / name, data)
    remove_outputs(out_dir, sorted(set(cache.forget(out_dir, slug)) - set(files)))
    cache.record(out_dir, slug, key, files)


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


def load_states(config: Config, issues: list[Issue]) -> tuple[dict[str, IssueState], dict[str, ToolkitError]]:
    """Each issue with its lock and records; a damaged record or a silent edit is its error."""
    states: dict[str, IssueState] = {}
    errors: dict[str, ToolkitError] = {}
    for issue in issues:
        try:
            state = load_state(config, issue)
            diff = silent_edit(state)
            if diff:
                raise silent_edit_error(state, diff)
        except ToolkitError as error:
            errors[issue.slug] = error
            continue
        states[issue.slug] = state
    return states, errors


def _locked(config: Config, slug: str) -> bool:
    """A lock of the author's own (a linked one is left for load_state to refuse, with its reason)."""
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
    progress: Callable[[int], None] | None,
    env: Any = None,
    jobs: int | None = None,
) -> Iterable[tuple[str, Rendered | ToolkitError]]:
    """Render each issue, on every core (or *jobs* processes) when there are many; results keep
    the input order."""
    workers = min(jobs or os.cpu_count() or 1, max(1, len(states) // (PARALLEL_THRESHOLD // 2)))
    if len(states) < PARALLEL_THRESHOLD or workers < 2:
        renderer = IssueRenderer(config, env)
        for state in states:
            yield state.issue.slug, renderer.render_safely(state)
            if progress:
                progress(1)
        return
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(config,))
    try:
        chunk = max(1, len(states) // (workers * 4))
        for state, result in zip(states, pool.map(_render_in_worker, states, chunksize=chunk)):
            yield state.issue.slug, result
            if progress:
                progress(1)
    except BaseException:
        # Ctrl-C or a failed write: drop the queued work instead of waiting for all of it, which
        # could keep an interrupted build alive for as long as the rest of the build.
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()


_worker_renderer: Any = None


def _init_worker(config: Config) -> None:
    """Each worker process builds its renderer once: templates loaded, theme parsed once."""
    global _worker_renderer
    # Ctrl-C reaches the whole foreground group: only the build answers it, and stops the pool;
    # a worker interrupted in the middle of the pool's own bookkeeping can leave it hanging.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with_parent()
    _worker_renderer = IssueRenderer(config)


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


def _render_in_worker(state: IssueState) -> Rendered | ToolkitError:
    return _worker_renderer.render_safely(state)


def render_index(issues: list[Issue], states: dict[str, IssueState], config: Config, env: Any) -> str:
    """The archive page: every issue, newest first, drafts marked, corrected titles marked."""
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
    return render_template(
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
