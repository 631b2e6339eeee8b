"""Issue files: ``issues/<slug>.md``, YAML front-matter then Markdown, read into an `Issue`.

The front-matter is split by hand (a regex and PyYAML, as MkDocs does) rather than with
python-frontmatter, because that library silently treats an unclosed ``---`` fence as body
text and reports no line numbers; an author needs "issues/x.md:4: ..." instead.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import hashlib
import json
import os
import re
import stat
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from .errors import SourceError, ToolkitError, did_you_mean
from .output import write_atomic
from .schema import Invalid, declare, declared, read_mapping

if TYPE_CHECKING:
    import yaml

#: A slug is a file name and a URL segment: lowercase ASCII words joined by '-', at most 100 long.
SLUG_RE = re.compile(r"(?=.{1,100}$)[a-z0-9]+(?:-[a-z0-9]+)*")
#: The largest file notice reads (issue 14): an issue, a record, a template or notice.toml is
#: a few kilobytes; anything this big is a mistake, and reading it whole could exhaust memory.
MAX_FILE_BYTES = 5 * 1024 * 1024
#: The most a memo in .notice-cache is read to (that of 10,000 issues is a few MB).
MAX_CACHE_BYTES = 256 * 1024 * 1024
STATUSES = ("draft", "published")
#: A BCP 47 language tag, loosely: "ja", "en", "en-GB", "zh-Hant-TW".
LANG_RE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*")
FENCE = re.compile(r"^---[ \t]*$", re.MULTILINE)


_DATE_HINT = "write 2018-07-13, or 2018-07-13 09:30 with an optional offset such as +09:00"


def _text(value: Any, key: str, tz: Any = None) -> str:
    """A one-line value; YAML reads some text (12, 3.5) as a number, so numbers are text too."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise Invalid(
            f"'{key}' must be text, not {_yaml_type(value)}", f'write it on one line, in quotes if needed: {key}: "..."'
        )
    return str(value).strip()


def _status(value: Any, key: str, tz: Any) -> str:
    status = _text(value, key) or "draft"
    if status not in STATUSES:
        raise Invalid(f"unknown status '{status}'{did_you_mean(status, STATUSES)}", "use 'draft' or 'published'")
    return status


def _lang(value: Any, key: str, tz: Any) -> str:
    """A language tag, or "" for the publication's (filled in by `_make_issue`)."""
    lang = _text(value, key)
    if lang and not LANG_RE.fullmatch(lang):
        raise Invalid(f"'{lang}' is not a language tag", "use a tag such as ja or en")
    return lang


def _tags(value: Any, key: str, tz: Any) -> tuple[str, ...]:
    tags = [value] if isinstance(value, str) else value or []
    if not isinstance(tags, list) or not all(isinstance(t, (str, int)) and not isinstance(t, bool) for t in tags):
        raise Invalid("'tags' must be a list of words", "for example: tags: [line, privacy]")
    return tuple(str(t) for t in tags)


def _number(value: Any, key: str, tz: Any) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise Invalid(f"'number' must be a whole number, not {_short_repr(value)}", "for example: number: 12")
    return value


def _date(value: Any, key: str, tz: ZoneInfo) -> dt.datetime:
    def fail(message: str) -> Invalid:
        return Invalid(message, _DATE_HINT)

    return parse_date(value, tz, fail)


def _published(value: Any, key: str, tz: ZoneInfo) -> dt.datetime | None:
    def fail(message: str) -> Invalid:
        return Invalid(message, "`notice publish` writes this field; write it as 2018-07-13 10:00+09:00")

    return None if value in (None, "") else parse_date(value, tz, fail)


def _last_correction(value: Any, key: str, tz: Any) -> str:
    """The newest correction record's name (``0004-530bfbb``), which `notice correct` writes so
    that a deleted record is noticed (records.disappearance_problems, issue 14)."""
    name = _text(value, key)
    if name and not re.fullmatch(r"\d{4}-[0-9a-f]{7}", name):
        raise Invalid(
            f"'{key}' must name a correction record such as 0004-530bfbb, not {_short_repr(value)}",
            "`notice correct` writes this field: restore it from version control",
        )
    return name


