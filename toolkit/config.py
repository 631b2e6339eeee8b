"""notice.toml: find it, read it, and turn it into one typed, validated `Config`.

Every problem in the file is collected and reported at once (as MkDocs does), each with its
line, so an author fixes them in one pass. Defaults live in the dataclasses below and nowhere
else.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigError, did_you_mean

from .inline import ENGINES as INLINERS
from .source import LANG_RE, decode

CONFIG_NAME = "notice.toml"


@dataclass(frozen=True)
class PublicationSettings:
    """[publication]: who sends the issues and where they live on the web."""

    name: str = "My newsletter"
    lang: str = "en"
    base_url: str = ""
    timezone: str = "UTC"
    sender_name: str = ""
    sender_email: str = ""
    postal_address: str = ""
    unsubscribe_url: str = ""
    unsubscribe_mailto: str = ""


@dataclass(frozen=True)
class BuildSettings:
    """[build]: where outputs go and how they are made."""

    out: str = "build"
    text_width: int = 70
    inliner: str = "premailer"


MARKER_LEVELS = ("retracted", "corrected", "updated")
PLACEMENTS = ("top", "bottom")


@dataclass(frozen=True)
class CorrectionsSettings:
    """[corrections]: where the errata go, and the title markers per language
    (``[corrections.markers.ja] corrected = "【訂正あり】"``) over the built-in ones."""

    placement: str = "top"
    markers: dict[str, dict[str, str]] = field(default_factory=dict)


CHARSETS = ("utf-8", "iso-2022-jp")


@dataclass(frozen=True)
class EmailSettings:
    """[email]: how messages are encoded for `notice export` and `notice send`."""

    charset: str = "utf-8"


@dataclass(frozen=True)
class CheckSettings:
    """[check]: rules of `notice check` switched off, by id."""

    disable: list[str] = field(default_factory=list)


SECTIONS: dict[str, type] = {"publication": PublicationSettings, "build": BuildSettings,
                             "corrections": CorrectionsSettings, "email": EmailSettings,
                             "check": CheckSettings}


@dataclass(frozen=True)
class Config:
    """A publication's settings, with the folder they came from."""

    root: Path
    publication: PublicationSettings = field(default_factory=PublicationSettings)
    build: BuildSettings = field(default_factory=BuildSettings)
    corrections: CorrectionsSettings = field(default_factory=CorrectionsSettings)
    email: EmailSettings = field(default_factory=EmailSettings)
    check: CheckSettings = field(default_factory=CheckSettings)

    @property
    def path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def issues_dir(self) -> Path:
        return self.root / "issues"

    @property
    def corrections_dir(self) -> Path:
        return self.root / "corrections"

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    @property
    def cache_dir(self) -> Path:
        return self.root / ".notice-cache"

    @property
    def preview_dir(self) -> Path:
        """Where `notice preview` builds: never the published output."""
        return self.cache_dir / "preview"

    @property
    def out_dir(self) -> Path:
        return self.root / self.build.out

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.publication.timezone)


