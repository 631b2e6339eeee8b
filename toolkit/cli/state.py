"""What every command shares: the options of the `notice` group, printing, and errors.

User errors (`ToolkitError`) become ``Error: ...`` and exit status 1 in `NoticeGroup`, in one
place, and so does a bug (any other exception), said as notice's own internal error. Every
command module imports from here and nowhere else in the CLI. Every error, warning and finding
is printed by `report`, in the words of `toolkit.errors.format_text`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..errors import BuildError, ConfigError, Diagnostic, ToolkitError, display_path, format_text, internal_error
from ..root import CACHE_NAME, find_root

if TYPE_CHECKING:
    from ..config import Config


@dataclass
class State:
    """Options of the `notice` group, shared by every command."""

    project: Path | None = None
    verbosity: int = 0
    color: bool | None = None
    _config: Config | None = field(default=None, repr=False)
    _root: Path | None = field(default=None, repr=False)

    def root(self) -> Path:
        """The publication's folder: the one holding notice.toml here or above, or -C DIR."""
        if self._root is None:
            try:  # a relative -C is resolved against the current folder too
                self._root = find_root(self.project or Path.cwd())
            except FileNotFoundError:
                raise folder_gone() from None
        return self._root

    def config(self) -> Config:
        """The publication's config: notice.toml here or above, or under -C DIR."""
        if self._config is None:
            from ..config import load_config  # lazy: it loads PyYAML, `notice --help` needs none

            self._config = load_config(self.root())
        return self._config

    def load_patterns(self) -> None:
        """Put the regular expressions earlier builds compiled into `re`'s cache before the
        command imports its modules, which compile theirs as they load (issue 13: 15-30 ms of
        a one-issue build, when the build loaded them only after its imports)."""
        try:
            root = self.root()
        except (ToolkitError, OSError, RuntimeError):  # RuntimeError: a link loop, to `resolve`
            return  # the command says so, if it needs a publication
        from ..patterns import FILE_NAME, PATTERNS  # lazy: `notice --help` needs none

        PATTERNS.load(root / CACHE_NAME / FILE_NAME)

    def echo(self, message: str = "", *, err: bool = False, level: int = 0) -> None:
        """Print unless -q silences it (level 0) or it needs -v (level 1)."""
        if self.verbosity >= level:
            click.echo(message, err=err, color=self.color)

    def style(self, text: str, **styles: Any) -> str:
        return text if self.color is False else click.style(text, **styles)

    def paint(self, text: str, severity: str, bold: bool) -> str:
        """Red for errors, yellow for warnings (for `format_text`)."""
        return self.style(text, fg=COLOURS.get(severity, "red"), bold=bold)

    def path(self, path: Path) -> str:
        """A path as the user should see it: relative to where they stand."""
        return display_path(path)


COLOURS = {"error": "red", "warning": "yellow"}


def folder_gone() -> ConfigError:
    """What `Path.cwd()` failing means: the folder the user stands in was deleted."""
    return ConfigError(
        "the current folder no longer exists (it was deleted or moved away)",
        hint="cd into your publication again, or name it with `notice -C DIR`",
    )


def current_folder() -> Path:
    """The folder the user stands in, or a clear error if it is gone."""
    try:
        return Path.cwd()
    except FileNotFoundError:
        raise folder_gone() from None


class NoticeGroup(click.Group):
    """Turns ToolkitError into a clean message and exit status 1, for every command; any other
    exception is a bug in notice, reported as one (issue 8), never as the author's mistake."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ToolkitError as error:
            state = ctx.find_object(State) or State()
            report_error(state, error)
            ctx.exit(1)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise  # click's own: usage errors, --help, Ctrl-C
        except Exception as exc:  # noqa: BLE001 - the one place a bug is caught: to say it is one
            state = ctx.find_object(State) or State()
            import traceback  # lazy: only for a bug (issue 13: `notice --help` loads this module)

            # The traceback is for the bug report; the last lines say whose fault it is.
            click.echo("".join(traceback.format_exception(exc)).rstrip("\n"), err=True, color=state.color)
            report(state, [internal_error(exc)])
            ctx.exit(1)


def pass_state(func: Any) -> Any:
    """Pass the State to a command, and accept -q/-v after its name too (`notice build -q`)."""

    @functools.wraps(func)
    def command(*args: Any, command_quiet: bool = False, command_verbose: bool = False, **kwargs: Any) -> Any:
        state = click.get_current_context().ensure_object(State)
        if command_quiet:
            state.verbosity = -1
        elif command_verbose:
            state.verbosity = 1
        return func(state, *args, **kwargs)

    command = click.option("-v", "--verbose", "command_verbose", is_flag=True, help="Print more.")(command)
    return click.option("-q", "--quiet", "command_quiet", is_flag=True, help="Print errors only.")(command)


def check_slugs(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """A click callback: every slug given, checked by `source.check_slug` before the command
    runs, so ``../x`` or ``/abs/x`` never reaches a file name (issue 14)."""
    from ..source import check_slug  # lazy: `notice --help` loads no YAML

    if value is None:
        return None
    return tuple(check_slug(slug) for slug in value) if isinstance(value, tuple) else check_slug(value)


def slug_argument(*, many: bool = False) -> Any:
    """The SLUG argument of every command that takes one (or [SLUG]... with *many*)."""
    if many:
        return click.argument("slugs", nargs=-1, metavar="[SLUG]...", callback=check_slugs)
    return click.argument("slug", callback=check_slugs)


def report(state: State, diagnostics: Iterable[Diagnostic], *, err: bool = True) -> None:
    """Print each diagnostic (errors, warnings, findings) as `format_text` words it."""
    for diagnostic in diagnostics:
        click.echo(format_text(diagnostic, state.paint), err=err, color=state.color)


def report_error(state: State, error: ToolkitError) -> None:
    report(state, error.errors if isinstance(error, BuildError) else [Diagnostic.of(error)])


def count(items: list[str], noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"