@dataclass(frozen=True)
class Issue:
    """One issue as the author wrote it: metadata plus the Markdown body.

    The fields declared with `declare` are the front-matter, each with its README doc.
    """

    slug: str
    path: Path
    title: str = declare(doc="the subject line and the page title", parse=_text, required=True)
    date: dt.datetime = declare(
        doc="`2018-07-13`, or a date and time `2018-07-13 10:00`, optionally with an offset `+09:00`; "
        "without one it is read in the publication's `timezone`",
        parse=_date,
        required=True,
    )
    # declare() returns a dataclass field typed Any, so mypy takes a required one for a default.
    body: str  # type: ignore[misc]
    body_line: int  # type: ignore[misc]
    status: str = declare("draft", doc="`draft` (default) or `published`", parse=_status)
    lang: str = declare(
        "en",
        parse=_lang,
        doc="the issue's language (default: the publication's); sets labels, date format and text width rules",
    )
    preheader: str = declare("", doc="the preview line mail clients show after the subject", parse=_text)
    author: str = declare("", doc="shown under the title", parse=_text)
    tags: tuple[str, ...] = declare((), doc="a list of words, `[line, privacy]`", parse=_tags)
    number: int | None = declare(None, doc="the volume number of a mail magazine (第42号 / No. 42)", parse=_number)
    summary: str = declare("", doc="one sentence for the index and the web page's description", parse=_text)
    published: dt.datetime | None = declare(None, doc="when it was sent; written by `notice publish`", parse=_published)
    last_correction: str = declare(
        "",
        doc="the newest record, `0004-530bfbb` (a correction or a delivery); written by `notice correct` and `notice sent`",
        parse=_last_correction,
    )
    digest: str = ""
    #: The key of its front-matter in `PARSED` (`yaml_key`), kept so a build that does not read
    #: the file again (`toolkit.kept_issues`) still keeps that parse for the next that does.
    front_key: str = field(default="", compare=False, repr=False)
    #: The front-matter exactly as written: the lock keeps these values, so changing the
    #: publication's time zone or language later is not mistaken for an edit of the issue.
    front: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_draft(self) -> bool:
        return self.status == "draft"


FIELDS = tuple(declared(Issue))


@functools.cache
def _loaders() -> tuple[type, Any]:
    """(_Loader, _FastLoader), made on first use: PyYAML is imported only when YAML is read,
    so a build with nothing to do never loads it (issue 13: 15-30 ms of its start)."""
    import yaml  # lazy

    class _Loader(yaml.SafeLoader):
        """SafeLoader that keeps dates as text (so we parse and report them ourselves) and
        refuses duplicate keys (PyYAML silently keeps the last one)."""

    _Loader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    # libyaml's parser (about 10x faster than PyYAML's pure-Python one; its nodes keep their
    # line marks) with the same resolvers and constructors. Issue 13: the pure-Python composer
    # was 2 ms an issue, most of a build with nothing to do.
    fast: Any = None  # CSafeLoader's subclass, where PyYAML was built with libyaml
    if getattr(yaml, "__with_libyaml__", False):

        class _FastLoader(yaml.CSafeLoader):
            """CSafeLoader with _Loader's resolvers (dates stay text)."""

        _FastLoader.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers
        fast = _FastLoader
    return _Loader, fast


