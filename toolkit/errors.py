"""The one family of exceptions for mistakes a user can fix.

The core raises these and never prints or exits; `toolkit.cli` turns them into
``Error: ...`` and exit status 1 in one place. Anything else that escapes is a bug in
notice, and is allowed to show its traceback.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from pathlib import Path


class ToolkitError(Exception):
    """A user error: what is wrong, where (file and line when known) and how to fix it."""

    def __init__(
        self,
        message: str,
        *,
        path: str | os.PathLike[str] | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = Path(path) if path is not None else None
        self.line = line
        self.hint = hint

    def location(self) -> str:
        """``file:line`` for the message, the file as the user should see it."""
        if self.path is None:
            return ""
        shown = display_path(self.path)
        return f"{shown}:{self.line}" if self.line else shown

    def format(self) -> str:
        """The whole message: location, what is wrong, and the hint on its own line."""
        where = self.location()
        text = f"{where}: {self.message}" if where else self.message
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text

    def __str__(self) -> str:
        return self.format()


class ConfigError(ToolkitError):
    """notice.toml is missing, unreadable or invalid."""


class SourceError(ToolkitError):
    """An issue file cannot be read: front-matter, YAML, encoding, slug or body."""


class TemplateError(ToolkitError):
    """A theme template does not parse or fails while rendering."""


class RemovedContent(ToolkitError):
    """A warning, not an error: the sanitizer removed something the author wrote (a <script>,
    an onclick, a javascript: URL). *rule* is the `notice check` rule that lists it."""

    def __init__(self, message: str, *, rule: str = "active-content", path: str | os.PathLike[str] | None = None,
                 line: int | None = None, hint: str | None = None) -> None:
        super().__init__(message, path=path, line=line, hint=hint)
        self.rule = rule


class BuildError(ToolkitError):
    """Some issues failed to build; the others were built. Carries every error."""

    def __init__(self, errors: list[ToolkitError]) -> None:
        count = len(errors)
        super().__init__(f"{count} issue{'s' if count != 1 else ''} failed to build")
        self.errors = errors

    def format(self) -> str:
        return "\n".join(error.format() for error in self.errors)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A ``did you mean 'x'?`` suffix for unknown names, or an empty string."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def display_path(path: Path) -> str:
    """*path* relative to the working folder (``../x`` included) unless the absolute one is shorter."""
    base = Path.cwd()
    try:
        rel = os.path.relpath(path, base)
    except ValueError:  # another drive on Windows
        return str(path)
    absolute = str(path.resolve()) if not path.is_absolute() else str(path)
    return rel if len(rel) <= len(absolute) else absolute
