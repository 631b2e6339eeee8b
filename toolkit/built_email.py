"""A built email as `notice check`'s rules see it: the HTML, its parsed tree, and where to point.

`check` builds each issue privately and hands every built email (the issue's and each
correction notice's) to the rules of `toolkit.rules`. `BuiltEmail.locate` turns a finding in
the built HTML back into the line the author can fix: the issue's Markdown, a record,
notice.toml or the theme.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lxml.html

from .config import Config, line_of
from .issue_state import IssueState
from .source import Issue
from .templating import template_dirs


@dataclass(frozen=True)
class Sources:
    """What problems point into, read once per check: notice.toml and the theme files in use."""

    config_text: str
    templates: tuple[tuple[Path, str], ...]

    @classmethod
    def load(cls, config: Config) -> Sources:
        seen: dict[str, tuple[Path, str]] = {}
        for folder in template_dirs(config.templates_dir):  # the publication's own first
            for path in sorted(folder.iterdir()):
                if path.suffix in (".html", ".css") and path.stem not in ("web", "index") and path.name not in seen:
                    try:
                        seen[path.name] = (path, path.read_text(encoding="utf-8"))
                    except (OSError, UnicodeDecodeError):
                        continue  # the build has already said what is wrong with it
        return cls(read_config_text(config), tuple(seen.values()))

    def template(self, name: str) -> Path | None:
        return next((path for path, _ in self.templates if path.name == name), None)


@dataclass(frozen=True)
class BuiltEmail:
    """One built email.html, with the issue it came from and its parsed tree."""

    config: Config
    state: IssueState
    path: Path
    html: str
    tree: Any  # lxml.html.HtmlElement
    sources: Sources
    notice: bool = False  # a correction notice rather than the issue itself
    #: What the sanitizer removed from the author's Markdown (RemovedContent warnings, located):
    #: gone from the built file, so `check` hands it over.
    removed: tuple[Any, ...] = ()

    @classmethod
    def read(
        cls,
        config: Config,
        state: IssueState,
        path: Path,
        sources: Sources,
        notice: bool = False,
        removed: tuple[Any, ...] = (),
    ) -> BuiltEmail:
        html = path.read_text(encoding="utf-8")
        return cls(config, state, path, html, lxml.html.document_fromstring(html), sources, notice, removed)

    @property
    def issue(self) -> Issue:
        return self.state.issue

    def elements(self) -> Iterator[Any]:
        """Every element, comments and MSO conditional blocks left out."""
        return (el for el in self.tree.iter() if isinstance(el.tag, str))

    def locate(
        self, *, body: str | None = None, template: str | None = None, value: str | None = None, element: Any = None
    ) -> tuple[Path, int | None]:
        """Where the author fixes it: a regex *body* in the issue's Markdown or its records, a
        notice.toml key whose value is *value*, a regex *template* in the theme, else the built
        file at *element*'s line."""
        if body is not None:
            found = _search(self.issue.body, body)
            if found is not None:
                return self.issue.path, found + self.issue.body_line - 1
            for record in self.state.records:
                try:
                    found = _search(record.path.read_text(encoding="utf-8"), body)
                except (OSError, UnicodeDecodeError):
                    continue
                if found is not None:
                    return record.path, found
        if value:
            for key, setting in vars(self.config.publication).items():
                if setting == value:
                    return self.config.path, line_of(self.sources.config_text, "publication", key)
        if template is not None:
            for path, text in self.sources.templates:
                found = _search(text, template)
                if found is not None:
                    return path, found
        return self.path, element.sourceline if element is not None else None


def read_config_text(config: Config) -> str:
    """notice.toml as loaded (it was read moments ago), for the lines of its keys."""
    return config.path.read_text(encoding="utf-8-sig")


def _search(text: str, pattern: str) -> int | None:
    """The 1-based line of the first match of *pattern* in *text*."""
    match = re.search(pattern, text, re.IGNORECASE)
    return text.count("\n", 0, match.start()) + 1 if match else None
