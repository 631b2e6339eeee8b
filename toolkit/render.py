"""One issue to its files: email.html, email.txt, web.html and a notice per correction.

The Markdown body (with its corrections applied) is rendered once; that fragment feeds the
email, the web page and the plain text alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import jinja2
from markupsafe import Markup

from .archive import as_sent_files
from .components import button_colours, button_urls, email_components, localize
from .config import Config
from .corrections import corrected_body, errata_entries, subject_with_marker, text_marks
from .errors import RemovedContent, SourceError, TemplateError, ToolkitError
from .images import IssueImages, issue_images
from .inline import inline_css
from .issue_state import IssueState, subject_of
from .kinds import LEVELS, kind_of, strength
from .labels import ambiguous_width, format_date, format_day, labels_for
from .markup import render_fragment
from .next_issue import block_context
from .plaintext import html_to_text, link_references
from .records import Record
from .services import TagGuard
from .social import social_files
from .source import Issue
from .templating import make_environment, render_template
from .utm import parameters as utm_parameters
from .utm import tag_html, tag_text
from .webmeta import feeds_blocker, web_context


class Rendered(dict):
    """The files of one issue by path, as bytes, and `warnings`: what the sanitizer removed
    from what the author wrote, each with its file and line (issue 14: nothing vanishes
    without a word)."""

    def __init__(self, files: dict[str, bytes], warnings: list[RemovedContent]) -> None:
        super().__init__(files)
        self.warnings = warnings


class IssueRenderer:
    """Renders issues for one publication; holds what they share: templates and settings."""

    def __init__(self, config: Config, env: Any = None) -> None:
        self.config = config
        self.env = env or make_environment(config.templates_dir, config.cache_dir / "jinja", reload=False)
        self.guard = TagGuard(None)
        #: The local images of the issue being rendered (toolkit.images): copied with its files.
        self.images: IssueImages | None = None
        self._css: tuple[str, Callable[[], bool]] | None = None  # email.css and whether it is unchanged

    def render_safely(self, state: IssueState) -> Rendered | ToolkitError:
        try:
            return self.render(state)
        except ToolkitError as error:
            return error

    def render(self, state: IssueState) -> Rendered:
        """Every file of one issue, by path relative to its output folder, as bytes."""
        try:
            return self._render(state)
        except RecursionError:  # the text part walks the tree: ~400 nested <span> or 700 *'s exhaust the stack
            body = state.issue.body
            raise SourceError(
                "the issue's markup is nested too deeply to render (hundreds of elements inside each other)",
                path=state.issue.path,
                line=state.issue.body_line + body.count("\n", 0, len(body) - len(body.lstrip())),
                hint="no email needs more than a few levels of emphasis, quotes or lists: remove the nesting",
            ) from None

    def _render(self, state: IssueState) -> Rendered:
        issue = state.issue
        self.images = images = issue_images(self.config, state)
        removed: list[RemovedContent] = []
        fragment, errata, context = self._context(state, removed)
        guard = self.guard
        # Every rendering opens with the strongest record (issue 15): the summary and the blocks in
        # order of strength, newest first within a kind; the plain text lists them in that order too.
        strongest = by_strength([{**e, "summary": summary_item(e, issue)} for e in errata])
        shown = {
            **context,
            "errata": strongest,
            "errata_level": (kind_of(strongest[0]["kind"]).level or LEVELS[-1]) if strongest else "",
        }

        config = self.config
        web = {
            **shown,
            **web_context(state, config, feeds=not feeds_blocker(config)),
            "next_issue": block_context(state, config, web=True),
        }
        files = {
            "email.html": self.email_html("email.html", {**shown, "content": _markup(plain_footnote_marks(fragment))}),
            "web.html": self.template("web.html", web),
            "email.txt": self.issue_text(fragment, {**context, "errata": by_strength(errata)}),
        }
        files.update(as_sent_files(state, config, self.env, web, images.lenient()))
        for entry in errata:
            if entry["record"].notify:
                files.update(self.notice([entry], context, removed))
        # line.txt and post.txt, of the issue and of each notice (issue 12, item 4).
        files.update(social_files(state, config, context["web_url"], [r for r in state.records if r.notify]))
        self.add_utm(files, state, context["web_url"])
        files = images.relative_to_pages(files)
        encoded = {name: guard.restore(text).encode("utf-8") for name, text in files.items()}
        return Rendered({**encoded, **images.files()}, _unique(removed))

    def _context(
        self, state: IssueState, removed: list[RemovedContent]
    ) -> tuple[str, list[dict[str, Any]], dict[str, Any]]:
        """The body's fragment, the errata and what every template of the issue receives."""
        issue, config = state.issue, self.config
        # A mail service's merge tags ride through every stage as placeholders (toolkit.services).
        self.guard = guard = TagGuard(config.service)
        fragment, errata = self._fragments(state, removed)
        context = issue_context(state, config)
        fragment = localize(fragment, context["t"])
        context.update(
            publication=guard.protect_fields(config.publication),
            subject=guard.protect(context["subject"]),
            issue=guard.protect_fields(issue, ("title", "preheader", "author", "summary")),
        )
        context["content"] = _markup(fragment)
        context["errata"] = errata
        context["retraction"] = next((e for e in errata if e["retracts"]), None)
        return fragment, errata, context

    def combined_notice(self, state: IssueState, records: list[Record], folder: str) -> Rendered:
        """One notice for all of *records* (issue 12), in the order given (strongest first), as
        ``FOLDER/email.html`` and ``FOLDER/email.txt``: the single notice's templates and code."""
        removed: list[RemovedContent] = []
        # Its notes' images are the issue's copies, which the issue's build wrote (toolkit.images).
        self.images = issue_images(self.config, state).lenient()
        _, errata, context = self._context(state, removed)
        by_id = {entry["id"]: entry for entry in errata}
        files = self.notice([by_id[r.id] for r in records], context, removed, folder=folder)
        self.add_utm(files, state, context["web_url"])
        return Rendered(
            {name: self.guard.restore(text).encode("utf-8") for name, text in files.items()}, _unique(removed)
        )

    def add_utm(self, files: dict[str, str], state: IssueState, web_url: str) -> None:
        """[email.utm] on the emails' links (before the tags come back: a tag is never tagged)."""
        params = utm_parameters(self.config.email.utm, state.issue.slug, state.issue.number)
        skip = (self.config.publication.unsubscribe_url, web_url)
        # A plain text's buttons are the lines of its email's buttons (read before they are tagged).
        buttons = {name: button_urls(files.get(name.removesuffix("txt") + "html", "")) for name in files}
        for name, text in files.items():
            if name.endswith("email.html"):
                files[name] = tag_html(text, params, skip)
            elif name.endswith("email.txt"):
                files[name] = tag_text(text, params, skip, buttons=buttons[name])

    def removed_content(self, state: IssueState) -> list[RemovedContent]:
        """What the sanitizer removes from this issue's body, notes and new passages, without
        rendering the templates: `notice check` lists it even for an issue the build skipped."""
        self.guard = TagGuard(self.config.service)
        self.images = None  # what was removed does not depend on the image files
        removed: list[RemovedContent] = []
        _, errata = self._fragments(state, removed)
        for entry in errata:
            for pair in entry["replaces"]:
                self._passage(pair.corrected, entry["record"], removed)
        return _unique(removed)

    def _fragments(self, state: IssueState, removed: list[RemovedContent]) -> tuple[str, list[dict[str, Any]]]:
        """The body's HTML fragment (corrections applied) and the errata with their notes' HTML."""
        issue, base_url = state.issue, self.config.publication.base_url
        body = corrected_body(issue.body, state.records)
        source = self.guard.protect(body.markdown(issue.lang))
        rendered = render_fragment(source, base_url=base_url, images=self.images)
        for removal in rendered.removed:
            origin = body.original_offset(removal.offset) if removal.offset is not None else None
            if origin is not None:
                line = issue.body_line + issue.body.count("\n", 0, origin)
                removed.append(_warning(removal, issue.path, line))
            else:  # written by a record: its new text
                removed.append(_in_records(removal, state.records, issue))

        def note_html(note: str) -> Any:
            record = next(r for r in state.records if r.note == note)
            note_fragment = render_fragment(self.guard.protect(note), base_url=base_url, images=self.images)
            removed.extend(_in_record(r, record) for r in note_fragment.removed)
            return _markup(note_fragment.html)

        return rendered.html, errata_entries(state.records, issue.lang, note_html)

    def _passage(self, text: str, record: Record, removed: list[RemovedContent], lenient: bool = False) -> str:
        """One passage of a record; *lenient* for the original, whose image may be gone since."""
        images = self.images.lenient() if lenient and self.images else self.images
        rendered = render_fragment(self.guard.protect(text), base_url=self.config.publication.base_url, images=images)
        removed.extend(_in_record(r, record) for r in rendered.removed)
        return _inline(rendered.html)

    def notice(
        self,
        entries: list[dict[str, Any]],
        context: dict[str, Any],
        removed: list[RemovedContent] | None = None,
        folder: str = "",
    ) -> dict[str, str]:
        """The short message to readers who got the original: email.html and email.txt. One
        record's, or (issue 12) several records' in one message, under the first one's lead,
        subject and link; each then opens with its label and date."""
        t, issue = context["t"], context["issue"]
        title_date = {"title": issue.title, "date": format_date(issue.date, issue.lang)}
        links: dict[str, int] = {}
        text = self._text_options(context, links)
        items: list[dict[str, Any]] = []
        for entry in entries:
            passages = []
            for pair in entry["replaces"]:  # Markdown, one paragraph each: rendered, never shown raw
                # The original is the body's, reported with it; the new text is the record's.
                was = self._passage(pair.original, entry["record"], [], lenient=True)
                now = self._passage(pair.corrected, entry["record"], removed if removed is not None else [])
                passages.append(
                    {
                        "was_html": _markup(was),
                        "now_html": _markup(now),
                        "was_text": text(f"<p>{t['was']}: {was}</p>").rstrip("\n"),
                        "now_text": text(f"<p>{t['now']}: {now}</p>").rstrip("\n"),
                    }
                )
            items.append(
                {
                    "entry": {**entry, "note_text": text(str(entry["note_html"]))},
                    "passages": passages,
                    "heading": subject_with_marker(entry["date"], entry["heading"]) if len(entries) > 1 else "",
                }
            )
        first = entries[0]
        kind = first["kind"]  # its words: `toolkit.kinds`
        notice = {
            **context,
            "items": items,
            "entry": items[0]["entry"],
            "passages": items[0]["passages"],
            "apology": any(entry["apology"] for entry in entries),
            "intro": t[f"lead_{kind}"].format(**title_date),
            "read_label": t[f"read_{kind}"],
            "subject": self.guard.protect(notice_subject(first["record"], issue)),
        }
        folder = folder or f"corrections/{first['id']}"
        plain = self.template("notice.txt", {**notice, "references": "\n".join(link_references(links))})
        return {f"{folder}/email.html": self.email_html("notice.html", notice), f"{folder}/email.txt": tidy_text(plain)}

    def issue_text(self, fragment: str, context: dict[str, Any]) -> str:
        """The plain-text part: errata notes and body wrapped by display width, their links
        numbered together in reading order and listed once, at the end."""
        links: dict[str, int] = {}
        text = self._text_options(context, links)
        errata = context["errata"]

        def notes() -> list[dict[str, Any]]:
            return [{**entry, "note_text": text(str(entry["note_html"]))} for entry in errata]

        def carried() -> list[dict[str, Any]]:
            return [
                {**entry, "note_text": text(str(entry["note_html"])) if entry["note_html"] else ""}
                for entry in context["next_issue"]
            ]

        # Convert in reading order, so the link numbers ([1], [2]) run down the message.
        if context["placement"] == "top":
            errata, next_issue = notes(), carried()
        body = text(fragment, marks=text_marks(context["lang"]))
        if context["placement"] != "top":
            errata, next_issue = notes(), carried()
        return tidy_text(
            self.template(
                "email.txt",
                {
                    **context,
                    "text": body,
                    "errata": errata,
                    "next_issue": next_issue,
                    "references": "\n".join(link_references(links)),
                },
            )
        )

    def _text_options(self, context: dict[str, Any], links: dict[str, int]) -> Any:
        width, ambiguous = self.config.build.text_width, context["ambiguous_width"]
        words = context["t"]  # a box's title and a figure's image in the issue's language
        return lambda html, **more: html_to_text(
            html, width=width, ambiguous_width=ambiguous, links=links, words=words, **more
        )

    def components(self, html: str) -> str:
        """The theme's components (toolkit.components) as mail clients need them: tables, and
        VML for Outlook, in the colours of the theme's email.css. After the sanitizer, which
        never sees the VML; before the inliner, which styles the tables."""
        colours = None
        if "button" in html:
            try:
                colours = button_colours(self._email_css())
            except jinja2.TemplateError:
                pass  # no email.css: rendering the email reports it, with its place
        return email_components(html, colours)

    def _email_css(self) -> str:
        """The theme's email.css, read again only when the file changed, as Jinja checks its
        templates (its own CSS holds ``.button``, so every email asked: issue 13)."""
        if self._css is None or not self._css[1]():
            source, _, uptodate = self.env.loader.get_source(self.env, "email.css")  # type: ignore[union-attr]
            self._css = (source, uptodate or (lambda: False))
        return self._css[0]

    def template(self, name: str, context: dict[str, Any]) -> str:
        return render_template(self.env, name, context)

    def email_html(self, name: str, context: dict[str, Any]) -> str:
        html = self.template(name, context)
        if not re.search(r"<[A-Za-z]", html):  # the inliners need a document to work on
            raise TemplateError(
                f"the template '{name}' rendered no HTML",
                path=self.config.templates_dir / name,
                hint="restore it, or delete your copy to use the built-in one",
            )
        # The body's and the notes' buttons, boxes and figures, and the notice's own button.
        html = inline_css(self.components(html), engine=self.config.build.inliner)
        return self.images.email_heights(html) if self.images else html