def __getattr__(name: str) -> Any:
    """`_Loader` and `_FastLoader`, as module attributes, made when first asked for (PEP 562)."""
    if name in ("_Loader", "_FastLoader"):
        return _loaders()[name == "_FastLoader"]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class ParsedYAML:
    """YAML mappings already parsed, by the digest of their text: (data, line offset of each key).

    A build loads it from ``.notice-cache/`` and saves it again, so an unchanged issue's
    front-matter (or record) is not parsed again; the preview keeps it in memory. Only data
    that JSON gives back exactly is kept (dates are text here, so that is nearly all).
    """

    def __init__(self) -> None:
        self.entries: dict[str, list[Any]] = {}
        self.used: set[str] = set()
        self.path: Path | None = None
        self.changed = False

    def load(self, path: Path) -> None:
        """Remember *path*, and what it holds when it can be read (a damaged file costs a parse).

        What an earlier build of this process parsed is dropped: kept, a build that found all
        of it in memory saved nothing, and the next process parsed everything again."""
        self.path, self.used, self.changed, self.entries = path, set(), False, {}
        try:  # a regular file inside the publication (a FIFO in its place hung every build)
            data = json.loads(read_regular(path, root=path.parent.parent, limit=MAX_CACHE_BYTES))
        except (ToolkitError, ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: [[[[...
            return
        if isinstance(data, dict) and data.get("format") == 1 and isinstance(data.get("entries"), dict):
            self.entries = data["entries"]

    def _sound(self, key: str) -> bool:
        entry = self.entries.get(key)
        return isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], dict) and isinstance(entry[1], dict)

    def get(self, key: str) -> tuple[dict[str, Any], dict[str, int]] | None:
        if not self._sound(key):
            return None
        self.used.add(key)
        entry = self.entries[key]
        return _copy(entry[0]), dict(entry[1])

    def holds(self, key: str) -> bool:
        """Whether this build took or kept *key*'s parse here: then it is data JSON gives back
        exactly (`put` keeps no other, and a damaged entry is parsed again, not taken)."""
        return key in self.used and self._sound(key)

    def keep(self, key: str) -> None:
        """Keep *key*'s parse through the next save though nothing asked for it (its file was
        not read again: `toolkit.kept_issues`)."""
        if self._sound(key):
            self.used.add(key)

    def put(self, key: str, data: dict[str, Any], lines: dict[str, int]) -> None:
        try:
            if json.loads(json.dumps(data)) != data:
                return  # a key that is not text, a NaN
        except (TypeError, ValueError):
            return  # a set, binary data or a date YAML was told to make: parsed each time
        self.entries[key] = [_copy(data), lines]
        self.used.add(key)
        self.changed = True

    def save(self) -> None:
        """Write what this build used (so the file never grows past the publication)."""
        if self.path is None or not (self.changed or set(self.entries) - self.used):
            return
        kept = {key: self.entries[key] for key in sorted(self.used) if key in self.entries}
        self.entries, self.changed = kept, False
        write_atomic(self.path, json.dumps({"format": 1, "entries": kept}, ensure_ascii=False).encode("utf-8"))


def _copy(data: dict[str, Any]) -> dict[str, Any]:
    """A copy no caller can change the cache through (the values are JSON's types)."""
    return {key: copy.deepcopy(value) if isinstance(value, (list, dict)) else value for key, value in data.items()}


#: The one cache every parse goes through; `build` loads and saves it.
PARSED = ParsedYAML()


def read_issue(
    path: Path,
    *,
    default_lang: str = "en",
    tz: ZoneInfo | None = None,
    root: Path | None = None,
    confined: bool = False,
) -> Issue:
    """Read and validate one issue file; raise SourceError naming the file and line.

    *root* is the publication folder the file may not lead out of (by default the folder
    above issues/); *confined* says the caller has checked that already.
    """
    slug = path.stem
    if not SLUG_RE.fullmatch(slug):
        raise SourceError(
            f"the file name '{path.name}' is not a valid slug: use only a-z, 0-9 and '-'",
            path=path,
            hint=f"rename it, for example to {suggest_slug(slug) or 'issue-1'}.md",
        )
    raw = read_regular(
        path,
        root=None if confined else path.parent.parent if root is None else root,
        hint="an issue is a Markdown file; move anything else out of issues/",
    )
    text = decode(raw, path)
    meta_text, meta_line, body, body_line = split_front_matter(text, path)
    if "\x00" in body:  # the front-matter's YAML reader refuses it; the renderers would drop it unsaid
        raise SourceError(
            "the body holds a NUL character (U+0000): no mail client shows it, and notice would drop it",
            path=path,
            line=body_line + body.count("\n", 0, body.index("\x00")),
            hint="remove it: it is invisible in most editors (`grep -nP '\\x00' FILE` finds the line)",
        )
    key = yaml_key(meta_text)
    meta, lines = parse_yaml_mapping(meta_text, meta_line, path, key=key)
    digest = hashlib.sha256(raw).hexdigest()
    return _make_issue(path, slug, meta, lines, body, body_line, default_lang, tz or ZoneInfo("UTC"), digest, key)


#: The body of an issue a build's process keeps without it (`build.Prefetch`, `kept_issues`):
#: text no issue has, so a use of it by mistake shows in the outputs; `build.body_of` reads the
#: file again.
BODY_NOT_KEPT = "\x00(the body of this issue is not kept in the build's process: toolkit.build.body_of)\x00"


def lean_issue(
    path: Path, front: dict[str, Any], body_line: int, digest: str, front_key: str, default_lang: str, tz: ZoneInfo
) -> Issue | None:
    """The issue a file held when it was read whole, rebuilt from its front-matter (checked
    again, under today's notice.toml), without its body; None if that front-matter is refused
    now: reading the file says why, in its words and with its line."""
    try:
        return _make_issue(path, path.stem, front, {}, BODY_NOT_KEPT, body_line, default_lang, tz, digest, front_key)
    except SourceError:
        return None


class KeptLookup(Protocol):
    """What `read_issues` asks before it reads a file (`kept_issues.KeptIssues`)."""

    def issue(self, path: Path) -> Issue | None: ...


def read_issues(
    folder: Path,
    each: Callable[[Issue], Issue | None] | None = None,
    kept: KeptLookup | None = None,
    **options: Any,
) -> tuple[list[Issue], list[SourceError]]:
    """Every ``*.md`` in *folder*, sorted by slug; bad files become errors, not exceptions.
    *each* is called with each issue as it is read (the build starts rendering meanwhile); an
    issue it returns is kept instead (the build's lighter copy, without its body). *kept* is
    asked first for each file inside the publication that is no link (`kept_issues.KeptIssues`):
    an issue it gives is taken as read."""
    root = options.setdefault("root", folder.parent)
    issues: list[Issue] = []
    errors: list[SourceError] = []
    # The folder is resolved once: a file in it that is no link is inside wherever the folder is
    # (issue 13: resolving each file's path, a stat per folder above it, was a tenth of reading).
    inside = folder.is_dir() and is_inside(folder, root)
    for path, link in issue_files(folder):
        known = kept.issue(path) if kept is not None and inside and not link else None
        if known is not None:
            issues.append(known)
            continue
        try:
            issues.append(read_issue(path, **options, confined=inside and not link))
        except SourceError as error:
            errors.append(error)
            continue
        if each is not None:
            issues[-1] = each(issues[-1]) or issues[-1]
    return issues, errors


def issue_files(folder: Path) -> list[tuple[Path, bool]]:
    """The ``*.md`` entries of *folder* as ``folder.glob("*.md")`` finds them, in its order,
    each with whether it may be a link: one listing and no stat a file (issue 13: the glob and
    a stat for each link test were 1.3 ms of reading 200 issues); none if it is no folder."""
    try:
        with os.scandir(folder) as entries:
            # normcase: the glob's own case rule (Windows matches X.MD, and sorts without case).
            found = [
                (key, e.name, _maybe_link(e)) for e in entries if (key := os.path.normcase(e.name)).endswith(".md")
            ]
    except OSError:
        return []
    return [(folder / name, link) for _, name, link in sorted(found)]


#: How other tools name Markdown files: one in issues/ under such a name is no issue, and is said so.
_MARKDOWN_ENDINGS = (".md", ".markdown", ".mdown", ".mkd", ".mkdn", ".mdwn")


def unread_files(folder: Path) -> list[Path]:
    """The Markdown files of *folder* that `issue_files` passes over for their name's ending
    (``news.markdown``, ``News.MD``): a test campaign found them left out of every build unsaid."""
    try:
        with os.scandir(folder) as entries:
            names = sorted(e.name for e in entries)
    except OSError:
        return []
    return [
        folder / name
        for name in names
        if name.lower().endswith(_MARKDOWN_ENDINGS) and not os.path.normcase(name).endswith(".md")
    ]


def _maybe_link(entry: os.DirEntry[str]) -> bool:
    """Whether *entry* is a link, from the listing; True when that cannot be told, so that
    `read_regular` checks where it leads (issue 14) rather than trust it."""
    try:
        return entry.is_symlink()
    except OSError:
        return True


# --- finding and reading files inside the publication (issue 14) ------------------------------


def check_slug(slug: str) -> str:
    """*slug* if it names an issue file; else a ToolkitError. Every command that takes a slug
    checks it here first, so ``../x``, ``/abs/x`` or ``x/../y`` can never reach a file name."""
    if SLUG_RE.fullmatch(slug):
        return slug
    shown = slug if slug.isprintable() and len(slug) <= 120 else repr(slug[:120])
    typed = Path(slug) if slug.isprintable() else Path()
    stem = typed.name.removesuffix(".md")
    if typed.parent.name == "issues" and SLUG_RE.fullmatch(stem):  # tab-completed: issues/x.md
        hint = f"give the slug alone: {stem}"
    else:
        hint = f"for example: {suggest_slug(slug) or 'spring-news'}; `notice list` shows every issue's slug"
    raise ToolkitError(
        f"'{shown}' is not a valid slug: a slug is an issue's file name in issues/ without "
        ".md, made of a-z, 0-9 and '-'",
        hint=hint,
    )


def is_inside(path: Path, root: Path) -> bool:
    """Whether *path*, every link followed, is *root* or inside it."""
    try:
        resolved, base = path.resolve(), root.resolve()
    except (OSError, RuntimeError):  # a loop of links
        return False
    return resolved == base or base in resolved.parents


def stays_inside(folder: Path, out_dir: Path) -> bool:
    """Whether *folder*, below *out_dir*, leads nowhere else: no link at any level below it, one
    lstat a level (issue 13: resolving both paths, a stat per folder from the root, was 2% of a
    build); where there is a link, whether it leads inside, as `is_inside` says."""
    current = out_dir
    for part in folder.relative_to(out_dir).parts:
        current = current / part
        try:
            if stat.S_ISLNK(os.lstat(current).st_mode):
                return is_inside(folder, out_dir)
        except FileNotFoundError:
            return True  # the build makes it, and what is below it
        except OSError:
            return is_inside(folder, out_dir)
    return True


def confine(
    path: Path,
    root: Path,
    error: type[ToolkitError] = SourceError,
    hint: str | None = None,
    action: str = "read this file",
    root_name: str = "the publication",
) -> Path:
    """*path* if it stays inside *root*; a link (of the file or of a folder above it) that leads
    out is an error, so nothing outside the publication is read or written (issue 14)."""
    if not is_inside(path, root):
        try:
            target = f" to {path.resolve()}"
        except (OSError, RuntimeError):
            target = ""
        raise error(
            f"cannot {action}: it leads through a link{target}, outside {root_name}",
            path=path,
            hint=hint
            or "notice reads and writes only inside the publication: copy the file in instead of linking to it",
        )
    return path


def read_regular(
    path: Path,
    *,
    root: Path | None,
    error: type[ToolkitError] = SourceError,
    hint: str | None = None,
    limit: int = MAX_FILE_BYTES,
) -> bytes:
    """The bytes of *path*, which must be a regular file of at most *limit* bytes inside *root*.

    A FIFO would block every command forever and a device such as /dev/zero never ends
    (issue 14), so the kind of file is checked before it is opened, and again on the open
    file (opened non-blocking, so a FIFO swapped in between cannot hang us either).
    """
    if root is not None:
        confine(path, root, error)
    try:
        kind = file_kind(os.stat(path).st_mode)
        if kind is None:
            fd = os.open(
                path,
                os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0),
            )
            with os.fdopen(fd, "rb") as handle:
                info = os.fstat(handle.fileno())
                kind = file_kind(info.st_mode)
                if kind is None and info.st_size <= limit:
                    # As many bytes as it holds, and one more to see it has not grown: asked for
                    # limit + 1 at once, read() made a buffer of that size for every file
                    # (issue 13: 80 us an issue, a sixth of reading them).
                    data = handle.read(info.st_size + 1)
                    if len(data) > info.st_size:
                        data += handle.read(limit + 1 - len(data))
                    if len(data) <= limit:
                        return data
    except OSError as exc:  # a dangling link, no permission
        raise error(f"cannot read this file: {exc.strerror or exc}", path=path, hint=hint) from None
    if kind is not None:
        raise error(f"cannot read this file: it is {kind}, not a regular file", path=path, hint=hint)
    raise error(
        f"cannot read this file: it is larger than {limit // (1024 * 1024)} MB, the most notice reads",
        path=path,
        hint="is it the right file? An issue, a record or a template is a few kilobytes",
    )


def file_kind(mode: int) -> str | None:
    """What a file that is not a regular file is, in words; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return next(
        (
            name
            for test, name in (
                (stat.S_ISDIR, "a folder"),
                (stat.S_ISFIFO, "a named pipe (FIFO)"),
                (stat.S_ISCHR, "a device"),
                (stat.S_ISBLK, "a device"),
                (stat.S_ISSOCK, "a socket"),
            )
            if test(mode)
        ),
        "not a regular file",
    )


def decode(raw: bytes, path: Path, error: type[ToolkitError] = SourceError) -> str:
    """UTF-8 text (a BOM allowed) with \\n line ends; *error* names the line of a bad byte."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise error(
            "this file is not UTF-8",
            path=path,
            line=line,
            hint="re-save it as UTF-8 in your editor (Shift_JIS and other encodings are not read)",
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def sort_newest_first(issues: list[Issue]) -> list[Issue]:
    """Newest first; the slug breaks ties, so every listing has one stable order."""
    return sorted(issues, key=lambda i: (i.date, i.slug), reverse=True)


def no_such_issue(slug: str, known: Iterable[str]) -> ToolkitError:
    return ToolkitError(
        f"no issue '{slug}' in issues/{did_you_mean(slug, known)}", hint="`notice list` shows every issue's slug"
    )


def split_front_matter(text: str, path: Path) -> tuple[str, int, str, int]:
    """``(yaml, first yaml line, body, first body line)``; the file must open with ``---``."""
    if not FENCE.match(text):
        raise SourceError(
            "the file does not start with front-matter",
            path=path,
            line=1,
            hint="begin with a line '---', then 'title: ...' and 'date: ...', then '---'",
        )
    closing = FENCE.search(text, text.index("\n") + 1 if "\n" in text else len(text))
    if closing is None:
        raise SourceError(
            "the front-matter opened on line 1 is never closed",
            path=path,
            line=1,
            hint="add a line '---' after the last field, before the Markdown body",
        )
    meta = text[text.index("\n") + 1 : closing.start()]
    body_start = closing.end() + 1
    body_line = text.count("\n", 0, min(body_start, len(text))) + 1
    return meta, 2, text[body_start:], body_line


def parse_yaml_mapping(
    meta_text: str,
    first_line: int,
    path: Path,
    *,
    what: str = "front-matter",
    hint: str = "values with ':' or '#' need quotes, e.g. title: \"Q&A: part 1\"",
    key: str | None = None,
) -> tuple[dict[str, Any], dict[str, int]]:
    """A YAML mapping and the file line of each top-level key; dates stay text.

    Parsed by libyaml when PyYAML has it, else by PyYAML itself; any error is reported as
    PyYAML's own parser words it (the text is parsed again by it), so messages do not
    depend on how PyYAML was installed.
    """
    key = key or yaml_key(meta_text, what)
    cached = PARSED.get(key)
    if cached is None:
        try:
            parsed = _parse_mapping(meta_text, first_line, path, what, hint, fast_loader(meta_text))
        except SourceError:
            parsed = None
        data, lines = parsed or _parse_mapping(meta_text, first_line, path, what, hint, _loaders()[0])
        PARSED.put(key, data, {name: line - first_line for name, line in lines.items()})
        return data, lines
    data, offsets = cached
    return data, {name: offset + first_line for name, offset in offsets.items()}


def yaml_key(meta_text: str, what: str = "front-matter") -> str:
    """The key of a YAML text's parse in `PARSED` (*what* it is: the same text as a record is
    parsed under other rules)."""
    return hashlib.sha256(f"{what}\0{meta_text}".encode("utf-8", "surrogatepass")).hexdigest()


def fast_loader(text: str) -> type:
    """libyaml where it reads *text* as PyYAML does. Not with tabs (PyYAML refuses some that
    libyaml takes, such as one after ``title:``) nor Unicode line breaks."""
    slow, fast = _loaders()
    if fast is None or "\t" in text or "\x85" in text or "\u2028" in text or "\u2029" in text:
        return slow
    return fast


def _parse_mapping(
    meta_text: str, first_line: int, path: Path, what: str, hint: str, loader_class: type
) -> tuple[dict[str, Any], dict[str, int]]:
    """The mapping and the file line of each top-level key, parsed by *loader_class*."""
    import yaml  # lazy (see _loaders)

    loader = None
    try:
        loader = loader_class(meta_text)  # its reader already refuses NUL and other control characters
        node = _compose(loader, first_line, path, what)
        if node is None:
            return {}, {}
        if not isinstance(node, yaml.MappingNode):
            raise SourceError(
                f"the {what} must be a list of 'field: value' lines",
                path=path,
                line=node.start_mark.line + first_line,
                hint="write it as 'title: ...' on its own line, one field per line",
            )
        lines: dict[str, int] = {}
        for key_node, _ in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + first_line
            if key in lines:
                raise SourceError(
                    f"the field '{key}' is given twice (also on line {lines[key]})",
                    path=path,
                    line=line,
                    hint="keep one of them",
                )
            lines[key] = line
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + first_line if mark else first_line
        raise SourceError(
            f"invalid YAML in the {what}: {exc.problem or exc.context}", path=path, line=line, hint=hint
        ) from None
    except yaml.YAMLError as exc:  # the reader's errors (a NUL byte, a control character) carry no mark
        raise SourceError(
            f"invalid YAML in the {what}: {exc}".splitlines()[0],
            path=path,
            line=first_line,
            hint="remove control characters such as NUL from the file",
        ) from None
    finally:
        if loader is not None:
            loader.dispose()
    return data, lines


#: Deeper than any field needs (a record's replaces is two levels); checked before anything recursive runs.
MAX_DEPTH = 20


def _too_deep(path: Path, what: str, line: int) -> SourceError:
    return SourceError(
        f"the {what} is nested too deeply (more than {MAX_DEPTH} levels of lists or mappings)",
        path=path,
        line=line,
        hint="no field needs more than a list of pairs; remove the nesting",
    )


def _compose(loader: Any, first_line: int, path: Path, what: str) -> yaml.Node | None:
    """The document's node tree, checked by `_check_nodes`; None for an empty document."""
    import yaml  # lazy (see _loaders)

    try:
        node = loader.get_single_node()
    except RecursionError:  # issue 14: a value nested thousands deep exhausts the composer's stack
        mark = loader.get_mark() if hasattr(loader, "get_mark") else None
        raise _too_deep(path, what, mark.line + first_line if mark else first_line) from None
    except yaml.MarkedYAMLError as exc:  # libyaml (CSafeLoader) stops at 1,000 levels instead
        if "nesting depth" not in str(exc.problem) or exc.problem_mark is None:
            raise
        raise _too_deep(path, what, exc.problem_mark.line + first_line) from None
    if node is not None:
        _check_nodes(node, first_line, path, what)
    return node


#: More values than any front-matter or record holds, once YAML's aliases are expanded: a few
#: hundred bytes of aliases of aliases ("billion laughs") expand to millions, and everything
#: that walks the data later (checks, the JSON cache) would take minutes or all memory.
MAX_VALUES = 10_000


def _check_nodes(root: yaml.Node, first_line: int, path: Path, what: str) -> None:
    """Refuse what would crash or hang later, at its line: nesting too deep to walk, aliases that
    expand to more than MAX_VALUES values, and a whole number too long for Python to read (over
    4,300 digits, `sys.get_int_max_str_digits`; issue 14). An aliased node is walked once: its
    expanded size and height are kept by the node, so the check is linear in the text."""
    import yaml  # lazy (see _loaders)

    seen: dict[int, tuple[int, int]] = {}  # id(node) -> (values under it, expanded; its height)

    def walk(node: yaml.Node, depth: int) -> tuple[int, int]:
        line = node.start_mark.line + first_line
        if depth > MAX_DEPTH:
            raise _too_deep(path, what, line)
        known = seen.get(id(node))
        if known is None:
            known = measure(node, depth, line)
            seen[id(node)] = known
        size, height = known
        if depth + height > MAX_DEPTH:  # an alias of a deep value, placed deeper
            raise _too_deep(path, what, line)
        return known

    def measure(node: yaml.Node, depth: int, line: int) -> tuple[int, int]:
        if isinstance(node, yaml.ScalarNode):
            digits = sum(c.isdigit() for c in node.value)
            if node.tag == "tag:yaml.org,2002:int" and digits > (sys.get_int_max_str_digits() or digits):
                raise SourceError(
                    f"a number of {digits} digits is too long",
                    path=path,
                    line=line,
                    hint="write a number of a few digits, or quote it to make it text",
                )
            return 1, 0
        children = node.value if isinstance(node, yaml.SequenceNode) else [item for pair in node.value for item in pair]
        size, height = 1, 0
        for child in children:
            child_size, child_height = walk(child, depth + 1)
            size, height = size + child_size, max(height, child_height + 1)
            if size > MAX_VALUES:
                raise SourceError(
                    f"the {what} expands to more than {MAX_VALUES:,} values (YAML aliases, *name, repeat "
                    "what their anchor holds)",
                    path=path,
                    line=line,
                    hint="write each value out once; no field needs aliases of aliases",
                )
        return size, height

    walk(root, 0)


#: Front-matter fields of text, and of a number, where YAML 1.1 may read something else than
#: what was typed: ``12:30`` is 750 (base 60), ``010`` is 8 (octal), ``1_000`` 1000, ``1.10`` 1.1.
_READ_AS_NUMBER = ("title", "preheader", "author", "summary", "number")


def numbers_as_read(issue: Issue, root: Path) -> list[tuple[str, str, Any, int]]:
    """Each front-matter field of *issue* (``_READ_AS_NUMBER``) written as a plain number that
    YAML reads as another one: (field, as written, as read, line). For `notice check`: the issue
    builds, with the title or number YAML made of it, which nobody typed."""
    import yaml  # lazy (see _loaders)

    try:
        meta_text, first_line, _, _ = split_front_matter(
            decode(read_regular(issue.path, root=root), issue.path), issue.path
        )
        loader = _loaders()[0](meta_text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except (ToolkitError, yaml.YAMLError, RecursionError):
        return []  # the issue's reading reports it
    if not isinstance(node, yaml.MappingNode):
        return []
    found = []
    for key_node, value_node in node.value:
        if not (isinstance(value_node, yaml.ScalarNode) and value_node.style is None):
            continue
        if key_node.value not in _READ_AS_NUMBER or value_node.tag not in (
            "tag:yaml.org,2002:int",
            "tag:yaml.org,2002:float",
        ):
            continue
        value = issue.front.get(key_node.value)
        if str(value) != value_node.value:
            found.append((key_node.value, value_node.value, value, key_node.start_mark.line + first_line))
    return found


def _make_issue(
    path: Path,
    slug: str,
    meta: dict[str, Any],
    lines: dict[str, int],
    body: str,
    body_line: int,
    default_lang: str,
    tz: ZoneInfo,
    digest: str = "",
    front_key: str = "",
) -> Issue:
    values, problems = read_mapping(Issue, meta, tz, unknown=_unknown_field, missing=_missing_field)
    if problems:
        key, message, hint = problems[0]
        raise SourceError(message, path=path, line=lines.get(key, 1) if key else 1, hint=hint)
    if not body.strip():
        raise SourceError(
            "the issue has no body",
            path=path,
            line=body_line,
            hint="write the issue's Markdown below the closing '---'",
        )
    return Issue(
        slug=slug,
        path=path,
        body=body,
        body_line=body_line,
        digest=digest,
        front_key=front_key,
        front=dict(meta),
        **{**values, "lang": values.get("lang") or default_lang},
    )


def _unknown_field(key: str, known: list[str]) -> tuple[str, str]:
    return f"unknown field '{key}'{did_you_mean(key, known)}", f"known fields: {', '.join(known)}"


def _missing_field(key: str, given: bool) -> tuple[str, str]:
    return (
        f"the required field '{key}' is empty" if given else f"the required field '{key}' is missing",
        'add for example: title: "Spring news"' if key == "title" else "add for example: date: 2026-04-01",
    )


def parse_date(value: Any, tz: ZoneInfo, fail: Any = None) -> dt.datetime:
    """A date or datetime from YAML text; no offset means the publication's time zone."""

    def error(message: str) -> Exception:
        return fail(message) if fail else ValueError(message)

    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, dt.date):
        parsed = dt.datetime.combine(value, dt.time())
    elif isinstance(value, str) and re.fullmatch(
        r"\d{4}-\d{2}-\d{2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?)?", value.strip()
    ):
        text = re.sub(r"[ T](\d):", r"T0\1:", value.strip(), count=1)  # 9:30 as 09:30
        try:
            parsed = dt.datetime.fromisoformat(text.replace(" ", "T", 1).replace(" ", ""))
        except ValueError as exc:
            raise error(f"'{value}' is not a real date ({exc})") from None
    else:
        raise error(f"'{value}' is not a date")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


def suggest_slug(text: str) -> str:
    """A slug from ASCII words in *text*; empty when there are none (a Japanese title)."""
    return "-".join(re.findall(r"[a-z0-9]+", text.lower()))[:60].strip("-")


def _yaml_type(value: Any) -> str:
    return {list: "a list", dict: "a mapping", bool: "true/false"}.get(type(value), type(value).__name__)


def _short_repr(value: Any) -> str:
    """A value for a message, cut short: a list nested 20,000 deep has no printable repr (issue 14)."""
    if isinstance(value, (list, dict)):
        return _yaml_type(value)
    text = repr(value)
    return text if len(text) <= 40 else text[:40] + "…"
