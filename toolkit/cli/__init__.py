"""The `notice` command: a thin click layer over the library.

The group is defined here and every command is registered explicitly below, as sqlite-utils
and MkDocs keep their command layer thin: the commands live in `authoring`, `errata` and
`mail`, the shared options and error reporting in `state`.
"""

from __future__ import annotations

import atexit
import gc
import os
from pathlib import Path

import click

from .. import __version__, collector
from ..errors import ToolkitError
from . import authoring, errata, mail
from .state import NoticeGroup, State


@click.group(cls=NoticeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="notice")
@click.option("-C", "--project", type=click.Path(path_type=Path), help="Run as if started in this publication folder.")
@click.option("-q", "--quiet", is_flag=True, help="Print errors only.")
@click.option("-v", "--verbose", is_flag=True, help="Print every file written.")
@click.pass_context
def cli(ctx: click.Context, project: Path | None, quiet: bool, verbose: bool) -> None:
    """Write, build and correct newsletters and mail magazines.

    Issues are Markdown files in issues/; notice builds each into email-ready HTML
    (CSS inlined), a plain-text part and a web page. Colour follows NO_COLOR and pipes.

    \b
    Example:
      notice init my-letter && cd my-letter
      notice new "Spring news"
      notice build
    """
    color = False if os.environ.get("NO_COLOR") else None
    if project is not None and not project.is_dir():  # as git -C does, rather than search above it
        ctx.obj = State(color=color)
        raise ToolkitError(
            f"-C {project}: {'not a folder' if project.exists() else 'no such folder'}",
            hint="give the publication's folder (the one holding notice.toml)",
        )
    ctx.obj = State(project=project, verbosity=-1 if quiet else (1 if verbose else 0), color=color)
    ctx.obj.load_patterns()  # before the command imports what compiles them


for command in (
    authoring.init,
    authoring.new,
    authoring.build,
    authoring.list_issues,
    authoring.preview,
    authoring.snapshot,
    errata.publish,
    errata.correct,
    errata.sent,
    errata.history,
    errata.check_command,
    mail.export,
    mail.send,
):
    cli.add_command(command)


def main() -> None:
    # The process ends without the garbage collector's last passes: at exit CPython collects
    # every object of every module it imported, 30-40 ms of CPU of a 0.22 s one-issue build
    # (issue 13; 4 ms with os._exit). Frozen by an atexit call registered as the command
    # starts (so after the command's own handlers, and before those registered at import, such
    # as toolkit.methods' save), those objects are skipped, while atexit handlers,
    # weakref.finalize and the flush of stdout and stderr still run; what is skipped,
    # `__del__` of objects alive at exit, Python never promises to run (the data model's
    # object.__del__). Spack does the same.
    atexit.register(gc.freeze)
    collector.pause()  # until the command's start-up is done (`toolkit.collector`)
    cli(prog_name="notice")
