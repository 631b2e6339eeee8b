"""The one Jinja environment: the publication's templates/ over the built-in theme.

A publication's ``templates/`` overrides the theme file by file, as MkDocs' ``custom_dir``
does. HTML templates autoescape; ``.txt`` templates do not (they are plain text).
"""

from __future__ import annotations

import functools
import hashlib
import os
import stat
from pathlib import Path
from typing import Any

import jinja2
import jinja2.bccache
import jinja2.meta

from .errors import Diagnostic, InternalError, TemplateError, display_path, warning
from .inline import top_level_rules
from .labels import format_date, text_direction
from .limits import CONTENT_PADDING, EMAIL_WIDTH
from .source import MAX_FILE_BYTES, confine, file_kind
from .stale import theme_dir  # where the theme is: `stale` watches it too, and imports no Jinja
from .wrapping import wrap

#: What a template file's name ends with; its compiled code carries that name in tracebacks.
_TEMPLATE_SUFFIXES = (".html", ".txt", ".css", ".xml")


def template_dirs(publication_templates: Path) -> list[Path]:
    """Where templates are looked up, the publication's own first."""
    dirs = [publication_templates] if publication_templates.is_dir() else []
    builtin = theme_dir()
    if not dirs or dirs[0].resolve() != builtin.resolve():
        dirs.append(builtin)
    return dirs


def check_templates(folder: Path) -> None:
    """Refuse a templates/ that would be silently ignored or read from elsewhere (issue 14):
    templates/ that is a file, an override that is a folder where the theme has a file, a
    FIFO or device (reading it would hang), a file over the size limit, or a link that leads
    out of the publication."""
    if not os.path.lexists(folder):
        return
    root = folder.parent
    if not folder.is_dir():
        raise TemplateError(
            "templates is not a folder: notice looks for your theme overrides in templates/",
            path=folder,
            hint="rename the file, and make templates/ a folder (or delete it to use the built-in theme)",
        )
    confine(
        folder,
        root,
        TemplateError,
        action="use templates/",
        hint="notice reads only inside the publication: copy the theme in instead of linking to it",
    )
    builtin = theme_dir()
    for parent, folders, files in os.walk(folder):
        for name in sorted([*folders, *files]):
            path = Path(parent) / name
            confine(
                path,
                root,
                TemplateError,
                action="use this template",
                hint="notice reads only inside the publication: copy the file in instead of linking to it",
            )
            try:
                info = path.stat()
            except OSError as exc:  # a dangling link: Jinja would skip it and use the built-in file
                raise TemplateError(
                    f"cannot read this template: {exc.strerror}", path=path, hint="delete it to use the built-in one"
                ) from None
            relative = path.relative_to(folder)
            if stat.S_ISDIR(info.st_mode):
                if (builtin / relative).is_file():
                    raise TemplateError(
                        f"{relative.as_posix()} is a folder, where the theme has a file of that "
                        "name: it would be ignored",
                        path=path,
                        hint="move it away, and put your copy of the file here instead",
                    )
            elif file_kind(info.st_mode) is not None:
                raise TemplateError(
                    f"cannot read this template: it is {file_kind(info.st_mode)}, not a regular file",
                    path=path,
                    hint="move it out of templates/",
                )
            elif info.st_size > MAX_FILE_BYTES:
                raise TemplateError(
                    f"this template is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB, the most notice reads",
                    path=path,
                    hint="is it the right file?",
                )


class _Environment(jinja2.Environment):
    """Jinja's environment, whose templates see its globals as one dict.

    Jinja gives each template a ``ChainMap`` over the environment's globals, and every render
    and include iterates it (``dict(globals, **context)``, ``set(globals)``) in Python: 12 us a
    render against 3 us for a dict, about 0.05 ms over an issue's 11 renders and includes (issue 13).
    Jinja asks that globals not change once a template is loaded; `make_environment` sets them first.
    """

    def make_globals(self, d: Any) -> Any:
        return {**self.globals, **(d or {})}


class _BytecodeCache(jinja2.FileSystemBytecodeCache):
    """Jinja's cache of compiled templates, kept where it can be: a cache folder deleted while a
    build runs (`.notice-cache/` is always safe to delete) costs a compile, not the build."""

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass  # the folder is gone or read-only: the template is compiled again next time