def find_root(start: Path) -> Path:
    """The nearest folder at or above *start* that holds notice.toml, as git finds .git."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    raise ConfigError(
        f"no {CONFIG_NAME} in {start} or any folder above it",
        hint="run `notice init` to start a publication here, or point at one with `notice -C DIR`",
    )


def load_config(root: Path) -> Config:
    """Read ``root/notice.toml``; raise one ConfigError listing every problem in it."""
    path = root / CONFIG_NAME
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"{CONFIG_NAME} not found", path=path, hint="run `notice init` to create a publication"
        ) from None
    text = decode(raw, path, ConfigError)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        reason = str(exc)[: match.start()].strip() if match else str(exc)
        raise ConfigError(
            f"invalid TOML: {reason}",
            path=path,
            line=int(match.group(1)) if match else None,
            hint="check quotes and brackets; strings need double quotes, e.g. name = \"My letter\"",
        ) from None
    return parse_config(root, data, text)


def parse_config(root: Path, data: dict[str, Any], text: str = "") -> Config:
    """Validate TOML data into a Config; every problem is gathered before raising."""
    problems: list[tuple[str, int | None, str]] = []
    sections: dict[str, Any] = {}
    for name, value in data.items():
        if name not in SECTIONS:
            problems.append((f"unknown section [{name}]{did_you_mean(name, SECTIONS)}",
                             line_of(text, None, name), f"known sections: {', '.join(SECTIONS)}"))
            continue
        if not isinstance(value, dict):
            problems.append((f"'{name}' must be a table, written [{name}]", line_of(text, None, name), ""))
            continue
        sections[name] = _parse_section(name, value, text, problems)
    if problems:
        path = root / CONFIG_NAME
        first = problems[0]
        if len(problems) == 1:
            raise ConfigError(first[0], path=path, line=first[1], hint=first[2] or None)
        lines = "\n".join(
            f"  {path.name}:{line}: {message}" if line else f"  {path.name}: {message}"
            for message, line, _ in problems
        )
        raise ConfigError(f"{len(problems)} problems:\n{lines}", path=path,
                          hint="fix each line above; README.md lists every key")
    return Config(root=root, **sections)


def _parse_section(section: str, table: dict[str, Any], text: str,
                   problems: list[tuple[str, int | None, str]]) -> Any:
    cls = SECTIONS[section]
    known = {f.name: f for f in fields(cls)}
    values: dict[str, Any] = {}
    for key, value in table.items():
        line = line_of(text, section, key)
        if key not in known:
            problems.append((f"unknown key '{key}' in [{section}]{did_you_mean(key, known)}", line,
                             f"known keys: {', '.join(known)}"))
            continue
        spec = known[key]
        expected = type(spec.default if spec.default is not dataclasses.MISSING else spec.default_factory())
        # bool is an int in Python; a TOML `true` for text_width is still the wrong type.
        if not isinstance(value, expected) or isinstance(value, bool) != (expected is bool):
            problems.append((
                f"'{key}' in [{section}] must be {_type_name(expected)}, not {_type_name(type(value))}",
                line, f"for example: {key} = {_example(spec)}"))
            continue
        message = _check_value(section, key, value)
        if message:
            problems.append((message[0], line, message[1]))
            continue
        values[key] = value
    return dataclasses.replace(cls(), **values)


def _check_value(section: str, key: str, value: Any) -> tuple[str, str] | None:
    """Checks beyond the type: a ``(message, hint)`` pair, or None when the value is fine."""
    if section == "publication" and isinstance(value, str) and re.search(r"[\x00-\x1f\x7f]", value):
        # These values go into mail headers, where a line break would start a new header.
        return (f"'{key}' contains a line break or another control character",
                "write it on one line, without tabs")
    if (section, key) == ("publication", "timezone"):
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # "America" is a folder of zones
            return (f"unknown time zone '{value}'", 'use an IANA name such as "Asia/Tokyo" or "UTC"')
    if (section, key) == ("publication", "base_url") and value and not re.match(r"https?://[^/]+", value):
        return (f"base_url '{value}' is not an http(s) URL", 'for example: base_url = "https://example.com/letter/"')
    if (section, key) == ("publication", "lang") and not LANG_RE.fullmatch(value):
        return (f"lang '{value}' is not a language tag", 'use a BCP 47 tag such as "ja" or "en"')
    if (section, key) == ("build", "text_width") and not 20 <= value <= 998:
        return (f"text_width must be between 20 and 998, not {value}",
                "70 columns (35 Japanese characters) is the usual width")
    if (section, key) == ("build", "inliner") and value not in INLINERS:
        return (f"unknown inliner '{value}'{did_you_mean(value, INLINERS)}",
                f"choose one of: {', '.join(INLINERS)}")
    if (section, key) == ("email", "charset") and value.lower() not in CHARSETS:
        return (f"unknown charset '{value}'{did_you_mean(value.lower(), CHARSETS)}",
                f"choose one of: {', '.join(CHARSETS)}")
    if (section, key) == ("check", "disable") and not all(isinstance(rule, str) for rule in value):
        return ("disable must be a list of rule ids", 'for example: disable = ["preheader-missing"]')
    if (section, key) == ("publication", "unsubscribe_mailto") and value and not value.startswith("mailto:"):
        return (f"unsubscribe_mailto '{value}' must start with mailto:",
                'for example: unsubscribe_mailto = "mailto:unsubscribe@example.com?subject=unsubscribe"')
    if (section, key) == ("corrections", "placement") and value not in PLACEMENTS:
        return (f"placement must be \"top\" or \"bottom\", not \"{value}\"", 'for example: placement = "top"')
    if (section, key) == ("corrections", "markers"):
        for lang, table in value.items():
            if not isinstance(table, dict):
                return (f"markers.{lang} must be a table of markers",
                        f'write [corrections.markers.{lang}] then corrected = "..."')
            for level, marker in table.items():
                if level not in MARKER_LEVELS or not isinstance(marker, str):
                    return (f"unknown marker '{level}' in [corrections.markers.{lang}]"
                            f"{did_you_mean(level, MARKER_LEVELS)}" if level not in MARKER_LEVELS
                            else f"marker '{level}' in [corrections.markers.{lang}] must be a string",
                            f"markers are {', '.join(MARKER_LEVELS)}, each a string")
    if (section, key) == ("build", "out"):
        out = Path(value)
        if not value or out.is_absolute() or ".." in out.parts or not out.parts or out.parts[0] in RESERVED:
            return (f"out '{value}' must be a new folder inside the publication",
                    'for example: out = "build"; use `notice build --out DIR` to build elsewhere')
    return None


#: What an output folder may never be, or be inside of: a build would overwrite the author's files.
RESERVED = ("issues", "corrections", "templates", ".notice-cache", CONFIG_NAME, ".git")


def check_out_dir(config: Config, out_dir: Path) -> None:
    """Refuse an output folder that is the publication itself or holds the author's files."""
    out_dir, root = out_dir.resolve(), config.root.resolve()
    if config.cache_dir.resolve() in out_dir.parents:
        return  # a private build of notice's own (the preview's, check's), inside the cache
    clash = out_dir == root or any(out_dir == (root / name) or (root / name) in out_dir.parents for name in RESERVED)
    if clash or out_dir in root.parents or (out_dir.exists() and not out_dir.is_dir()):
        raise ConfigError(f"cannot build into {out_dir}: it would overwrite the publication's own files",
                          hint="choose a folder of its own, such as build/ (the default)")


def line_of(text: str, section: str | None, key: str) -> int | None:
    """The line of ``key =`` inside ``[section]`` (or of ``[key]`` when section is None).

    tomllib gives no positions, and a config file is short: scanning it is simpler and
    faster than a second, position-aware TOML parser.
    """
    current: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        header = re.fullmatch(r"\[\s*([^\]]+?)\s*\]\s*(#.*)?", stripped)
        if header:
            current = header.group(1).strip('"')
            if current == key if section is None else current.startswith(f"{section}.{key}"):
                return number
            continue
        if current == section and re.match(rf'"?{re.escape(key)}"?\s*=', stripped):
            return number
    return None


def _type_name(kind: type) -> str:
    return {str: "a string", int: "a whole number", bool: "true or false", float: "a number",
            list: "a list", dict: "a table"}.get(kind, kind.__name__)


def _example(spec: Any) -> str:
    """An example value for a key, for hints: from its default, or by its kind of default."""
    if spec.default is not dataclasses.MISSING:
        return f'"{spec.default}"' if isinstance(spec.default, str) else str(spec.default).lower()
    if spec.default_factory is list:
        return '["preheader-missing"]'
    return '{ ja = { corrected = "【訂正あり】" } }'  # a table, such as [corrections.markers.ja]
