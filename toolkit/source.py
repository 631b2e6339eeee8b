"""Issue files: ``issues/<slug>.md``, YAML front-matter then Markdown, read into an `Issue`.

The front-matter is split by hand (a regex and PyYAML, as MkDocs does) rather than with
python-frontmatter, because that library silently treats an unclosed ``---`` fence as body
text and reports no line numbers; an author needs "issues/x.md:4: ..." instead.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from .errors import SourceError, ToolkitError, did_you_mean

#: A slug is a file name and a URL segment: lowercase ASCII words joined by '-', at most 100 long.
SLUG_RE = re.compile(r"(?=.{1,100}$)[a-z0-9]+(?:-[a-z0-9]+)*")
STATUSES = ("draft", "published")
FIELDS = ("title", "date", "status", "preheader", "author", "lang", "tags", "number", "summary",
          "published")
REQUIRED = ("title", "date")
#: A BCP 47 language tag, loosely: "ja", "en", "en-GB", "zh-Hant-TW".
LANG_RE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*")
FENCE = re.compile(r"^---[ \t]*$", re.MULTILINE)


@dataclass(frozen=True)
class Issue:
    """One issue as the author wrote it: metadata plus the Markdown body."""

    slug: str
    path: Path
    title: str
    date: dt.datetime
    body: str
    body_line: int
    status: str = "draft"
    lang: str = "en"
    preheader: str = ""
    author: str = ""
    tags: tuple[str, ...] = ()
    number: int | None = None
    summary: str = ""
    published: dt.datetime | None = None
    digest: str = ""
    #: The front-matter exactly as written: the lock keeps these values, so changing the
    #: publication's time zone or language later is not mistaken for an edit of the issue.
    front: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_draft(self) -> bool:
        return self.status == "draft"


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps dates as text (so we parse and report them ourselves) and
    refuses duplicate keys (PyYAML silently keeps the last one)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_issue(path: Path, *, default_lang: str = "en", tz: ZoneInfo | None = None) -> Issue:
    """Read and validate one issue file; raise SourceError naming the file and line."""
    slug = path.stem
    if not SLUG_RE.fullmatch(slug):
        raise SourceError(
            f"the file name '{path.name}' is not a valid slug: use only a-z, 0-9 and '-'",
            path=path, hint=f"rename it, for example to {suggest_slug(slug) or 'issue-1'}.md")
    try:
        raw = path.read_bytes()
    except OSError as exc:  # a folder named x.md, a dangling link, no permission
        raise SourceError(f"cannot read this file: {exc.strerror}", path=path,
                          hint="an issue is a Markdown file; move anything else out of issues/") from None
    text = decode(raw, path)
    meta_text, meta_line, body, body_line = split_front_matter(text, path)
    meta, lines = parse_yaml_mapping(meta_text, meta_line, path)
    issue = _make_issue(path, slug, meta, lines, body, body_line, default_lang, tz or ZoneInfo("UTC"))
    return dataclasses.replace(issue, digest=hashlib.sha256(raw).hexdigest())


def read_issues(folder: Path, **options: Any) -> tuple[list[Issue], list[SourceError]]:
    """Every ``*.md`` in *folder*, sorted by slug; bad files become errors, not exceptions."""
    issues: list[Issue] = []
    errors: list[SourceError] = []
    for path in sorted(folder.glob("*.md")) if folder.is_dir() else []:
        try:
            issues.append(read_issue(path, **options))
        except SourceError as error:
            errors.append(error)
    return issues, errors


def decode(raw: bytes, path: Path, error: type[ToolkitError] = SourceError) -> str:
    """UTF-8 text (a BOM allowed) with \\n line ends; *error* names the line of a bad byte."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise error("this file is not UTF-8", path=path, line=line,
                    hint="re-save it as UTF-8 in your editor (Shift_JIS and other encodings are not read)") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def sort_newest_first(issues: list[Issue]) -> list[Issue]:
    """Newest first; the slug breaks ties, so every listing has one stable order."""
    return sorted(issues, key=lambda i: (i.date, i.slug), reverse=True)


def no_such_issue(slug: str, known: Iterable[str]) -> ToolkitError:
    return ToolkitError(f"no issue '{slug}' in issues/{did_you_mean(slug, known)}",
                        hint="`notice list` shows every issue's slug")


def split_front_matter(text: str, path: Path) -> tuple[str, int, str, int]:
    """``(yaml, first yaml line, body, first body line)``; the file must open with ``---``."""
    if not FENCE.match(text):
        raise SourceError("the file does not start with front-matter", path=path, line=1,
                          hint="begin with a line '---', then 'title: ...' and 'date: ...', then '---'")
    closing = FENCE.search(text, text.index("\n") + 1 if "\n" in text else len(text))
    if closing is None:
        raise SourceError("the front-matter opened on line 1 is never closed", path=path, line=1,
                          hint="add a line '---' after the last field, before the Markdown body")
    meta = text[text.index("\n") + 1: closing.start()]
    body_start = closing.end() + 1
    body_line = text.count("\n", 0, min(body_start, len(text))) + 1
    return meta, 2, text[body_start:], body_line


