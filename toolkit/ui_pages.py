"""The preview's own pages, rendered on the server so they work without JavaScript.

Every choice (issue, tab, width, dark mode) is in the URL, so a live reload keeps it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2

from . import __version__
from .config import Config
from .deliveries import combined_id, notice_status, pending_records
from .errors import Diagnostic
from .images import IMAGE_FOLDER, published_urls
from .limits import GMAIL_CLIP_BYTES
from .render import IssueRenderer, subject_of
from .services import with_samples
from .social import LIMITS, POST_LIMIT
from .source import sort_newest_first

UI_DIR = Path(__file__).parent / "ui"
TABS = ("email", "text", "web", "source", "social", "corrections")
WIDTHS = {"375": "375px", "600": "600px", "full": "100%"}
_env: jinja2.Environment | None = None


@dataclass
class PreviewState:
    """The last build as the pages show it: its number, its errors, and when it finished."""

    generation: int = 0
    errors: list[Diagnostic] = field(default_factory=list)
    config: Config | None = None
    seconds: float = 0.0
    report: Any = None  # the last BuildReport: its issues and states feed the pages


def environment() -> jinja2.Environment:
    global _env
    if _env is None:
        _env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(UI_DIR)),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=jinja2.StrictUndefined,
        )
    return _env


def render_page(
    state: PreviewState, out_dir: Path, slug: str | None, query: dict[str, str], errors: list[Diagnostic], stale: bool
) -> str:
    """The list of issues and, for *slug*, its renderings from *out_dir*, with the *errors* to
    show there (*stale*: they spoil its outputs); LookupError for an unknown slug."""
    config, report = state.config, state.report
    issues = sort_newest_first(report.issues if report else [])
    states = report.states if report else {}
    broken = (
        sorted(
            {e.path.stem for e in state.errors if e.path and e.path.parent == config.issues_dir}
            - {i.slug for i in issues}
        )
        if config
        else []
    )
    if slug is not None and slug not in {i.slug for i in issues} | set(broken):
        raise LookupError(slug)
    context: dict[str, Any] = {
        "version": __version__,
        "generation": state.generation,
        "build_ms": round(state.seconds * 1000),
        "errors": [{"where": e.location(), "message": e.message, "hint": e.hint or ""} for e in errors],
        "stale": stale,
        "publication": config.publication.name if config else "",
        "entries": [
            {
                "slug": i.slug,
                "subject": subject_of(states[i.slug], config) if config and i.slug in states else i.title,
                "date": i.date.strftime("%Y-%m-%d"),
                "draft": i.is_draft,
            }
            for i in issues
        ],
        "broken": broken,
        "slug": slug,
        "widths": list(WIDTHS),
    }
    if slug is not None and not stale and slug in states and config is not None:
        context.update(issue_view(config, out_dir, states[slug], query))
    return environment().get_template("preview.html").render(context)


def issue_view(config: Config, out_dir: Path, state: Any, query: dict[str, str]) -> dict[str, Any]:
    """What the issue page shows: the chosen tab's content and the controls' state."""
    slug = state.issue.slug
    notices = [r for r in state.records if r.notify]
    # The one notice `notice export --pending-notices` would write now (issue 12), as a tab of its own.
    pending = pending_records(state.records, state.deliveries)
    combined = f"notice-combined-{combined_id([r.id for r in pending])}" if pending else ""
    tabs = [*TABS, *(f"notice-{r.id}" for r in notices), *([combined] if combined else [])]
    # A text-only mail magazine ([email] format = "text") opens on what its readers get.
    default = "text" if config.email.format == "text" else "email"
    tab = query.get("tab", default) if query.get("tab", default) in tabs else default
    width = query.get("width", "600") if query.get("width") in WIDTHS else "600"
    dark = query.get("dark", "") if query.get("dark") in ("1", "invert") else ""
    out = out_dir / slug
    email = _read(out / "email.html")
    size = len(email.encode("utf-8"))
    view: dict[str, Any] = {
        "issue": state.issue,
        "subject": subject_of(state, config),
        "tab": tab,
        "tabs": tabs,
        "width": width,
        "width_css": WIDTHS[width],
        "dark": dark,
        "size": size,
        "size_kb": f"{size / 1024:.1f}",
        "clip_kb": GMAIL_CLIP_BYTES // 1024,
        "size_percent": round(100 * size / GMAIL_CLIP_BYTES),
        "lock": state.lock,
        "records": state.records,
        "notices": notices,
        "resolved": {r.resolves: r.id for r in state.records if r.resolves},
        "deliveries": state.deliveries,
        "unsent": {s.record.id: s.missing for s in notice_status(state.records, state.deliveries) if s.missing},
    }
    service = config.service
    view["service"] = service.label if service else ""
    view["tags"] = "raw" if query.get("tags") == "raw" else ""
    if tab == "text":
        text = _read(out / "email.txt")
        view["text"] = text if view["tags"] else with_samples(text, service, html=False)
    elif tab == "source":
        view["source"] = email
    elif tab == combined:
        # Rendered here, not built: the build writes no combined notice (it changes with every
        # `notice sent`), so the page carries it in the frame's srcdoc, under the page's CSP.
        files = IssueRenderer(config).combined_notice(state, pending, "combined")
        html = files["combined/email.html"].decode("utf-8")
        view["notice_id"] = tab.removeprefix("notice-")
        html = with_built_images(config, out_dir, html)
        html = html if view["tags"] else with_samples(html, service, html=True)
        # The same dark views as a built email's frame (/built/...?dark=), in the srcdoc.
        view["notice_html"] = DARK_VIEWS[dark](html.encode("utf-8")).decode("utf-8") if dark else html
        view["notice_text"] = files["combined/email.txt"].decode("utf-8")
        view["pending"] = pending
        view["social"] = []  # no line.txt or post.txt: each record's own are on its notice tab
    elif tab == "social":
        view["social"] = social_view(config, out)
    elif tab.startswith("notice-"):
        record_id = tab.removeprefix("notice-")
        view["notice_id"] = record_id
        view["notice_text"] = _read(out / "corrections" / record_id / "email.txt")
        view["social"] = social_view(config, out / "corrections" / record_id)
    return view


def with_built_images(config: Config, out_dir: Path, html: str) -> str:
    """*html* with each local image at the preview's copy (``/built/<slug>/img/<name>``), not
    at its published URL under base_url, which does not exist before the upload. The same
    published URL -> built copy map `notice snapshot` answers the browser from
    (toolkit.images.published_urls); what `notice build` writes keeps the published links."""
    base = config.publication.base_url
    prefix = f"{base.rstrip('/')}/" if base else ""
    if f'src="{prefix}' not in html:
        return html
    slugs = set(re.findall(rf'\bsrc="{re.escape(prefix)}([a-z0-9][a-z0-9-]*)/{IMAGE_FOLDER}/', html))
    mapped = {
        f'src="{url}"': f'src="/built/{slug}/{IMAGE_FOLDER}/{quote(copy.name, safe="@")}"'
        for slug in sorted(slugs)
        for url, copy in published_urls(config, slug, out_dir / slug, html).items()
    }
    if not mapped:
        return html
    return re.sub("|".join(map(re.escape, mapped)), lambda m: mapped[m[0]], html)


_DARK_RULES = re.compile(r"@media\s*\(\s*prefers-color-scheme\s*:\s*dark\s*\)")
#: The whole page inverted, hue turned back, images inverted again: how email test tools
#: emulate the full inversion of the Gmail apps (and, roughly, Outlook.com's partial one).
_INVERSION = (
    "<style>html{filter:invert(1) hue-rotate(180deg)}img,picture,video{filter:invert(1) hue-rotate(180deg)}</style>"
)


def emulate_dark_mode(body: bytes) -> bytes:
    """Show the email as a dark-mode client would: its prefers-color-scheme rules always on."""
    return _DARK_RULES.sub("@media all", body.decode("utf-8")).encode("utf-8")


def emulate_forced_inversion(body: bytes) -> bytes:
    """The worst case (issue 15): a client that reads no dark rules and inverts the colours
    itself, as the Gmail apps do (Litmus's dark-mode tests show Gmail for iOS inverting fully).
    The theme's own dark rules are switched off, and the inversion goes in last."""
    text = _DARK_RULES.sub("@media not all", body.decode("utf-8"))
    head = text.lower().rfind("</head>")
    text = text[:head] + _INVERSION + text[head:] if head >= 0 else _INVERSION + text
    return text.encode("utf-8")


#: The preview's dark views, by their ?dark= value.
DARK_VIEWS = {"1": emulate_dark_mode, "invert": emulate_forced_inversion}


def social_view(config: Config, folder: Path) -> list[dict[str, Any]]:
    """line.txt and post.txt of *folder*, each with its count as the service counts, and its limit."""
    view = []
    for name, (service, measure) in LIMITS.items():
        text = _read(folder / name)
        limit = config.line.max_chars if name == "line.txt" else POST_LIMIT
        view.append({"name": name, "service": service, "text": text, "count": measure(text), "limit": limit})
    return view


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""