def make_environment(
    publication_templates: Path, bytecode_dir: Path | None = None, *, reload: bool = True
) -> jinja2.Environment:
    """The environment over *publication_templates* and the theme. With *bytecode_dir* (in
    .notice-cache/), compiled templates are kept there from one process to the next: Jinja
    checks each against its source's checksum, so an edited template is compiled again
    (issue 13: compiling the theme's 13 templates was ~60 ms of every build, and of every
    worker process). *reload* False is for one build: it renders every issue from the
    templates as it first loaded them, whose fingerprint its cache keys hold, without Jinja's
    check of each file's time on every render (12 stats an issue); the preview's
    environment lives across builds and keeps reloading an edited template."""
    check_templates(publication_templates)
    cache = None
    if bytecode_dir is not None:
        try:
            bytecode_dir.mkdir(parents=True, exist_ok=True)
            cache = _BytecodeCache(str(bytecode_dir))
        except OSError:
            cache = None  # only slower: the build says what is wrong with the folder when it saves there
    env = _Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in template_dirs(publication_templates)]),
        bytecode_cache=cache,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "htm", "xml"), default_for_string=True),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=reload,
        # Every template kept in a plain dict: Jinja's default cache (an LRU of 400, whose hit
        # takes a lock and moves the name in a deque) was 1.0 us of each of the 11 loads an
        # issue's render makes, a dict 0.36 us (issue 13). A theme has a few dozen templates.
        cache_size=-1,
    )
    env.filters["format_date"] = format_date
    env.filters["wrap"] = _wrap_filter
    env.filters["text_direction"] = text_direction
    # The column and its padding, from toolkit.limits: the images' widths are computed from them.
    env.globals["layout"] = {"email_width": EMAIL_WIDTH, "content_padding": CONTENT_PADDING}
    return env


#: Past this many rules premailer takes seconds per email (benchmarked: 1,000 rules 3 s,
#: 3,000 rules 13 s, and 10,000 rules 126 s, issue 14), where css-inline takes milliseconds.
LARGE_THEME_RULES = 500
EMAIL_TEMPLATES = ("email.html", "notice.html")


def inliner_warnings(env: jinja2.Environment, inliner: str) -> list[Diagnostic]:
    """A warning when premailer is to inline a theme so large it would take seconds per email."""
    if inliner != "premailer":
        return []
    warnings: list[Diagnostic] = []
    for name in sorted(_included(env, EMAIL_TEMPLATES)):
        if not name.endswith(".css"):
            continue
        try:
            source, filename, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
        except jinja2.TemplateError:
            continue  # a missing stylesheet: rendering reports it, with its place
        rules = len(top_level_rules(source))
        if rules > LARGE_THEME_RULES:
            warnings.append(
                warning(
                    f"{name} has {rules} rules: premailer takes seconds per email to inline a stylesheet this large",
                    path=filename,
                    hint='set inliner = "css-inline" under [build] in notice.toml: it inlines the '
                    "same theme in milliseconds",
                )
            )
    return warnings


def _included(env: jinja2.Environment, names: tuple[str, ...]) -> set[str]:
    """*names* and every template they include, extend or import, by name."""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if name.endswith(".css"):
            continue  # a stylesheet's text is CSS, whatever Jinja might make of it
        try:
            source = env.loader.get_source(env, name)[0]  # type: ignore[union-attr]
            todo.extend(_references(env, source))
        except jinja2.TemplateError:
            continue  # the build itself reports a missing or broken template
    return seen


@functools.lru_cache(maxsize=256)
def _references(env: jinja2.Environment, source: str) -> tuple[str, ...]:
    """The templates *source* names, kept per source text: parsing every email template
    again was 12-14 ms of CPU in each of the preview's builds with premailer (issue 13)."""
    return tuple(n for n in jinja2.meta.find_referenced_templates(env.parse(source)) if n)


def _wrap_filter(text: str, width: int = 70, ambiguous_width: int = 1, indent: str = "") -> str:
    """Jinja filter for .txt templates: wrap one paragraph by display width, with kinsoku."""
    text = str(text)
    if type(width) is int and type(ambiguous_width) is int and type(indent) is str:
        return _wrapped(text, width, ambiguous_width, indent)
    return _wrapped.__wrapped__(
        text, width, ambiguous_width, indent
    )  # an author's odd argument: wrap says what is wrong