def by_strength(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Errata entries strongest kind first (a retraction, a correction, then the others, as
    `kinds.strength` ranks them), keeping their order (newest first) within a rank."""
    return sorted(entries, key=lambda entry: -strength(entry["kind"]))


def summary_item(entry: dict[str, Any], issue: Issue) -> str:
    """``【訂正】7月14日`` or ``Correction: Jul 14``: one record in the errata summary (the year
    only when it is not the issue's), and its pending state."""
    record = entry["record"]
    day = format_day(record.date, issue.lang) if record.date.year == issue.date.year else entry["date"]
    item = subject_with_marker(day, entry["heading"])
    return f"{item} ({labels_for(issue.lang)['pending']})" if entry["pending"] else item


_FOOTNOTE_REF = re.compile(r'<a class="footnote-ref" href="#[^"]*">(.*?)</a>')
_FOOTNOTE_BACKREF = re.compile(r'<a class="footnote-backref" href="#[^"]*"[^>]*>.*?</a>')
# The space before the back link is U+00A0: "&#160;" from Markdown, "&nbsp;" once sanitized.
_SPACE_REFERENCES = ("&#160;", "&nbsp;")


def plain_footnote_marks(fragment: str) -> str:
    """Footnote marks as plain superscript numbers and no back links, for the email: in-page
    links do nothing in Gmail on iOS and Yahoo on iOS and Android (caniemail
    html-anchor-links). The web page keeps Python-Markdown's links."""
    if 'class="footnote-' not in fragment:  # most issues: no footnote
        return fragment
    fragment = _FOOTNOTE_REF.sub(r"\1", fragment)
    # Each back link goes with the spaces before it: ``(?:\s|&#160;|&nbsp;)*<a ...>`` as one
    # expression tried a run of spaces at every space of the fragment, 0.26 ms an issue with
    # footnotes (issue 13); here each link is found by its text and the spaces taken off the
    # text before it, back to the previous link, as that expression's leftmost match did.
    kept, end = [], 0
    for link in _FOOTNOTE_BACKREF.finditer(fragment):
        kept.append(_without_trailing_spaces(fragment[end : link.start()]))
        end = link.end()
    kept.append(fragment[end:])
    return "".join(kept)


def _without_trailing_spaces(text: str) -> str:
    """*text* without the white space, ``&#160;`` and ``&nbsp;`` it ends in (``str.rstrip``
    takes what a regular expression's ``\\s`` matches)."""
    while True:
        text = text.rstrip()
        for reference in _SPACE_REFERENCES:
            if text.endswith(reference):
                text = text[: -len(reference)]
                break
        else:
            return text


def _warning(removal: Any, path: Any, line: int | None) -> RemovedContent:
    return RemovedContent(removal.message, rule=removal.rule, path=path, line=line, hint=removal.hint)


def _in_record(removal: Any, record: Record) -> RemovedContent:
    """A removal from a record's note or new text, at the record file's line that holds it."""
    try:
        text = record.path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        text = ""
    match = re.search(removal.needle, text, re.IGNORECASE)
    line = (
        text.count("\n", 0, match.start()) + 1 if match else (record.lines.get("note") or record.lines.get("replaces"))
    )
    return _warning(removal, record.path, line)


def _in_records(removal: Any, records: list[Record], issue: Issue) -> RemovedContent:
    """The record whose file holds what was removed; the issue file when none does."""
    for record in records:
        try:
            if re.search(removal.needle, record.path.read_text(encoding="utf-8"), re.IGNORECASE):
                return _in_record(removal, record)
        except (OSError, UnicodeDecodeError):
            continue
    return _warning(removal, issue.path, None)


def _unique(removed: list[RemovedContent]) -> list[RemovedContent]:
    """Each removal once: a note is in the errata and again in its notice."""
    seen: dict[tuple[str, Any, Any], RemovedContent] = {}
    for warning in removed:
        seen.setdefault((warning.message, warning.path, warning.line), warning)
    return list(seen.values())


def _inline(fragment: str) -> str:
    """The inside of a one-paragraph fragment: ``<p>x</p>`` -> ``x``."""
    fragment = fragment.strip()
    if fragment.startswith("<p>") and fragment.endswith("</p>") and fragment.count("<p>") == 1:
        return fragment[3:-4]
    return fragment


def notice_subject(record: Record, issue: Issue) -> str:
    """A correction notice's subject: 【訂正とお詫び】TITLE, "Correction: TITLE"."""
    return labels_for(issue.lang)[f"subject_{record.kind}"].format(title=issue.title)


def issue_context(state: IssueState, config: Config) -> dict[str, Any]:
    """What every template receives for one issue."""
    issue = state.issue
    base = config.publication.base_url
    return {
        "publication": config.publication,
        "issue": issue,
        "subject": subject_of(state, config),
        "lang": issue.lang,
        "t": labels_for(issue.lang),
        "web_url": f"{base.rstrip('/')}/{issue.slug}/web.html" if base else "",
        "width": config.build.text_width,
        "ambiguous_width": ambiguous_width(issue.lang),
        "placement": config.corrections.placement,
        "errata": [],
        "retraction": None,
        "next_issue": block_context(state, config),
    }


def tidy_text(text: str) -> str:
    """Trailing spaces off, at most one blank line in a row, one newline at the end."""
    lines = [line.rstrip() for line in text.splitlines()]
    tidy: list[str] = []
    for line in lines:
        if line or (tidy and tidy[-1]):
            tidy.append(line)
    return "\n".join(tidy).strip("\n") + "\n"


def _markup(html: str) -> Any:
    return Markup(html)