def parse_yaml_mapping(meta_text: str, first_line: int, path: Path, *, what: str = "front-matter",
                       hint: str = "values with ':' or '#' need quotes, e.g. title: \"Q&A: part 1\""
                       ) -> tuple[dict[str, Any], dict[str, int]]:
    """A YAML mapping and the file line of each top-level key; dates stay text."""
    loader = None
    try:
        loader = _Loader(meta_text)  # its reader already refuses NUL and other control characters
        node = loader.get_single_node()
        if node is None:
            return {}, {}
        if not isinstance(node, yaml.MappingNode):
            raise SourceError(f"the {what} must be a list of 'field: value' lines",
                              path=path, line=node.start_mark.line + first_line,
                              hint="write it as 'title: ...' on its own line, one field per line")
        lines: dict[str, int] = {}
        for key_node, _ in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + first_line
            if key in lines:
                raise SourceError(f"the field '{key}' is given twice (also on line {lines[key]})",
                                  path=path, line=line, hint="keep one of them")
            lines[key] = line
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + first_line if mark else first_line
        raise SourceError(f"invalid YAML in the {what}: {exc.problem or exc.context}",
                          path=path, line=line, hint=hint) from None
    except yaml.YAMLError as exc:  # the reader's errors (a NUL byte, a control character) carry no mark
        raise SourceError(f"invalid YAML in the {what}: {exc}".splitlines()[0], path=path, line=first_line,
                          hint="remove control characters such as NUL from the file") from None
    finally:
        if loader is not None:
            loader.dispose()
    return data, lines


def _make_issue(path: Path, slug: str, meta: dict[str, Any], lines: dict[str, int], body: str,
                body_line: int, default_lang: str, tz: ZoneInfo) -> Issue:
    def fail(message: str, key: str | None = None, hint: str | None = None) -> SourceError:
        return SourceError(message, path=path, line=lines.get(key, 1) if key else 1, hint=hint)

    for key in meta:
        if key not in FIELDS:
            raise fail(f"unknown field '{key}'{did_you_mean(str(key), FIELDS)}", str(key),
                       f"known fields: {', '.join(FIELDS)}")
    for key in REQUIRED:
        if meta.get(key) in (None, ""):
            raise fail(f"the required field '{key}' is missing" if key not in meta
                       else f"the required field '{key}' is empty", key if key in meta else None,
                       "add for example: title: \"Spring news\"" if key == "title"
                       else "add for example: date: 2026-04-01")

    def text_field(key: str) -> str:
        value = meta.get(key, "")
        if value is None:
            return ""
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise fail(f"'{key}' must be text, not {_yaml_type(value)}", key,
                       f"write it on one line, in quotes if needed: {key}: \"...\"")
        return str(value).strip()

    status = text_field("status") or "draft"
    if status not in STATUSES:
        raise fail(f"unknown status '{status}'{did_you_mean(status, STATUSES)}", "status",
                   "use 'draft' or 'published'")
    tags = meta.get("tags") or []
    if isinstance(tags, str):
        tags = [tags]
    if not isinstance(tags, list) or not all(isinstance(t, (str, int)) and not isinstance(t, bool) for t in tags):
        raise fail("'tags' must be a list of words", "tags", "for example: tags: [line, privacy]")
    number = meta.get("number")
    if number is not None and (isinstance(number, bool) or not isinstance(number, int) or number < 0):
        raise fail(f"'number' must be a whole number, not {number!r}", "number", "for example: number: 12")
    lang = text_field("lang") or default_lang
    if not LANG_RE.fullmatch(lang):
        raise fail(f"'{lang}' is not a language tag", "lang", "use a tag such as ja or en")
    if not body.strip():
        raise SourceError("the issue has no body", path=path, line=body_line,
                          hint="write the issue's Markdown below the closing '---'")
    return Issue(
        slug=slug, path=path, title=text_field("title"), body=body, body_line=body_line,
        date=parse_date(meta["date"], tz, lambda m: fail(m, "date", _DATE_HINT)),
        status=status, lang=lang, preheader=text_field("preheader"), author=text_field("author"),
        tags=tuple(str(t) for t in tags), number=number, summary=text_field("summary"),
        published=None if meta.get("published") in (None, "") else parse_date(
            meta["published"], tz, lambda m: fail(m, "published", "`notice publish` writes this field; "
                                                   "write it as 2018-07-13 10:00+09:00")),
        front=dict(meta),
    )


_DATE_HINT = "write 2018-07-13, or 2018-07-13 09:30 with an optional offset such as +09:00"


def parse_date(value: Any, tz: ZoneInfo, fail: Any = None) -> dt.datetime:
    """A date or datetime from YAML text; no offset means the publication's time zone."""
    def error(message: str) -> Exception:
        return fail(message) if fail else ValueError(message)

    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, dt.date):
        parsed = dt.datetime.combine(value, dt.time())
    elif isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?)?", value.strip()):
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