@functools.lru_cache(maxsize=1024)
def _wrapped(text: str, width: int, ambiguous_width: int, indent: str) -> str:
    """`_wrap_filter`'s lines, kept by their text: the footer's sender, postal address and
    unsubscribe note are the same in every issue's email.txt: the filter's five calls an issue
    took 0.040-0.046 ms of CPU, now 0.007 (issue 13, replayed over the 200-issue corpus)."""
    return "\n".join(
        wrap(text, width, ambiguous_width=ambiguous_width, initial_indent=indent, subsequent_indent=indent)
    )


def render_template(env: jinja2.Environment, name: str, context: dict[str, Any]) -> str:
    """Render *name*; a template mistake becomes a TemplateError with its file and line."""
    try:
        return env.get_template(name).render(context)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(
            f"template syntax error: {exc.message}",
            path=exc.filename,
            line=exc.lineno,
            hint="see https://jinja.palletsprojects.com/templates/",
        ) from None
    except jinja2.TemplateNotFound as exc:
        path, line = _template_frame(exc)  # the {% include %} or {% extends %} that names it, if one does
        raise TemplateError(
            f"template '{exc.name}' not found",
            path=path,
            line=line,
            hint="restore it in templates/ or delete your copy to use the built-in one"
            if path is None
            else f"correct the name, or add {exc.name} to templates/",
        ) from None
    except jinja2.UndefinedError as exc:
        path, line = _template_frame(exc)
        raise TemplateError(
            f"template error: {exc.message}",
            path=path,
            line=line,
            hint="check the variable's name; README.md lists what templates receive",
        ) from None
    except RecursionError:
        raise TemplateError(
            f"template '{name}' includes or extends itself",
            hint="an override cannot extend the file it replaces; copy the built-in one and edit it instead",
        ) from None
    # What a template's own expressions raise ({{ title + 1 }}, a filter given too few
    # arguments): the author's mistake, so it is reported with its place rather than as a crash.
    # Raised inside notice's own code (one of its filters) it is notice's bug (issue 8), and
    # said so: the author cannot fix it by editing the line.
    except (jinja2.TemplateError, TypeError, ValueError, KeyError, AttributeError, ArithmeticError, IndexError) as exc:
        path, line = _template_frame(exc)
        inside = _toolkit_frame(exc)
        if inside is not None:
            called_from = f", called from {display_path(Path(path))}:{line}" if path else ""
            raise InternalError.of(exc, f" (in {inside}{called_from})") from exc
        raise TemplateError(
            f"template error: {type(exc).__name__}: {exc}",
            path=path,
            line=line,
            hint="fix the expression on that line; README.md lists what templates receive",
        ) from None


def _template_frame(exc: BaseException) -> tuple[str | None, int | None]:
    """The template file and line where a render error happened, from the traceback."""
    tb = exc.__traceback__
    found: tuple[str | None, int | None] = (None, None)
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(_TEMPLATE_SUFFIXES):
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _toolkit_frame(exc: BaseException) -> str | None:
    """``toolkit/wrapping.py:88 in wrap``: the innermost frame of notice's own code below the
    template's, when the error was raised in there rather than by the template's expression."""
    package = Path(__file__).resolve().parent
    tb, found, in_template = exc.__traceback__, None, False
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename.endswith(_TEMPLATE_SUFFIXES):
            in_template, found = True, None
        elif in_template and Path(code.co_filename).resolve().is_relative_to(package):
            found = f"{Path(code.co_filename).resolve().relative_to(package.parent)}:{tb.tb_lineno} in {code.co_name}"
        tb = tb.tb_next
    return found


def templates_fingerprint(env: jinja2.Environment) -> str:
    """A hash of every template the environment can see: when it changes, rebuild everything."""
    digest = hashlib.sha256()
    loader = env.loader
    assert isinstance(loader, jinja2.FileSystemLoader)
    for name in sorted(set(loader.list_templates())):
        for folder in loader.searchpath:  # the file that wins, read as bytes (it may be an image)
            path = Path(folder) / name
            if path.is_file():
                digest.update(f"{name}\0{path}\0".encode())
                digest.update(path.read_bytes())
                break
    return digest.hexdigest()
