"""One issue to its files: email.html, email.txt, web.html and a notice per correction.

The Markdown body (with its corrections applied) is rendered once; that fragment feeds the
email, the web page and the plain text alike.
"""

from __future__ import annotations

from typing import Any

from .config import Config
from .corrections import (corrected_body, errata_entries, subject_with_marker, text_marks, title_marker)
from .errors import ToolkitError
from .labels import ambiguous_width, format_date, labels_for
from .publishing import IssueState


class IssueRenderer:
    """Renders issues for one publication; holds what they share: templates and settings."""

    def __init__(self, config: Config, env: Any = None) -> None:
        from .templating import make_environment

        self.config = config
        self.env = env or make_environment(config.templates_dir)

    def render_safely(self, state: IssueState) -> dict[str, bytes] | ToolkitError:
        try:
            return self.render(state)
        except ToolkitError as error:
            return error

    def render(self, state: IssueState) -> dict[str, bytes]:
        """Every file of one issue, by path relative to its output folder, as bytes."""
        from .markup import render_markdown

        issue, config = state.issue, self.config
        base_url = config.publication.base_url
        body = corrected_body(issue.body, state.records)
        fragment = render_markdown(body.markdown(issue.lang), base_url=base_url)
        context = issue_context(state, config)
        context["content"] = _markup(fragment)
        errata = errata_entries(state.records, issue.lang,
                                lambda note: _markup(render_markdown(note, base_url=base_url)))
        context["errata"] = errata
        context["retraction"] = next((e for e in errata if e["kind"] == "retraction"), None)

        files = {
            "email.html": self.email_html("email.html", context),
            "web.html": self.template("web.html", context),
            "email.txt": self.email_text("email.txt", fragment, context),
        }
        for entry in errata:
            files.update(self.notice(entry, context))
        return {name: text.encode("utf-8") for name, text in files.items()}

    def notice(self, entry: dict[str, Any], context: dict[str, Any]) -> dict[str, str]:
        """The short message to readers who got the original: email.html and email.txt."""
        t, issue = context["t"], context["issue"]
        title_date = {"title": issue.title, "date": format_date(issue.date, issue.lang)}
        group = {"retraction": "notice_intro_retraction", "correction": "notice_intro",
                 "clarification": "notice_intro"}.get(entry["kind"], "notice_intro_update")
        notice = {**context, "entry": entry, "intro": t[group].format(**title_date),
                  "subject": t[f"subject_{entry['kind']}"].format(title=issue.title)}
        folder = f"corrections/{entry['id']}"
        return {f"{folder}/email.html": self.email_html("notice.html", notice),
                f"{folder}/email.txt": self.email_text("notice.txt", "", notice)}

    def template(self, name: str, context: dict[str, Any]) -> str:
        from .templating import render_template

        return render_template(self.env, name, context)

    def email_html(self, name: str, context: dict[str, Any]) -> str:
        from .inline import inline_css

        return inline_css(self.template(name, context), engine=self.config.build.inliner)

    def email_text(self, name: str, fragment: str, context: dict[str, Any]) -> str:
        """A plain-text part: the body and each errata note wrapped by display width."""
        from .plaintext import html_to_text

        options = {"width": self.config.build.text_width, "ambiguous_width": context["ambiguous_width"]}
        text = html_to_text(fragment, marks=text_marks(context["lang"]), **options) if fragment else ""
        errata = [{**entry, "note_text": html_to_text(str(entry["note_html"]), **options)}
                  for entry in context["errata"]]
        if "entry" in context:
            context = {**context, "entry": {**context["entry"], "note_text": html_to_text(
                str(context["entry"]["note_html"]), **options)}}
        return tidy_text(self.template(name, {**context, "text": text, "errata": errata}))


def subject_of(state: IssueState, config: Config) -> str:
    """The title readers see: with 【訂正追記有り】 or [Corrected] once there are records."""
    return subject_with_marker(state.issue.title, title_marker(state.records, state.issue.lang, config))


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
    from markupsafe import Markup

    return Markup(html)

