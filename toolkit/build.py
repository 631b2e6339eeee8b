"""The build, top to bottom: read issues, skip what has not changed, render, write, index.

Each issue is rendered from Markdown once; the HTML fragment feeds the email, the web page
and the plain text. Many issues are rendered on every core. Nothing is written for an issue
that fails, so its previous outputs stay as they were.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import __version__
from .config import Config
from .errors import ToolkitError, did_you_mean
from .labels import ambiguous_width, labels_for
from .output import BuildCache, remove_outputs, write_atomic
from .source import Issue, read_issues

OUTPUT_FILES = ("email.html", "email.txt", "web.html")
#: Below this many issues to render, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 8


@dataclass
class BuildReport:
    """What a build did: the CLI prints it, tests assert on it."""

    out_dir: Path
    built: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    errors: list[ToolkitError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def build(config: Config, *, slugs: Iterable[str] = (), out_dir: Path | None = None,
          force: bool = False, progress: Callable[[int], None] | None = None,
          on_start: Callable[[int], None] | None = None) -> BuildReport:
    """Build the publication (or only *slugs*) into *out_dir*; never raises for one bad issue."""
    out_dir = (out_dir or config.out_dir).resolve()
    report = BuildReport(out_dir)
    issues, source_errors = read_issues(config.issues_dir, default_lang=config.publication.lang,
                                        tz=config.tz)
    wanted = select(issues, source_errors, list(slugs), config)
    report.errors.extend(e for e in source_errors if not slugs or e.path.stem in set(slugs))

    from .templating import make_environment, templates_fingerprint

    env = make_environment(config.templates_dir)
    inputs = inputs_fingerprint(config, templates_fingerprint(env))
    cache = BuildCache.load(config.cache_dir)
    keys = {issue.slug: issue_key(issue, config, inputs) for issue in wanted}
    todo = [i for i in wanted if force or not cache.is_fresh(out_dir, i.slug, keys[i.slug])]
    report.unchanged = [i.slug for i in wanted if i not in todo]
    if on_start:
        on_start(len(todo))

    for slug, result in render_all(todo, config, progress):
        if isinstance(result, ToolkitError):
            report.errors.append(result)
            continue
        for name, data in result.items():
            write_atomic(out_dir / slug / name, data)
        cache.record(out_dir, slug, keys[slug], [f"{slug}/{name}" for name in result])
        report.built.append(slug)

    if not slugs:
        report.removed = prune(cache, out_dir, {i.slug for i in issues} | {e.path.stem for e in source_errors})
    try:
        write_atomic(out_dir / "index.html", render_index(issues, config, env).encode("utf-8"))
    except ToolkitError as error:
        report.errors.append(error)
    cache.save()
    return report


def select(issues: list[Issue], errors: list[ToolkitError], slugs: list[str], config: Config) -> list[Issue]:
    """The issues named on the command line (all when none are); an unknown name is an error."""
    if not slugs:
        return issues
    known = {i.slug for i in issues} | {e.path.stem for e in errors if e.path}
    for slug in slugs:
        if slug not in known:
            raise ToolkitError(f"no issue '{slug}' in {config.issues_dir.name}/{did_you_mean(slug, known)}",
                               hint="`notice list` shows every issue's slug")
    return [i for i in issues if i.slug in set(slugs)]


def inputs_fingerprint(config: Config, templates: str) -> str:
    """What every issue depends on: notice.toml, the templates and this version of notice."""
    digest = hashlib.sha256(f"notice {__version__}\0{templates}\0".encode())
    digest.update(config.path.read_bytes())
    return digest.hexdigest()


def issue_key(issue: Issue, config: Config, inputs: str) -> str:
    """The cache key of one issue: its file, its correction records and the shared inputs."""
    digest = hashlib.sha256(f"{inputs}\0{issue.digest}\0".encode())
    records = config.corrections_dir / issue.slug
    if records.is_dir():
        for record in sorted(records.iterdir()):
            if record.is_file():
                digest.update(f"{record.name}\0".encode())
                digest.update(record.read_bytes())
    return digest.hexdigest()


def prune(cache: BuildCache, out_dir: Path, present: set[str]) -> list[str]:
    """Remove outputs this build wrote earlier for issues whose files are gone."""
    gone = sorted(set(cache.entries(out_dir)) - present)
    for slug in gone:
        remove_outputs(out_dir, cache.forget(out_dir, slug))
    return gone


# --- rendering ------------------------------------------------------------------------------

def render_all(issues: list[Issue], config: Config, progress: Callable[[int], None] | None
               ) -> Iterable[tuple[str, dict[str, bytes] | ToolkitError]]:
    """Render each issue, on every core when there are many; results keep the input order."""
    workers = min(os.cpu_count() or 1, max(1, len(issues) // (PARALLEL_THRESHOLD // 2)))
    if len(issues) < PARALLEL_THRESHOLD or workers < 2:
        renderer = IssueRenderer(config)
        for issue in issues:
            yield issue.slug, renderer.render_safely(issue)
            if progress:
                progress(1)
        return
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(config,)) as pool:
        chunk = max(1, len(issues) // (workers * 4))
        for issue, result in zip(issues, pool.map(_render_in_worker, issues, chunksize=chunk)):
            yield issue.slug, result
            if progress:
                progress(1)


_worker_renderer: IssueRenderer | None = None


def _init_worker(config: Config) -> None:
    global _worker_renderer
    _worker_renderer = IssueRenderer(config)


def _render_in_worker(issue: Issue) -> dict[str, bytes] | ToolkitError:
    assert _worker_renderer is not None
    return _worker_renderer.render_safely(issue)


class IssueRenderer:
    """Renders issues for one publication; holds what is shared: templates and settings."""

    def __init__(self, config: Config) -> None:
        from .templating import make_environment

        self.config = config
        self.env = make_environment(config.templates_dir)

    def render_safely(self, issue: Issue) -> dict[str, bytes] | ToolkitError:
        try:
            return self.render(issue)
        except ToolkitError as error:
            return error

    def render(self, issue: Issue) -> dict[str, bytes]:
        """email.html, email.txt and web.html for one issue, as bytes."""
        from .inline import inline_css
        from .markup import render_markdown
        from .plaintext import html_to_text
        from .templating import render_template

        config = self.config
        fragment = render_markdown(issue.body, base_url=config.publication.base_url)
        context = issue_context(issue, config)
        context["content"] = _markup(fragment)
        email = inline_css(render_template(self.env, "email.html", context),
                           engine=config.build.inliner)
        web = render_template(self.env, "web.html", context)
        text = html_to_text(fragment, width=config.build.text_width,
                            ambiguous_width=context["ambiguous_width"])
        plain = render_template(self.env, "email.txt", {**context, "text": text})
        return {
            "email.html": email.encode("utf-8"),
            "email.txt": tidy_text(plain).encode("utf-8"),
            "web.html": web.encode("utf-8"),
        }


def issue_context(issue: Issue, config: Config) -> dict[str, Any]:
    """What every template receives for one issue."""
    base = config.publication.base_url
    return {
        "publication": config.publication,
        "issue": issue,
        "subject": issue.title,
        "lang": issue.lang,
        "t": labels_for(issue.lang),
        "web_url": f"{base.rstrip('/')}/{issue.slug}/web.html" if base else "",
        "width": config.build.text_width,
        "ambiguous_width": ambiguous_width(issue.lang),
    }


def render_index(issues: list[Issue], config: Config, env: Any) -> str:
    """The archive page: every issue, newest first, drafts marked."""
    from .templating import render_template

    ordered = sorted(issues, key=lambda i: (i.date, i.slug), reverse=True)
    entries = [{"issue": i, "subject": i.title, "href": f"{i.slug}/web.html", "t": labels_for(i.lang)}
               for i in ordered]
    lang = config.publication.lang
    return render_template(env, "index.html", {
        "publication": config.publication, "entries": entries, "lang": lang, "t": labels_for(lang)})


def tidy_text(text: str) -> str:
    """Trailing spaces off, at most one blank line in a row, one newline at the end."""
    lines = [line.rstrip() for line in text.splitlines()]
    tidy: list[str] = []
    for line in lines:
        if line or (tidy and tidy[-1]):
            tidy.append(line)
    return "\n".join(tidy).strip("\n") + "\n"


def _markup(html: str) -> Any:
    from markupsafe import Markup

    return Markup(html)
