"""What can go wrong, and how it is told: one family of exceptions, one kind of report.

`ToolkitError` and its subclasses are what the core *raises* for a mistake the author can fix;
it never prints or exits. A `Diagnostic` is what is *reported*: an error, a warning or a
`notice check` finding, with its severity, place and hint. The build, check and export return
diagnostics, de-duplicated (`unique`), and `format_text` and `to_json` are the only places
that turn them into words, so the CLI, `check --format json` and the preview say the same
thing, once. Anything else that escapes is a bug in notice: the CLI reports it as an internal
error (`internal_error`), never as the author's fault.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from . import __version__

#: How a bug in notice is reported, said with every internal error.
REPORT_BUG = (
    "this is a bug in notice, not a mistake in your files: please report it to the notice project "
    "with this message (and the traceback above it, if any) and the command you ran"
)


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
        return Diagnostic.of(self).location()

    def format(self) -> str:
        """The whole message: location, what is wrong, and the hint on its own line."""
        return Diagnostic.of(self).format()

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

    def __init__(
        self,
        message: str,
        *,
        rule: str = "active-content",
        path: str | os.PathLike[str] | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, path=path, line=line, hint=hint)
        self.rule = rule


class InternalError(ToolkitError):
    """A bug in notice met while doing the author's work (inside one of its own template
    filters, say): carried like any error so the other issues still build, but worded as
    notice's fault, with its version and how to report it."""

    @classmethod
    def of(cls, exc: BaseException, where: str = "") -> InternalError:
        """The bug *exc*, met *where* (`` (in toolkit/wrapping.py:88, ...)``)."""
        return cls(f"internal error in notice {__version__}: {type(exc).__name__}: {exc}{where}", hint=REPORT_BUG)


class BuildError(ToolkitError):
    """Some issues failed to build; the others were built. Carries every error."""

    def __init__(self, errors: Iterable[ToolkitError | Diagnostic]) -> None:
        self.errors = unique(as_diagnostic(error) for error in errors)
        count = len(self.errors)
        super().__init__(f"{count} issue{'s' if count != 1 else ''} failed to build")

    def format(self) -> str:
        return "\n".join(error.format() for error in self.errors)


Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Diagnostic:
    """One thing to tell the author: an error, a warning or a `notice check` finding.

    *rule* is the check rule's id (``url-localhost``); the build's own errors and warnings
    have none. Frozen and hashable, so equal diagnostics (one broken template failing every
    issue alike) collapse into one.
    """

    severity: Severity
    message: str
    path: Path | None = None
    line: int | None = None
    hint: str = ""
    rule: str = ""

    @classmethod
    def of(cls, error: ToolkitError, *, severity: Severity = "error", rule: str = "") -> Diagnostic:
        """The report of a raised error (or of one kept as a warning); an error that a
        `notice check` rule stands for (``check_rule``, a missing image) keeps that rule's id."""
        return cls(
            severity, error.message, error.path, error.line, error.hint or "", rule or getattr(error, "check_rule", "")
        )

    def location(self) -> str:
        """``file:line``, the file as the user should see it; empty when there is no file."""
        if self.path is None:
            return ""
        shown = display_path(self.path)
        return f"{shown}:{self.line}" if self.line else shown

    def format(self) -> str:
        """Location, what is wrong, and the hint on its own line (no severity)."""
        where = self.location()
        text = f"{where}: {self.message}" if where else self.message
        return text + (f"\n  hint: {self.hint}" if self.hint else "")

    def as_json(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "path": display_path(self.path) if self.path else None,
            "line": self.line,
            "hint": self.hint,
        }


def as_diagnostic(error: ToolkitError | Diagnostic, severity: Severity = "error") -> Diagnostic:
    """*error* as reported: a raised error becomes a Diagnostic of *severity*."""
    return error if isinstance(error, Diagnostic) else Diagnostic.of(error, severity=severity)


def unique(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Each distinct diagnostic once, in the order first met."""
    return list(dict.fromkeys(diagnostics))


def warning(
    message: str, *, path: str | os.PathLike[str] | None = None, line: int | None = None, hint: str = ""
) -> Diagnostic:
    """A warning: reported, never raised; what it warns about was still done."""
    return Diagnostic("warning", message, Path(path) if path is not None else None, line, hint)


def internal_error(exc: BaseException) -> Diagnostic:
    """An exception notice did not expect: a bug in notice, with its version and how to report it."""
    return Diagnostic.of(exc if isinstance(exc, InternalError) else InternalError.of(exc))


#: What a severity is called when a diagnostic without a rule leads with it.
LABELS = {"error": "Error:", "warning": "Warning:"}

#: Colours a piece of the text for a terminal: (text, severity, bold) -> text.
Paint = Callable[[str, str, bool], str]


def format_text(diagnostic: Diagnostic, paint: Paint | None = None) -> str:
    """The one text form of a diagnostic, for the terminal.

    A check finding reads as linters print theirs, ``file:line: error: message [rule]``; an
    error or warning of a command leads with its severity, ``Error: file:line: message``. Either
    way the hint follows on its own line.
    """
    paint = paint or (lambda text, severity, bold: text)
    if diagnostic.rule:
        where = diagnostic.location()
        text = f"{diagnostic.severity}: {diagnostic.message} [{diagnostic.rule}]"
        text = (f"{where}: {text}" if where else text) + (f"\n  hint: {diagnostic.hint}" if diagnostic.hint else "")
        return paint(text, diagnostic.severity, False)
    return f"{paint(LABELS[diagnostic.severity], diagnostic.severity, True)} {diagnostic.format()}"


def to_json(findings: list[Diagnostic], notes: Iterable[str] = ()) -> str:
    """`notice check --format json`: every finding with its fields, the counts, and the *notes*
    the text format prints under -v that change what a result means (a rule that passed on the
    mail service's own footer): a program reading the JSON has no -v to ask for them."""
    import json  # lazy: `notice --help` loads this module, and needs no JSON (issue 13)

    return json.dumps(
        {
            "findings": [f.as_json() for f in findings],
            "errors": sum(f.severity == "error" for f in findings),
            "warnings": sum(f.severity == "warning" for f in findings),
            "notes": list(notes),
        },
        ensure_ascii=False,
        indent=2,
    )


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A ``did you mean 'x'?`` suffix for unknown names, or an empty string."""
    import difflib  # lazy: only for a mistake (issue 13: `notice --help` loads this module)

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def display_path(path: Path) -> str:
    """*path* relative to the working folder (``../x`` included) unless the absolute one is shorter."""
    try:
        rel = os.path.relpath(path, Path.cwd())
    except ValueError:  # another drive on Windows
        return str(path)
    except FileNotFoundError:  # the working folder was deleted: there is nothing to be relative to
        return str(path)
    absolute = str(path.resolve()) if not path.is_absolute() else str(path)
    return rel if len(rel) <= len(absolute) else absolute
